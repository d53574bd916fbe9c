"""Datasets: the offline sets, the IDX reader, the verified download path and the helpers.

The download tests run a real HTTP server on 127.0.0.1 that serves small IDX files written
here, intact, corrupt, truncated, or not at all.
"""

from __future__ import annotations

import gzip
import hashlib
import http.server
import os
import socket
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from core.data import datasets as data
from core.data.datasets import (
    DatasetError,
    binarize,
    binarize_stochastic,
    from_tanh_range,
    load_dataset,
    load_remote_dataset,
    to_tanh_range,
    train_validation_split,
)
from core.data.downloads import RemoteDataset, RemoteFile, read_idx, write_idx


@pytest.mark.slow
def test_mnist_5k_is_the_offline_default():
    dataset = load_dataset()
    assert dataset.name == "mnist-5k"
    assert dataset.images.shape == (5000, 784)
    assert dataset.images.dtype == np.float32
    assert dataset.image_shape == (28, 28)
    assert 0.0 == dataset.images.min() and dataset.images.max() == 1.0
    assert np.bincount(dataset.labels).tolist() == [500] * 10


def test_digits_are_8_by_8_in_unit_range():
    dataset = load_dataset("digits")
    assert dataset.images.shape == (1797, 64)
    assert dataset.image_shape == (8, 8)
    assert dataset.images.min() == 0.0 and dataset.images.max() == 1.0
    assert set(np.unique(dataset.labels)) == set(range(10))


def test_unknown_name_and_split_are_rejected_clearly():
    with pytest.raises(ValueError, match="Unknown dataset 'cifar'.*mnist-5k"):
        load_dataset("cifar")
    with pytest.raises(ValueError, match="no official 'train' split"):
        load_dataset("digits", split="train")
    with pytest.raises(ValueError, match="split must be"):
        load_dataset("mnist", split="validation")


def test_idx_round_trip_plain_and_gzipped(tmp_path):
    array = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    write_idx(tmp_path / "a.gz", array)
    write_idx(tmp_path / "a", array, compress=False)
    np.testing.assert_array_equal(read_idx(tmp_path / "a.gz"), array)
    np.testing.assert_array_equal(read_idx(tmp_path / "a"), array)


