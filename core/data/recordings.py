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

from core.data.checkpoints import write_checkpoint

KIND = "recording"


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


def load_recording(path: Path, model: str) -> Recording:
    """The recording at ``path`` of a ``model`` ("gan", "rbm"); ValueError with a sentence for
    a file that is not one (read with ``weights_only=True``: it cannot run code)."""
    try:
        saved = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # a damaged file raises many kinds
        raise ValueError(
            f"{path.name} is not a readable recording ({type(error).__name__})."
        ) from None
    if not isinstance(saved, dict) or saved.get("kind") != KIND or saved.get("model") != model:
        raise ValueError(f"{path.name} is not a recording of a {model.upper()}.")
    try:
        frames = saved["frames"].numpy()
        steps = [int(step) for step in saved["steps"]]
        height, width = (int(side) for side in saved["image_shape"])
        checkpoints = {int(step): value for step, value in saved["checkpoints"].items()}
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise ValueError(f"{path.name} is incomplete: {error}") from None
    if (
        not steps
        or steps[0] < 0
        or frames.dtype != np.uint8
        or frames.ndim != 3
        or frames.shape[0] != len(steps)
        or frames.shape[2] != height * width
        or steps != sorted(set(steps))
        or not set(checkpoints) <= set(steps)
    ):
        raise ValueError(f"{path.name} is inconsistent: its frames, steps and checkpoints differ.")
    return Recording(model, (height, width), steps, list(frames), checkpoints)
