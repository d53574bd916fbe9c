"""Which GAN settings reach digits after the fewest training images? A sweep on mnist-5k with
the seed's networks and k = 1, judged as bench_gan.py's time to digits is: at least 80% of
1,000 fresh samples recognised with probability ≥ 0.8 and every digit ≥ 5% of them.

    python bench/sweep_gan_digits.py                        # the built-in list
    python bench/sweep_gan_digits.py --only 3 7 --seeds 0 1 2   # some rows, more seeds

Prints one row per setting and seed: images seen (steps × batch) when the criterion is first
met, checked every --every steps, or "not within" the cap. Images, not seconds, so the rows
compare across machines; the seconds column is this machine's, evaluation excluded.
"""

from __future__ import annotations

import argparse
import time

import torch

from bench.machine import describe
from core.data.datasets import from_tanh_range, load_dataset, to_tanh_range
from core.gan.trainer import GANConfig, GANTrainer
from core.judge.classifier import classifier_path, load_classifier
from core.judge.quality import sample_quality

BASE = {  # the GAN page's "Digits sooner" preset before this sweep
    "batch_size": 64,
    "learning_rate_generator": 2e-3,
    "learning_rate_discriminator": 1e-3,
    "average_decay": 0.998,
}
SETTINGS = [
    BASE,
    {**BASE, "batch_size": 32},
    {**BASE, "batch_size": 16},
    {**BASE, "batch_size": 32, "average_decay": 0.995},
    {**BASE, "batch_size": 32, "average_decay": 0.99},
    {**BASE, "batch_size": 32, "real_label": 0.9},
    {**BASE, "batch_size": 32, "betas": (0.5, 0.99)},
    {**BASE, "batch_size": 32, "betas": (0.0, 0.99)},
    {**BASE, "batch_size": 32, "learning_rate_discriminator": 2e-3},
    {**BASE, "batch_size": 32, "learning_rate_generator": 1e-3},
    {**BASE, "batch_size": 16, "average_decay": 0.995, "real_label": 0.9},
    {**BASE, "batch_size": 32, "average_decay": 0.995, "real_label": 0.9},
    # second stage: the smaller batches above did not trade steps for images (none reached
    # digits within the cap; docs/performance.md), so fewer images must come from fewer
    # steps: higher rates, shorter averages
    {**BASE, "learning_rate_generator": 5e-3, "learning_rate_discriminator": 2e-3},
    {**BASE, "average_decay": 0.995},
    {**BASE, "learning_rate_discriminator": 2e-3, "average_decay": 0.995},
    {**BASE, "batch_size": 128, "average_decay": 0.995},
    # third stage: the two best of the second (G 5e-3 / D 2e-3 and d = 0.995) combined, with
    # shorter averages and faster Adam moments
    {
        **BASE,
        "learning_rate_generator": 5e-3,
        "learning_rate_discriminator": 2e-3,
        "average_decay": 0.995,
    },
    {
        **BASE,
        "learning_rate_generator": 5e-3,
        "learning_rate_discriminator": 2e-3,
        "average_decay": 0.99,
    },
    {
        **BASE,
        "learning_rate_generator": 5e-3,
        "learning_rate_discriminator": 2e-3,
        "average_decay": 0.995,
        "betas": (0.5, 0.99),
    },
    {
        **BASE,
        "learning_rate_generator": 5e-3,
        "learning_rate_discriminator": 2e-3,
        "average_decay": 0.995,
        "real_label": 0.9,
    },
    {
        **BASE,
        "batch_size": 128,
        "learning_rate_generator": 5e-3,
        "learning_rate_discriminator": 2e-3,
        "average_decay": 0.99,
    },
    {
        **BASE,
        "learning_rate_generator": 3e-3,
        "learning_rate_discriminator": 1.5e-3,
        "average_decay": 0.99,
        "betas": (0.5, 0.99),
    },
]


def images_to_digits(data, classifier, real_features, config: GANConfig, cap: int, every: int):
    """(images seen when the criterion is first met or None, steps, training seconds, the
    best share recognised seen and the smallest class's share then)."""
    trainer = GANTrainer(config, data)
    steps, seconds, best = 0, 0.0, (0.0, 0.0)
    while steps * config.batch_size < cap:
        started = time.perf_counter()
        try:
            for _ in range(every):
                trainer.step()
        except FloatingPointError:  # diverged: never reaches digits
            return None, steps, seconds, best
        seconds += time.perf_counter() - started
        steps += every
        quality = sample_quality(classifier, from_tanh_range(trainer.generate(1000)), real_features)
        smallest = float(quality.coverage.shares.min())
        best = max(best, (float(quality.confident_share), smallest))
        if quality.confident_share >= 0.8 and smallest >= 0.05:
            return steps * config.batch_size, steps, seconds, best
    return None, steps, seconds, best


def describe_row(settings: dict) -> str:
    changed = {k: v for k, v in settings.items() if BASE.get(k) != v}
    return ", ".join(f"{k}={v}" for k, v in changed.items()) or "the preset before"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", type=int, nargs="+", default=None, help="rows by number")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--cap", type=int, default=250_000, help="images before giving up")
    parser.add_argument("--every", type=int, default=100, help="steps between checks")
    args = parser.parse_args()
    print(describe())
    dataset = load_dataset("mnist-5k")
    data = torch.as_tensor(to_tanh_range(dataset.images), dtype=torch.float32)
    classifier = load_classifier(classifier_path((28, 28)))
    real_features = classifier.predict(dataset.images)[1]
    print(
        "\n| row | settings | seed | images to digits | steps | seconds | best recognised "
        "(smallest class then) |"
    )
    print("| ---: | --- | ---: | ---: | ---: | ---: | ---: |")
    for row, settings in enumerate(SETTINGS):
        if args.only and row not in args.only:
            continue
        for seed in args.seeds:
            config = GANConfig(**settings, seed=seed)
            images, steps, seconds, best = images_to_digits(
                data, classifier, real_features, config, args.cap, args.every
            )
            shown = f"{images:,}" if images else f"not within {args.cap:,}"
            print(
                f"| {row} | {describe_row(settings)} | {seed} | {shown} | {steps:,} | "
                f"{seconds:.0f} | {best[0]:.2f} ({best[1]:.3f}) |",
                flush=True,
            )


if __name__ == "__main__":
    main()
