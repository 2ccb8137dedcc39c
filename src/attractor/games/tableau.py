"""Simplex tableaux for the best-response polytopes ``{z >= 0 : M z <= 1}`` (float64 numpy).

With slacks ``s = 1 - M z`` the constraints are ``[M | I] (z, s) = 1``, ``(z, s) >= 0``.  A basis
is a set of ``r`` basic variables (``r`` = number of rows); variables ``0..d-1`` are the
coordinates ``z`` and ``d..d+r-1`` the slacks.  The tableau stores ``B^{-1} [M | I | 1]``.

Degeneracy is resolved by the lexicographic rule: the right-hand side is perturbed to
``1 + (eps, eps^2, ...)`` in the slack coordinates, so each row compares the vector
``(rhs_i, (B^{-1})_{i,:})`` lexicographically (Dantzig, Orden & Wolfe 1955; von Stengel,
"Computing equilibria for two-person games", Handbook of Game Theory 3, 2002, sec. 3.5).
"""

from __future__ import annotations

import numpy as np

# a ratio counts as tied with the minimum when within this relative distance
TIE_RTOL = 1e-11
# pivot elements below this are treated as zero (entries of M lie in [1, 2])
PIVOT_TOL = 1e-12


def initial_tableau(M: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Tableau ``[M | I | 1]`` of the slack basis (the origin) and its basis ``d..d+r-1``."""
    r, d = M.shape
    T = np.concatenate([M, np.eye(r), np.ones((r, 1))], axis=1)
    return T, np.arange(d, d + r)


def lex_min_ratio_row(T: np.ndarray, e: int, d: int) -> int:
    """The leaving row when column ``e`` enters: the lexicographic minimum of
    ``(rhs_i, B^{-1}_{i,:}) / T[i, e]`` over rows with ``T[i, e] > 0``; ``-1`` if unbounded."""
    col = T[:, e]
    rows = np.flatnonzero(col > PIVOT_TOL)
    if rows.size == 0:
        return -1
    if rows.size == 1:
        return int(rows[0])
    # key 0 is the right-hand side, keys 1.. the columns of B^{-1} (the slack columns)
    keys = [T.shape[1] - 1, *range(d, T.shape[1] - 1)]
    for key in keys:
        ratios = T[rows, key] / col[rows]
        low = ratios.min()
        rows = rows[ratios <= low + TIE_RTOL * max(1.0, abs(low))]
        if rows.size == 1:
            break
    return int(rows[0])


def pivot(T: np.ndarray, row: int, e: int) -> None:
    """Gauss-Jordan pivot on ``T[row, e]`` in place."""
    T[row] /= T[row, e]
    factors = T[:, e].copy()
    factors[row] = 0.0
    T -= factors[:, None] * T[row][None, :]


def basic_solution(T: np.ndarray, basis: np.ndarray, d: int) -> np.ndarray:
    """The vertex ``z`` of the current basis (coordinates of the basic ``z``-variables)."""
    z = np.zeros(d)
    rhs = T[:, -1]
    mask = basis < d
    z[basis[mask]] = np.maximum(rhs[mask], 0.0)
    return z


def positive_scaled(A: np.ndarray) -> np.ndarray:
    """An affine image of ``A`` with entries in ``[1, 2]`` (same best responses, so the same
    equilibria) -- keeps the polytopes bounded and their tolerances scale free."""
    low, high = float(A.min()), float(A.max())
    if high - low <= 0:
        return np.ones_like(A)
    return (A - low) / (high - low) + 1.0
