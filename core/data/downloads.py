"""Downloading a dataset's files once: from the first mirror that answers, within a size and
time limit, checked against their published sha256, cached in a user folder; and reading the
IDX format they come in. A failure is a DatasetError whose message says why."""

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
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ProgressCallback = Callable[[str, int, int | None], None]
"""Called as ``progress(file_name, bytes_done, bytes_total_or_None)`` while downloading."""


class DatasetError(RuntimeError):
    """A dataset could not be loaded; the message says why and what is available offline."""


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
    hint: str = "",
) -> Path:
    """The cached path of ``remote``, downloading and verifying it first if needed (``hint``
    ends the message of a failure: what else there is).

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
            "Point the RBM_GAN_CACHE environment variable at a writable folder." + hint
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
        + hint
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
