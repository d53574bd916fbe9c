"""A run's records, bounded: a long run keeps its whole shape at a coarser resolution."""

from __future__ import annotations


class History:
    """A run's records from its first step on, at most ``limit`` of them.

    When full, every second per-step record is dropped and from then on only every
    ``stride``-th step is kept, so a long run keeps its whole shape at a coarser resolution.
    Records with keys beyond ``step_keys`` (evaluations) are always kept.
    """

    def __init__(self, limit: int) -> None:
        if limit < 2:
            raise ValueError("a history needs room for at least two records.")
        self.limit = limit
        self.stride = 1
        self.records: list[dict[str, float]] = []

    def append(self, record: dict[str, float], evaluation: bool = False) -> None:
        if not evaluation and int(record["step"]) % self.stride:
            return
        self.records.append(record)
        if len(self.records) > self.limit:
            self.stride *= 2
            kept = [
                r for r in self.records if r.get("evaluation") or int(r["step"]) % self.stride == 0
            ]
            if len(kept) > self.limit:  # evaluations alone fill it: thin those too
                kept = kept[len(kept) - self.limit :]
            self.records = kept

    def __len__(self) -> int:
        return len(self.records)
