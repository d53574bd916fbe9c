"""GAN benchmark: training speed against the lecture's Keras GAN, FLOP/s against this
machine's own matrix multiply, time until the samples look like digits, and the Parzen-window
log-likelihood of Goodfellow et al. (2014).

    python bench/bench_gan.py --eval-data ../shared/data/mnist-t10k

The Keras comparison needs tensorflow-cpu; the first run installs it into bench/.keras-venv
(pass --skip-keras to leave it out). Every timing is a median of several windows.
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

import numpy as np

from bench.machine import describe, matmul_gflops, median_rate
from core.data.datasets import from_tanh_range, load_dataset, load_idx_folder, to_tanh_range
from core.gan.trainer import GANConfig, GANTrainer
from core.judge.classifier import classifier_path, load_classifier
from core.judge.quality import parzen_estimate, sample_quality

ROOT = Path(__file__).resolve().parents[1]

KERAS_VENV = ROOT / "bench" / ".keras-venv"
DIGITS_SETTINGS = {
    "seed": {"batch_size": 128},  # the lecture's settings: rates 2e-4, k = 1
    "fast": {  # the GAN page's "Digits sooner" preset
        "batch_size": 64,
        "learning_rate_generator": 2e-3,
        "learning_rate_discriminator": 1e-3,
        "average_decay": 0.998,
    },
}
PAPER_PARZEN = (225.0, 2.0)  # Goodfellow et al. 2014, Table 1, adversarial nets on MNIST


def step_flops(config: GANConfig) -> float:
    """Multiply-adds ×2 of the matrix products in one k:1 step (the work that must be done).

    D step: G forward on B; D forward and backward on 2B (no input gradient at D's first
    layer). G step: G and D forward on B; D backward for input gradients only; G backward
    (no input gradient at G's first layer).
    """
    batch = config.batch_size
    g_sizes = (config.noise_dim, *config.generator_hidden, config.n_pixels)
    d_sizes = (config.n_pixels, *config.discriminator_hidden, 1)
    m_g = sum(a * b for a, b in zip(g_sizes, g_sizes[1:], strict=False))
    m_d = sum(a * b for a, b in zip(d_sizes, d_sizes[1:], strict=False))
    d_first, g_first = d_sizes[0] * d_sizes[1], g_sizes[0] * g_sizes[1]
    d_step = 2 * batch * m_g + 2 * (2 * batch) * m_d + 2 * (2 * batch) * (2 * m_d - d_first)
    g_step = 2 * batch * (m_g + m_d) + 2 * batch * m_d + 2 * batch * (2 * m_g - g_first)
    return float(config.k * d_step + g_step)


def step_products(config: GANConfig) -> list[tuple[int, int, int, bool]]:
    """Every matrix product of one k:1 step as (rows, inner, columns, transposed left).

    The same products ``step_flops`` counts, in the layouts autograd runs them: forward
    x·Wᵀ, input gradients dy·W, weight gradients dyᵀ·x (a transposed left operand).
    """
    batch = config.batch_size
    g_sizes = (config.noise_dim, *config.generator_hidden, config.n_pixels)
    d_sizes = (config.n_pixels, *config.discriminator_hidden, 1)
    g_layers = list(zip(g_sizes, g_sizes[1:], strict=False))
    d_layers = list(zip(d_sizes, d_sizes[1:], strict=False))

    def forward(rows, layers):
        return [(rows, a, b, False) for a, b in layers]

    def input_grads(rows, layers):
        return [(rows, b, a, False) for a, b in layers]

    def weight_grads(rows, layers):
        return [(b, rows, a, True) for a, b in layers]

    d_step = (
        forward(batch, g_layers)
        + forward(2 * batch, d_layers)
        + input_grads(2 * batch, d_layers[1:])
        + weight_grads(2 * batch, d_layers)
    )
    g_step = (
        forward(batch, g_layers)
        + forward(batch, d_layers)
        + input_grads(batch, d_layers)
        + input_grads(batch, g_layers[1:])
        + weight_grads(batch, g_layers)
    )
    return d_step * config.k + g_step


def products_speed(config: GANConfig, rounds: int = 7, repeats: int = 20) -> float:
    """GFLOP/s of the step's matrix products alone, back to back (nothing else in between)."""
    import torch

    operands = []
    for rows, inner, columns, transposed in step_products(config):
        left = torch.randn(inner, rows).t() if transposed else torch.randn(rows, inner)
        operands.append((left, torch.randn(inner, columns), torch.empty(rows, columns)))
    flops = sum(2 * rows * inner * cols for rows, inner, cols, _ in step_products(config))

    def once() -> None:
        for left, right, out in operands:
            torch.mm(left, right, out=out)

    once()
    return flops * median_rate(once, repeats, rounds) / 1e9


def our_speed(data: np.ndarray, steps: int, rounds: int) -> float:
    trainer = GANTrainer(GANConfig(batch_size=128, seed=0), data)
    for _ in range(10):
        trainer.step()
    return median_rate(trainer.step, steps, rounds)


def compiled_speed(data: np.ndarray, steps: int, rounds: int) -> tuple[float, float]:
    """Steps/s of the same k:1 step with its forward passes and losses compiled by
    torch.compile (inductor: the element-wise work fused into generated C++ loops), at its
    most favourable: dropout masks drawn outside the graph, as ours are. Returns (steps/s,
    seconds the first steps took, compilation included)."""
    import torch
    import torch.nn.functional as F_nn

    from core.gan.trainer import discriminator_loss_value, generator_loss_value
    from core.sampling import RandomSource

    config = GANConfig(batch_size=128, seed=0)
    trainer = GANTrainer(config, data)
    generator = trainer.generator
    linears = [layer for layer in trainer.discriminator.net if isinstance(layer, torch.nn.Linear)]
    masks_random = RandomSource(0)
    keep = 1 - config.dropout

    def masks(rows: int) -> list:
        return [
            masks_random.uniform((rows, layer.out_features), torch.float32)
            .ge_(config.dropout)
            .mul_(1 / keep)
            for layer in linears[:-1]
        ]

    def discriminator(x, dropout):
        for layer, mask in zip(linears[:-1], dropout, strict=True):
            x = F_nn.leaky_relu(layer(x), 0.2) * mask
        return linears[-1](x).squeeze(1)

    @torch.compile
    def d_loss(real, z, dropout):
        with torch.no_grad():
            fake = generator(z)
        logits = discriminator(torch.cat((real, fake)), dropout)
        return discriminator_loss_value(logits[: len(real)], logits[len(real) :])

    @torch.compile
    def g_loss(z, dropout):
        return generator_loss_value(discriminator(generator(z), dropout), "proxy")

    def norm(module) -> torch.Tensor:
        return torch.linalg.vector_norm(torch.stack([p.grad.norm() for p in module.parameters()]))

    def step() -> None:
        batch = config.batch_size
        trainer.optimizer_d.zero_grad(set_to_none=True)
        loss = d_loss(trainer.real_batch(), trainer.sample_noise(batch), masks(2 * batch))
        loss.backward()
        d_norm = norm(trainer.discriminator)
        trainer.optimizer_d.step()
        trainer.optimizer_g.zero_grad(set_to_none=True)
        for parameter in trainer.discriminator.parameters():
            parameter.requires_grad_(False)
        g = g_loss(trainer.sample_noise(batch), masks(batch))
        g.backward()
        for parameter in trainer.discriminator.parameters():
            parameter.requires_grad_(True)
        g_norm = norm(generator)
        trainer.optimizer_g.step()
        loss.item(), g.item(), d_norm.item(), g_norm.item()  # the step reports these

    started = time.perf_counter()
    for _ in range(10):
        step()
    first = time.perf_counter() - started
    return median_rate(step, steps, rounds), first


def keras_python() -> Path | None:
    python = KERAS_VENV / "bin" / "python"
    if not python.exists():
        print("installing tensorflow-cpu into bench/.keras-venv ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(KERAS_VENV)], check=True)
        result = subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "tensorflow-cpu", "numpy"],
            env={**os.environ, "PIP_RETRIES": "0"},
        )
        if result.returncode != 0:
            return None
    return python


