"""The stochastic adjoint: gradients by solving the adjoint SDE backwards through the same noise.

For a Stratonovich SDE ``dy = f dt + g \\circ dW`` and a loss ``L(y_T)``, the adjoint
``a = \\partial L / \\partial y`` and the parameter gradient satisfy, backwards in time and
driven by the *same* Brownian path (Li, Wong, Chen & Duvenaud, "Scalable gradients for
stochastic differential equations", AISTATS 2020, Theorem 3.3):

.. math::
    dy = f\\,dt + g \\circ dW, \\quad
    da = -a^\\top \\partial_y f\\,dt - a^\\top \\partial_y (g \\circ dW), \\quad
    d a_\\theta = -a^\\top \\partial_\\theta f\\,dt - a^\\top \\partial_\\theta (g \\circ dW).

Written with the stage increment ``\\Phi(t, y) = f h + g \\Delta W`` the augmented increment is
``(\\Phi, -a^\\top \\partial_y \\Phi, -a^\\top \\partial_\\theta \\Phi)`` -- one vector-Jacobian
product per stage -- so any solver that only uses increments (:class:`Heun`,
:class:`Midpoint`) integrates it, stepping the forward grid in reverse (``h < 0`` and reversed
increments). The noise comes from the same Brownian motion; with a :class:`BrownianTree` the
forward increments are recomputed, not stored. Ito SDEs are converted first: the drift becomes
``f - \\tfrac12 \\sum_j L^j g_j`` (second derivatives of ``g`` enter the adjoint).
At every output time the reconstructed ``y`` is reset to the stored forward value.

The gradients approximate those of the exact solution (they converge as ``dt -> 0``); for
the exact gradient of the discretisation use ``adjoint="reversible"``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch

from attractor._core.errors import refuse_second_order
from attractor.sde.brownian.base import AbstractBrownian, BrownianIncrement
from attractor.sde.derivatives import stratonovich_correction
from attractor.sde.grid import StepGrid, step_noise
from attractor.sde.loop import integrate_fixed
from attractor.sde.solvers.base import AbstractSDESolver
from attractor.sde.terms import SDETerms


@dataclass
class AdjointProblem:
    terms: SDETerms
    solver: AbstractSDESolver
    adjoint_solver: AbstractSDESolver | None
    bm: AbstractBrownian
    grid: StepGrid
    params: list[torch.Tensor]
    stats: dict[str, Any] = field(default_factory=dict)
    ys: torch.Tensor | None = None  # the forward solution when already computed (adaptive)


class AdjointTerms:
    """The augmented increment of the adjoint SDE on the flat state ``(y, a, a_theta)``."""

    sde_type = "stratonovich"

    def __init__(self, terms: SDETerms, params: list[torch.Tensor]):
        self.terms = terms
        self.params = params
        self.y_shape = terms.y_shape
        self.n = int(torch.Size(self.y_shape).numel())

    def drift(self, t, y):
        f = self.terms.f(t, y)
        if self.terms.sde_type == "ito":
            f = f - stratonovich_correction(self.terms, t, y)
        return f

    def increment(self, t, state: torch.Tensor, h: float, dW: torch.Tensor) -> torch.Tensor:
        n = self.n
        y = state[:n].view(self.y_shape)
        a = state[n:2 * n].view(self.y_shape)
        with torch.enable_grad():
            y_in = y.detach().requires_grad_(True)
            phi = self.drift(t, y_in) * h + self.terms.g_prod(t, y_in, dW)
            grads = torch.autograd.grad(phi, [y_in, *self.params], a, allow_unused=True)
        parts = [phi.detach().reshape(-1)]
        for g, ref in zip(grads, [y_in, *self.params]):
            parts.append(torch.zeros(ref.numel(), dtype=state.dtype, device=state.device)
                         if g is None else -g.reshape(-1))
        return torch.cat(parts)

    def pack(self, y, a, param_grads) -> torch.Tensor:
        return torch.cat([y.reshape(-1), a.reshape(-1), *[p.reshape(-1) for p in param_grads]])

    def unpack(self, state):
        n = self.n
        out, offset = [], 2 * n
        for p in self.params:
            out.append(state[offset:offset + p.numel()].view_as(p))
            offset += p.numel()
        return state[:n].view(self.y_shape), state[n:2 * n].view(self.y_shape), out


class _Backsolve(torch.autograd.Function):
    @staticmethod
    def forward(ctx, problem: AdjointProblem, y0, *params):
        if problem.ys is not None:
            ys = problem.ys
        else:
            with torch.no_grad():
                ys = integrate_fixed(problem.terms, problem.solver, problem.bm, problem.grid, y0)
        ctx.problem = problem
        ctx.save_for_backward(ys)
        return ys

    @staticmethod
    def backward(ctx, grad_ys):
        refuse_second_order("sdeint(adjoint='backsolve')", "Use adjoint='direct' for exact second derivatives.")
        problem: AdjointProblem = ctx.problem
        (ys,) = ctx.saved_tensors
        grid, terms = problem.grid, problem.terms
        aug = AdjointTerms(terms, problem.params)
        before = terms.nfe
        zeros = [torch.zeros_like(p) for p in problem.params]
        state = aug.pack(ys[-1], grad_ys[-1], zeros)
        out_pos = len(grid.out_index) - 1
        with torch.no_grad():
            noise = step_noise(problem.bm, grid, reverse=True)
            for n, inc in zip(reversed(range(grid.n_steps)), noise):
                state, _ = problem.adjoint_solver.step(
                    aug, grid.tensors[n + 1], grid.tensors[n], -grid.h(n), state,
                    BrownianIncrement(-inc.dW), None)
                if n == grid.out_index[out_pos - 1]:
                    out_pos -= 1
                    _, a, pg = aug.unpack(state)
                    state = aug.pack(ys[out_pos], a + grad_ys[out_pos], pg)
        _, a0, param_grads = aug.unpack(state)
        problem.stats["nfe_backward"] = problem.stats.get("nfe_backward", 0) + terms.nfe - before
        return (None, a0, *param_grads)


def backsolve_adjoint(problem: AdjointProblem, y0: torch.Tensor) -> torch.Tensor:
    return _Backsolve.apply(problem, y0, *problem.params)
