"""A training run recorded for replay: about fifty pictures from noise to digits (the GAN's
fixed-noise grid, the RBM's dreams from noise) with the step of each, and a few checkpoints
to continue training from. The scripts that train the pretrained models write one beside each
model (``<model>_recording.pt``); the pages let a lecturer scrub through it at once.

The file is a torch file read with ``weights_only=True``: pictures as 8-bit grey levels,
checkpoints as the model's own checkpoint dicts with half-precision weights (to keep it a few
megabytes; they load into full-precision models as any checkpoint does)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from core.data.checkpoints import describe, load_torch_file, plain_value, write_checkpoint

KIND = "recording"
MAX_RECORDING_BYTES = 64 * 1024 * 1024  # the shipped ones: 4 and 15 MB
MAX_FRAMES = 1000
MAX_SIDE = 1024  # pixels along a picture's side
MAX_STEP = 10**9


def frame_steps(total: int, frames: int) -> list[int]:
    """``frames`` steps from 0 to ``total``, closer together early on (where the pictures
    change fastest): spaced as the 1.5th power, without repeats."""
    if frames < 2 or total < 1:
        raise ValueError(f"a recording needs two frames or more of a run, got {frames}, {total}.")
    return sorted({round(total * (i / (frames - 1)) ** 1.5) for i in range(frames)})


def recording_path(model_path: Path) -> Path:
    """Where the recording of the model saved at ``model_path`` lies."""
    return model_path.with_name(f"{model_path.stem}_recording.pt")


def _half(value):
    """A checkpoint dict with its floating-point tensors in half precision."""
    if isinstance(value, dict):
        return {key: _half(item) for key, item in value.items()}
    if isinstance(value, torch.Tensor):  # a copy, never the live model's own tensor
        half = value.detach().to(torch.float16) if value.is_floating_point() else value.detach()
        return half.clone()
    return value


@dataclass
class Recording:
    """The pictures of one run at its recorded steps, and checkpoints at some of them."""

    model: str  # "gan" or "rbm": whose checkpoints these are
    image_shape: tuple[int, int]
    steps: list[int] = field(default_factory=list)
    frames: list[np.ndarray] = field(default_factory=list)  # uint8, (pictures, pixels) each
    checkpoints: dict[int, dict] = field(default_factory=dict)

    def add_frame(self, step: int, pictures: np.ndarray) -> None:
        """Pictures (rows of pixels in [0, 1]) at ``step``, after any recorded before."""
        if self.steps and step <= self.steps[-1]:
            raise ValueError(f"frames come in order of steps: {step} after {self.steps[-1]}.")
        grey = np.clip(np.round(np.asarray(pictures, dtype=np.float64) * 255), 0, 255)
        self.steps.append(int(step))
        self.frames.append(grey.astype(np.uint8))

    def add_checkpoint(self, step: int, checkpoint: dict) -> None:
        """The model's checkpoint dict at ``step`` (a recorded frame's; the dict says its step
        as the model's checkpoints do), kept in half precision."""
        if step not in self.steps:
            raise ValueError(f"step {step} has no recorded frame.")
        self.checkpoints[int(step)] = _half(checkpoint)

    def frame(self, index: int) -> np.ndarray:
        """The pictures of frame ``index`` as rows of pixels in [0, 1]."""
        return self.frames[index].astype(np.float32) / 255

    def checkpoint_before(self, step: int) -> int | None:
        """The latest checkpointed step at or before ``step`` (None if none)."""
        earlier = [s for s in self.checkpoints if s <= step]
        return max(earlier) if earlier else None

    def checkpoint_bytes(self, step: int) -> bytes:
        """The checkpoint at ``step`` as the bytes of a checkpoint file of its model."""
        return write_checkpoint(self.checkpoints[step])

    def save(self, path: Path) -> None:
        torch.save(
            {
                "kind": KIND,
                "model": self.model,
                "image_shape": list(self.image_shape),
                "steps": list(self.steps),
                "frames": torch.from_numpy(np.stack(self.frames)),
                "checkpoints": {str(step): value for step, value in self.checkpoints.items()},
            },
            path,
        )


