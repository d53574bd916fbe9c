"""A run's pace: the wait between two steps that gives the steps a second a page asks for.

A job that sets ``seconds_per_step`` has its run's worker wait that long between its steps
(core/training/runs.py), giving its slot to other runs meanwhile. Only the wait changes:
training's updates and random numbers stay the same, so a seed reproduces a slow run too.
"""

from __future__ import annotations

import math


def seconds_per_step(steps_per_second: float) -> float:
    """1 / rate, or 0 (no wait: as fast as the machine goes) for a rate of 0."""
    rate = float(steps_per_second)
    if not math.isfinite(rate) or rate < 0:
        raise ValueError(f"steps_per_second must be 0 or a positive number, got {rate!r}.")
    return 1.0 / rate if rate > 0 else 0.0
