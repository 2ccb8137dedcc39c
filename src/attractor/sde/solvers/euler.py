"""Euler--Maruyama: the explicit Ito scheme of strong order 1/2 and weak order 1."""

from __future__ import annotations

from attractor.sde.solvers.base import AbstractSDESolver


class Euler(AbstractSDESolver):
    """Euler--Maruyama for Ito SDEs.

    .. math:: y_{n+1} = y_n + f(t_n, y_n)\\,h + g(t_n, y_n)\\,\\Delta W_n

    Strong order 1/2 (1 for additive noise), weak order 1 (Kloeden & Platen, "Numerical
    Solution of Stochastic Differential Equations", 1992, sec. 9.1 and 10.2). Converges to the
    Ito solution, so it is rejected for Stratonovich SDEs.
    """

    name = "euler"
    sde_types = ("ito",)
    strong_order = 0.5
    weak_order = 1.0

    def order(self, terms) -> float:
        return 1.0 if terms.noise == "additive" else 0.5

    def step(self, terms, t0, t1, h, y0, inc, state):
        return y0 + terms.increment(t0, y0, h, inc.dW), None
