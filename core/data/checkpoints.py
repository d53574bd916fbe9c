"""Checkpoint files: a dict of state dicts and a small config, written with torch.save and
read back with ``weights_only=True`` (a file that runs code is refused), within a size cap.
What each model's dict must hold is checked beside the model (core.rbm.model, core.gan.trainer).

A file may claim anything, so nothing it claims is believed before it is checked: the archive
must be torch.save's own (stored, not compressed: a few kilobytes cannot inflate to gigabytes,
and its pickled structure stays small), and every size and tensor a model reads from it is
checked here (``checked_tensors``, ``checkpoint_number``) before a model is built.
Anything malformed is a ValueError with a sentence."""

from __future__ import annotations

import io
import math
import reprlib
import zipfile
from collections.abc import Mapping

import numpy as np
import torch

MAX_CHECKPOINT_BYTES = 32 * 1024 * 1024
MAX_STRUCTURE_BYTES = 1024 * 1024  # the pickled dicts, names and config (a real one: ~10 kB)
MAX_ARCHIVE_ENTRIES = 10_000  # one per tensor (a GAN's checkpoint: ~45)
FLOATING_DTYPES = (torch.float16, torch.bfloat16, torch.float32, torch.float64)
INTEGER_DTYPES = (torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64)


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
    checkpoint = load_torch_file(data, "This is not a readable checkpoint")
    if not isinstance(checkpoint, dict) or not _is_text(checkpoint.get("kind"), kind):
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
        if not isinstance(value, int | float | str | np.integer | np.floating) or isinstance(
            value, bool
        ):
            raise TypeError  # a tensor, a list: not a count, even where float() would take it
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"The checkpoint's {name} ({describe(value)}) is not a number.") from None
    if not math.isfinite(number) or not 0 <= number <= high:
        raise ValueError(
            f"The checkpoint's {name} ({describe(value)}) must lie between 0 and {high:g}."
        )
    return number


def load_torch_file(data: bytes, refusal: str, max_structure: int = MAX_STRUCTURE_BYTES):
    """What a torch file (torch.save's zip archive) holds, read with ``weights_only=True``
    after its archive is checked, so that reading it allocates no more than the file's own
    bytes: every entry stored uncompressed (no zip bomb), its pickled structure at most
    ``max_structure`` bytes (no swarm of objects). ValueError starting with ``refusal``."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except Exception as error:  # zipfile raises many kinds for a damaged archive
        raise ValueError(f"{refusal} ({type(error).__name__}).") from None
    if len(entries) > MAX_ARCHIVE_ENTRIES:
        raise ValueError(f"{refusal}: it holds {len(entries):,} entries.")
    if any(
        e.compress_type != zipfile.ZIP_STORED or e.compress_size != e.file_size for e in entries
    ):
        raise ValueError(f"{refusal}: it is compressed, which torch.save never does.")
    if sum(entry.file_size for entry in entries) > len(data):
        raise ValueError(f"{refusal}: its entries claim more bytes than the file holds.")
    structure = [e for e in entries if e.filename.rpartition("/")[2] == "data.pkl"]
    if len(structure) != 1 or structure[0].file_size > max_structure:
        raise ValueError(f"{refusal}: its structure is missing, doubled or too large.")
    try:
        return torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as error:  # torch.load raises many kinds for a damaged file
        raise ValueError(f"{refusal} ({type(error).__name__}).") from None


def _is_text(value: object, text: str) -> bool:
    return isinstance(value, str) and value == text


class _Short(reprlib.Repr):
    """reprlib's bounded repr, with tensors described by their shape, never their values."""

    def __init__(self) -> None:
        super().__init__()
        self.maxlevel, self.maxstring, self.maxother = 2, 40, 40
        self.maxlist = self.maxtuple = self.maxdict = self.maxset = 4

    def repr_Tensor(self, value: torch.Tensor, level: int) -> str:  # noqa: N802 (reprlib's name)
        return f"a tensor of shape {tuple(value.shape)}"

    repr_Parameter = repr_Tensor  # noqa: N815


def describe(value: object) -> str:
    """A short description of a value read from a file, for a message: never its whole repr
    (which may be megabytes long or nested past the recursion limit)."""
    if isinstance(value, torch.Tensor):
        return f"a tensor of shape {tuple(value.shape)} ({str(value.dtype).removeprefix('torch.')})"
    try:
        return _Short().repr(value)
    except Exception:  # a value whose repr fails says only its type
        return f"a {type(value).__name__}"


