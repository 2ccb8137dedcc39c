"""Stratonovich SDE solvers from the ODE package's Butcher tableaus.

With the noise over a step frozen, a Stratonovich SDE is the ODE
``dy/ds = f(s, y) + g(s, y) \\Delta W / h`` on ``[t_n, t_n + h]`` (Wong--Zakai), so an explicit
Runge--Kutta method applies stage by stage, each stage an increment

.. math:: K_i = f(t_n + c_i h, Y_i)\\,h + g(t_n + c_i h, Y_i)\\,\\Delta W, \\quad
          Y_i = y_n + \\textstyle\\sum_{j<i} a_{ij} K_j, \\qquad
          y_{n+1} = y_n + \\textstyle\\sum_i b_i K_i .

The coefficients are those of :mod:`attractor.ode.tableaus` (one definition for ODEs and SDEs);
the tableaus' appended FSAL stage is skipped, since the next step's noise differs. Methods with
``\\sum b_i c_i = 1/2`` (Heun, midpoint, Ralston, RK4) converge with strong order 1 for
commutative noise and 1/2 in general (Burrage & Burrage, "High strong order explicit
Runge--Kutta methods for stochastic ordinary differential equations", Appl. Numer. Math. 22,
1996). Because they only use increments, they also integrate the stochastic adjoint.
"""

from __future__ import annotations

from typing import ClassVar

import torch

from attractor.ode.tableau import ButcherTableau
from attractor.ode.tableaus import HEUN, MIDPOINT, RALSTON, RK4
from attractor.sde.solvers.base import AbstractSDESolver


class StochasticRungeKutta(AbstractSDESolver):
    """Explicit Runge--Kutta on the frozen-noise ODE of a Stratonovich SDE (see the module)."""

    sde_types = ("stratonovich",)
    increment_only = True
    tableau: ClassVar[ButcherTableau]

    def __init__(self, tableau: ButcherTableau | None = None):
        if tableau is not None:
            self.tableau = tableau
        # drop the appended FSAL stage f(t + h, y1): its b weight is 0
        s = self.tableau.stages - 1
        self._c = self.tableau.c[:s]
        self._a = self.tableau.a[:s]
        self._b = self.tableau.b[:s]
        if self.name == "":
            self.name = self.tableau.name

    def order(self, terms) -> float:
        return 0.5 if terms.noise == "general" else 1.0

    def step(self, terms, t0, t1, h, y0, inc, state):
        stages = []
        y1 = y0
        for c, row, b in zip(self._c, self._a, self._b):
            yi = y0
            for a, k in zip(row, stages):
                if a != 0.0:
                    yi = torch.add(yi, k, alpha=a)
            ti = t0 if c == 0.0 else (t1 if c == 1.0 else t0 + c * h)
            k = terms.increment(ti, yi, h, inc.dW)
            stages.append(k)
            if b != 0.0:
                y1 = torch.add(y1, k, alpha=b)
        return y1, None


class Heun(StochasticRungeKutta):
    """Stochastic Heun (trapezoidal predictor--corrector), Stratonovich:
    ``\\hat y = y_n + K_0``, ``y_{n+1} = y_n + (K_0 + K(t_{n+1}, \\hat y))/2`` (Rumelin, SIAM J. Numer.
    Anal. 19, 1982). Two drift and two diffusion evaluations per step."""

    name = "heun"
    tableau = HEUN


class Midpoint(StochasticRungeKutta):
    """Stochastic explicit midpoint rule, Stratonovich: ``y_{n+1} = y_n + K(t_n + h/2, y_n + K_0/2)``."""

    name = "midpoint"
    tableau = MIDPOINT


class Ralston(StochasticRungeKutta):
    """Ralston's 2-stage method on the frozen-noise ODE (Stratonovich)."""

    name = "ralston"
    tableau = RALSTON


class RK4(StochasticRungeKutta):
    """The classical 4-stage Runge--Kutta method on the frozen-noise ODE (Stratonovich); strong
    order 1 for commutative noise, like Heun, but with a smaller drift error."""

    name = "rk4"
    tableau = RK4
