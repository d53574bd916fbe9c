"""Pattern completion by the pretrained RBM, judged: erase half of each of 1,000 official MNIST
test digits (or flip 20% of their pixels), let the RBM fill it in (or clean it), and count how
often the reference classifier gives the result its true label, beside the nearest training
image's half and the half left blank, measured the same way.

    python bench/bench_completion.py [--n 1000] [--eval-data ../shared/data/mnist-t10k]
                                     [--seed 0] [--variants]   # other starts, annealing, …

The test digits are for evaluation only (their README); the training images are mnist-5k, the
RBM's own (assets/rbm_mnist-5k_500h_pcd.pt). Every method sees the same binarized digits, and
is judged on its mean image (the RBM's: P(v | h) averaged over the chain's last half).
Then the speed of one drawing's views: P(h | v), F(v)'s rank, a completion and a cleaning.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from bench.machine import describe
from core.data.datasets import binarize, load_dataset, load_idx_folder
from core.judge.classifier import classifier_path, load_classifier
from core.rbm.completion import (
    clamped_chain,
    clean,
    clean_many,
    complete,
    complete_many,
    corrupt,
    free_energy_rank,
    hidden_activations,
    lower_half,
    right_half,
)
from core.rbm.model import load_checkpoint_bytes
from core.sampling import RandomSource, bernoulli

ROOT = Path(__file__).resolve().parents[1]
RBM_FILE = ROOT / "assets" / "rbm_mnist-5k_500h_pcd.pt"
FLIPPED = 0.2


def nearest_rows(queries: np.ndarray, images: np.ndarray) -> np.ndarray:
    """For each query row, the index of the training row nearest it (squared distance)."""
    queries, images = queries.astype(np.float32), images.astype(np.float32)
    distances = (images**2).sum(1)[None] - 2 * queries @ images.T
    return distances.argmin(axis=1)


@torch.no_grad()
def from_coin_flips(rbm, v: np.ndarray, unknown: np.ndarray, steps: int) -> np.ndarray:
    """One chain per row, the unknown pixels started as fair coin flips. Tried, not kept."""
    v, random = torch.as_tensor(v), RandomSource(0)
    start = bernoulli(torch.full_like(v, 0.5), random)
    mask = torch.as_tensor(unknown)[None]
    return clamped_chain(rbm, v, mask, start, steps, random).mean.numpy()


@torch.no_grad()
def annealed(rbm, v: np.ndarray, unknown: np.ndarray, steps: int, start_beta: float = 0.5):
    """One chain per row through p_β (β from ``start_beta`` to 1 over the first half, then 1),
    known pixels clamped; P(v | h) averaged over the last half. Tried, not kept."""
    W, b, c = rbm.W, rbm.b, rbm.c
    v, mask = torch.as_tensor(v), torch.as_tensor(unknown)[None]
    random, state, total = RandomSource(0), torch.where(mask, 0.0, v), torch.zeros_like(v)
    for step in range(1, steps + 1):
        beta = min(1.0, start_beta + (1 - start_beta) * step / (steps / 2))
        h = bernoulli(torch.sigmoid(torch.addmm(c, state, W.t()) * beta), random)
        probabilities = torch.where(mask, torch.sigmoid(torch.addmm(b, h, W) * beta), v)
        state = torch.where(mask, bernoulli(probabilities, random), v)
        if step > steps // 2:
            total += probabilities
    return torch.where(mask, total / (steps - steps // 2), v).numpy()


@torch.no_grad()
def mean_field(rbm, v: np.ndarray, unknown: np.ndarray, steps: int) -> np.ndarray:
    """The unknown pixels iterated as p ← σ(b + Wᵀσ(c + W p)), no sampling. Tried, not kept."""
    v, mask = torch.as_tensor(v), torch.as_tensor(unknown)[None]
    p = torch.where(mask, 0.0, v)
    for _ in range(steps):
        hidden = torch.sigmoid(torch.addmm(rbm.c, p, rbm.W.t()))
        p = torch.where(mask, torch.sigmoid(torch.addmm(rbm.b, hidden, rbm.W)), v)
    return p.numpy()


def completions(rbm, digits, training, unknown, variants: bool, seed: int) -> dict[str, Callable]:
    """Each way of filling in the unknown pixels, by its name in the table."""
    known = ~unknown
    nearest = nearest_rows(digits[:, known], training[:, known])
    methods = {
        "left blank": lambda: digits * known,
        "nearest training image's half": lambda: np.where(unknown, training[nearest], digits),
    }
    mean = training.mean(axis=0)
    for chains, steps in ((1, 100), (1, 1000), (8, 100)):
        kept = ", the most probable kept" if chains > 1 else ""
        methods[f"RBM, {chains} chain{'s' * (chains > 1)} × {steps} steps{kept}"] = (
            lambda c=chains, s=steps: complete_many(rbm, digits, unknown, s, seed, chains=c)[0]
        )
    for steps in (100, 300):
        methods[f"RBM, 8 chains × {steps} steps from the data's mean, the most probable kept"] = (
            lambda s=steps: complete_many(rbm, digits, unknown, s, seed, start=mean)[0]
        )
    if variants:
        methods["RBM, 8 chains × 300 steps, the most probable kept"] = lambda: complete_many(
            rbm, digits, unknown, 300, seed
        )[0]
        methods["RBM, 1 chain × 100 steps from coin flips"] = lambda: from_coin_flips(
            rbm, digits, unknown, 100
        )
        methods["RBM, 1 chain × 300 steps, annealed from β = 0.5"] = lambda: annealed(
            rbm, digits, unknown, 300
        )
        methods["RBM, mean-field, 100 iterations"] = lambda: mean_field(rbm, digits, unknown, 100)
    return methods


def median_seconds(call: Callable[[], object], repeats: int = 20) -> float:
    call()
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="test digits (default 1,000)")
    parser.add_argument("--eval-data", default=str(ROOT.parent / "shared/data/mnist-t10k"))
    parser.add_argument("--variants", action="store_true", help="annealing and mean-field too")
    parser.add_argument("--seed", type=int, default=0, help="the chains' seed (default 0)")
    args = parser.parse_args()
    torch.set_num_threads(2)
    print(describe())
    rbm, _ = load_checkpoint_bytes(RBM_FILE.read_bytes())
    training = binarize(load_dataset("mnist-5k").images)
    test = load_idx_folder(args.eval_data)
    digits, labels = binarize(test.images[: args.n]), test.labels[: args.n]
    judge = load_classifier(classifier_path((28, 28)))

    def judged(images: np.ndarray) -> float:
        probabilities, _ = judge.predict(images.astype(np.float32))
        return float((probabilities.argmax(axis=1) == labels).mean())

    print(
        f"\n{args.n:,} MNIST test digits, binarized; the judge gives {judged(digits):.1%} of "
        f"them, whole, their true label.\n"
    )
    print("| task | method | judged right | pixels wrong (where unknown) | seconds |")
    print("| --- | --- | ---: | ---: | ---: |")

    def row(task: str, method: str, make: Callable[[], np.ndarray], where: np.ndarray) -> None:
        started = time.perf_counter()
        images = make()
        seconds = time.perf_counter() - started
        wrong = np.abs(images - digits)[:, where].mean()
        print(
            f"| {task} | {method} | {judged(images):.1%} | {wrong:.3f} | {seconds:.1f} |",
            flush=True,
        )

    for task, unknown in (("lower half", lower_half()), ("right half", right_half())):
        for method, make in completions(
            rbm, digits, training, unknown, args.variants, args.seed
        ).items():
            row(task, method, make, unknown)

    task = f"{FLIPPED:.0%} flipped"
    noisy = np.stack([corrupt(digit, FLIPPED, seed)[0] for seed, digit in enumerate(digits)])
    methods = {
        "the noisy image": lambda: noisy,
        "nearest training image": lambda: training[nearest_rows(noisy, training)],
    }
    for steps in (10, 100):
        methods[f"RBM, plain chain from the noisy image, {steps} steps"] = lambda s=steps: (
            clean_many(rbm, noisy, s, args.seed, share=0.5, chains=1)[0]
        )
    for chains in (1, 8):
        methods[f"RBM, the flip model's posterior, {chains} chain{'s' * (chains > 1)} × 100"] = (
            lambda c=chains: clean_many(rbm, noisy, 100, args.seed, share=FLIPPED, chains=c)[0]
        )
    for method, make in methods.items():
        row(task, method, make, np.ones(digits.shape[1], dtype=bool))

    digit, reference = digits[0], training[:4500]
    views = median_seconds(
        lambda: (hidden_activations(rbm, digit), free_energy_rank(rbm, digit, reference))
    )
    mean = training.mean(axis=0)
    completion = median_seconds(lambda: complete(rbm, digit, lower_half()))
    recommended = median_seconds(lambda: complete(rbm, digit, lower_half(), 300, start=mean))
    cleaning = median_seconds(lambda: clean(rbm, noisy[0], share=FLIPPED))
    print(
        f"\nOne drawing, medians of 20 (torch on 2 threads): P(h | v) and F(v)'s rank among "
        f"4,500 training digits {views * 1000:.0f} ms; a completion, 8 chains × 100 steps "
        f"{completion * 1000:.0f} ms, × 300 steps {recommended * 1000:.0f} ms; a cleaning "
        f"(8 chains × 100 steps) {cleaning * 1000:.0f} ms."
    )


if __name__ == "__main__":
    main()
