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
from core.training.rbm_job import RBMJob
from pages.settings.gan import PRESETS as GAN_PRESETS
from pages.settings.gan import SETTINGS as GAN_SETTINGS
from pages.settings.gan import config_values
from pages.settings.rbm import PRESETS as RBM_PRESETS
from pages.settings.rbm import SETTINGS as RBM_SETTINGS
from pages.settings.rbm import job_settings
from pages.settings.table import preset_values


def presets() -> dict[str, dict]:
    """The page's presets as GANConfig arguments (the page's defaults where a preset is silent)."""
    return {
        name: config_values(preset_values(GAN_SETTINGS, values))
        for name, (values, _) in GAN_PRESETS.items()
    }


def rbm_presets(steps: int, every: int, classifier) -> None:
    from core.rbm.dreams import judge

    dataset = load_dataset("mnist-5k")
    print("| preset | step | epoch | sampler | recognised | digits ≥ 5% | not a digit |")
    print("| --- | ---: | ---: | --- | ---: | ---: | ---: |")
    for name, (values, _) in RBM_PRESETS.items():
        job = RBMJob(dataset, job_settings(preset_values(RBM_SETTINGS, values)))
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
