"""What one session may ask of a server: the caps every run is checked against."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Caps:
    """What one session may ask for, so one visitor cannot starve the others."""

    max_steps: int = 200_000
    max_seconds: float = 15 * 60
    max_hidden_units: int = 1000
    max_batch_size: int = 1000
    max_epochs: int = 200

    def check(
        self,
        *,
        hidden_units: int | None = None,
        batch_size: int | None = None,
        epochs: int | None = None,
    ) -> None:
        """Raise ValueError naming the first request above its cap."""
        for name, value, cap in (
            ("hidden units", hidden_units, self.max_hidden_units),
            ("batch size", batch_size, self.max_batch_size),
            ("epochs", epochs, self.max_epochs),
        ):
            if value is not None and value > cap:
                raise ValueError(f"{value} {name} is above this server's limit of {cap}.")
