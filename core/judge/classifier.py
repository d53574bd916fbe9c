"""A small reference digit classifier (a compact CNN) for judging generated samples.

It reads rows of pixels in [0, 1]; ``features`` gives its penultimate layer, the space in
which the "classifier FID" of ``core.rbm.likelihood`` compares real and generated images. A judge of
generated digits must be able to say "this is not a digit": the shipped classifiers have an
eleventh class, ``NOT_A_DIGIT``, trained on :func:`not_digits` (noise, blobs, grey fields, two
digits overlaid), so that noise is not called a confident "0".
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F_nn
from torch import nn

ASSETS = Path(__file__).resolve().parents[2] / "assets"
FEATURE_DIM = 128
NOT_A_DIGIT = 10  # the judge's eleventh class


def classifier_path(image_shape: tuple[int, int]) -> Path:
    """Where the reference classifier for images of this shape lives under assets/."""
    names = {(28, 28): "mnist_classifier.pt", (8, 8): "digits_classifier.pt"}
    if tuple(image_shape) not in names:
        raise ValueError(f"No reference classifier for {image_shape[0]}x{image_shape[1]} images.")
    return ASSETS / names[tuple(image_shape)]


class DigitClassifier(nn.Module):
    """conv 3x3 (32) → pool → conv 3x3 (64) → pool → dense 128 (features) → dense 10."""

    def __init__(self, image_shape: tuple[int, int] = (28, 28), n_classes: int = 10) -> None:
        super().__init__()
        height, width = (int(size) for size in image_shape)
        if height < 4 or width < 4:
            raise ValueError(f"image_shape must be at least 4x4, got {image_shape}.")
        self.image_shape = (height, width)
        self.conv1 = nn.Conv2d(1, 32, 3, padding=1)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1)
        self.dense = nn.Linear(64 * (height // 4) * (width // 4), FEATURE_DIM)
        self.dropout = nn.Dropout(0.3)
        self.out = nn.Linear(FEATURE_DIM, n_classes)

    def config(self) -> dict:
        return {"image_shape": list(self.image_shape), "n_classes": self.out.out_features}

    def _as_images(self, pixels: torch.Tensor) -> torch.Tensor:
        height, width = self.image_shape
        if pixels.ndim != 2 or pixels.shape[1] != height * width:
            raise ValueError(
                f"expected rows of {height * width} pixels, got shape {tuple(pixels.shape)}."
            )
        return pixels.reshape(-1, 1, height, width)

    def features(self, pixels: torch.Tensor) -> torch.Tensor:
        """The penultimate layer (128 values per image)."""
        x = F_nn.max_pool2d(F_nn.relu(self.conv1(self._as_images(pixels))), 2)
        x = F_nn.max_pool2d(F_nn.relu(self.conv2(x)), 2)
        return F_nn.relu(self.dense(x.flatten(1)))

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        return self.out(self.dropout(self.features(pixels)))

    @torch.no_grad()
    def predict(self, pixels: np.ndarray, batch_size: int = 1000) -> tuple[np.ndarray, np.ndarray]:
        """(class probabilities, penultimate features) for rows of pixels in [0, 1]."""
        self.eval()
        device = next(self.parameters()).device
        probabilities, features = [], []
        for start in range(0, len(pixels), batch_size):
            batch = torch.as_tensor(pixels[start : start + batch_size], dtype=torch.float32)
            hidden = self.features(batch.to(device))
            probabilities.append(torch.softmax(self.out(hidden), dim=1).cpu().numpy())
            features.append(hidden.cpu().numpy())
        return np.concatenate(probabilities), np.concatenate(features)


def _blurred(fields: np.ndarray, image_shape: tuple[int, int], passes: int) -> np.ndarray:
    """Each row smoothed by ``passes`` 3×3 box blurs (edges repeated), rescaled to [0, 1]."""
    images = torch.as_tensor(fields, dtype=torch.float32).reshape(-1, 1, *image_shape)
    for _ in range(passes):
        images = F_nn.avg_pool2d(F_nn.pad(images, (1, 1, 1, 1), mode="replicate"), 3, stride=1)
    flat = images.flatten(1)
    low, high = flat.min(1, keepdim=True).values, flat.max(1, keepdim=True).values
    return ((flat - low) / (high - low + 1e-6)).numpy()


def not_digits(
    images: np.ndarray, labels: np.ndarray, image_shape: tuple[int, int], n: int, seed: int = 0
) -> np.ndarray:
    """``n`` images that are not digits, in six kinds as equal as may be: uniform noise; noise
    at the data's own pixel rates (an RBM's chains from its base rate); smooth random blobs; the
    data's mean image, dimmed or brightened, with noise (a collapsed model's grey blob); flat
    grey fields with weak noise (an untrained generator); two digits of different classes
    overlaid."""
    rng = np.random.default_rng(seed)
    pixels = images.shape[1]
    sizes = [n // 6 + (i < n % 6) for i in range(6)]
    rate = images.mean(axis=0)
    uniform = rng.random((sizes[0], pixels)) * rng.uniform(0.3, 1.0, (sizes[0], 1))
    base_rate = (rng.random((sizes[1], pixels)) < rate).astype(np.float32)
    passes = rng.integers(1, max(2, image_shape[0] // 5) + 1)
    blobs = _blurred(rng.random((sizes[2], pixels)), image_shape, int(passes))
    blobs = blobs ** rng.uniform(0.5, 3.0, (sizes[2], 1))  # thin or fat
    mean = rate / max(rate.max(), 1e-6)
    grey_blob = mean * rng.uniform(0.4, 1.2, (sizes[3], 1)) + rng.normal(0, 0.1, (sizes[3], pixels))
    flat = rng.uniform(0.2, 0.8, (sizes[4], 1)) + rng.normal(0, 0.05, (sizes[4], pixels))
    first = rng.integers(0, len(images), sizes[5])
    second = rng.integers(0, len(images), sizes[5])
    differ = labels[first] != labels[second]
    first, second = first[differ], second[differ]
    overlaid = np.maximum(images[first], images[second])
    rows = [uniform, base_rate, blobs, grey_blob, flat, overlaid]
    made = np.clip(np.concatenate(rows), 0.0, 1.0).astype(np.float32)
    return made[rng.permutation(len(made))]


def _shift(images: torch.Tensor, generator: torch.Generator, max_shift: int) -> torch.Tensor:
    """Each image moved by up to ``max_shift`` pixels in x and y (zero fill)."""
    padded = F_nn.pad(images, (max_shift,) * 4)
    n, _, height, width = images.shape
    offsets = torch.randint(0, 2 * max_shift + 1, (n, 2), generator=generator)
    rows = (offsets[:, 0:1] + torch.arange(height)).unsqueeze(2)
    cols = (offsets[:, 1:2] + torch.arange(width)).unsqueeze(1)
    batch = torch.arange(n).reshape(n, 1, 1)
    return padded[batch, 0, rows, cols].unsqueeze(1)


def _tilt(images: torch.Tensor, generator: torch.Generator, degrees: float) -> torch.Tensor:
    """Each image turned by up to ``degrees`` either way and scaled by 0.9 to 1.1, as hands
    slant and size their digits."""
    n = images.shape[0]
    angle = (torch.rand(n, generator=generator) * 2 - 1) * degrees * torch.pi / 180
    scale = 0.9 + 0.2 * torch.rand(n, generator=generator)
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack(
        [torch.stack([cos, -sin, torch.zeros(n)], 1), torch.stack([sin, cos, torch.zeros(n)], 1)],
        1,
    )
    grid = F_nn.affine_grid(theta, list(images.shape), align_corners=False)
    return F_nn.grid_sample(images, grid, align_corners=False)


def train_classifier(
    images: np.ndarray,
    labels: np.ndarray,
    image_shape: tuple[int, int],
    *,
    epochs: int = 20,
    batch_size: int = 64,
    learning_rate: float = 1e-3,
    max_shift: int | None = None,
    max_tilt: float = 0.0,
    seed: int = 0,
    progress: Callable[[int, float], None] | None = None,
) -> DigitClassifier:
    """Train a DigitClassifier with Adam, random shifts (and tilts up to ``max_tilt`` degrees)
    as augmentation, cosine-decayed rate.

    Labels 0–9 are digits; with any label ``NOT_A_DIGIT`` the classifier gets that eleventh
    class. ``max_shift`` defaults to 2 pixels for 28x28 images and none for tiny ones.
    """
    if max_shift is None:
        max_shift = min(image_shape) // 14
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    model = DigitClassifier(image_shape, 11 if (labels == NOT_A_DIGIT).any() else 10)
    pixels = torch.as_tensor(images, dtype=torch.float32)
    targets = torch.as_tensor(labels, dtype=torch.long)
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    steps_per_epoch = (len(pixels) + batch_size - 1) // batch_size
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, epochs * steps_per_epoch)
    started = time.perf_counter()
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(pixels), generator=generator)
        for start in range(0, len(pixels), batch_size):
            index = order[start : start + batch_size]
            batch = model._as_images(pixels[index])
            if max_tilt:
                batch = _tilt(batch, generator, max_tilt)
            if max_shift:
                batch = _shift(batch, generator, max_shift)
            loss = F_nn.cross_entropy(model(batch.flatten(1)), targets[index])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
        if progress is not None:
            progress(epoch + 1, time.perf_counter() - started)
    model.eval()
    return model


def save_classifier(model: DigitClassifier, path: str | Path, **metadata) -> None:
    """State dict and config only, so it loads with weights_only=True."""
    torch.save({"config": model.config(), "state_dict": model.state_dict(), **metadata}, path)


def load_classifier(path: str | Path) -> DigitClassifier:
    """A saved DigitClassifier; a missing or damaged file raises ValueError."""
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
        model = DigitClassifier(
            tuple(checkpoint["config"]["image_shape"]), checkpoint["config"]["n_classes"]
        )
        model.load_state_dict(checkpoint["state_dict"])
    except Exception as error:  # torch.load raises many kinds for a damaged file
        raise ValueError(f"Could not load the digit classifier from {path}: {error}") from None
    model.eval()
    return model
