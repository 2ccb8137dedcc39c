"""argparse types for numeric options, so a bad value is reported against the option's name
(``argument --steps: must be a positive integer; got '-1'``) before any work starts."""

from __future__ import annotations

import argparse
import math


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive integer; got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer; got {text!r}")
    return value


def _float(text: str, minimum: float, inclusive: bool, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be {what}; got {text!r}") from None
    if not math.isfinite(value) or value < minimum or (value == minimum and not inclusive):
        raise argparse.ArgumentTypeError(f"must be {what}; got {text!r}")
    return value


def positive_float(text: str) -> float:
    return _float(text, 0.0, False, "a positive number")


def nonnegative_float(text: str) -> float:
    return _float(text, 0.0, True, "a non-negative number")
