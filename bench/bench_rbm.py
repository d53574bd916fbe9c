"""RBM benchmark: our BernoulliRBM against scikit-learn's, and AIS log-likelihoods on MNIST.

Part 1 trains both estimators with the same hyperparameters on the same binarized digits
(n_components 100 and 500; batch sizes 10, 100, 1000) and prints samples per second, their
ratio and the pseudo-likelihood each reached. Both are fed the very same float32 array
(written once to a file that each process reads; scikit-learn's BernoulliRBM keeps float32,
which its fitted ``components_`` show). Each library runs in its own process (so that
numpy's and torch's thread pools never spin against each other), started with the
environment this script was started with, so each uses its own default thread count: no
side's BLAS is limited here. The two alternate for several rounds, and the medians are
reported with each side's thread counts (threadpoolctl's ``threadpool_info()``).

Part 2 trains a 500-hidden-unit RBM on mnist-5k with CD-1, CD-10 and PCD and reports the AIS
estimate of the average log-likelihood of the held-out MNIST test set, beside Salakhutdinov &
Murray's published figure for CD-25 on full MNIST.

    python bench/bench_rbm.py --eval-data ../shared/data/mnist-t10k
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.machine import cpu_name, describe, median_rate

# The environment as this script was started, before anything it imports can change it: the
# workers get it as it is, so that neither side's thread pools are limited by this script.
WORKER_ENV = dict(os.environ)
ROOT = Path(__file__).resolve().parents[1]

PUBLISHED_CD25_500 = -86.34  # Salakhutdinov & Murray 2008, Table 2: CD25(500), full MNIST
COMPONENTS = (100, 500)
BATCH_SIZES = (10, 100, 1000)


def _load(eval_data: str | None):
    """mnist-5k and the MNIST test set, stochastically binarized, as float32 arrays."""
    import numpy as np

    from core.data.datasets import binarize_stochastic, load_dataset, load_idx_folder

    train = binarize_stochastic(load_dataset("mnist-5k").images, seed=0).astype(np.float32)
    test = None
    if eval_data and Path(eval_data).exists():
        test = binarize_stochastic(load_idx_folder(eval_data).images, seed=1).astype(np.float32)
    return train, test


def _thread_pools() -> list[dict]:
    """The BLAS and OpenMP pools this process has loaded, with their thread counts."""
    from threadpoolctl import threadpool_info

    def owner(filepath: str) -> str:
        """Whose copy a library is: numpy.libs -> numpy, torch/lib -> torch."""
        folder = Path(filepath).parent
        return folder.parent.name if folder.name == "lib" else folder.name.removesuffix(".libs")

    return [
        {
            "user_api": pool["user_api"],
            "internal_api": pool["internal_api"],
            "num_threads": pool["num_threads"],
            "owner": owner(pool["filepath"]),
        }
        for pool in threadpool_info()
    ]


def worker(library: str, epochs: int, learning_rate: float, data_file: str) -> None:
    """Train every configuration once with one library; print one JSON line per run.

    The data come from ``data_file`` (float32 arrays written by the parent), so that the
    scikit-learn process never imports core and both sides train on the same bytes.
    """
    import numpy as np

    arrays = np.load(data_file)
    train = arrays["train"]
    test = arrays["test"] if "test" in arrays.files else None
    if library == "sklearn":
        from sklearn.neural_network import BernoulliRBM
    else:
        from core.rbm.estimator import BernoulliRBM
    scored = test if test is not None else train
    # Warm up threads and allocators on a tiny fit.
    BernoulliRBM(n_components=10, batch_size=10, n_iter=1, random_state=0).fit(train[:200])
    info = {"library": library, "input_dtype": str(train.dtype), "pools": _thread_pools()}
    if library == "ours":
        import torch

        # torch's matrix products run on the MKL linked into torch, which threadpoolctl does
        # not list; it runs on torch's intra-op threads.
        info["torch_threads"] = torch.get_num_threads()
    print(json.dumps({"info": info}), flush=True)
    for n_components in COMPONENTS:
        for batch_size in BATCH_SIZES:
            if library == "ours":  # the ceiling, measured in the process that trains
                print(
                    json.dumps(
                        {
                            "library": "ceiling",
                            "n_components": n_components,
                            "batch_size": batch_size,
                            "samples_per_second": products_speed(
                                batch_size, train.shape[1], n_components
                            ),
                        }
                    ),
                    flush=True,
                )
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
                        "components_dtype": str(model.components_.dtype),
                    }
                ),
                flush=True,
            )


def products_speed(batch: int, n_visible: int, n_hidden: int, repeats: int = 7) -> float:
    """Samples per second if a PCD-1 update were its five matrix products of batch × visible
    × hidden alone (float32, torch's threads): v Wᵀ, h W and v' Wᵀ for the two phases, hᵀ v
    twice for the gradient. The median of ``repeats`` timings of enough updates for 0.2 s."""
    import torch

    generator = torch.Generator().manual_seed(0)
    W = torch.rand(n_hidden, n_visible, generator=generator)
    v = torch.rand(batch, n_visible, generator=generator)
    h = torch.rand(batch, n_hidden, generator=generator)

    def update() -> None:
        torch.mm(v, W.t())
        torch.mm(h, W)
        torch.mm(v, W.t())
        torch.mm(h.t(), v)
        torch.mm(h.t(), v)

    update()
    started, calls = time.perf_counter(), 0
    while time.perf_counter() - started < 0.2:
        update()
        calls += 1
    return batch * median_rate(update, calls, repeats)


def _threads_text(info: dict) -> str:
    """One side's thread counts in words, e.g. "BLAS: openblas (numpy) 2 threads"."""
    blas = [pool for pool in info["pools"] if pool["user_api"] == "blas"]
    openmp = [pool for pool in info["pools"] if pool["user_api"] == "openmp"]
    parts = []
    if "torch_threads" in info:
        parts.append(f"torch's MKL {info['torch_threads']} threads (torch.get_num_threads())")
    parts.append(
        "BLAS: "
        + (
            ", ".join(
                f"{pool['internal_api']} ({pool['owner']}) {pool['num_threads']} threads"
                for pool in blas
            )
            or "none loaded"
        )
    )
    if openmp:
        parts.append(
            "OpenMP: "
            + ", ".join(f"{pool['owner']} {pool['num_threads']} threads" for pool in openmp)
        )
    return "; ".join(parts)


def throughput(rounds: int, epochs: int, learning_rate: float, eval_data: str | None) -> list:
    import numpy as np

    train, test = _load(eval_data)
    with tempfile.TemporaryDirectory() as folder:
        data_file = str(Path(folder) / "rbm_bench_data.npz")
        np.savez(data_file, train=train, **({"test": test} if test is not None else {}))
        runs, infos = [], {}
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
                    "--data-file",
                    data_file,
                ]
                output = subprocess.run(
                    command, check=True, capture_output=True, text=True, cwd=ROOT, env=WORKER_ENV
                ).stdout
                for line in output.splitlines():
                    if line.startswith("{"):
                        record = json.loads(line)
                        if "info" in record:
                            infos.setdefault(library, record["info"])
                        else:
                            runs.append(record)
                print(f"  round {round_index + 1}/{rounds}: {library} done", file=sys.stderr)
    dtypes = {
        library: sorted(
            {run["components_dtype"] for run in runs if run["library"] == library}
            | {infos[library]["input_dtype"]}
        )
        for library in ("sklearn", "ours")
    }
    both_float32 = all(found == ["float32"] for found in dtypes.values())
    rows = []
    print("\n## Throughput against scikit-learn's BernoulliRBM (PCD-1, same hyperparameters)")
    print(
        f"{cpu_name()}, {os.cpu_count()} cores. mnist-5k, stochastically binarized "
        f"({train.shape[0]}×{train.shape[1]}); "
        + (
            "**both fed float32** (the same array; fitted `components_` float32 on both sides)"
            if both_float32
            else f"NOT both float32: input and fitted components_ dtypes {dtypes}"
        )
        + f"; {epochs} epochs per run; learning rate {learning_rate}; medians of {rounds} "
        f"runs; pseudo-likelihood on "
        f"{'the MNIST test set' if eval_data else 'the training set'}. Each side in its own "
        "process on its default thread count (nothing limited):\n"
    )
    print(f"- scikit-learn: {_threads_text(infos['sklearn'])}")
    print(f"- ours: {_threads_text(infos['ours'])}\n")
    print(
        "The ceiling: the samples per second of a PCD-1 update's five matrix products alone "
        "(batch × visible × hidden, float32), timed in our process before each of its runs.\n"
    )
    print(
        "| hidden | batch | scikit-learn samples/s | ours samples/s | ratio | ceiling samples/s | "
        "ours / ceiling | PL scikit-learn | PL ours |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
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
            ceiling = pick("ceiling", "samples_per_second")
            row = (
                n_components,
                batch_size,
                theirs,
                ours,
                ours / theirs,
                ceiling,
                ours / ceiling,
                pick("sklearn", "pseudo_likelihood"),
                pick("ours", "pseudo_likelihood"),
            )
            rows.append(row)
            print(
                "| {} | {} | {:.0f} | {:.0f} | **{:.2f}×** | {:.0f} | **{:.0%}** | {:.2f} | "
                "{:.2f} |".format(*row)
            )
    return rows


def _train_rbm(data, n_hidden: int, epochs: int, k: int, persistent: bool):
    """A 784-n_hidden RBM trained by CD-k or PCD-k with a fixed, published-style protocol."""
    import torch

    from core.rbm.model import RBM
    from core.rbm.trainer import RBMTrainer

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
    parser.add_argument("--data-file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    eval_data = args.eval_data if args.eval_data and Path(args.eval_data).exists() else None
    if args.worker:
        worker(args.worker, args.epochs, args.learning_rate, args.data_file)
        return
    print(describe())
    if not args.skip_throughput:
        throughput(args.rounds, args.epochs, args.learning_rate, eval_data)
    if not args.skip_ais:
        likelihood(eval_data, args.ais_epochs, args.ais_betas, args.ais_runs)


if __name__ == "__main__":
    main()
