"""The explicit Runge--Kutta tableaus, as data (see :mod:`attractor.ode.tableau`).

References
----------
- Hairer, Norsett & Wanner, *Solving Ordinary Differential Equations I*, 2nd ed., Springer 1993
  (Euler, midpoint, Heun, RK4: Sec. II.1; Dormand--Prince 5(4) and its dense output: Sec. II.5-6;
  DOP853: Sec. II.10).
- Ralston, "Runge-Kutta methods with minimum error bounds", Math. Comp. 16 (1962).
- Bogacki & Shampine, "A 3(2) pair of Runge-Kutta formulas", Appl. Math. Lett. 2 (1989).
- Dormand & Prince, "A family of embedded Runge-Kutta formulae", J. Comput. Appl. Math. 6 (1980).
- Tsitouras, "Runge-Kutta pairs of order 5(4) satisfying only the first column simplifying
  assumption", Comput. Math. Appl. 62 (2011), with its 4th-order interpolant.

The 2nd-order methods carry Euler as their embedded 1st-order estimate (a 2(1) pair).
"""

from __future__ import annotations

import numpy as np

from attractor.ode import _dopri8_coefficients as dp8
from attractor.ode.tableau import ButcherTableau, fsal

EULER = fsal("euler", c=[0], a=[], b=[1], order=1)

MIDPOINT = fsal(
    "midpoint", c=[0, 1 / 2], a=[[1 / 2]], b=[0, 1], order=2, b_hat=[1, 0], error_order=1
)

HEUN = fsal("heun", c=[0, 1], a=[[1]], b=[1 / 2, 1 / 2], order=2, b_hat=[1, 0], error_order=1)

RALSTON = fsal(
    "ralston", c=[0, 2 / 3], a=[[2 / 3]], b=[1 / 4, 3 / 4], order=2, b_hat=[1, 0], error_order=1
)

RK4 = fsal(
    "rk4",
    c=[0, 1 / 2, 1 / 2, 1],
    a=[[1 / 2], [0, 1 / 2], [0, 0, 1]],
    b=[1 / 6, 1 / 3, 1 / 3, 1 / 6],
    order=4,
)

BOSH3 = fsal(
    "bosh3",
    c=[0, 1 / 2, 3 / 4, 1],
    a=[[1 / 2], [0, 3 / 4], [2 / 9, 1 / 3, 4 / 9]],
    b=[2 / 9, 1 / 3, 4 / 9, 0],
    b_hat=[7 / 24, 1 / 4, 1 / 3, 1 / 8],
    order=3,
    error_order=2,
)


def _dopri5() -> ButcherTableau:
    b = [35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84, 0]
    # Hairer's dense output (DOPRI5's CONTD5): with dy = sum b K, bspl = K_0 - dy,
    # y(theta) = y0 + theta dy + theta(1-theta) bspl + theta^2(1-theta)(2 dy - K_0 - K_6)
    #            + theta^2 (1-theta)^2 sum_j d_j K_j.
    d = [
        -12715105075 / 11282082432,
        0,
        87487479700 / 32700410799,
        -10690763975 / 1880347072,
        701980252875 / 199316789632,
        -1453857185 / 822651844,
        69997945 / 29380423,
    ]
    b_arr, d_arr = np.array(b), np.array(d)
    first, last = np.eye(7)[0], np.eye(7)[6]
    p1 = np.array([1.0, 0, 0, 0])  # theta
    p2 = np.array([1.0, -1, 0, 0])  # theta - theta^2
    p3 = np.array([0.0, 1, -1, 0])  # theta^2 - theta^3
    p4 = np.array([0.0, 1, -2, 1])  # theta^2 - 2 theta^3 + theta^4
    dense = (
        np.outer(b_arr, p1)
        + np.outer(first - b_arr, p2)
        + np.outer(2 * b_arr - first - last, p3)
        + np.outer(d_arr, p4)
    )
    return fsal(
        "dopri5",
        c=[0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1, 1],
        a=[
            [1 / 5],
            [3 / 40, 9 / 40],
            [44 / 45, -56 / 15, 32 / 9],
            [19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729],
            [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656],
            [35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84],
        ],
        b=b,
        b_hat=[5179 / 57600, 0, 7571 / 16695, 393 / 640, -92097 / 339200, 187 / 2100, 1 / 40],
        order=5,
        error_order=4,
        dense=dense,
        dense_order=4,
    )


