"""Platen's explicit weak order 2 scheme (Ito)."""

from __future__ import annotations

import math

from attractor.sde.solvers.base import AbstractSDESolver


class PlatenWeak2(AbstractSDESolver):
    """Explicit order 2.0 weak scheme of Platen (Kloeden & Platen, "Numerical Solution of
    Stochastic Differential Equations", 1992, eq. (15.1.1); the multi-noise form (15.1.3)
    reduces to it componentwise for diagonal noise, and to a trapezoidal rule for additive
    noise). For Ito SDEs with diagonal, scalar or additive noise:

    .. math::
        \\bar Y = y + f h + g\\Delta W, \\qquad Y_\\pm = y + f h \\pm g\\sqrt h \\\\
        y_{n+1} = y + \\tfrac12\\big(f(t_{n+1}, \\bar Y) + f\\big) h
          + \\tfrac14\\big(g(t_{n+1}, Y_+) + g(t_{n+1}, Y_-) + 2g\\big)\\Delta W
          + \\tfrac14\\big(g(t_{n+1}, Y_+) - g(t_{n+1}, Y_-)\\big)\\frac{\\Delta W^2 - h}{\\sqrt h}

    (``f, g`` without arguments at ``(t_n, y_n)``). Weak order 2, strong order 1/2
    (1 for additive noise). Uses Gaussian increments, so it runs on the same Brownian paths
    as the other solvers.
    """

    name = "platen"
    sde_types = ("ito",)
    noise_types = ("diagonal", "scalar", "additive")
    strong_order = 0.5
    weak_order = 2.0

    def order(self, terms) -> float:
        return 1.0 if terms.noise == "additive" else 0.5

    def step(self, terms, t0, t1, h, y0, inc, state):
        dW = inc.dW
        f0 = terms.f(t0, y0)
        g0 = terms.g(t0, y0)
        base = y0 + f0 * h
        f_bar = terms.f(t1, base + terms.prod(g0, dW))
        drift = 0.5 * (f_bar + f0) * h
        if terms.noise == "additive":
            g1 = terms.g(t1, y0)
            return y0 + drift + 0.5 * terms.prod(g0 + g1, dW), None
        sqrt_h = math.sqrt(h)
        col = g0 if not terms.matrix else g0[..., 0]
        g_plus = terms.g(t1, base + col * sqrt_h)
        g_minus = terms.g(t1, base - col * sqrt_h)
        noise = 0.25 * terms.prod(g_plus + g_minus + 2.0 * g0, dW)
        noise = noise + (0.25 / sqrt_h) * terms.prod(g_plus - g_minus, dW * dW - h)
        return y0 + drift + noise, None
