"""Input checks that raise clear errors naming the argument, what was given and what was expected."""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import Any

import torch


def _describe(x: Any) -> str:
    if isinstance(x, torch.Tensor):
        return f"a tensor of shape {tuple(x.shape)} and dtype {x.dtype}"
    return f"{type(x).__name__} {x!r}"


def all_finite(x: torch.Tensor) -> bool:
    """Whether every entry of ``x`` is finite, usually from one reduction: a NaN or infinite entry
    makes any sum of the entries non-finite, so a finite sum proves them all finite; only a
    non-finite sum (a bad entry, or a large finite sum overflowing) needs the entrywise test.
    (``isfinite(x).all()`` costs ~10x a sum on small CPU tensors.)"""
    if not (x.is_floating_point() or x.is_complex()):
        return True
    with torch.no_grad():
        return bool(torch.isfinite(x.sum())) or bool(torch.isfinite(x).all())


def check_tensor(
    name: str,
    x: Any,
    *,
    floating: bool = True,
    finite: bool = True,
    min_dim: int = 0,
) -> torch.Tensor:
    """Check that ``x`` is a tensor (floating point, finite, with at least ``min_dim`` dims)."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"`{name}` must be a torch.Tensor; got {_describe(x)}.")
    if floating and not (x.is_floating_point() or x.is_complex()):
        raise ValueError(
            f"`{name}` must have a floating-point dtype (float32/float64/...); got {x.dtype}."
        )
    if x.dim() < min_dim:
        raise ValueError(f"`{name}` must have at least {min_dim} dimension(s); got shape {tuple(x.shape)}.")
    if finite and not all_finite(x):
        bad = int((~torch.isfinite(x)).sum())
        raise ValueError(f"`{name}` must be finite; got {bad} NaN/inf entr{'y' if bad == 1 else 'ies'}.")
    return x


def check_positive(name: str, value: Any, *, allow_zero: bool = False) -> float:
    """A positive (or non-negative) finite real number."""
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValueError(f"`{name}` must be a finite real number; got {_describe(value)}.")
    if value < 0 or (value == 0 and not allow_zero):
        expected = "non-negative" if allow_zero else "positive"
        raise ValueError(f"`{name}` must be {expected}; got {value!r}.")
    return float(value)


def check_int(name: str, value: Any, *, minimum: int | None = 1) -> int:
    """An integer, at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"`{name}` must be an integer; got {_describe(value)}.")
    if minimum is not None and value < minimum:
        raise ValueError(f"`{name}` must be >= {minimum}; got {value!r}.")
    return int(value)


def check_in_range(name: str, value: Any, low: float, high: float, *, inclusive: bool = True) -> float:
    """A real number in [low, high] (or (low, high) when not inclusive)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValueError(f"`{name}` must be a finite real number; got {_describe(value)}.")
    inside = low <= value <= high if inclusive else low < value < high
    if not inside:
        brackets = f"[{low}, {high}]" if inclusive else f"({low}, {high})"
        raise ValueError(f"`{name}` must lie in {brackets}; got {value!r}.")
    return float(value)


def check_choice(name: str, value: Any, choices: Iterable[str]) -> str:
    """One of a set of string options (case-insensitive); returns it lower-cased."""
    choices = list(choices)
    if not isinstance(value, str) or value.lower() not in choices:
        raise ValueError(f"`{name}` must be one of {choices}; got {value!r}.")
    return value.lower()


def check_same_shape(name: str, got: torch.Tensor, expected_shape: tuple[int, ...], what: str = "") -> None:
    """Raise if ``got`` does not have ``expected_shape``."""
    if tuple(got.shape) != tuple(expected_shape):
        extra = f" ({what})" if what else ""
        raise ValueError(
            f"`{name}` returned/has shape {tuple(got.shape)}; expected {tuple(expected_shape)}{extra}."
        )


def check_callable(name: str, f: Any) -> None:
    if not callable(f):
        raise TypeError(f"`{name}` must be callable; got {_describe(f)}.")


def check_batch_ndim(name: str, x: torch.Tensor, batch_ndim: Any) -> int:
    """The project's batch convention for the state ``x`` (named ``name`` in errors): ``None``
    means 1 for tensors with >= 2 dims and 0 (an unbatched vector) otherwise; an explicit value
    must be an int in ``[0, x.dim()]``."""
    if batch_ndim is None:
        return 1 if x.dim() >= 2 else 0
    if isinstance(batch_ndim, bool) or not isinstance(batch_ndim, numbers.Integral):
        raise TypeError(f"`batch_ndim` must be an int or None; got {type(batch_ndim).__name__}.")
    if not 0 <= batch_ndim <= x.dim():
        raise ValueError(
            f"`batch_ndim` must lie in [0, {x.dim()}] for `{name}` of shape {tuple(x.shape)}; "
            f"got {batch_ndim}."
        )
    return int(batch_ndim)
