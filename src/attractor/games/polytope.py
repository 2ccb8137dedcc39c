"""All vertices of a best-response polytope ``{z >= 0 : M z <= 1}`` (``M`` positive, float64).

Two enumerations, selected by size:

* :func:`vertices_by_pivoting` -- breadth-first search over the graph of lexicographically
  feasible bases.  The lexicographic rule perturbs the polytope into a simple one whose vertex
  graph is connected and ``d``-regular, so every vertex is reached and a degenerate vertex is
  found through (at least) one of its bases (the idea of reverse search without its memory
  saving: Avis & Fukuda, Discrete Comput. Geom. 8, 1992).  One frontier is pivoted at a time,
  all its bases and entering columns at once.
* :func:`vertices_by_bases` -- every square subsystem ``M[R, S] z_S = 1`` solved in one batch
  and the feasible solutions kept (``C(r+d, d)`` solves; the fastest way for small games).

Both return the nonzero vertices with their tight rows and zero coordinates ("labels").
"""

from __future__ import annotations

import functools
import itertools
import math

import numpy as np

from attractor.games.tableau import PIVOT_TOL, TIE_RTOL, initial_tableau, lex_min_ratio_row

# label tolerance on the scaled problem (entries of M in [1, 2], coordinates in [0, 1])
LABEL_TOL = 1e-9
# below this many bases, solving every square subsystem beats pivoting
BASES_LIMIT = 500


@functools.lru_cache(maxsize=256)
def combinations(n: int, k: int) -> np.ndarray:
    """All ``k``-subsets of ``range(n)`` as rows of an int array (lexicographic order)."""
    if k == 0:
        return np.zeros((1, 0), dtype=np.int64)
    return np.fromiter(itertools.chain.from_iterable(itertools.combinations(range(n), k)), np.int64).reshape(-1, k)


class Vertices:
    """Vertices ``z`` (k, d) of ``{z >= 0: M z <= 1}`` with ``tight`` (k, r) rows ``M z = 1``
    and ``zero`` (k, d) coordinates; ``degenerate`` when a vertex has more than ``d`` labels."""

    def __init__(self, M: np.ndarray, z: np.ndarray) -> None:
        z = z[z.max(axis=1) > LABEL_TOL] if len(z) else z.reshape(0, M.shape[1])
        tight = np.abs(1.0 - z @ M.T) <= LABEL_TOL
        zero = z <= LABEL_TOL
        d = M.shape[1]
        counts = tight.sum(1) + zero.sum(1)
        self.degenerate = bool((counts > d).any())
        if self.degenerate:
            # a degenerate vertex has several bases; a vertex is the only point of the
            # polytope with its label set, so dedupe on labels
            keys = _keys(np.concatenate([tight, zero], axis=1))
            if isinstance(keys, np.ndarray):
                _, first = np.unique(keys, return_index=True)
            else:
                first = np.asarray(sorted({key: k for k, key in reversed(list(enumerate(keys)))}.values()), dtype=np.int64)
            first.sort()
            z, tight, zero = z[first], tight[first], zero[first]
        self.z = np.where(zero, 0.0, z)
        self.tight = tight
        self.zero = zero

    def __len__(self) -> int:
        return len(self.z)


def vertices(M: np.ndarray, method: str = "auto") -> Vertices:
    """Vertices of ``{z >= 0: M z <= 1}``; ``method`` is "auto", "pivoting" or "bases"."""
    r, d = M.shape
    if method == "auto":
        method = "bases" if math.comb(r + d, d) <= BASES_LIMIT else "pivoting"
    if method == "bases":
        return vertices_by_bases(M)
    return vertices_by_pivoting(M)


@functools.lru_cache(maxsize=64)
def _basis_systems(r: int, d: int) -> tuple[np.ndarray, np.ndarray]:
    """Gather indices that lay out every square subsystem of an (r, d) matrix as a K x K system.

    Subsystem ``(R, S)`` with ``|R| = |S| = k <= K = min(r, d)`` is padded with an identity
    block (right-hand side 1 there too, harmless), so all ``C(r+d, d) - 1`` systems are solved
    in one batch.  Returns ``mat_idx`` (N, K, K) into ``[M.ravel(), 0, 1]`` and ``z_idx``
    (N, d): where each coordinate of ``z`` sits in the padded solution (``K`` = the zero slot).
    """
    K = min(r, d)
    zero, one = r * d, r * d + 1
    mats, slots = [], []
    for k in range(1, K + 1):
        R, S = combinations(r, k), combinations(d, k)
        n = len(R) * len(S)
        rows = np.repeat(R, len(S), axis=0)
        cols = np.tile(S, (len(R), 1))
        idx = np.full((n, K, K), zero, dtype=np.int64)
        idx[:, :k, :k] = rows[:, :, None] * d + cols[:, None, :]
        idx[:, np.arange(k, K), np.arange(k, K)] = one
        mats.append(idx)
        slot = np.full((n, d), K, dtype=np.int64)
        np.put_along_axis(slot, cols, np.arange(k)[None, :].repeat(n, 0), axis=1)
        slots.append(slot)
    return np.concatenate(mats), np.concatenate(slots)