def _tsit5() -> ButcherTableau:
    b = [
        0.09646076681806522951816731316512876,
        0.01,
        0.47988965041449957477524953229059652,
        1.37900857410374189319227482185687277,
        -3.29006951543608067990104758571136385,
        2.32471052409977398241535591839876580,
        0.0,
    ]
    b_hat = [
        0.09468075576583945807478876255758923,
        0.00918356554034325309677636393664531,
        0.48777052842476157078556425996312282,
        1.23429756693047898565510967388423765,
        -2.70771234998352545488110997505932167,
        1.86662841817058703575371939956621150,
        1 / 66,
    ]
    dense = _tsit5_dense_rows()
    return fsal(
        "tsit5",
        c=[0, 0.161, 0.327, 0.9, 0.98002554090450968572981028628702460, 1, 1],
        a=[
            [0.161],
            [-0.00848065549235698854442687425023077, 0.33548065549235698854442687425023077],
            [2.89715305710549343213043259419293876, -6.35944848997507484314815991238382563,
             4.36229543286958141101772731819088686],
            [5.32586482843925660442887792084051132, -11.74888356406282787774717033978577296,
             7.49553934288983620830460478456435816, -0.09249506636175524925650207933207192],
            [5.86145544294642002865925148698264789, -12.92096931784710929170611868178335940,
             8.15936789857615864318040079453925349, -0.07158497328140099722453054252582974,
             -0.02826905039406838290900305721271224],
            b[:6],
        ],
        b=b,
        b_hat=b_hat,
        order=5,
        error_order=4,
        dense=dense,
        dense_order=4,
    )


def _tsit5_dense_rows() -> np.ndarray:
    """Tsitouras' interpolant weights b_i(theta), expanded from their factored form."""

    def poly(scale: float, roots: list[float], quadratic: tuple[float, float] | None, power: int):
        p = np.poly1d([scale])
        for r in roots:
            p = p * np.poly1d([1.0, -r])
        if quadratic is not None:
            p = p * np.poly1d([1.0, quadratic[0], quadratic[1]])
        p = p * np.poly1d([1.0] + [0.0] * power)
        coeffs = p.coeffs[::-1][1:]
        out = np.zeros(4)
        out[: len(coeffs)] = coeffs
        return out

    return np.stack(
        [
            poly(-1.0530884977290216, [1.3299890189751412], (-1.4364028541716351, 0.7139816917074209), 1),
            poly(0.1017, [], (-2.1966568338249754, 1.2949852507374631), 2),
            poly(2.490627285651252793, [], (-2.38535645472061657, 1.57803468208092486), 2),
            poly(-16.54810288924490272, [1.21712927295533244, 0.61620406037800089], None, 2),
            poly(47.37952196281928122, [1.203071208372362603, 0.658047292653547382], None, 2),
            poly(-34.87065786149660974, [1.2, 0.666666666666666667], None, 2),
            poly(2.5, [1.0, 0.6], None, 2),
        ]
    )


def _dopri8() -> ButcherTableau:
    s = 13  # 12 stages + f(t0 + h, y1)
    n_ext = 16
    b = np.zeros(n_ext)
    b[:12] = dp8.B
    first, last = np.eye(n_ext)[0], np.eye(n_ext)[12]
    # Hairer's CONTD8: F0 = dy, F1 = K_0 - dy, F2 = 2 dy - K_0 - K_12, F3..F6 = D K and
    # y(x) = y0 + x(F0 + (1-x)(F1 + x(F2 + (1-x)(F3 + x(F4 + (1-x)(F5 + x F6)))))).
    rows = [b, first - b, 2 * b - first - last, *np.asarray(dp8.D)]
    x, one_minus = np.poly1d([1.0, 0.0]), np.poly1d([-1.0, 1.0])
    dense = np.zeros((n_ext, 7))
    basis = x
    for k, row in enumerate(rows):
        coeffs = basis.coeffs[::-1][1:]
        dense += np.outer(row, np.pad(coeffs, (0, 7 - len(coeffs))))
        basis = basis * (one_minus if k % 2 == 0 else x)
    a = [list(row) for row in dp8.A[: s - 1]]
    return fsal(
        "dopri8",
        c=list(dp8.C[:s]),
        a=a,
        b=list(dp8.B) + [0.0],
        error=[dp8.E5, dp8.E3],
        order=8,
        error_order=7,
        dense=dense,
        dense_order=7,
        dense_c=tuple(dp8.C[s:]),
        dense_a=tuple(tuple(row) for row in dp8.A[s - 1 :]),
    )


DOPRI5 = _dopri5()
TSIT5 = _tsit5()
DOPRI8 = _dopri8()

TABLEAUS = {
    t.name: t for t in (EULER, MIDPOINT, HEUN, RALSTON, RK4, BOSH3, DOPRI5, TSIT5, DOPRI8)
}
