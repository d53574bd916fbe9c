"""Do the lecturer presets show what they promise? Headless runs of each preset on mnist-5k,
printing the signals the page tells people to watch.

    python bench/bench_presets.py [--steps 600]                 # the GAN page's
    python bench/bench_presets.py --page rbm [--steps 4500 --every 1500]   # the RBM page's

The RBM page's presets are judged by their dreams: 64 images from PCD's persistent chains and
from 1,000 Gibbs steps from noise (plain, annealed), as the page's Dream button makes them.
"""

from __future__ import annotations

import argparse
import time

import torch

from core.data.datasets import load_dataset
from core.gan.trainer import GANConfig
from core.judge.classifier import classifier_path, load_classifier
from core.training.gan_job import GANJob
from core.training.rbm_job import RBMJob, RBMJobSettings
from pages.settings.presets import PRESETS, RBM_PRESETS

PAGE_KEYS = {
    "gan_lr_g": "learning_rate_generator",
    "gan_lr_d": "learning_rate_discriminator",
    "gan_k": "k",
    "gan_batch": "batch_size",
    "gan_average": "average_decay",
}


def presets() -> dict[str, dict]:
    """The page's presets as GANConfig arguments."""
    configs = {}
    for name, (settings, _) in PRESETS.items():
        config = {PAGE_KEYS[key]: value for key, value in settings.items() if key in PAGE_KEYS}
        config["generator_loss"] = "minimax" if settings["gan_saturating"] else "proxy"
        configs[name] = config
    return configs


def rbm_settings(settings: dict) -> RBMJobSettings:
    """An RBM page preset as the job's settings."""
    return RBMJobSettings(
        hidden_units=settings["rbm_hidden"],
        learning_rate=settings["rbm_lr"],
        k=settings["rbm_k"],
        persistent=settings["rbm_method"] == "PCD",
        batch_size=settings["rbm_batch"],
        epochs=settings["rbm_epochs"],
        momentum=settings["rbm_momentum"],
        weight_decay=settings["rbm_decay"],
    )


def rbm_presets(steps: int, every: int, classifier) -> None:
    from core.rbm.dreams import judge

    dataset = load_dataset("mnist-5k")
    print("| preset | step | epoch | sampler | recognised | digits ≥ 5% | not a digit |")
    print("| --- | ---: | ---: | --- | ---: | ---: | ---: |")
    for name, (settings, _) in RBM_PRESETS.items():
        job = RBMJob(dataset, rbm_settings(settings))
        started = time.perf_counter()
        for step in range(1, steps + 1):
            job.train_step()
            if step % every:
                continue
            samplers = ["persistent"] if job.trainer.persistent else []
            for sampler in [*samplers, "plain", "annealed"]:
                verdict = judge(classifier, job.dreams(sampler, 64, 1000))
                print(
                    f"| {name} | {step} | {job.epoch_progress:.0f} | {sampler} | "
                    f"{verdict.recognised:.2f} | {verdict.classes_with(0.05)} | "
                    f"{verdict.rejected:.2f} |",
                    flush=True,
                )
        print(f"<!-- {name}: {time.perf_counter() - started:.0f} s -->")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--page", choices=["gan", "rbm"], default="gan")
    parser.add_argument("--steps", type=int, default=None, help="600 (GAN), 4500 (RBM)")
    parser.add_argument("--every", type=int, default=None, help="100 (GAN), 1500 (RBM)")
    parser.add_argument("--only", nargs="+", default=None, help="GAN presets by name")
    parser.add_argument(
        "--proxy", action="store_true", help="the GAN presets with the proxy loss for G"
    )
    args = parser.parse_args()
    torch.set_num_threads(2)
    dataset = load_dataset("mnist-5k")
    classifier = load_classifier(classifier_path(dataset.image_shape))
    if args.page == "rbm":
        rbm_presets(args.steps or 4500, args.every or 1500, classifier)
        return
    args.steps, args.every = args.steps or 600, args.every or 100
    print("| preset | step | D(x) | D(G(z)) | ‖∇G‖ | confident | coverage entropy | FID |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, config in presets().items():
        if args.only and name not in args.only:
            continue
        if args.proxy:
            config = {**config, "generator_loss": "proxy"}
        job = GANJob(dataset, GANConfig(**config), classifier=classifier)
        started = time.perf_counter()
        for step in range(1, args.steps + 1):
            try:
                record = job.train_step()
            except FloatingPointError as error:
                print(f"| {name} | {step} | diverged: {error} |")
                break
            if step % args.every == 0:
                quality = job.quality()
                print(
                    f"| {name} | {step} | {record['d_real']:.3f} | {record['d_fake']:.3f} | "
                    f"{record['generator_grad_norm']:.3g} | {quality['confident_share']:.2f} | "
                    f"{quality['coverage_entropy']:.2f} | {quality['classifier_fid']:.0f} |",
                    flush=True,
                )
        print(f"<!-- {name}: {time.perf_counter() - started:.0f} s -->")


if __name__ == "__main__":
    main()
