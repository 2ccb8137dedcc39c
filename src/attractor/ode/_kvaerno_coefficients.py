"""Coefficients of Kværnø's ESDIRK pairs (as data for :mod:`attractor.ode.esdirk`).

Source: A. Kværnø, "Singly diagonally implicit Runge--Kutta methods with an explicit first
stage", BIT Numerical Mathematics 44 (2004) 489--502. Both methods are stiffly accurate and
L-stable; the embedded solution is the second-to-last stage (node ``c = 1``; A-stable but not
L-stable), so the error estimate is the difference of the last two stage values.

- 3(2): four stages, every coefficient a closed form in ``gamma``, the root of
  ``6 g^3 - 18 g^2 + 9 g - 1`` in (0, 1) (``gamma = 0.4358665215...``, which makes the
  stability function vanish at infinity).
- 5(4): seven stages, ``gamma = 0.26``, coefficients as tabulated in the paper.
"""

from __future__ import annotations

import numpy as np


def _kvaerno3_gamma() -> float:
    roots = np.roots([6.0, -18.0, 9.0, -1.0])
    real = sorted(r.real for r in roots if abs(r.imag) < 1e-14 and 0.3 < r.real < 0.5)
    g = real[0]
    for _ in range(3):  # polish to full double precision with Newton on the cubic
        g -= (6 * g**3 - 18 * g**2 + 9 * g - 1) / (18 * g**2 - 36 * g + 9)
    return float(g)


def kvaerno3() -> dict:
    g = _kvaerno3_gamma()
    a31 = (-4 * g**2 + 6 * g - 1) / (4 * g)
    a32 = (-2 * g + 1) / (4 * g)
    a41 = (6 * g - 1) / (12 * g)
    a42 = -1 / ((24 * g - 12) * g)
    a43 = (-6 * g**2 + 6 * g - 1) / (6 * g - 3)
    return {
        "gamma": g,
        "a": ((), (g,), (a31, a32), (a41, a42, a43)),
        # embedded 2nd-order solution: stage 3 (node 1)
        "b_hat": (a31, a32, g, 0.0),
    }


_K5_GAMMA = 0.26
_K5_A = (
    (),
    (0.26,),
    (0.13, 0.84033320996790809),
    (0.22371961478320505, 0.47675532319799699, -0.06470895363112615),
    (0.16648564323248321, 0.10450018841591720, 0.03631482272098715, -0.13090704451073998),
    (0.13855640231268224, 0.0, -0.04245337201752043, 0.02446657898003141, 0.61943039072480676),
    (
        0.13659751177640291, 0.0, -0.05496908796538376, -0.04118626728321046,
        0.62993304899016403, 0.06962479448202728,
    ),
)


def kvaerno5() -> dict:
    return {
        "gamma": _K5_GAMMA,
        "a": _K5_A,
        # embedded 4th-order solution: stage 6 (node 1)
        "b_hat": _K5_A[5] + (_K5_GAMMA, 0.0),
    }
