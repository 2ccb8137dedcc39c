"""Euler--Heun: the Stratonovich counterpart of Euler--Maruyama."""

from __future__ import annotations

from attractor.sde.solvers.base import AbstractSDESolver


class EulerHeun(AbstractSDESolver):
    """Euler--Heun for Stratonovich SDEs (drift by Euler, diffusion by the trapezoidal rule).

    .. math:: \\hat y = y_n + g(t_n, y_n)\\,\\Delta W, \\qquad
              y_{n+1} = y_n + f(t_n, y_n)\\,h + \\tfrac12\\big(g(t_n, y_n) + g(t_n, \\hat y)\\big)\\Delta W

    Strong order 1/2 (1 for commutative noise); Gard, "Introduction to Stochastic
    Differential Equations", 1988. One drift and two diffusion evaluations per step.
    """

    name = "euler_heun"
    sde_types = ("stratonovich",)

    def order(self, terms) -> float:
        return 0.5 if terms.noise == "general" else 1.0

    def step(self, terms, t0, t1, h, y0, inc, state):
        g0 = terms.g(t0, y0)
        gdw0 = terms.prod(g0, inc.dW)
        gdw1 = terms.g_prod(t0, y0 + gdw0, inc.dW)
        return y0 + terms.f(t0, y0) * h + 0.5 * (gdw0 + gdw1), None
