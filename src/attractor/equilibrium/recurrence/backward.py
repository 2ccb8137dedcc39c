"""Gradients of a parallel recurrence's trajectory: the adjoint is one reverse affine scan."""

from __future__ import annotations

from typing import Any

import torch

from attractor._core.errors import refuse_second_order
from attractor.equilibrium.recurrence._problem import RecurrenceProblem, to_time_first
from attractor.linalg.scan import affine_scan


def attach_gradients(problem: RecurrenceProblem, z_star: torch.Tensor, stats: dict[str, Any]) -> torch.Tensor:
    r"""The flat trajectory ``z_star`` (no graph), re-attached to ``s_0``, the inputs and the
    parameters of ``f`` by the implicit function theorem.

    The trajectory solves :math:`S = F(S)`; a gradient :math:`g` arriving at it becomes
    :math:`\lambda = (I - \partial F/\partial S)^{-\top} g`, and
    :math:`I - \partial F/\partial S` is block lower-bidiagonal (identity blocks, and
    :math:`-J_t` below them), so :math:`\lambda` is the exact backward recurrence
    :math:`\lambda_t = g_t + J_{t+1}^\top \lambda_{t+1}` -- the gradient backpropagation
    through time would give, computed by one reverse scan instead of ``T`` sequential
    vector--Jacobian products. Autograd then carries :math:`\lambda^\top \partial F/\partial\theta`
    through one evaluation of ``f`` on the whole trajectory.
    """
    if not torch.is_grad_enabled():
        return z_star
    z = z_star.detach()
    with torch.enable_grad():
        fz = problem.apply_f(problem.previous(z, problem.s0)).reshape(z.shape)
    if not fz.requires_grad:
        return z_star
    fz.register_hook(_AdjointScan(problem, z, stats))
    return z_star + (fz - fz.detach())


class _AdjointScan:
    def __init__(self, problem: RecurrenceProblem, z: torch.Tensor, stats: dict) -> None:
        self.problem, self.z, self.stats = problem, z, stats

    def __call__(self, grad: torch.Tensor | None) -> torch.Tensor | None:
        if grad is None:
            return None
        refuse_second_order(
            "parallel_recurrence(backward='implicit')",
            "Use method='sequential' for higher-order derivatives (plain autograd through the loop).",
        )
        p = self.problem
        with torch.no_grad():
            jac = p.jacobians(p.previous(self.z, p.s0.detach()))  # (B, T, d, d): J_t at s_{t-1}
            # the transition of the reverse recurrence at t is J_{t+1}^T; nothing follows T
            trans = torch.cat([jac[:, 1:].mT, torch.zeros_like(jac[:, :1])], dim=1)
            g = grad.reshape(p.B, p.T, p.d)
            lam = affine_scan(to_time_first(trans), to_time_first(g), reverse=True)
        self.stats["backward"] = {"njvp": p.d, "method": "reverse affine scan"}
        return to_time_first(lam).reshape(grad.shape)