def speed(
    data: np.ndarray, steps: int, rounds: int, with_keras: bool, with_compile: bool = False
) -> dict:
    config = GANConfig(batch_size=128)
    flops = step_flops(config)
    results = {}
    peak = matmul_gflops()
    results["ours"] = our_speed(data, steps, rounds)
    if with_keras and (python := keras_python()) is not None:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "data.npy"
            np.save(path, data)
            output = subprocess.run(
                [
                    str(python),
                    str(ROOT / "bench" / "keras_gan.py"),
                    str(path),
                    "--steps",
                    str(max(20, steps // 2)),
                    "--rounds",
                    str(rounds),
                ],
                capture_output=True,
                text=True,
            )
            for line in output.stdout.splitlines():
                if line.startswith("{"):
                    row = json.loads(line)
                    results[row["variant"]] = row["steps_per_second"]
            if output.returncode != 0:
                print(output.stderr[-2000:], file=sys.stderr)
    print("\n## Training speed, batch size 128 (mnist-5k, the seed's architecture)\n")
    print("| implementation | steps/s | images/s | ours is |")
    print("| --- | ---: | ---: | ---: |")
    for name, rate in results.items():
        ratio = results["ours"] / rate
        print(f"| {name} | {rate:.1f} | {rate * 128:.0f} | {ratio:.2f}× |")
    achieved = flops * results["ours"] / 1e9
    alone = products_speed(config)
    print(
        f"\nOne k=1 step is {flops / 1e9:.2f} GFLOP of matrix products; ours runs at "
        f"{achieved:.0f} GFLOP/s = **{achieved / peak:.0%}** of this machine's float32 matrix "
        f"multiply ({peak:.0f} GFLOP/s, 1024×1024 in torch, same run). The same products "
        f"alone, back to back with nothing in between, run at {alone:.0f} GFLOP/s = "
        f"{alone / peak:.0%}: the ceiling for any step built on torch's matrix multiply at "
        f"these shapes; ours reaches {achieved / alone:.0%} of it."
    )
    if with_compile:
        rate, first = compiled_speed(data, steps, rounds)
        print(
            f"\nThe same step with torch.compile (inductor): {rate:.1f} steps/s = "
            f"{flops * rate / 1e9 / peak:.0%} of the matrix multiply, "
            f"{rate / results['ours']:.2f}× ours (its first 10 steps took {first:.0f} s with the "
            "compilation)."
        )
    return results


def describe_settings(config: GANConfig) -> str:
    average = f", samples from G's average (d = {config.average_decay:g})" * bool(
        config.average_decay
    )
    return (
        f"k={config.k}, batch {config.batch_size}, learning rates "
        f"G {config.learning_rate_generator:g} / D {config.learning_rate_discriminator:g}{average}"
    )


def time_to_digits(
    data: np.ndarray,
    budget: float,
    config: GANConfig,
    every: int = 100,
    curve: bool = True,
):
    classifier = load_classifier(classifier_path((28, 28)))
    real_features = classifier.predict(from_tanh_range(data))[1]
    trainer = GANTrainer(config, data)
    seconds, steps, reached = 0.0, 0, None
    if curve:
        print(f"\n## Time to digits ({describe_settings(config)}; seed {config.seed})\n")
        print(
            "Training seconds (evaluation excluded) until at least 80% of 1,000 fresh samples "
            "are recognised with probability ≥ 0.8 and every digit holds at least 5% of them.\n"
        )
        print("| seconds | steps | confident | smallest class share | classifier FID |")
        print("| ---: | ---: | ---: | ---: | ---: |")
    while seconds < budget and reached is None:
        started = time.perf_counter()
        for _ in range(every):
            trainer.step()
        seconds += time.perf_counter() - started
        steps += every
        quality = sample_quality(classifier, from_tanh_range(trainer.generate(1000)), real_features)
        if curve:
            print(
                f"| {seconds:.1f} | {steps} | {quality.confident_share:.3f} | "
                f"{quality.coverage.shares.min():.3f} | {quality.classifier_fid:.1f} |",
                flush=True,
            )
        if quality.confident_share >= 0.8 and quality.coverage.shares.min() >= 0.05:
            reached = seconds
    if curve:
        verdict = f"**{reached:.1f} s**" if reached is not None else f"not within {budget:.0f} s"
        print(f"\nTime to digits: {verdict}.")
    return trainer, reached, steps


def parzen(trainer: GANTrainer, eval_data: str | None) -> None:
    if not eval_data:
        print("\n(no --eval-data: Parzen log-likelihood skipped)")
        return
    test = load_idx_folder(eval_data)
    samples = from_tanh_range(trainer.generate(10_000))
    estimate = parzen_estimate(samples, test.images[:1000], test.images[1000:])
    print("\n## Parzen-window log-likelihood (Goodfellow et al. 2014 protocol)\n")
    print(
        f"10,000 generated samples; σ = {estimate.sigma:.3f} chosen on the first 1,000 MNIST "
        f"test images from a log-spaced grid of 10 values in [0.1, 1]; mean over the other "
        f"9,000: **{estimate.mean:.1f} ± {estimate.standard_error:.1f}** nats (the paper's "
        f"adversarial nets: {PAPER_PARZEN[0]:.0f} ± {PAPER_PARZEN[1]:.0f}, trained on 50,000 "
        "MNIST images; ours on 5,000)."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval-data", default=str(ROOT.parent / "shared/data/mnist-t10k"))
    parser.add_argument("--steps", type=int, default=60, help="steps per timing window")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--budget", type=float, default=180, help="seconds for time to digits")
    parser.add_argument(
        "--long-seconds",
        type=float,
        default=600,
        help="total training seconds before the Parzen estimate",
    )
    parser.add_argument(
        "--settings",
        nargs="+",
        choices=sorted(DIGITS_SETTINGS),
        default=["seed", "fast"],
        help="settings timed to digits: the seed's, and the page's 'Digits sooner' preset",
    )
    parser.add_argument(
        "--seeds",
        type=int,
        nargs="+",
        default=[0, 1, 2],
        help="runs per setting for time to digits",
    )
    parser.add_argument(
        "--compile",
        action="store_true",
        help="also time the step compiled by torch.compile (needs a C++ compiler)",
    )
    parser.add_argument("--skip-keras", action="store_true")
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--skip-digits", action="store_true", help="also skips Parzen")
    parser.add_argument("--skip-parzen", action="store_true")
    args = parser.parse_args()
    eval_data = args.eval_data if Path(args.eval_data).exists() else None
    print(describe())
    data = to_tanh_range(load_dataset("mnist-5k").images)
    if not args.skip_speed:
        speed(data, args.steps, args.rounds, not args.skip_keras, args.compile)
    if args.skip_digits:
        return
    summary, kept = [], None
    for name in args.settings:
        for index, seed in enumerate(args.seeds):
            config = GANConfig(**DIGITS_SETTINGS[name], seed=seed)
            trainer, reached, steps = time_to_digits(data, args.budget, config, curve=index == 0)
            summary.append((name, config, reached, steps))
            kept = kept or trainer  # the first run goes on to the Parzen estimate
    print(f"\n## Time to digits, {len(args.seeds)} seeds per setting (target ≤ 60 s)\n")
    print("| settings | seed | seconds | steps |")
    print("| --- | ---: | ---: | ---: |")
    for name, config, reached, steps in summary:
        seconds = f"{reached:.1f}" if reached is not None else f"> {args.budget:.0f}"
        print(f"| {name}: {describe_settings(config)} | {config.seed} | {seconds} | {steps} |")
    for name in args.settings:
        times = [r for n, _, r, _ in summary if n == name]
        if all(t is not None for t in times):
            print(f"\n{name}: median **{statistics.median(times):.1f} s**", end="")
    print()
    trainer, reached = kept, summary[0][2]
    if not args.skip_parzen:
        started = time.perf_counter()
        while time.perf_counter() - started < max(0.0, args.long_seconds - (reached or 0)):
            for _ in range(100):
                trainer.step()
        parzen(trainer, eval_data)


if __name__ == "__main__":
    main()
