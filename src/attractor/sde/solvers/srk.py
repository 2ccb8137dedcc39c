"""Stochastic Runge--Kutta of strong order 3/2 for additive noise (Rossler's SRA family)."""

from __future__ import annotations

from attractor.sde.solvers.base import AbstractSDESolver


class SRA1(AbstractSDESolver):
    """Rossler's SRA1: strong order 3/2 and weak order 2 for SDEs with additive noise.

    From A. Rossler, "Runge--Kutta methods for the strong approximation of solutions of
    stochastic differential equations", SIAM J. Numer. Anal. 48(3), 2010, Table 5.3 (SRA1),
    with two stages, :math:`c^{(0)} = (0, 3/4)`, :math:`c^{(1)} = (1, 0)`,
    :math:`A^{(0)}_{21} = 3/4`, :math:`B^{(0)}_{21} = 3/2`, :math:`\\alpha = (1/3, 2/3)`,
    :math:`\\beta^{(1)} = (1, 0)`, :math:`\\beta^{(2)} = (-1, 1)`:

    .. math::
        Y_2 &= y_n + \\tfrac34 f(t_n, y_n) h + \\tfrac32 g(t_n + h)\\, \\frac{I_{(1,0)}}{h} \\\\
        y_{n+1} &= y_n + \\big(\\tfrac13 f(t_n, y_n) + \\tfrac23 f(t_n + \\tfrac34 h, Y_2)\\big) h
                  + g(t_n + h)\\Big(\\Delta W - \\frac{I_{(1,0)}}{h}\\Big) + g(t_n) \\frac{I_{(1,0)}}{h}

    where :math:`I_{(1,0)} = \\int_{t_n}^{t_{n+1}} (W_u - W_{t_n}) du = h (H + \\Delta W/2)` comes from
    the space-time Levy area ``H`` of the Brownian motion (so the Brownian motion must carry
    ``levy_area="space-time"``; :func:`sdeint` arranges that). The diffusion may depend on
    time but not on the state. For additive noise Ito and Stratonovich coincide.
    """

    name = "srk"
    noise_types = ("additive",)
    strong_order = 1.5
    weak_order = 2.0
    levy_area = "space-time"

    def step(self, terms, t0, t1, h, y0, inc, state):
        dW = inc.dW
        i10_over_h = inc.H + 0.5 * dW
        f0 = terms.f(t0, y0)
        g0 = terms.g(t0, y0)
        g1 = terms.g(t1, y0)
        y2 = y0 + 0.75 * h * f0 + 1.5 * terms.prod(g1, i10_over_h)
        f2 = terms.f(t0 + 0.75 * h, y2)
        drift = (f0 + 2.0 * f2) * (h / 3.0)
        noise = terms.prod(g1, dW - i10_over_h) + terms.prod(g0, i10_over_h)
        return y0 + drift + noise, None
