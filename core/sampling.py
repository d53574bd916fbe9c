"""Random numbers for Gibbs sampling: Bernoulli draws u < p with u ~ U[0, 1).

On the CPU the uniforms come from numpy's PCG64 streams, filled in parallel threads for large
arrays (numpy releases the GIL while filling); that is several times faster than
``torch.bernoulli``, which dominates the cost of an RBM update otherwise. On CUDA, torch's own
generator is used. The draws are reproducible for a given seed and sequence of shapes.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch

_STREAMS = 2
_PARALLEL_FROM = 1 << 17  # elements; below this one stream fills the whole array
_pool: ThreadPoolExecutor | None = None


def _forget_pool_after_fork() -> None:
    """A forked child inherits the pool object but not its threads: start a fresh one."""
    global _pool
    _pool = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool_after_fork)


def _thread_pool() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=_STREAMS, thread_name_prefix="uniform-fill")
    return _pool


class RandomSource:
    """A seeded source of uniforms and Bernoulli samples on one device."""

    def __init__(self, seed: int | None = None, device: str | torch.device = "cpu") -> None:
        self.device = torch.device(device)
        sequence = np.random.SeedSequence(seed)
        self.torch_generator = torch.Generator(device=self.device)
        self.torch_generator.manual_seed(int(sequence.generate_state(1, np.uint64)[0] >> 1))
        self._streams = [np.random.Generator(np.random.PCG64(s)) for s in sequence.spawn(_STREAMS)]

    def uniform(
        self,
        shape: torch.Size | tuple[int, ...],
        dtype: torch.dtype,
        out: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """A tensor of the given shape with entries drawn from U[0, 1); drawn straight into
        ``out`` (contiguous, of that shape and dtype) when given."""
        if out is not None and not (
            out.is_contiguous() and out.shape == shape and out.dtype == dtype
        ):
            raise ValueError("out must be a contiguous tensor of the draw's shape and dtype.")
        if self.device.type != "cpu" or dtype not in (torch.float32, torch.float64):
            return torch.rand(
                shape, generator=self.torch_generator, device=self.device, dtype=dtype, out=out
            )
        numpy_dtype = np.float32 if dtype == torch.float32 else np.float64
        array = np.empty(tuple(shape), dtype=numpy_dtype) if out is None else out.numpy()
        flat = array.reshape(-1)  # a view: the array is contiguous
        if flat.size < _PARALLEL_FROM:
            self._streams[0].random(out=flat, dtype=numpy_dtype)
        else:
            chunks = np.array_split(flat, _STREAMS)
            futures = [
                _thread_pool().submit(stream.random, out=chunk, dtype=numpy_dtype)
                for stream, chunk in zip(self._streams, chunks, strict=True)
            ]
            for future in futures:
                future.result()
        return torch.from_numpy(array) if out is None else out

    def bernoulli(
        self, probabilities: torch.Tensor, out: torch.Tensor | None = None
    ) -> torch.Tensor:
        """0/1 samples (same dtype) with the given probabilities, written into ``out`` if given
        (contiguous rows of a larger array, say: no copy into it afterwards; not the
        probabilities themselves, which the uniforms would overwrite)."""
        if out is not None and out.data_ptr() == probabilities.data_ptr():
            raise ValueError("out must not hold the probabilities it samples from.")
        uniform = self.uniform(probabilities.shape, probabilities.dtype, out)
        return uniform.lt_(probabilities)

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["torch_generator"] = self.torch_generator.get_state()
        state["device"] = str(self.device)
        return state

    def __setstate__(self, state: dict) -> None:
        generator_state = state.pop("torch_generator")
        self.__dict__.update(state)
        self.device = torch.device(state["device"])
        self.torch_generator = torch.Generator(device=self.device)
        self.torch_generator.set_state(generator_state)


def bernoulli(
    probabilities: torch.Tensor, source: RandomSource | torch.Generator | None = None
) -> torch.Tensor:
    """0/1 samples with the given probabilities, from ``source`` (or torch's default generator)."""
    if isinstance(source, RandomSource):
        return source.bernoulli(probabilities)
    uniform = torch.rand(
        probabilities.shape,
        generator=source,
        device=probabilities.device,
        dtype=probabilities.dtype,
    )
    return uniform.lt_(probabilities)