def checkpoint_number(
    value: object, name: str, low: float, high: float, *, integer: bool = False
) -> int | float:
    """A number a file claims (a size, a rate), checked to be a plain int (or float, unless
    ``integer``) in [low, high]; ValueError with a sentence for anything else (a tensor where a
    number belongs, a bool, a string, a NaN)."""
    kinds = int | np.integer if integer else int | float | np.integer | np.floating
    if isinstance(value, bool) or not isinstance(value, kinds):
        kind = "a whole number" if integer else "a number"
        raise ValueError(f"The checkpoint's {name} should be {kind}, not {describe(value)}.")
    finite = isinstance(value, int | np.integer) or math.isfinite(value)  # ints may be huge
    if not (finite and low <= value <= high):
        raise ValueError(
            f"The checkpoint's {name} ({describe(value)}) must lie between {low:,g} and {high:,g}."
        )
    return int(value) if integer else float(value)


def checked_tensors(
    state: object, expected: Mapping[str, tuple[tuple[int, ...], bool]], where: str
) -> dict[str, torch.Tensor]:
    """The tensors of a state dict, checked against ``expected`` (name → (shape, floating))
    before any of them is used: exactly those names, each a plain CPU tensor of that shape,
    of floating-point numbers (integers where not ``floating``), whose storage really holds
    every number it claims (no view that turns a few bytes into gigabytes once copied), and
    finite. ValueError naming ``where`` and the tensor for anything else."""
    if not isinstance(state, Mapping):
        raise ValueError(f"The checkpoint's {where} should be a state dict, not {describe(state)}.")
    names = [name for name in state if isinstance(name, str)]
    if len(names) != len(state) or set(names) != set(expected):
        missing = sorted(set(expected) - set(names))[:3]
        unexpected = [describe(name) for name in state if name not in expected][:3]
        raise ValueError(
            f"The checkpoint's {where} does not hold this model's tensors "
            f"(missing {missing or 'none'}, unexpected {unexpected or 'none'})."
        )
    tensors = {}
    for name, (shape, floating) in expected.items():
        tensor = state[name]
        label = f"{where} {name}"
        if not isinstance(tensor, torch.Tensor):
            raise ValueError(
                f"The checkpoint's {label} should be a tensor, not {describe(tensor)}."
            )
        if (
            tensor.layout != torch.strided
            or tensor.is_quantized
            or tensor.is_nested
            or tensor.device.type != "cpu"
        ):
            raise ValueError(f"The checkpoint's {label} is not a plain tensor of numbers.")
        kinds = FLOATING_DTYPES if floating else INTEGER_DTYPES
        if tensor.dtype not in kinds:
            kind = "floating-point numbers" if floating else "whole numbers"
            raise ValueError(
                f"The checkpoint's {label} holds {tensor.dtype}; it should hold {kind}."
            )
        if tuple(tensor.shape) != tuple(shape):
            raise ValueError(
                f"The checkpoint is inconsistent: its {label} has shape {tuple(tensor.shape)}, "
                f"where this model needs {tuple(shape)}."
            )
        if tensor.untyped_storage().nbytes() < tensor.numel() * tensor.element_size():
            raise ValueError(f"The checkpoint's {label} claims more numbers than it stores.")
        if floating and not torch.isfinite(tensor).all():
            raise ValueError(f"The checkpoint's {label} holds NaN or inf.")
        tensors[name] = tensor
    return tensors


def plain_value(value: object, where: str, depth: int = 8) -> None:
    """Check that ``value`` (a checkpoint or part of one) is made of plain pieces only:
    tensors, numbers, strings, None, and lists, tuples and dicts of them, nested at most
    ``depth`` deep (what writing it again walks); ValueError naming ``where`` otherwise."""
    if isinstance(value, torch.Tensor | str | bytes | int | float | bool | type(None)):
        return
    if depth <= 0:
        raise ValueError(f"The {where} is nested too deep.")
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str | int):
                raise ValueError(f"The {where} has a key that is not a name: {describe(key)}.")
            plain_value(item, where, depth - 1)
    elif isinstance(value, list | tuple):
        for item in value:
            plain_value(item, where, depth - 1)
    else:
        raise ValueError(f"The {where} holds {describe(value)}, which a checkpoint never holds.")
