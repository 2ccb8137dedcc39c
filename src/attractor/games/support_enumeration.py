"""Support enumeration for bimatrix games with batched linear solves.

For supports ``I`` (player 1) and ``J`` (player 2) of equal size ``k``, an equilibrium with
these supports makes every action of ``I`` a best response to ``y`` and every action of ``J``
a best response to ``x``.  With payoffs scaled positive this reads

    A[I, J] u = 1,  u >= 0,  A[:, J] u <= 1      (y = u / sum(u))
    B[I, J]^T w = 1,  w >= 0,  B[I, :]^T w <= 1   (x = w / sum(w))

(Porter, Nudelman & Shoham, GEB 63, 2008; Nisan et al., *Algorithmic Game Theory*, ch. 3).
All ``C(m, k) C(n, k)`` systems of one size are solved in a single batch; the ``x`` systems
are only solved for the supports whose ``y`` system is feasible.

In a non-degenerate game every equilibrium has equal support sizes and a non-singular system,
so this finds all of them.  A singular system, or an equilibrium with more best responses than
its support size, shows that the game is degenerate; then the result is flagged, since
equilibria with unequal supports (and non-extreme ones) are not enumerated.
"""

from __future__ import annotations

import numpy as np

from attractor.games.polytope import LABEL_TOL, combinations, solve_unit_rhs
from attractor.games.tableau import positive_scaled
from attractor.games.vertex_enumeration import BimatrixEquilibria

# largest number of k x k systems gathered at once (bounds the memory of one batch)
CHUNK = 1 << 16


def support_enumeration(A: np.ndarray, B: np.ndarray) -> BimatrixEquilibria:
    """Equilibria of ``(A, B)`` (float64 (m, n) arrays) with equal-size supports."""
    m, n = A.shape
    Ap, Bpt = positive_scaled(A), positive_scaled(B).T
    xs, ys = [], []
    degenerate = False
    for k in range(1, min(m, n) + 1):
        rows, cols = combinations(m, k), combinations(n, k)
        pairs = np.stack(np.meshgrid(np.arange(len(rows)), np.arange(len(cols)), indexing="ij"), -1).reshape(-1, 2)
        for start in range(0, len(pairs), CHUNK):
            I, J = rows[pairs[start : start + CHUNK, 0]], cols[pairs[start : start + CHUNK, 1]]
            u, ok = solve_unit_rhs(Ap[I[:, :, None], J[:, None, :]])
            degenerate |= not bool(ok.all())
            y = np.zeros((len(I), n))
            np.put_along_axis(y, J, u, axis=1)
            ok &= (u >= -LABEL_TOL).all(1) & (y @ Ap.T <= 1 + LABEL_TOL).all(1)
            I, J, y = I[ok], J[ok], y[ok]
            if not len(I):
                continue
            w, ok = solve_unit_rhs(Bpt[J[:, :, None], I[:, None, :]])
            degenerate |= not bool(ok.all())
            x = np.zeros((len(I), m))
            np.put_along_axis(x, I, w, axis=1)
            ok &= (w >= -LABEL_TOL).all(1) & (x @ Bpt.T <= 1 + LABEL_TOL).all(1)
            x, y = np.maximum(x[ok], 0), np.maximum(y[ok], 0)
            # more best responses than the support size: a degenerate game
            n_best = (np.abs(1 - y @ Ap.T) <= LABEL_TOL).sum(1) + (np.abs(1 - x @ Bpt.T) <= LABEL_TOL).sum(1)
            degenerate |= bool((n_best > 2 * k).any())
            xs.append(x / x.sum(1, keepdims=True))
            ys.append(y / y.sum(1, keepdims=True))
    x = np.concatenate(xs) if xs else np.zeros((0, m))
    y = np.concatenate(ys) if ys else np.zeros((0, n))
    return BimatrixEquilibria(x, y, degenerate).sorted()
