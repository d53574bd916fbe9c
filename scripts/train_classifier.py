"""Train the reference digit classifiers (the judge) and save them to assets/.

    python scripts/train_classifier.py --eval-data ../shared/data/mnist-t10k   # 28x28 MNIST
    python scripts/train_classifier.py --dataset digits                         # 8x8 digits

The GAN's sample-quality metrics (class coverage, recognised share, classifier FID) and the
RBM's dreams read these classifiers. Each has an eleventh class, "not a digit". The MNIST judge
trains on nine tenths of mnist-5k and as many non-digits of the families in
core.judge.negatives.TRAINED (noise, letters, shapes, strokes, halves, digits side by side or
turned); it is saved only if, on cases it never saw, it recognises (p >= 0.8 for one digit) at
least 95% of real digits (the MNIST test set when --eval-data has it, else the held-out tenth)
and at most 20% of every family in core.judge.negatives.HELD_OUT. The 8x8 judge trains on the
noise kinds alone (core.judge.classifier.not_digits) and is scored on a held-out fifth.
docs/judge.md is its card.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from core.data.datasets import (
    from_tanh_range,
    load_dataset,
    load_idx_folder,
    to_tanh_range,
    train_validation_split,
)
from core.gan.trainer import GANConfig, GANTrainer
from core.judge.classifier import (
    NOT_A_DIGIT,
    classifier_path,
    not_digits,
    save_classifier,
    train_classifier,
)
from core.judge.negatives import HELD_OUT, TRAINED, family, trained_negatives
from core.judge.quality import class_coverage, confident_share

ROOT = Path(__file__).resolve().parents[1]
MAX_TILT = 12.0  # degrees: the MNIST judge learns slanted digits from upright ones
HELD_OUT_SHARE = 0.1  # of mnist-5k, never trained on: the tests measure the judge there


def judged(model, name: str, images: np.ndarray, labels: np.ndarray | None = None) -> dict:
    """What the judge says of ``images``: confident digits, rejected, and accuracy."""
    probabilities, _ = model.predict(images)
    result = {
        "confident": confident_share(probabilities),
        "rejected": class_coverage(probabilities).rejected,
    }
    if labels is not None:
        result["accuracy"] = float((probabilities.argmax(axis=1) == labels).mean())
    print(f"{name} ({len(images)}): " + ", ".join(f"{k} {v:.4f}" for k, v in result.items()))
    return result


def untrained_gan_samples(dataset, n: int, seed: int) -> np.ndarray:
    """Samples of a GAN at its first step, as the page's judge sees them then."""
    trainer = GANTrainer(
        GANConfig(n_pixels=dataset.n_pixels, seed=seed), to_tanh_range(dataset.images)
    )
    return from_tanh_range(trainer.generate(n))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval-data", default=str(ROOT.parent / "shared/data/mnist-t10k"))
    parser.add_argument("--epochs", type=int, default=None, help="40")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dataset", choices=("mnist-5k", "digits"), default="mnist-5k")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    dataset = load_dataset(args.dataset)
    if args.epochs is None:
        args.epochs = 40
    out = args.out or str(classifier_path(dataset.image_shape))
    if args.dataset == "digits":
        train, held_out = train_validation_split(dataset, 0.2, seed=args.seed)
        negatives = not_digits(
            train.images, train.labels, train.image_shape, len(train.images) // 2, seed=args.seed
        )
    else:
        train, held_out = train_validation_split(dataset, HELD_OUT_SHARE, seed=args.seed)
        negatives = trained_negatives(
            train.images, train.labels, train.image_shape, len(train.images), seed=args.seed
        )
    model = train_classifier(
        np.concatenate([train.images, negatives]),
        np.concatenate([train.labels, np.full(len(negatives), NOT_A_DIGIT)]),
        train.image_shape,
        epochs=args.epochs,
        max_tilt=0.0 if args.dataset == "digits" else MAX_TILT,
        seed=args.seed,
        progress=lambda epoch, seconds: print(f"epoch {epoch}: {seconds:.0f} s", flush=True),
    )
    metadata = {
        "trained_on": f"{train.name} ({len(train.images)} digits) and {len(negatives)} non-digits",
        "epochs": args.epochs,
        "seed": args.seed,
    }
    fresh = not_digits(train.images, train.labels, train.image_shape, 3000, seed=args.seed + 1)
    metadata["fresh_non_digits"] = judged(model, "fresh noise kinds", fresh)
    untrained = untrained_gan_samples(train, 1000, seed=args.seed + 2)
    metadata["untrained_gan"] = judged(model, "an untrained GAN's samples", untrained)
    metadata["held_out"] = judged(model, "held-out digits", held_out.images, held_out.labels)
    real = held_out
    if args.dataset != "digits" and Path(args.eval_data).exists():
        real = load_idx_folder(args.eval_data)
        metadata["mnist_test"] = judged(model, "the MNIST test set", real.images, real.labels)
        metadata["mnist_test_binarized"] = judged(
            model, "the MNIST test set, binarized", (real.images > 0.5).astype(np.float32)
        )
    elif args.dataset != "digits":
        print("no --eval-data: the held-out tenth of mnist-5k stands in for the test set")
    failures = []
    if args.dataset != "digits":
        for index, name in enumerate(HELD_OUT):  # made from digits the judge never saw
            images = family(name, real.images, real.labels, real.image_shape, 1000, 100 + index)
            metadata[f"held_out_family: {name}"] = judged(model, f"held out: {name}", images)
            if metadata[f"held_out_family: {name}"]["confident"] > 0.20:
                failures.append(f"{name} recognised above 20%")
        for index, name in enumerate(TRAINED):  # new samples of the kinds it trained on
            images = family(name, real.images, real.labels, real.image_shape, 1000, 200 + index)
            metadata[f"trained_family: {name}"] = judged(model, f"trained kind: {name}", images)
        if judged(model, "real digits", real.images)["confident"] < 0.95:
            failures.append("real digits recognised below 95%")
    elif metadata["held_out"]["accuracy"] < 0.9:
        failures.append("held-out accuracy below 90%")
    worst = max(metadata["fresh_non_digits"]["confident"], metadata["untrained_gan"]["confident"])
    if worst > 0.02:
        failures.append(f"{worst:.1%} of noise called a confident digit (at most 2%)")
    if failures:
        save_classifier(model, out + ".rejected", **metadata)  # to look at, never to use
        sys.exit(f"not saved (the rejected judge is in {out}.rejected): " + "; ".join(failures))
    save_classifier(model, out, **metadata)
    size = Path(out).stat().st_size
    print(
        f"saved {out} ({size / 1e6:.2f} MB); train accuracy "
        f"{(model.predict(train.images)[0].argmax(1) == train.labels).mean():.4f}"
    )


if __name__ == "__main__":
    main()
