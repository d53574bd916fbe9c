"""Checks for the numbers a user hands the engine (a constructor argument, a setting, a slider's
value through the API): each returns the value as a plain int or float, or raises ValueError
naming the setting, what it must be and what it got. Shared by the RBM, the estimator and the
GAN config."""

from __future__ import annotations

import math

import numpy as np


def check_positive_int(name: str, value: object) -> int:
    """``value`` as an int ≥ 1 (bools are refused)."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}.")
    return int(value)


def check_non_negative_int(name: str, value: object) -> int:
    """``value`` as an int ≥ 0 (bools are refused)."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
        raise ValueError(f"{name} must be a whole number ≥ 0, got {value!r}.")
    return int(value)


def check_non_negative(name: str, value: object, upper: float | None = None) -> float:
    """``value`` as a finite float ≥ 0 (and below ``upper`` when given)."""
    try:
        if isinstance(value, str | bytes):  # "0.1" would pass float() but not the optimizers
            raise TypeError
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"{name} must be a number, got {value!r}.") from None
    if not math.isfinite(number) or number < 0 or (upper is not None and number >= upper):
        bound = f"in [0, {upper})" if upper is not None else "finite and ≥ 0"
        raise ValueError(f"{name} must be {bound}, got {value!r}.")
    return number


def check_positive(name: str, value: object) -> float:
    """``value`` as a finite float > 0 (a learning rate, say)."""
    number = check_non_negative(name, value)
    if number == 0:
        raise ValueError(f"{name} must be positive, got {value!r}.")
    return number
