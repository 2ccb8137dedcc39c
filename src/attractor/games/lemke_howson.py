"""The Lemke-Howson algorithm: one equilibrium per dropped label, by complementary pivoting.

Start at the artificial equilibrium ``(0, 0)`` of the best-response polytopes
``P = {x >= 0: B^T x <= 1}`` and ``Q = {y >= 0: A y <= 1}`` (payoffs scaled positive) and
drop label ``k``: the variable with label ``k`` enters.  The variable that leaves carries a
label that is now duplicate; its complement enters in the other polytope, and so on until the
missing label ``k`` leaves -- then ``(x, y)`` is completely labeled, an equilibrium
(Lemke & Howson, J. SIAM 12, 1964; von Stengel, Handbook of Game Theory 3, 2002, sec. 3).
The lexicographic ratio test makes every path well defined in degenerate games too.

In the tableau of ``P`` variable ``v`` (``x_0..x_{m-1}``, then the ``n`` slacks) carries label
``v``; in that of ``Q`` the variables ``y_0..y_{n-1}`` carry labels ``m..m+n-1`` and the ``m``
slacks labels ``0..m-1``.
"""

from __future__ import annotations

import numpy as np

from attractor.games.tableau import (
    basic_solution,
    initial_tableau,
    lex_min_ratio_row,
    pivot,
    positive_scaled,
)
from attractor.games.vertex_enumeration import BimatrixEquilibria


def lemke_howson(A: np.ndarray, B: np.ndarray, label: int = 0, *, max_pivots: int | None = None) -> tuple[np.ndarray, np.ndarray, int]:
    """The equilibrium at the end of the path that drops ``label`` (in ``0..m+n-1``).

    Returns ``(x, y, pivots)``.  Raises ``RuntimeError`` if the path exceeds ``max_pivots``
    (default: a generous bound that a correct path never reaches).
    """
    m, n = A.shape
    if not 0 <= label < m + n:
        raise ValueError(f"`label` must lie in [0, {m + n}) (m + n = {m + n} actions); got {label}.")
    tab = [initial_tableau(positive_scaled(B).T), initial_tableau(positive_scaled(A))]
    tableaux = [t[0] for t in tab]
    bases = [t[1] for t in tab]
    dims = (m, n)
    var_of = (lambda lab: lab, lambda lab: lab - m if lab >= m else lab + n)
    label_of = (lambda v: v, lambda v: m + v if v < n else v - n)
    side = 0 if label < m else 1
    entering = var_of[side](label)
    limit = max_pivots if max_pivots is not None else 50 * (m + n) ** 2 + 1000
    for pivots in range(1, limit + 1):
        T, basis = tableaux[side], bases[side]
        row = lex_min_ratio_row(T, entering, dims[side])
        if row < 0:  # cannot happen on bounded polytopes; guards against NaN payoffs
            raise RuntimeError("Lemke-Howson: unbounded ray (the payoffs are not finite?).")
        leaving = int(basis[row])
        pivot(T, row, entering)
        basis[row] = entering
        left_label = label_of[side](leaving)
        if left_label == label:
            x = basic_solution(tableaux[0], bases[0], m)
            y = basic_solution(tableaux[1], bases[1], n)
            return x / x.sum(), y / y.sum(), pivots
        side = 1 - side
        entering = var_of[side](left_label)
    raise RuntimeError(f"Lemke-Howson from label {label} did not finish within {limit} pivots.")


def lemke_howson_all(A: np.ndarray, B: np.ndarray, labels=None) -> BimatrixEquilibria:
    """The distinct equilibria reached from each label in ``labels`` (default: all ``m + n``)."""
    m, n = A.shape
    labels = range(m + n) if labels is None else labels
    xs, ys = [], []
    for k in labels:
        x, y, _ = lemke_howson(A, B, int(k))
        xs.append(x)
        ys.append(y)
    return BimatrixEquilibria(np.array(xs).reshape(-1, m), np.array(ys).reshape(-1, n)).sorted()
