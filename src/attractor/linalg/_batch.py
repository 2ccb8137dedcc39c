"""Batch conventions shared by the linear and nonlinear solvers.

A state is a tensor whose first ``batch_ndim`` dimensions index independent samples. The
solvers work on the flattened view ``(B, n)``: ``B`` samples of ``n`` features each.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import torch

_DEFAULT_TOL = {
    torch.float64: 1e-10,
    torch.float32: 1e-5,
    torch.float16: 1e-3,
    torch.bfloat16: 1e-2,
}


def default_tol(dtype: torch.dtype) -> float:
    """The tolerance used when the caller gives none: about ``sqrt(eps)`` scaled to the dtype."""
    return _DEFAULT_TOL.get(dtype, 1e-5)


def check_tol(name: str, tol: Any, dtype: torch.dtype, *, allow_zero: bool = False) -> float:
    """``None`` -> the dtype's default; otherwise a finite positive real number."""
    if tol is None:
        return default_tol(dtype)
    if isinstance(tol, torch.Tensor) and tol.numel() == 1:
        tol = tol.item()
    if isinstance(tol, bool) or not isinstance(tol, numbers.Real):
        raise TypeError(
            f"`{name}` must be a real number or None; got {type(tol).__name__} {tol!r}."
        )
    if not math.isfinite(tol) or tol < 0 or (tol == 0 and not allow_zero):
        expected = "non-negative" if allow_zero else "positive"
        raise ValueError(f"`{name}` must be a finite {expected} number; got {tol!r}.")
    return float(tol)


def batch_size(shape: torch.Size | tuple[int, ...], batch_ndim: int) -> int:
    return math.prod(shape[:batch_ndim])


def safe_divide(num: torch.Tensor, den: torch.Tensor, tiny: float = 0.0) -> torch.Tensor:
    """``num / den`` with 0 where ``|den| <= tiny``: no NaN/inf, and no NaN gradients either."""
    small = den.abs() <= tiny
    return torch.where(
        small, torch.zeros_like(num), num / torch.where(small, torch.ones_like(den), den)
    )


def row_dot(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Per-row inner products of two ``(B, n)`` matrices."""
    return torch.linalg.vecdot(a, b)


def project(basis: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Inner products of each sample's vectors with its ``x``: ``(B, k, n), (B, n) -> (B, k)``.

    Written as the row-vector product ``x^T V^T`` (one ``bmm`` with M = 1), which CPU BLAS
    runs several times faster than the equivalent batched matrix-vector product ``V x``.
    """
    return torch.bmm(x.unsqueeze(1), basis.transpose(1, 2)).squeeze(1)


def combine(
    coefficients: torch.Tensor,
    basis: torch.Tensor,
    start: torch.Tensor | None = None,
    *,
    alpha: float = 1.0,
) -> torch.Tensor:
    """``start + alpha * sum_j c_j V_j`` per sample: ``(B, k), (B, k, n) -> (B, n)``."""
    if start is None:
        return torch.bmm(coefficients.unsqueeze(1), basis).squeeze(1) * alpha
    return torch.baddbmm(start.unsqueeze(1), coefficients.unsqueeze(1), basis, alpha=alpha).squeeze(
        1
    )
