"""All extreme Nash equilibria of a bimatrix game by vertex enumeration.

With payoffs made positive (an affine rescaling that keeps best responses), the best-response
polytopes are ``P = {x >= 0 : B^T x <= 1}`` and ``Q = {y >= 0 : A y <= 1}``.  Label the
actions ``0..m-1`` (player 1) and ``m..m+n-1`` (player 2); ``x in P`` has label ``i`` when
``x_i = 0`` and label ``m + j`` when ``(B^T x)_j = 1``, and ``y in Q`` has label ``i`` when
``(A y)_i = 1`` and ``m + j`` when ``y_j = 0``.  A pair of nonzero vertices ``(x, y)`` whose
labels together cover all ``m + n`` is an (extreme) equilibrium after normalizing ``x`` and
``y`` (Mangasarian 1964; Avis, Rosenberg, Savani & von Stengel, Econ. Theory 42, 2010).

In a non-degenerate game every vertex has exactly ``m`` (resp. ``n``) labels and the
equilibria are found by a hash join on complementary label sets.  In a degenerate game the
equilibria form convex components; every pair of vertices that is completely labeled is
returned -- the extreme points of those components.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from attractor.games.polytope import LABEL_TOL, _keys, solve_unit_rhs, vertices
from attractor.games.tableau import positive_scaled


@dataclasses.dataclass
class BimatrixEquilibria:
    """Equilibria of a bimatrix game as float64 arrays: ``x`` (E, m), ``y`` (E, n)."""

    x: np.ndarray
    y: np.ndarray
    degenerate: bool = False

    def __len__(self) -> int:
        return len(self.x)

    def sorted(self) -> BimatrixEquilibria:
        """Distinct equilibria (to 1e-9) in a canonical order (lexicographic in ``(x, y)``)."""
        if not len(self.x):
            return self
        keys = np.round(np.concatenate([self.x, self.y], axis=1), 9)
        order = np.lexsort(keys.T[::-1])
        keys = keys[order]
        fresh = np.ones(len(keys), dtype=bool)
        fresh[1:] = (keys[1:] != keys[:-1]).any(1)
        keep = order[fresh]
        return BimatrixEquilibria(self.x[keep], self.y[keep], self.degenerate)


def vertex_enumeration(A: np.ndarray, B: np.ndarray, *, method: str = "auto") -> BimatrixEquilibria:
    """All extreme equilibria of the bimatrix game ``(A, B)`` (float64 arrays of shape (m, n)).

    ``Q`` is enumerated first.  When it is simple, each vertex ``y`` (tight rows ``I``, support
    ``J``, ``|I| = |J|``) has at most one partner: the ``x`` with support in ``I`` that makes
    ``J`` tight, one ``k x k`` solve.  Otherwise (or when such a system is singular) ``P`` is
    enumerated too and all completely labeled pairs are matched.  ``method`` chooses the
    polytope vertex enumeration ("auto", "pivoting", "bases").
    """
    Ap, Bpt = positive_scaled(A), positive_scaled(B).T
    Q = vertices(Ap, method)  # y in R^n: m inequality rows
    if not Q.degenerate:
        found = _partners(Q, Bpt)
        if found is not None:
            return found.sorted()
    P = vertices(Bpt, method)  # x in R^m: n inequality rows
    labels_p = np.concatenate([P.zero, P.tight], axis=1)
    labels_q = np.concatenate([Q.tight, Q.zero], axis=1)
    degenerate = P.degenerate or Q.degenerate
    if not degenerate:
        ip, iq = _complementary_pairs(labels_p, labels_q)
    else:
        # pairs with no label missing from both: (not L_p) . (not L_q) == 0
        missing = (~labels_p).astype(np.float64) @ (~labels_q).astype(np.float64).T
        ip, iq = np.nonzero(missing < 0.5)
    x = P.z[ip]
    y = Q.z[iq]
    return BimatrixEquilibria(x / x.sum(1, keepdims=True), y / y.sum(1, keepdims=True), degenerate).sorted()


def _partners(Q, Bpt: np.ndarray) -> BimatrixEquilibria | None:
    """The unique partner of each vertex of a simple ``Q``; ``None`` if a system is singular.

    All systems ``B^T[J, I] w = 1`` are padded to a common size ``K`` with an identity block
    (rows/columns ``n + s`` / ``m + s`` of an augmented matrix) and solved in one batch.
    """
    n, m = Bpt.shape
    K = min(m, n)
    if not len(Q):
        return BimatrixEquilibria(np.zeros((0, m)), np.zeros((0, n)))
    sizes = Q.tight.sum(1)
    slot = np.arange(K)
    pad = slot[None, :] >= sizes[:, None]
    # indices of the True entries first (in order), then padding sentinels
    I = np.where(pad, m + slot, np.argsort(~Q.tight, axis=1, kind="stable")[:, :K])
    J = np.where(pad, n + slot, np.argsort(Q.zero, axis=1, kind="stable")[:, :K])
    aug = np.zeros((n + K, m + K))
    aug[:n, :m] = Bpt
    aug[n:, m:] = np.eye(K)
    w, ok = solve_unit_rhs(aug[J[:, :, None], I[:, None, :]])
    if not ok.all():
        return None
    x = np.zeros((len(w), m + K))
    np.put_along_axis(x, I, w, axis=1)
    x = x[:, :m]
    slack = 1.0 - x @ Bpt.T
    feasible = (w >= -LABEL_TOL).all(1) & (slack >= -LABEL_TOL).all(1)
    x, slack = np.maximum(x[feasible], 0.0), slack[feasible]
    # a partner with more than m labels means P is not simple: the game is degenerate
    labels = (x <= LABEL_TOL).sum(1) + (np.abs(slack) <= LABEL_TOL).sum(1)
    y = Q.z[feasible]
    return BimatrixEquilibria(
        x / x.sum(1, keepdims=True), y / y.sum(1, keepdims=True), bool((labels > m).any())
    )


def _complementary_pairs(labels_p: np.ndarray, labels_q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs ``(i, j)`` whose label sets are complements (non-degenerate case)."""
    keys_p, keys_q = _keys(labels_p), _keys(~labels_q)
    if isinstance(keys_p, np.ndarray):
        _, ip, iq = np.intersect1d(keys_p, keys_q, assume_unique=True, return_indices=True)
        return ip, iq
    where = {key: i for i, key in enumerate(keys_p)}
    pairs = [(where[key], j) for j, key in enumerate(keys_q) if key in where]
    if not pairs:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    ip, iq = np.asarray(pairs).T
    return ip, iq