def load_recording(path: Path, model: str, max_bytes: int = MAX_RECORDING_BYTES) -> Recording:
    """The recording at ``path`` of a ``model`` ("gan", "rbm"); ValueError with a sentence for
    a file that is not one (read with ``weights_only=True``: it cannot run code). Its sizes
    and tensors are checked before anything is made of them; its checkpoints are checked as
    plain values here, and as checkpoints of their model when a page loads one."""
    try:
        size = path.stat().st_size
    except OSError as error:
        raise ValueError(f"{path.name} cannot be read ({type(error).__name__}).") from None
    if size > max_bytes:
        raise ValueError(
            f"{path.name} is {size / 1e6:.1f} MB; recordings here are at most "
            f"{max_bytes / 1e6:.0f} MB."
        )
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ValueError(f"{path.name} cannot be read ({type(error).__name__}).") from None
    saved = load_torch_file(data[:max_bytes], f"{path.name} is not a readable recording")
    if (
        not isinstance(saved, dict)
        or not isinstance(saved.get("kind"), str)
        or saved["kind"] != KIND
        or not isinstance(saved.get("model"), str)
        or saved["model"] != model
    ):
        raise ValueError(f"{path.name} is not a recording of a {model.upper()}.")
    for name, kind in (("frames", torch.Tensor), ("steps", list | tuple)):
        if not isinstance(saved.get(name), kind):
            raise ValueError(
                f"{path.name} is incomplete: its {name} are {describe(saved.get(name))}."
            )
    for name, kind in (("image_shape", list | tuple), ("checkpoints", dict)):
        if not isinstance(saved.get(name), kind):
            raise ValueError(
                f"{path.name} is incomplete: its {name} is {describe(saved.get(name))}."
            )
    frames, steps, shape = saved["frames"], saved["steps"], saved["image_shape"]
    if len(steps) > MAX_FRAMES or not all(_is_whole(step, 0, MAX_STEP) for step in steps):
        raise ValueError(
            f"{path.name} is inconsistent: its steps are not up to {MAX_FRAMES} counts."
        )
    if len(shape) != 2 or not all(_is_whole(side, 1, MAX_SIDE) for side in shape):
        raise ValueError(f"{path.name} is inconsistent: its image shape is {describe(shape)}.")
    steps, (height, width) = [int(step) for step in steps], (int(side) for side in shape)
    keys = list(saved["checkpoints"])
    if not all(isinstance(key, str | int) and len(str(key)) <= 12 for key in keys):
        raise ValueError(f"{path.name} is inconsistent: its checkpoints are not named by steps.")
    try:
        checkpoints = {int(step): value for step, value in saved["checkpoints"].items()}
    except ValueError:
        raise ValueError(
            f"{path.name} is inconsistent: its checkpoints are not named by steps."
        ) from None
    if (
        not steps
        or frames.dtype != torch.uint8
        or frames.layout != torch.strided
        or frames.is_nested
        or frames.ndim != 3
        or frames.shape[0] != len(steps)
        or frames.shape[2] != height * width
        or frames.untyped_storage().nbytes() < frames.numel()
        or steps != sorted(set(steps))
        or not set(checkpoints) <= set(steps)
    ):
        raise ValueError(f"{path.name} is inconsistent: its frames, steps and checkpoints differ.")
    for step, checkpoint in checkpoints.items():  # what a page loads, it checks as a model's
        if not isinstance(checkpoint, dict):
            raise ValueError(f"{path.name} is inconsistent: its checkpoint at {step} is no dict.")
        plain_value(checkpoint, f"checkpoint at step {step} in {path.name}")
    return Recording(model, (height, width), steps, list(frames.numpy()), checkpoints)


def _is_whole(value: object, low: int, high: int) -> bool:
    """An int in [low, high] (a bool, a float or a tensor is not)."""
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
