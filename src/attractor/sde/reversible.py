"""Exact gradients of a reversible Heun solve, with O(1) memory in the number of steps.

The forward pass keeps only the outputs and the final solver state. The backward pass runs
:meth:`ReversibleHeun.reverse_step` to rebuild each earlier state from the later one (exact
up to round-off) and backpropagates through one step at a time (Kidger, Foster, Li & Lyons,
"Efficient and accurate gradients for neural SDEs", NeurIPS 2021, sec. 3 and App. D).

Per step, with adjoints ``(\\bar y, \\bar{\\hat y}, \\bar f, \\bar g)`` of the state
``(y_{n+1}, \\hat y_{n+1}, f_{n+1}, g_{n+1})`` and the vector fields evaluated at
``\\hat y_{n+1}`` (kept with their graph from the previous backward step):

.. math::
    b &= \\bar{\\hat y} + \\big[\\partial_{\\hat y} (f, g)\\big]^\\top
         \\big(\\bar f + \\tfrac h2 \\bar y,\\; \\bar g + \\tfrac12 \\bar y \\otimes \\Delta W\\big) \\\\
    \\bar y_n &= \\bar y + 2b, \\quad \\bar{\\hat y}_n = -b, \\quad
    \\bar f_n = \\tfrac h2 \\bar y + h b, \\quad
    \\bar g_n = (\\tfrac12 \\bar y + b) \\otimes \\Delta W

(the same vector-Jacobian product accumulates the parameter gradients). One drift and one
diffusion evaluation and one VJP per step.
"""

from __future__ import annotations

import torch

from attractor._core.errors import refuse_second_order
from attractor.sde.adjoint import AdjointProblem
from attractor.sde.grid import step_noise
from attractor.sde.loop import integrate_fixed
from attractor.sde.terms import SDETerms


def _vector_fields(terms: SDETerms, t, yhat):
    """``(leaf, f, g)`` at ``yhat`` with a graph for the next vector-Jacobian product."""
    with torch.enable_grad():
        leaf = yhat.detach().requires_grad_(True)
        return leaf, terms.f(t, leaf), terms.g(t, leaf)


def _cotangent_g(terms: SDETerms, a: torch.Tensor, dW: torch.Tensor, g_shape) -> torch.Tensor:
    """Gradient of ``<a, g dW>`` with respect to ``g``."""
    if terms.matrix:
        return a.unsqueeze(-1) * dW.unsqueeze(-2)
    cot = a * dW
    return cot if cot.shape == g_shape else cot.sum_to_size(g_shape)


def _vjp(leaf, f, g, params, cot_f, cot_g):
    with torch.enable_grad():
        grads = torch.autograd.grad([f, g], [leaf, *params], [cot_f, cot_g], allow_unused=True)
    return [torch.zeros_like(x) if gr is None else gr for gr, x in zip(grads, [leaf, *params])]


class _Reversible(torch.autograd.Function):
    @staticmethod
    def forward(ctx, problem: AdjointProblem, y0, *params):
        with torch.no_grad():
            ys, state = integrate_fixed(problem.terms, problem.solver, problem.bm, problem.grid,
                                        y0, return_state=True)
        ctx.problem = problem
        ctx.save_for_backward(ys, *state)
        return ys

    @staticmethod
    def backward(ctx, grad_ys):
        refuse_second_order("sdeint(adjoint='reversible')", "Use adjoint='direct' for exact second derivatives.")
        problem: AdjointProblem = ctx.problem
        ys, yhat, _, _ = ctx.saved_tensors
        grid, terms, solver, params = problem.grid, problem.terms, problem.solver, problem.params
        before = terms.nfe
        y = ys[-1]
        leaf, f, g = _vector_fields(terms, grid.tensors[-1], yhat)
        a_y, a_yhat = grad_ys[-1], torch.zeros_like(y)
        a_f, a_g = torch.zeros_like(f), torch.zeros_like(g)
        p_grads = [torch.zeros_like(p) for p in params]
        out_pos = len(grid.out_index) - 1
        for n, inc in zip(reversed(range(grid.n_steps)), step_noise(problem.bm, grid, reverse=True)):
            h, dW = grid.h(n), inc.dW
            cot_f = a_f + (0.5 * h) * a_y
            cot_g = a_g + _cotangent_g(terms, 0.5 * a_y, dW, g.shape)
            vjps = _vjp(leaf, f, g, params, cot_f, cot_g)
            b = a_yhat + vjps[0]
            p_grads = [pg + v for pg, v in zip(p_grads, vjps[1:])]
            # rebuild state n from state n+1, keeping the graph at yhat_n for the next step
            state1 = (yhat, f.detach(), g.detach())
            with torch.no_grad():
                yhat = solver.reverse_yhat(terms, h, y, inc, state1)
            leaf, f, g = _vector_fields(terms, grid.tensors[n], yhat)
            with torch.no_grad():
                y = solver.reverse_y(terms, h, y, inc, state1, f.detach(), g.detach())
            a_f = (0.5 * h) * a_y + h * b
            a_g = _cotangent_g(terms, 0.5 * a_y + b, dW, g.shape)
            a_y, a_yhat = a_y + 2.0 * b, -b
            if n == grid.out_index[out_pos - 1]:
                out_pos -= 1
                a_y = a_y + grad_ys[out_pos]
        # at t0: yhat_0 = y_0 and (f_0, g_0) = (f, g)(t0, y_0)
        vjps = _vjp(leaf, f, g, params, a_f, a_g)
        grad_y0 = a_y + a_yhat + vjps[0]
        p_grads = [pg + v for pg, v in zip(p_grads, vjps[1:])]
        problem.stats["nfe_backward"] = problem.stats.get("nfe_backward", 0) + terms.nfe - before
        return (None, grad_y0, *p_grads)


def reversible_adjoint(problem: AdjointProblem, y0: torch.Tensor) -> torch.Tensor:
    return _Reversible.apply(problem, y0, *problem.params)
