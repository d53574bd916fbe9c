"""Checkpoint files: a dict of state dicts and a small config, written with torch.save and
read back with ``weights_only=True`` (a file that runs code is refused), within a size cap.
What each model's dict must hold is checked beside the model (core.rbm.model, core.gan.trainer)."""

from __future__ import annotations

import io
import math

import torch

MAX_CHECKPOINT_BYTES = 32 * 1024 * 1024


def write_checkpoint(checkpoint: dict) -> bytes:
    """``checkpoint`` (tensors, numbers, strings, lists, dicts) as the bytes of a torch file,
    every tensor on the CPU: a file from a GPU run loads on any machine."""
    buffer = io.BytesIO()
    torch.save(_on_cpu(checkpoint), buffer)
    return buffer.getvalue()


def _on_cpu(value):
    if isinstance(value, torch.Tensor):
        return value.detach().cpu()
    if isinstance(value, dict):
        copied = type(value)((key, _on_cpu(item)) for key, item in value.items())
        if hasattr(value, "_metadata"):  # a state dict's layer versions
            copied._metadata = value._metadata
        return copied
    if isinstance(value, list | tuple):
        return type(value)(_on_cpu(item) for item in value)
    return value


def read_checkpoint(data: bytes, kind: str, max_bytes: int = MAX_CHECKPOINT_BYTES) -> dict:
    """The dict in a checkpoint file of this ``kind`` ("rbm" or "gan"); ValueError, with a
    sentence for the user, for a file too large, unreadable, or of another kind."""
    if len(data) > max_bytes:
        raise ValueError(
            f"The file is {len(data) / 1e6:.1f} MB; checkpoints here are at most "
            f"{max_bytes / 1e6:.0f} MB."
        )
    try:
        checkpoint = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as error:  # torch.load raises many kinds for a damaged file
        raise ValueError(f"This is not a readable checkpoint ({type(error).__name__}).") from None
    if not isinstance(checkpoint, dict) or checkpoint.get("kind") != kind:
        article = "an" if kind == "rbm" else "a"
        raise ValueError(f"This file is not {article} {kind.upper()} checkpoint of this dashboard.")
    return checkpoint


def all_finite(tensors) -> bool:
    """Whether every floating-point tensor among ``tensors`` holds finite values only."""
    return all(torch.isfinite(t).all() for t in tensors if t.is_floating_point())


def training_count(value, name: str, high: float) -> float:
    """A checkpoint's count of steps or epochs (0 where it has none), or ValueError with a
    sentence: a file could hold anything there."""
    if value is None:
        return 0.0
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"The checkpoint's {name} ({value!r}) is not a number.") from None
    if not math.isfinite(number) or not 0 <= number <= high:
        raise ValueError(f"The checkpoint's {name} ({value!r}) must lie between 0 and {high:g}.")
    return number
