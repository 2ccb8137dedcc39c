"""Reversible Heun: an algebraically reversible Stratonovich solver (exact adjoint gradients)."""

from __future__ import annotations

from attractor.sde.solvers.base import AbstractSDESolver


class ReversibleHeun(AbstractSDESolver):
    """Reversible Heun method (Kidger, Foster, Li & Lyons, "Efficient and accurate gradients
    for neural SDEs", NeurIPS 2021, Algorithm 1), Stratonovich.

    It carries a second sequence :math:`\\hat y_n` and the vector fields at it,
    :math:`(f_n, g_n) = (f, g)(t_n, \\hat y_n)`:

    .. math::
        \\hat y_{n+1} &= 2 y_n - \\hat y_n + f_n h + g_n \\Delta W_n \\\\
        y_{n+1} &= y_n + \\tfrac12 (f_n + f_{n+1}) h + \\tfrac12 (g_n + g_{n+1}) \\Delta W_n

    and the step inverts exactly (:meth:`reverse_step`):
    :math:`\\hat y_n = 2 y_{n+1} - \\hat y_{n+1} - f_{n+1} h - g_{n+1}\\Delta W_n`, then
    :math:`y_n` from the second line. One drift and one diffusion evaluation per step; strong
    order 1/2 (1 for additive noise). With ``adjoint="reversible"`` the backward pass
    reconstructs the forward trajectory to round-off instead of storing it, and returns the
    exact gradient of the discretised solve.
    """

    name = "reversible_heun"
    sde_types = ("stratonovich",)

    def order(self, terms) -> float:
        return 1.0 if terms.noise == "additive" else 0.5

    def init(self, terms, t0, y0):
        return (y0, terms.f(t0, y0), terms.g(t0, y0))

    def step(self, terms, t0, t1, h, y0, inc, state):
        yhat0, f0, g0 = state
        dW = inc.dW
        gdw0 = terms.prod(g0, dW)
        yhat1 = 2.0 * y0 - yhat0 + f0 * h + gdw0
        f1, g1 = terms.f(t1, yhat1), terms.g(t1, yhat1)
        y1 = y0 + 0.5 * ((f0 + f1) * h + gdw0 + terms.prod(g1, dW))
        return y1, (yhat1, f1, g1)

    def reverse_step(self, terms, t0, t1, h, y1, inc, state1):
        """Recover ``(y_n, state_n)`` from ``(y_{n+1}, state_{n+1})`` (``h = t1 - t0 > 0``)."""
        yhat0 = self.reverse_yhat(terms, h, y1, inc, state1)
        f0, g0 = terms.f(t0, yhat0), terms.g(t0, yhat0)
        return self.reverse_y(terms, h, y1, inc, state1, f0, g0), (yhat0, f0, g0)

    @staticmethod
    def reverse_yhat(terms, h, y1, inc, state1):
        """:math:`\\hat y_n = 2 y_{n+1} - \\hat y_{n+1} - f_{n+1} h - g_{n+1} \\Delta W_n`."""
        yhat1, f1, g1 = state1
        return 2.0 * y1 - yhat1 - f1 * h - terms.prod(g1, inc.dW)

    @staticmethod
    def reverse_y(terms, h, y1, inc, state1, f0, g0):
        """:math:`y_n` from :math:`y_{n+1}` once :math:`(f_n, g_n)` are known."""
        _, f1, g1 = state1
        return y1 - 0.5 * ((f0 + f1) * h + terms.prod(g0, inc.dW) + terms.prod(g1, inc.dW))
