"""Train the pretrained GAN that the GAN page offers, and save it to assets/.

    python scripts/train_gan.py --threads 1     # 7000 steps (docs/performance.md: how long)
    python scripts/train_gan.py --steps 2000 --threads 1 --out /tmp/gan.pt

It also records the run for the page's replay (core.data.recordings): the fixed-noise grid at 50
steps from 0 to the end, and checkpoints at the recorded steps nearest --checkpoints, saved
beside the model as <model>_recording.pt. Saved to assets/ (no --out), it draws Home's pictures
(assets/home_*.png) again from it too (pages.views.showcase).

The lecture's MLP GAN with the default settings (k = 1, Adam 2e-4 with β1 = 0.5, batch 128,
uniform noise, the non-saturating generator loss) and seed 0, trained on mnist-5k scaled to
[-1, 1]. Every 500 steps it prints the sample quality judged by the reference MNIST classifier
in assets/ (run scripts/train_classifier.py first if it is missing): the share of confidently
recognised samples, the entropy of the class coverage (log 10 ≈ 2.30 is all ten digits
equally) and the classifier FID against real digits. The saved file holds G and D and the
config (no optimizer state), loads with torch.load(weights_only=True) and is checked against
a fresh GANTrainer before the script ends.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

from core.data.datasets import from_tanh_range, load_dataset, to_tanh_range
from core.data.recordings import Recording, frame_steps, recording_path
from core.gan.trainer import GANConfig, GANTrainer
from core.judge.classifier import classifier_path, load_classifier
from core.judge.quality import SampleQuality, sample_quality
from pages.views.showcase import write_pictures

ROOT = Path(__file__).resolve().parents[1]

OUT = ROOT / "assets" / "gan_mnist-5k.pt"
MAX_BYTES = 32 * 2**20
N_JUDGED = 1000  # generated and real images per quality check


def describe(quality: SampleQuality) -> str:
    return (
        f"confident {quality.confident_share:.1%}, coverage entropy "
        f"{quality.coverage.entropy:.3f} nats (max {np.log(10):.3f}), "
        f"classifier FID {quality.classifier_fid:.2f}"
    )


def judging_noise(config: GANConfig) -> torch.Tensor:
    """Noise of its own generator, so that judging leaves the training's random stream alone."""
    generator = torch.Generator().manual_seed(12345)
    if config.noise == "gaussian":
        return torch.randn((N_JUDGED, config.noise_dim), generator=generator)
    return torch.rand((N_JUDGED, config.noise_dim), generator=generator) * 2 - 1


def judge(
    trainer: GANTrainer, classifier, real_features: np.ndarray, z: torch.Tensor
) -> SampleQuality:
    return sample_quality(classifier, from_tanh_range(trainer.generate(z)), real_features)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=7000, help="training steps (k D + 1 G)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--report-every", type=int, default=500)
    parser.add_argument("--out", default=str(OUT))
    parser.add_argument("--frames", type=int, default=50, help="pictures recorded for replay")
    parser.add_argument(
        "--checkpoints", type=int, nargs="*", default=[1000, 3000], help="steps to continue from"
    )
    parser.add_argument(
        "--threads", type=int, default=0, help="torch CPU threads (0: torch's default)"
    )
    args = parser.parse_args()
    if args.steps < 1:
        parser.error("--steps must be at least 1")
    if args.threads > 0:  # one thread runs faster when other processes share the cores
        torch.set_num_threads(args.threads)

    dataset = load_dataset("mnist-5k")
    config = GANConfig(n_pixels=dataset.n_pixels, seed=args.seed)
    trainer = GANTrainer(config, to_tanh_range(dataset.images))
    classifier = load_classifier(classifier_path(dataset.image_shape))
    real = dataset.images[np.random.default_rng(0).permutation(dataset.n_samples)[:N_JUDGED]]
    real_features = classifier.predict(real)[1]
    z = judging_noise(config)
    print(
        f"training the GAN on {dataset.name} ({dataset.n_samples} images) for {args.steps} "
        f"steps, seed {args.seed}",
        flush=True,
    )

    recording = Recording("gan", dataset.image_shape)
    recorded = frame_steps(args.steps, args.frames)
    kept = {min(recorded, key=lambda s: abs(s - wanted)) for wanted in args.checkpoints}
    kept.discard(args.steps)  # the model itself is the last one

    def record(step: int) -> None:  # the fixed-noise grid and, at some steps, G and D
        if step in recorded:
            recording.add_frame(step, (trainer.fixed_samples() + 1) / 2)
        if step in kept:
            recording.add_checkpoint(step, {**trainer.checkpoint(), "steps": step})

    started = time.perf_counter()
    training_seconds = 0.0
    record(0)
    for step in range(1, args.steps + 1):
        report = trainer.step()
        record(step)
        if step % args.report_every == 0 or step == args.steps:
            training_seconds = time.perf_counter() - started
            print(
                f"step {step:5d} ({training_seconds:5.0f} s): D loss "
                f"{report.discriminator_loss:.3f}, G loss {report.generator_loss:.3f}, "
                f"D(x) {report.d_real:.2f}, D(G(z)) {report.d_fake:.2f}; "
                f"{describe(judge(trainer, classifier, real_features, z))}",
                flush=True,
            )
    training_seconds = time.perf_counter() - started

    checkpoint = {
        **trainer.checkpoint(),
        "steps": args.steps,
        "description": (
            f"The lecture's MLP GAN (default settings, seed {args.seed}) trained on mnist-5k "
            f"for {args.steps} steps by scripts/train_gan.py."
        ),
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.save(checkpoint, out)
    size = out.stat().st_size
    if size > MAX_BYTES:
        sys.exit(f"{out} is {size / 1e6:.1f} MB, over the page's {MAX_BYTES // 2**20} MB limit")

    # The page loads it this way: weights_only, then into a fresh GAN of the same shape.
    loaded = torch.load(out, map_location="cpu", weights_only=True)
    fresh = GANTrainer(GANConfig.from_dict(loaded["config"]), to_tanh_range(dataset.images))
    fresh.load_checkpoint(loaded)
    for name in ("generator", "discriminator"):
        saved, reloaded = checkpoint[name], getattr(fresh, name).state_dict()
        if not all(torch.equal(saved[key], reloaded[key]) for key in saved):
            sys.exit(f"the reloaded {name} differs from the trained one")
    final = judge(fresh, classifier, real_features, z)
    print(f"trained in {training_seconds:.1f} s; reloaded from {out}: {describe(final)}")
    print(f"saved {out} ({size / 1e6:.2f} MB); keys: {', '.join(checkpoint)}")
    replay = recording_path(out)
    recording.save(replay)
    print(
        f"saved {replay} ({replay.stat().st_size / 1e6:.1f} MB): {len(recording.steps)} frames, "
        f"checkpoints at steps {sorted(recording.checkpoints)}"
    )
    if out.resolve() == OUT.resolve():  # the shipped GAN: Home's pictures follow it
        for picture in write_pictures():
            print(f"saved {picture}")


if __name__ == "__main__":
    main()