def vertices_by_bases(M: np.ndarray) -> Vertices:
    """Solve every square subsystem ``M[R, S] z_S = 1`` in one batch and keep the feasible."""
    r, d = M.shape
    mat_idx, z_idx = _basis_systems(r, d)
    flat = np.concatenate([M.ravel(), [0.0, 1.0]])
    sol, ok = solve_unit_rhs(flat[mat_idx])
    sol = np.concatenate([sol, np.zeros((len(sol), 1))], axis=1)
    z = np.take_along_axis(sol[ok], z_idx[ok], axis=1)
    z = z[(z >= -LABEL_TOL).all(1) & (z @ M.T <= 1.0 + LABEL_TOL).all(1)]
    return Vertices(M, np.maximum(z, 0.0))


def solve_unit_rhs(mats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Solve ``mats[b] z = 1`` for a batch of square matrices; singular ones are flagged.

    Returns the solutions (b, k) and a mask of the systems solved.  LAPACK's solve is tried
    first (it is backward stable, so a nearly singular system still yields a point that nearly
    satisfies its equations, which the callers' feasibility checks judge); when a matrix is
    exactly singular, the systems whose |det| is below 1e-11 times Hadamard's bound (the
    product of the row norms) are masked out and the rest solved.
    """
    k = mats.shape[-1]
    rhs = np.ones((len(mats), k, 1))
    try:
        sol = np.linalg.solve(mats, rhs)[..., 0]
        return sol, np.isfinite(sol).all(1)
    except np.linalg.LinAlgError:
        hadamard = np.prod(np.linalg.norm(mats, axis=2), axis=1)
        ok = np.abs(np.linalg.det(mats)) > 1e-11 * hadamard
        safe = np.where(ok[:, None, None], mats, np.eye(k))
        return np.linalg.solve(safe, rhs)[..., 0], ok


def _keys(basic: np.ndarray) -> np.ndarray | list:
    """Hashable keys of basic-variable masks (int64 bit masks when they fit, else bytes)."""
    if basic.shape[1] <= 62:
        return basic.astype(np.int64) @ (np.int64(1) << np.arange(basic.shape[1], dtype=np.int64))
    return [row.tobytes() for row in np.packbits(basic, axis=1)]


def vertices_by_pivoting(M: np.ndarray, max_bases: int = 5_000_000) -> Vertices:
    """Breadth-first search over lexicographically feasible bases, one frontier per pivot."""
    r, d = M.shape
    nvar = d + r
    T0, basis0 = initial_tableau(M)
    T, basis = T0[None], basis0[None]
    basic0 = np.zeros((1, nvar), bool)
    basic0[0, basis0] = True
    frontier_keys = _keys(basic0)
    visited = set(np.asarray(frontier_keys).tolist()) if isinstance(frontier_keys, np.ndarray) else set(frontier_keys)
    points = [np.zeros((1, d))]
    total = 1
    while len(T):
        F = len(T)
        col = T[:, :, :nvar]
        rhs = T[:, :, -1]
        pos = col > PIVOT_TOL
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(pos, rhs[:, :, None] / np.where(pos, col, 1.0), np.inf)
        low = ratio.min(axis=1)  # (F, nvar)
        ties = (ratio <= low[:, None, :] + TIE_RTOL * np.maximum(1.0, np.abs(low[:, None, :]))).sum(1)
        basic = np.zeros((F, nvar), bool)
        np.put_along_axis(basic, basis, True, axis=1)
        f, e = np.nonzero(~basic & np.isfinite(low))
        rows = ratio[f, :, e].argmin(axis=1)
        for k in np.flatnonzero(ties[f, e] > 1):  # degenerate: break the tie lexicographically
            rows[k] = lex_min_ratio_row(T[f[k]], int(e[k]), d)
        leaving = basis[f, rows]
        new_basic = basic[f]
        new_basic[np.arange(len(f)), leaving] = False
        new_basic[np.arange(len(f)), e] = True
        keys = _keys(new_basic)
        keep = []
        key_list = keys.tolist() if isinstance(keys, np.ndarray) else keys
        for k, key in enumerate(key_list):
            if key not in visited:
                visited.add(key)
                keep.append(k)
        if not keep:
            break
        total += len(keep)
        if total > max_bases:
            raise RuntimeError(f"vertex enumeration visited more than {max_bases} bases; the game is too large.")
        keep = np.asarray(keep)
        f, e, rows = f[keep], e[keep], rows[keep]
        ar = np.arange(len(f))
        T = T[f].copy()
        prow = T[ar, rows] / T[ar, rows, e][:, None]
        factors = T[ar, :, e]
        factors[ar, rows] = 0.0
        T -= factors[:, :, None] * prow[:, None, :]
        T[ar, rows] = prow
        basis = basis[f].copy()
        basis[ar, rows] = e
        z = np.zeros((len(f), d))
        is_z = basis < d
        bi, bj = np.nonzero(is_z)
        z[bi, basis[bi, bj]] = np.maximum(T[bi, bj, -1], 0.0)
        points.append(z)
    return Vertices(M, np.concatenate(points))
