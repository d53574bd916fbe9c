"""What the home page shows before anyone trains: real digits beside samples of the two
shipped models (assets/), the RBM's dreamed as its page dreams them."""

from __future__ import annotations

import threading
from functools import cache
from pathlib import Path

import numpy as np
import torch

from core.data.checkpoints import read_checkpoint
from core.data.datasets import Dataset, binarize, load_dataset, train_validation_split
from core.gan.trainer import GANConfig, GANTrainer
from core.rbm.dreams import dream
from core.rbm.model import load_checkpoint_bytes

ASSETS = Path(__file__).resolve().parents[2] / "assets"
RBM_FILE, GAN_FILE = ASSETS / "rbm_mnist-5k_500h_pcd.pt", ASSETS / "gan_mnist-5k.pt"


def real_digits(n: int = 16, dataset: Dataset | None = None) -> np.ndarray:
    """n training digits of mnist-5k, spread over the set (it is sorted by digit)."""
    images = (dataset or load_dataset("mnist-5k")).images
    return images[np.linspace(0, len(images) - 1, n).astype(int)]


@torch.no_grad()
def rbm_dreams(n: int = 16, seed: int = 0, dataset: Dataset | None = None) -> np.ndarray:
    """n annealed dreams (1,000 Gibbs steps from noise) of the pretrained RBM, from the base
    rates of the RBM page's training part of mnist-5k."""
    rbm, _ = load_checkpoint_bytes(RBM_FILE.read_bytes())
    train, _ = train_validation_split(dataset or load_dataset("mnist-5k"), 0.1, seed=0)
    return dream(rbm, n, 1000, annealed=True, data=binarize(train.images), seed=seed)


@torch.no_grad()
def gan_samples(n: int = 16, seed: int = 0) -> np.ndarray:
    """G(z) of the pretrained GAN for n draws of z, in [0, 1]."""
    checkpoint = read_checkpoint(GAN_FILE.read_bytes(), "gan")
    config = GANConfig.from_dict(checkpoint["config"])
    trainer = GANTrainer(config, torch.zeros(1, config.n_pixels))  # no data: it only draws
    trainer.load_checkpoint(checkpoint)
    z = trainer.sample_noise(n, torch.Generator().manual_seed(seed))
    return (trainer.generate(z) + 1) / 2


@cache
def samples() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The three sets the home page shows, computed once per process."""
    dataset = load_dataset("mnist-5k")  # read once: it is most of the time
    return real_digits(dataset=dataset), rbm_dreams(dataset=dataset), gan_samples()


def warm_up() -> threading.Thread:
    """Compute the samples in the background now, so the first visitor's home page has them
    at once (a few seconds of work on one core otherwise)."""
    thread = threading.Thread(target=samples, name="showcase", daemon=True)
    thread.start()
    return thread
