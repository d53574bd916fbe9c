"""A lesson's claim: the words a step says the class will see, beside the runs that show it and
the predicate that checks it on the numbers the page shows (lessons/runs.py trains them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from lessons.runs import Run, Trace, trained


@dataclass(frozen=True)
class Measured:
    held: bool
    text: str  # what the runs showed, in the claim's own terms


@dataclass(frozen=True)
class Claim:
    """``said`` is printed in the lesson as is; ``check`` gets one Trace per run, by name, and
    says whether the words hold and what was measured."""

    said: str
    runs: tuple[tuple[str, Run], ...]
    check: Callable[..., Measured]

    @property
    def steps(self) -> int:
        """The steps of the lesson's own run (the first) that the claim needs."""
        return self.runs[0][1].steps

    def measure(self) -> Measured:
        traces: dict[str, Trace] = {name: trained(run) for name, run in self.runs}
        return self.check(**traces)


def claim(said: str, check: Callable[..., Measured], **runs: Run) -> Claim:
    return Claim(said, tuple(runs.items()), check)


def between(value: float, low: float, high: float) -> bool:
    return low <= value <= high
