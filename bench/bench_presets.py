"""Do the GAN page's lecturer presets show what they promise? Headless runs of each preset
on mnist-5k, printing the signals the page tells people to watch.

    python bench/bench_presets.py [--steps 600]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from core.classifier import classifier_path, load_classifier  # noqa: E402
from core.data import load_dataset  # noqa: E402
from core.gan import GANConfig  # noqa: E402
from core.jobs import GANJob  # noqa: E402
from core.presets import PRESETS  # noqa: E402

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--every", type=int, default=100)
    args = parser.parse_args()
    torch.set_num_threads(2)
    dataset = load_dataset("mnist-5k")
    classifier = load_classifier(classifier_path(dataset.image_shape))
    print("| preset | step | D(x) | D(G(z)) | ‖∇G‖ | confident | coverage entropy | FID |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, config in presets().items():
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
