"""Butcher tableaus as data: stages, weights, embedded error weights and dense-output polynomials.

An explicit Runge--Kutta method with ``s`` stages advances ``y0`` at ``t0`` by a step ``h``:

.. math::
    K_i = h\\, f\\big(t_0 + c_i h,\\; y_0 + \\textstyle\\sum_{j<i} a_{ij} K_j\\big), \\qquad
    y_1 = y_0 + \\textstyle\\sum_i b_i K_i .

The stages are stored already scaled by ``h`` (``K_i = h k_i``), so the stage sums, the error
estimate ``err = \\sum_i (b_i - \\hat b_i) K_i`` and the dense output
``y(t_0 + \\theta h) = y_0 + \\sum_i w_i(\\theta) K_i`` are all plain matrix products.

Every tableau here is put in *FSAL form*: its last stage is ``f(t_0 + h, y_1)`` (``c = 1``,
``a``-row equal to ``b``), which becomes the first stage of the next step. Methods that are not
FSAL by construction (Euler, RK4, DOP853, ...) get that stage appended; it costs no extra
evaluation over a run because the next step reuses it, and it supplies the end-point slope that
Hermite interpolation and event location need.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


def hermite_weights(b: np.ndarray) -> np.ndarray:
    """Cubic Hermite interpolation written as stage weights.

    With ``dy = sum_j b_j K_j``, ``h f(t0) = K_0`` and ``h f(t1) = K_last``,

    .. math::
        y(\\theta) = y_0 + (3\\theta^2 - 2\\theta^3)\\,dy + (\\theta - 2\\theta^2 + \\theta^3) K_0
                  + (\\theta^3 - \\theta^2) K_{last},

    which matches values and slopes at both ends (order 3).
    """
    s = len(b)
    weights = np.zeros((s, 3))
    weights += np.outer(b, [0.0, 3.0, -2.0])
    weights[0] += [1.0, -2.0, 1.0]
    weights[-1] += [0.0, -1.0, 1.0]
    return weights


@dataclass(frozen=True)
class ButcherTableau:
    """One explicit Runge--Kutta method in FSAL form (see the module docstring).

    Attributes
    ----------
    c, a, b:
        Nodes, strictly lower-triangular coefficients (``a[i]`` has ``i`` entries) and weights,
        over the ``s`` stages, the last of which is ``f(t0 + h, y1)``.
    error:
        Rows ``b - b_hat`` of embedded error estimators over the ``s`` stages (empty: none).
    order, error_order:
        Order of the propagated solution and of the embedded estimate (controls the exponent).
    dense:
        ``(s + extra, d)`` coefficients of the dense-output weights ``w_i(theta)`` in powers
        ``theta^1..theta^d``.
    dense_c, dense_a:
        Extra stages needed only for dense output (DOP853's 7th-order interpolant).
    dense_order:
        Order of the continuous extension.
    """

    name: str
    c: tuple[float, ...]
    a: tuple[tuple[float, ...], ...]
    b: tuple[float, ...]
    order: int
    error: tuple[tuple[float, ...], ...] = ()
    error_order: int | None = None
    dense: np.ndarray = field(default=None, repr=False)  # type: ignore[assignment]
    dense_order: int = 3
    dense_c: tuple[float, ...] = ()
    dense_a: tuple[tuple[float, ...], ...] = ()

    def __post_init__(self) -> None:
        s = len(self.c)
        if len(self.a) != s or any(len(row) != i for i, row in enumerate(self.a)):
            raise ValueError(f"{self.name}: `a` must be strictly lower triangular with {s} rows.")
        if len(self.b) != s or any(len(e) != s for e in self.error):
            raise ValueError(f"{self.name}: `b` and the error rows need {s} entries.")
        if not np.allclose(self.a[-1], self.b[:-1]) or self.c[-1] != 1.0 or self.b[-1] != 0.0:
            raise ValueError(f"{self.name}: the last stage must be f(t0 + h, y1) (FSAL form).")
        if self.dense is None:
            object.__setattr__(self, "dense", hermite_weights(np.asarray(self.b)))
        n_dense = s + len(self.dense_c)
        if self.dense.shape[0] != n_dense:
            raise ValueError(f"{self.name}: dense weights need {n_dense} rows.")
        # consistency: the stage sums reproduce the nodes, and w(1) = b.
        for i in range(1, s):
            if abs(sum(self.a[i]) - self.c[i]) > 1e-12:
                raise ValueError(f"{self.name}: row {i} of `a` does not sum to c[{i}].")
        w1 = self.dense.sum(axis=1)[:s]
        if not np.allclose(w1, self.b, atol=1e-12) or not np.allclose(self.dense.sum(axis=1)[s:], 0.0, atol=1e-12):
            raise ValueError(f"{self.name}: dense weights must equal b at theta = 1.")

    @property
    def stages(self) -> int:
        return len(self.c)

    @property
    def adaptive(self) -> bool:
        return bool(self.error)

    def dense_weights(self, theta: np.ndarray) -> np.ndarray:
        """``w_i(theta)`` for a 1-D array of ``theta``: shape ``(len(theta), s + extra)``."""
        powers = np.asarray(theta, dtype=np.float64)[:, None] ** np.arange(1, self.dense.shape[1] + 1)
        return powers @ self.dense.T


def fsal(
    name: str,
    c: list[float],
    a: list[list[float]],
    b: list[float],
    order: int,
    *,
    b_hat: list[float] | None = None,
    error: list[list[float]] | None = None,
    error_order: int | None = None,
    **dense,
) -> ButcherTableau:
    """Build a tableau from a method's own stages, appending ``f(t0 + h, y1)`` when needed.

    ``b_hat`` are the weights of an embedded method (over the method's own stages or over the
    stages including the appended one); ``error`` gives error-weight rows directly instead.
    """
    c, b = list(map(float, c)), list(map(float, b))
    rows = [tuple(map(float, row)) for row in a]
    already = len(c) >= 2 and c[-1] == 1.0 and b[-1] == 0.0 and np.allclose(rows[-1], b[:-1])
    if not already:
        rows.append(tuple(b))
        c.append(1.0)
        b.append(0.0)
    s = len(c)
    a_full = ((),) + tuple(tuple(r) for r in rows)
    errors: list[tuple[float, ...]] = []
    if b_hat is not None:
        hat = list(map(float, b_hat)) + [0.0] * (s - len(b_hat))
        errors.append(tuple(bi - hi for bi, hi in zip(b, hat)))
    for row in error or ():
        errors.append(tuple(map(float, row)) + (0.0,) * (s - len(row)))
    return ButcherTableau(
        name=name,
        c=tuple(c),
        a=a_full,
        b=tuple(b),
        order=order,
        error=tuple(errors),
        error_order=error_order,
        **dense,
    )
