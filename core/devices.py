"""Which device a run trains on: a CUDA GPU when torch sees one, else the CPU.

``DASHBOARD_DEVICE`` (``auto``, ``cpu``, ``cuda``, ``cuda:1``...) overrides the choice for a
server; the status line names the device when it is not the CPU (where it names threads).
"""

from __future__ import annotations

import os

import torch

DEVICE_VARIABLE = "DASHBOARD_DEVICE"


def resolve_device(device: str | torch.device | None) -> torch.device:
    """``"auto"`` or None picks CUDA when available; otherwise the named device, checked."""
    if device is None or device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(
            f"device must be 'auto', 'cpu', 'cuda' or 'cuda:N', got {device!r}."
        ) from None
    if resolved.type not in ("cpu", "cuda"):
        raise ValueError(f"device must be 'auto', 'cpu', 'cuda' or 'cuda:N', got {device!r}.")
    if resolved.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"device {device!r} was asked for, but CUDA is not available here.")
        if resolved.index is None:  # one name for one device: "cuda" is "cuda:0" (say)
            return torch.device("cuda", torch.cuda.current_device())
        if resolved.index >= torch.cuda.device_count():
            raise ValueError(
                f"device {device!r} was asked for, but this machine has "
                f"{torch.cuda.device_count()} CUDA device(s)."
            )
    return resolved


def training_device() -> torch.device:
    """The device live runs train on: the environment's choice, else CUDA when available."""
    value = os.environ.get(DEVICE_VARIABLE, "auto").strip() or "auto"
    try:
        return resolve_device(value)
    except ValueError as error:
        raise ValueError(f"{DEVICE_VARIABLE}={value!r}: {error}") from None


def device_name(device: str | torch.device | None) -> str:
    """The device as a status line says it ("CUDA GPU 0, NVIDIA H200"); "" for the CPU."""
    if device is None:
        return ""
    device = torch.device(device)
    if device.type == "cpu":
        return ""
    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        return f"CUDA GPU {index}, {torch.cuda.get_device_name(index)}"
    return str(device)
