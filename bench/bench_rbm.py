"""RBM benchmark: our BernoulliRBM against scikit-learn's, and AIS log-likelihoods on MNIST.

Part 1 trains both estimators with the same hyperparameters on the same binarized digits
(n_components 100 and 500; batch sizes 10, 100, 1000) and prints samples per second, their
ratio and the pseudo-likelihood each reached. Each library runs in its own process (so that
numpy's and torch's thread pools never spin against each other), the two alternate for
several rounds, and the medians are reported.

Part 2 trains a 500-hidden-unit RBM on mnist-5k with CD-1, CD-10 and PCD and reports the AIS
estimate of the average log-likelihood of the held-out MNIST test set, beside Salakhutdinov &
Murray's published figure for CD-25 on full MNIST.

    python bench/bench_rbm.py --eval-data ../shared/data/mnist-t10k
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.machine import describe  # noqa: E402

PUBLISHED_CD25_500 = -86.34  # Salakhutdinov & Murray 2008, Table 2: CD25(500), full MNIST
COMPONENTS = (100, 500)
BATCH_SIZES = (10, 100, 1000)


def _load(eval_data: str | None):
    import numpy as np

    from core.data import binarize_stochastic, load_dataset, load_idx_folder

    train = binarize_stochastic(load_dataset("mnist-5k").images, seed=0).astype(np.float64)
    test = None
    if eval_data and Path(eval_data).exists():
        test = binarize_stochastic(load_idx_folder(eval_data).images, seed=1).astype(np.float64)
    return train, test


def worker(library: str, epochs: int, learning_rate: float, eval_data: str | None) -> None:
    """Train every configuration once with one library; print one JSON line per run."""
    import numpy as np

    train, test = _load(eval_data)
    if library == "sklearn":
        import os

        from sklearn.neural_network import BernoulliRBM
        from threadpoolctl import threadpool_limits

        # core limits numpy's BLAS to one thread (see core/__init__.py); scikit-learn gets
        # every core, as it would on its own.
        threadpool_limits(limits=os.cpu_count(), user_api="blas")
    else:
        from core.rbm import BernoulliRBM

        train = train.astype(np.float32)
        test = test.astype(np.float32) if test is not None else None
    scored = test if test is not None else train
    # Warm up threads and allocators on a tiny fit.
    BernoulliRBM(n_components=10, batch_size=10, n_iter=1, random_state=0).fit(train[:200])
    for n_components in COMPONENTS:
        for batch_size in BATCH_SIZES:
            model = BernoulliRBM(
                n_components=n_components,
                learning_rate=learning_rate,
                batch_size=batch_size,
                n_iter=epochs,
                random_state=0,
            )
            started = time.perf_counter()
            model.fit(train)
            seconds = time.perf_counter() - started
            pseudo = float(model.score_samples(scored).mean())
            print(
                json.dumps(
                    {
                        "library": library,
                        "n_components": n_components,
                        "batch_size": batch_size,
                        "samples_per_second": len(train) * epochs / seconds,
                        "pseudo_likelihood": pseudo,
                    }
                ),
                flush=True,
            )


def throughput(rounds: int, epochs: int, learning_rate: float, eval_data: str | None) -> list:
    runs = []
    for round_index in range(rounds):
        for library in ("sklearn", "ours"):
            command = [
                sys.executable,
                __file__,
                "--worker",
                library,
                "--epochs",
                str(epochs),
                "--learning-rate",
                str(learning_rate),
                "--eval-data",
                eval_data or "",
            ]
            output = subprocess.run(
                command, check=True, capture_output=True, text=True, cwd=ROOT
            ).stdout
            runs += [json.loads(line) for line in output.splitlines() if line.startswith("{")]
            print(f"  round {round_index + 1}/{rounds}: {library} done", file=sys.stderr)
    rows = []
    print("\n## Throughput against scikit-learn's BernoulliRBM (PCD-1, same hyperparameters)")
    print(
        f"mnist-5k, stochastically binarized; {epochs} epochs per run; "
        f"learning rate {learning_rate}; medians of {rounds} runs; pseudo-likelihood on "
        f"{'the MNIST test set' if eval_data else 'the training set'}.\n"
    )
    print(
        "| hidden | batch | scikit-learn samples/s | ours samples/s | ratio | "
        "PL scikit-learn | PL ours |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for n_components in COMPONENTS:
        for batch_size in BATCH_SIZES:

            def pick(library, key, n_components=n_components, batch_size=batch_size):
                return statistics.median(
                    run[key]
                    for run in runs
                    if run["library"] == library
                    and run["n_components"] == n_components
                    and run["batch_size"] == batch_size
                )

            theirs, ours = pick("sklearn", "samples_per_second"), pick("ours", "samples_per_second")
            row = (
                n_components,
                batch_size,
                theirs,
                ours,
                ours / theirs,
                pick("sklearn", "pseudo_likelihood"),
                pick("ours", "pseudo_likelihood"),
            )
            rows.append(row)
            print("| {} | {} | {:.0f} | {:.0f} | **{:.2f}×** | {:.2f} | {:.2f} |".format(*row))
    return rows


def _train_rbm(data, n_hidden: int, epochs: int, k: int, persistent: bool):
    """A 784-n_hidden RBM trained by CD-k or PCD-k with a fixed, published-style protocol."""
    import torch

    from core.rbm import RBM, RBMTrainer

    rbm = RBM(data.shape[1], n_hidden, seed=0)
    with torch.no_grad():  # visible biases at the data's log-odds (Hinton's guide, 8.1)
        mean = data.mean(dim=0).clamp(1e-3, 1 - 1e-3)
        rbm.b.copy_(torch.log(mean) - torch.log1p(-mean))
    trainer = RBMTrainer(
        rbm,
        learning_rate=0.05,
        k=k,
        persistent=persistent,
        momentum=0.5,
        weight_decay=2e-4,
        n_persistent_chains=100,
        seed=0,
    )
    generator = torch.Generator().manual_seed(0)
    for epoch in range(epochs):
        if persistent:  # PCD settles with a learning rate that decays to zero (Tieleman 2008)
            trainer.learning_rate = 0.05 * (1 - epoch / epochs) + 1e-4
        order = torch.randperm(len(data), generator=generator)
        for start in range(0, len(data), 100):
            trainer.step(data[order[start : start + 100]], compute_metrics=False)
    return rbm


def likelihood(eval_data: str | None, epochs: int, n_betas: int, n_runs: int) -> None:
    import numpy as np
    import torch

    train, test = _load(eval_data)
    data = torch.from_numpy(train.astype(np.float32))
    scored = torch.from_numpy((test if test is not None else train).astype(np.float32))
    scored_name = "MNIST test set" if test is not None else "training set (no --eval-data)"

    print("\n## AIS against the exact log Z (784 visible, 20 hidden: 2**20 states)\n")
    rbm = _train_rbm(data, 20, epochs, 1, False)
    exact = rbm.log_partition_exact()
    estimate = rbm.log_partition_ais(data=train, n_runs=n_runs, n_betas=n_betas, seed=0)
    print(
        f"exact log Z {exact:.3f}; AIS {estimate.log_z:.3f} "
        f"[{estimate.log_z_low:.3f}, {estimate.log_z_high:.3f}]; "
        f"difference {estimate.log_z - exact:+.3f} nats."
    )

    print(f"\n## AIS log-likelihood, 500 hidden units, trained on mnist-5k ({epochs} epochs)")
    print(
        f"Average log P(v) in nats, data stochastically binarized; learning rate 0.05, "
        f"momentum 0.5, weight decay 2e-4, batch 100; AIS with {n_runs} runs and {n_betas} "
        "inverse temperatures; interval from ±3 standard errors of the importance weights "
        "(an open end means the weights are too uneven to bound the estimate).\n"
    )
    print(
        f"| training | train time (s) | log Z | train avg log-lik. | {scored_name} "
        "avg log-lik. | interval |"
    )
    print("| --- | ---: | ---: | ---: | ---: | --- |")
    for name, k, persistent in (("CD-1", 1, False), ("CD-10", 10, False), ("PCD-1", 1, True)):
        started = time.perf_counter()
        rbm = _train_rbm(data, 500, epochs, k, persistent)
        seconds = time.perf_counter() - started
        result = rbm.log_partition_ais(data=train, n_runs=n_runs, n_betas=n_betas, seed=0)
        average = rbm.average_log_likelihood(scored, result.log_z)
        train_average = rbm.average_log_likelihood(data, result.log_z)
        high = average - (result.log_z_low - result.log_z)
        low = average - (result.log_z_high - result.log_z)
        print(
            f"| {name} | {seconds:.1f} | {result.log_z:.2f} | {train_average:.2f} | "
            f"**{average:.2f}** | [{low:.2f}, {high:.2f}] |",
            flush=True,
        )
    print(
        f"| Salakhutdinov & Murray 2008, CD-25, 500 hidden, full MNIST (60,000) | | | | "
        f"{PUBLISHED_CD25_500:.2f} | |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--eval-data",
        default=str(ROOT.parent / "shared/data/mnist-t10k"),
        help="folder with the MNIST test set IDX files (t10k-*)",
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=10, help="epochs per throughput run")
    parser.add_argument("--learning-rate", type=float, default=0.05)
    parser.add_argument("--ais-epochs", type=int, default=20)
    parser.add_argument("--ais-betas", type=int, default=14_500)
    parser.add_argument("--ais-runs", type=int, default=100)
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--skip-ais", action="store_true")
    parser.add_argument("--worker", choices=("sklearn", "ours"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    eval_data = args.eval_data if args.eval_data and Path(args.eval_data).exists() else None
    if args.worker:
        worker(args.worker, args.epochs, args.learning_rate, eval_data)
        return
    print(describe())
    if not args.skip_throughput:
        throughput(args.rounds, args.epochs, args.learning_rate, eval_data)
    if not args.skip_ais:
        likelihood(eval_data, args.ais_epochs, args.ais_betas, args.ais_runs)


if __name__ == "__main__":
    main()