def test_idx_reader_rejects_truncated_and_foreign_files(tmp_path):
    array = np.ones((5, 28, 28), dtype=np.uint8)
    write_idx(tmp_path / "full", array, compress=False)
    raw = (tmp_path / "full").read_bytes()
    with pytest.raises(DatasetError, match="truncated or damaged"):
        read_idx(raw[:-10])
    with pytest.raises(DatasetError, match="header is truncated"):
        read_idx(raw[:9])
    with pytest.raises(DatasetError, match="not an IDX file"):
        read_idx(b"PK\x03\x04 this is a zip")
    with pytest.raises(DatasetError, match="gzip stream is damaged"):
        read_idx(gzip.compress(raw)[:40])
    damaged = bytearray(gzip.compress(np.arange(5000, dtype=np.uint32).tobytes()))
    damaged[len(damaged) // 2 : len(damaged) // 2 + 8] = b"\xff" * 8  # mid-stream corruption
    with pytest.raises(DatasetError, match="gzip stream is damaged"):
        read_idx(bytes(damaged))


# ---- a real HTTP server on 127.0.0.1 ------------------------------------------------------


class _Server:
    """Serves ``files`` (name -> bytes); ``mode`` can make it lie about lengths or stall."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.mode = "ok"
        self.requests: list[str] = []
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
                name = self.path.rsplit("/", 1)[-1]
                owner.requests.append(name)
                if owner.mode == "stall":
                    time.sleep(3)
                    return
                body = owner.files.get(name)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                if owner.mode == "drip":  # alive, but far too slow
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    for byte in body[:40]:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(0.1)
                    return
                if owner.mode == "truncate":
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body[: len(body) // 2])
                    self.close_connection = True
                    return
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture()
def server():
    running = _Server()
    yield running
    running.close()


def _small_idx_set(tmp_path: Path) -> dict[str, bytes]:
    rng = np.random.default_rng(0)
    arrays = {
        "train-images-idx3-ubyte.gz": rng.integers(0, 256, (12, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte.gz": rng.integers(0, 10, 12, dtype=np.uint8),
        "t10k-images-idx3-ubyte.gz": rng.integers(0, 256, (4, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte.gz": rng.integers(0, 10, 4, dtype=np.uint8),
    }
    tmp_path.mkdir(parents=True, exist_ok=True)
    files = {}
    for name, array in arrays.items():
        write_idx(tmp_path / name, array)
        files[name] = (tmp_path / name).read_bytes()
    return files


def _spec_for(files: dict[str, bytes], url: str) -> RemoteDataset:
    def remote(name: str) -> RemoteFile:
        return RemoteFile(name, hashlib.sha256(files[name]).hexdigest())

    return RemoteDataset(
        name="tiny",
        mirrors=(url,),
        train_images=remote("train-images-idx3-ubyte.gz"),
        train_labels=remote("train-labels-idx1-ubyte.gz"),
        test_images=remote("t10k-images-idx3-ubyte.gz"),
        test_labels=remote("t10k-labels-idx1-ubyte.gz"),
        class_names=data.DIGIT_CLASS_NAMES,
    )


def test_download_verifies_caches_and_then_works_offline(server, tmp_path):
    files = _small_idx_set(tmp_path / "src")
    server.files = files
    spec = _spec_for(files, server.url)
    cache = tmp_path / "cache"
    seen = []
    dataset = load_remote_dataset(
        spec, cache_dir=cache, progress=lambda name, done, total: seen.append((name, done, total))
    )
    assert dataset.images.shape == (16, 784)
    assert dataset.labels.shape == (16,)
    expected = read_idx(files["train-images-idx3-ubyte.gz"])[3].reshape(-1) / 255.0
    np.testing.assert_allclose(dataset.images[3], expected, rtol=1e-6)
    assert {name for name, _, _ in seen} == set(files)
    assert all(done <= total for _, done, total in seen)
    assert sorted(p.name for p in (cache / "tiny").iterdir()) == sorted(files)

    test_only = load_remote_dataset(spec, split="test", cache_dir=cache)
    assert test_only.images.shape == (4, 784)

    # The cache answers from now on: no new requests, even with the server gone.
    before = len(server.requests)
    server.close()
    again = load_remote_dataset(spec, cache_dir=cache, timeout=1)
    np.testing.assert_array_equal(again.images, dataset.images)
    assert len(server.requests) == before


def test_corrupt_download_is_rejected_and_not_cached(server, tmp_path):
    files = _small_idx_set(tmp_path / "src")
    spec = _spec_for(files, server.url)
    server.files = dict(files)
    server.files["train-images-idx3-ubyte.gz"] = files["train-images-idx3-ubyte.gz"][:-3] + b"xyz"
    cache = tmp_path / "cache"
    with pytest.raises(DatasetError) as caught:
        load_remote_dataset(spec, cache_dir=cache)
    message = str(caught.value)
    assert "sha256" in message and "discarded" in message
    assert "mnist-5k" in message and "digits" in message
    assert list((cache / "tiny").iterdir()) == []  # not even a partial file

    server.files = files  # the mirror is fixed: the next call succeeds
    assert load_remote_dataset(spec, cache_dir=cache).n_samples == 16


def test_published_checksums_reject_a_fake_mnist(server, tmp_path):
    server.files = _small_idx_set(tmp_path / "src")
    with pytest.raises(DatasetError, match="not the published"):
        load_dataset("mnist", mirrors=[server.url], cache_dir=tmp_path / "cache")


def test_truncated_download_is_reported_and_not_cached(server, tmp_path):
    files = _small_idx_set(tmp_path / "src")
    server.files = files
    server.mode = "truncate"
    cache = tmp_path / "cache"
    with pytest.raises(DatasetError, match="truncated"):
        load_remote_dataset(_spec_for(files, server.url), cache_dir=cache)
    assert list((cache / "tiny").iterdir()) == []


def test_a_damaged_cache_entry_is_replaced(server, tmp_path):
    files = _small_idx_set(tmp_path / "src")
    server.files = files
    spec = _spec_for(files, server.url)
    cache = tmp_path / "cache"
    load_remote_dataset(spec, cache_dir=cache)
    (cache / "tiny" / "t10k-labels-idx1-ubyte.gz").write_bytes(b"garbage")
    assert load_remote_dataset(spec, cache_dir=cache).n_samples == 16
    assert server.requests.count("t10k-labels-idx1-ubyte.gz") == 2


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_offline_gives_a_clear_error_quickly(tmp_path):
    url = f"http://127.0.0.1:{_closed_port()}/"
    started = time.monotonic()
    with pytest.raises(DatasetError) as caught:
        load_dataset("fashion-mnist", mirrors=[url], cache_dir=tmp_path)
    assert time.monotonic() - started < 5
    message = str(caught.value)
    assert "refused" in message and "fashion-mnist" in message
    assert "offline datasets are available: mnist-5k, digits" in message


@pytest.mark.slow
def test_a_stalled_mirror_times_out_instead_of_hanging(server, tmp_path):
    server.mode = "stall"
    started = time.monotonic()
    with pytest.raises(DatasetError, match="time limit"):
        load_dataset("mnist", mirrors=[server.url], cache_dir=tmp_path, timeout=0.5)
    assert time.monotonic() - started < 2.5


@pytest.mark.slow
def test_a_trickling_mirror_is_cut_off_by_the_overall_limit(server, tmp_path):
    files = _small_idx_set(tmp_path / "src")
    server.files = files
    server.mode = "drip"
    started = time.monotonic()
    with pytest.raises(DatasetError, match="longer than 1 s"):
        load_remote_dataset(
            _spec_for(files, server.url), cache_dir=tmp_path / "c", timeout=0.5, max_seconds=1
        )
    assert time.monotonic() - started < 3
    assert list((tmp_path / "c" / "tiny").iterdir()) == []


def test_the_second_mirror_is_tried_when_the_first_fails(server, tmp_path):
    files = _small_idx_set(tmp_path / "src")
    server.files = files
    dead = f"http://127.0.0.1:{_closed_port()}/"
    spec = _spec_for(files, server.url)
    spec = RemoteDataset(**{**spec.__dict__, "mirrors": (dead, server.url)})
    assert load_remote_dataset(spec, cache_dir=tmp_path / "c", timeout=2).n_samples == 16


def test_an_unwritable_cache_folder_is_named_in_the_error(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    with pytest.raises(DatasetError, match="cannot be written.*RBM_GAN_CACHE"):
        load_dataset("mnist", cache_dir=blocker, mirrors=["http://127.0.0.1:9/"])


def test_stale_partial_downloads_are_swept(server, tmp_path):
    files = _small_idx_set(tmp_path / "src")
    server.files = files
    folder = tmp_path / "c" / "tiny"
    folder.mkdir(parents=True)
    stale = folder / ".train-images-idx3-ubyte.gz.abc.part"
    stale.write_bytes(b"half a file")
    os.utime(stale, (time.time() - 7200, time.time() - 7200))
    fresh = folder / ".t10k-images-idx3-ubyte.gz.def.part"  # maybe another process's
    fresh.write_bytes(b"in progress")
    load_remote_dataset(_spec_for(files, server.url), cache_dir=tmp_path / "c")
    assert not stale.exists() and fresh.exists()


def test_bad_timeouts_are_rejected():
    with pytest.raises(ValueError, match="timeout"):
        load_dataset("mnist", timeout=0)
    with pytest.raises(ValueError, match="max_seconds"):
        load_dataset("mnist", max_seconds=float("nan"))


def test_a_missing_file_names_the_http_status(server, tmp_path):
    server.files = {}
    with pytest.raises(DatasetError, match="HTTP 404"):
        load_dataset("mnist", mirrors=[server.url], cache_dir=tmp_path, timeout=2)


# ---- helpers ------------------------------------------------------------------------------


def test_binarize_fixed_and_stochastic():
    images = np.array([[0.0, 0.2, 0.5, 0.51, 1.0]], dtype=np.float32)
    assert binarize(images).tolist() == [[0, 0, 0, 1, 1]]
    with pytest.raises(ValueError):
        binarize(images, threshold=2)
    many = np.full((20000, 3), [0.1, 0.5, 0.9], dtype=np.float32)
    sampled = binarize_stochastic(many, seed=1)
    assert set(np.unique(sampled)) == {0.0, 1.0}
    np.testing.assert_allclose(sampled.mean(axis=0), [0.1, 0.5, 0.9], atol=0.015)
    np.testing.assert_array_equal(sampled, binarize_stochastic(many, seed=1))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        binarize_stochastic(np.array([[1.5]]))


def test_tanh_range_round_trip():
    images = np.linspace(0, 1, 11, dtype=np.float32)[None]
    scaled = to_tanh_range(images)
    assert scaled.min() == -1.0 and scaled.max() == 1.0
    np.testing.assert_allclose(from_tanh_range(scaled), images, atol=1e-7)


def test_split_is_seeded_stratified_and_disjoint():
    dataset = load_dataset("digits")
    train, validation = train_validation_split(dataset, 0.2, seed=3)
    assert train.n_samples + validation.n_samples == dataset.n_samples
    assert abs(validation.n_samples - 0.2 * dataset.n_samples) <= 10
    rows = {row.tobytes() for row in train.images}
    assert not any(row.tobytes() in rows for row in validation.images[:50])
    counts = np.bincount(validation.labels, minlength=10)
    assert counts.min() >= 34 and counts.max() <= 38
    again, _ = train_validation_split(dataset, 0.2, seed=3)
    np.testing.assert_array_equal(train.labels, again.labels)
    other, _ = train_validation_split(dataset, 0.2, seed=4)
    assert not np.array_equal(train.labels, other.labels)
    with pytest.raises(ValueError):
        train_validation_split(dataset, 1.5)


def test_a_mirror_named_in_the_environment_replaces_the_public_ones(server, tmp_path, monkeypatch):
    from core.data.datasets import DatasetError, load_dataset

    server.files = _small_idx_set(tmp_path / "src")  # not the real files: their checksums fail
    monkeypatch.setenv("RBM_GAN_MIRRORS", f"http://127.0.0.1:9/ {server.url}")
    with pytest.raises(DatasetError) as refused:
        load_dataset("mnist", cache_dir=tmp_path / "cache", timeout=2)
    assert server.requests  # asked our mirror, after the first (closed) one refused
    assert server.url.rstrip("/") in str(refused.value)
    assert not list((tmp_path / "cache").rglob("*.gz"))  # nothing unverified was kept
