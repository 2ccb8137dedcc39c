"""Two-player zero-sum (constant-sum) games by linear programming (SciPy's HiGHS).

Player 1's maximin strategy solves

    max_{x, v} v   s.t.   A^T x >= v 1,   1^T x = 1,   x >= 0,

and the multipliers of the ``n`` inequality constraints are player 2's minimax strategy
(von Neumann's minimax theorem is LP duality; Dantzig 1951).  One LP gives both strategies
and the value.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linprog


def zero_sum_lp(A: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """``(x, y, value)`` of the zero-sum game where player 1 receives ``A`` (float64, (m, n))."""
    m, n = A.shape
    scale = max(float(np.abs(A).max()), 1e-300)
    As = A / scale
    c = np.zeros(m + 1)
    c[-1] = -1.0
    A_ub = np.concatenate([-As.T, np.ones((n, 1))], axis=1)
    A_eq = np.concatenate([np.ones((1, m)), np.zeros((1, 1))], axis=1)
    bounds = [(0, None)] * m + [(None, None)]
    res = linprog(c, A_ub=A_ub, b_ub=np.zeros(n), A_eq=A_eq, b_eq=[1.0], bounds=bounds, method="highs")
    if res.status != 0:
        raise RuntimeError(f"zero-sum LP failed: {res.message}")
    x = np.maximum(res.x[:m], 0.0)
    y = np.maximum(-res.ineqlin.marginals, 0.0)
    return x / x.sum(), y / y.sum(), float(res.x[-1]) * scale
