"""Can the pretrained GAN draw a digit it never saw? For 200 official MNIST test digits, search
G's noise space for the z whose G(z) is nearest each (core.gan.projection.project: Adam on z,
8 starts), and report how often the judge gives G(z) the digit's true label, and G(z)'s
distance beside the nearest training image's. Images G should not be able to draw (turned
digits, noise) give the distances their scale.

    python bench/bench_projection.py [--n 200] [--steps 300] [--eval-data ../shared/data/mnist-t10k]

The test digits are for evaluation only (their README); the training images are mnist-5k, the
GAN's own (assets/gan_mnist-5k.pt). Distances are mean squared pixel differences in [-1, 1].
Then the speed of one drawing's views: D's verdict, the nearest training image, one search.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
import torch

from bench.machine import describe
from core.data.checkpoints import read_checkpoint
from core.data.datasets import from_tanh_range, load_dataset, load_idx_folder, to_tanh_range
from core.gan.config import GANConfig
from core.gan.projection import (
    discriminator_outputs,
    discriminator_verdict,
    nearest_training_distance,
    project,
    project_many,
)
from core.gan.trainer import GANTrainer, load_checkpoint_bytes
from core.judge.classifier import classifier_path, load_classifier

ROOT = Path(__file__).resolve().parents[1]
GAN_FILE = ROOT / "assets" / "gan_mnist-5k.pt"


def pretrained_gan(training: np.ndarray) -> GANTrainer:
    """The shipped GAN, its real data the training images in [-1, 1]."""
    data = GAN_FILE.read_bytes()
    config = GANConfig.from_dict(read_checkpoint(data, "gan")["config"])
    trainer = GANTrainer(config, training)
    trainer.load_checkpoint(load_checkpoint_bytes(data, config))
    return trainer


def spread(values: np.ndarray) -> str:
    return f"{np.median(values):.3f} ({np.percentile(values, 90):.3f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="test digits (default 200)")
    parser.add_argument("--steps", type=int, default=300, help="Adam steps (default 300)")
    parser.add_argument("--eval-data", default=str(ROOT.parent / "shared/data/mnist-t10k"))
    args = parser.parse_args()
    torch.set_num_threads(2)
    print(describe())
    training = to_tanh_range(load_dataset("mnist-5k").images)
    trainer = pretrained_gan(training)
    test = load_idx_folder(args.eval_data)
    digits, labels = to_tanh_range(test.images[: args.n]), test.labels[: args.n]
    judge = load_classifier(classifier_path((28, 28)))

    def labelled(images: np.ndarray) -> np.ndarray:
        probabilities, _ = judge.predict(from_tanh_range(images))
        return probabilities.argmax(axis=1)

    turned = np.rot90(digits.reshape(-1, 28, 28), axes=(1, 2)).reshape(len(digits), -1)
    noise = np.random.default_rng(0).uniform(-1, 1, digits.shape).astype(np.float32)
    print(
        f"\n{args.n} images of each kind; {args.steps} Adam steps, learning rate 0.05, 8 starts "
        "each; distance = mean squared pixel difference in [-1, 1], median (90th percentile). "
        "The judge gives the test digits themselves their true label "
        f"{np.mean(labelled(digits) == labels):.1%} of the time.\n"
    )
    print(
        "| images | G(z) judged the true label | nearest training image judged it | "
        "distance of G(z) | of the nearest training image | G(z) nearer | D(x) | D(G(z)) | "
        "seconds |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, targets in (
        ("MNIST test digits", digits),
        ("the same, turned 90°", turned),
        ("uniform noise", noise),
    ):
        started = time.perf_counter()
        _, images, distances, _ = project_many(trainer, targets, args.steps)
        seconds = time.perf_counter() - started
        nearest = [nearest_training_distance(target, training) for target in targets]
        nearest_distances = np.array([distance for distance, _ in nearest])
        nearest_images = training[[index for _, index in nearest]]
        is_digit = name == "MNIST test digits"
        right = f"{np.mean(labelled(images) == labels):.1%}" if is_digit else "–"
        right_nearest = f"{np.mean(labelled(nearest_images) == labels):.1%}" if is_digit else "–"
        print(
            f"| {name} | {right} | {right_nearest} | {spread(distances)} | "
            f"{spread(nearest_distances)} | {np.mean(distances < nearest_distances):.0%} | "
            f"{np.median(discriminator_outputs(trainer, targets)):.2f} | "
            f"{np.median(discriminator_outputs(trainer, images)):.2f} | {seconds:.0f} |",
            flush=True,
        )

    real = discriminator_outputs(trainer, training[:500])
    digit = digits[0]
    timings = {"verdict": [], "nearest": [], "search": []}
    for _ in range(5):
        for name, call in (
            ("verdict", lambda: discriminator_verdict(trainer, digit, real)),
            ("nearest", lambda: nearest_training_distance(digit, training)),
            ("search", lambda: project(trainer, digit)),
        ):
            started = time.perf_counter()
            call()
            timings[name].append(time.perf_counter() - started)
    verdict, nearest, search = (statistics.median(timings[k]) for k in timings)
    print(
        f"\nOne drawing, medians of 5 (torch on 2 threads): D's verdict {verdict * 1000:.0f} ms; "
        f"the nearest of 5,000 training images {nearest * 1000:.0f} ms; the search for z "
        f"(300 steps × 8 starts) {search:.2f} s."
    )


if __name__ == "__main__":
    main()
