"""The classifier FID's real images, and its scale: what real images and a trained GAN score.

A GAN's samples are compared with REAL_FOR_FID real images in the reference classifier's
features (core.judge.quality.frechet_distance). The number means little alone; beside it the page
gives what other real images score (the floor for that many samples) and what the pretrained
GAN scores.
"""

from __future__ import annotations

import numpy as np
import torch

from core.data.datasets import Dataset, from_tanh_range, to_tanh_range
from core.gan.trainer import GANConfig, GANTrainer
from core.judge.quality import frechet_distance

REAL_FOR_FID = 1000  # the real images a GAN's samples are compared with (classifier FID)


def real_for_fid(dataset: Dataset, others: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """REAL_FOR_FID real images to compare a GAN's samples with, and up to ``others`` further
    ones, drawn in a fixed shuffle of the whole set: the files are sorted by digit (the first
    1,000 of mnist-5k are its 0s and 1s)."""
    order = np.random.default_rng(0).permutation(len(dataset.images))
    chosen = dataset.images[order[:REAL_FOR_FID]]
    return chosen, dataset.images[order[REAL_FOR_FID : REAL_FOR_FID + others]]


def fid_references(classifier, dataset: Dataset, pretrained: dict | None, n: int = 500) -> dict:
    """Classifier FIDs to read a GANJob's by, against the same real images: ``n`` other real
    images (what a perfect generator would score with ``n`` samples), and ``n`` samples of the
    ``pretrained`` GAN checkpoint (if given)."""
    real, others = real_for_fid(dataset, n)
    real_features = classifier.predict(real)[1]
    references = {}
    if len(others) >= 2:
        references["real images"] = frechet_distance(classifier.predict(others)[1], real_features)
    if pretrained is not None:
        config = GANConfig.from_dict(pretrained["config"])
        trainer = GANTrainer(config, torch.from_numpy(to_tanh_range(dataset.images[:n])))
        trainer.load_checkpoint(pretrained)
        samples = from_tanh_range(trainer.generate(n))
        references["the pretrained GAN"] = frechet_distance(
            classifier.predict(samples)[1], real_features
        )
    return references
