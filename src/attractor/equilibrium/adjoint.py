"""Solving the adjoint linear system of the implicit backward pass."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from attractor._core import small_linalg
from attractor._core.lookup import resolve
from attractor._core.status import Status
from attractor.equilibrium._base import FixedPointSolver
from attractor.equilibrium._loop import iterate
from attractor.equilibrium._problem import Packer, Problem
from attractor.equilibrium.newton import Newton
from attractor.linalg import bicgstab, gmres
from attractor.linalg._batch import safe_divide

LINEAR_METHODS = ("gmres", "bicgstab", "dense")
ITERATIVE_METHODS = ("picard", "anderson", "broyden", "halpern")


class Linearization:
    """Vector-Jacobian products of ``T`` at the equilibrium: ``u -> J^T u`` on flat ``(B, n)``."""

    def __init__(self, fz: torch.Tensor, z: torch.Tensor) -> None:
        self.fz, self.z = fz, z
        self.nvjp = 0

    def vjp(self, u: torch.Tensor) -> torch.Tensor:
        self.nvjp += 1
        return torch.autograd.grad(self.fz, self.z, u, retain_graph=True)[0]

    def jacobian(self) -> torch.Tensor:
        """Per-sample ``(B, n, n)`` Jacobians, one row per batched VJP with a unit vector."""
        batch, n = self.z.shape
        eye = torch.eye(n, dtype=self.z.dtype, device=self.z.device)
        basis = eye.unsqueeze(1).expand(n, batch, n)
        self.nvjp += n
        try:
            rows = torch.autograd.grad(
                self.fz, self.z, basis, retain_graph=True, is_grads_batched=True
            )[0]
        except RuntimeError:  # an op without a batching rule: one VJP per row
            rows = torch.stack(
                [torch.autograd.grad(self.fz, self.z, e, retain_graph=True)[0] for e in basis]
            )
        return rows.transpose(0, 1)


@dataclass
class AdjointResult:
    u: torch.Tensor
    status: torch.Tensor
    steps: torch.Tensor
    residual: torch.Tensor


def resolve_adjoint_method(spec: Any, registry: dict[str, type]) -> str | FixedPointSolver:
    """A linear-solver name, or a fixed-point solver (name or object) for ``u = g + J^T u``."""
    if isinstance(spec, str) and spec.lower() in LINEAR_METHODS:
        return spec.lower()
    iterative = {k: v for k, v in registry.items() if k in ITERATIVE_METHODS}
    if isinstance(spec, str) and spec.lower() not in iterative:
        raise ValueError(
            f"`backward_solver` must be one of {sorted(LINEAR_METHODS + tuple(iterative))} or a "
            f"fixed-point solver object; got {spec!r}."
        )
    method = resolve("backward_solver", spec, iterative, FixedPointSolver)
    if isinstance(method, Newton):
        raise ValueError(  # noqa: TRY004 - a valid type, an unsupported choice
            "`backward_solver` cannot be Newton: the adjoint system is linear and only available "
            "through vector-Jacobian products; use 'gmres' (or 'dense' for small states)."
        )
    return method


def solve_adjoint(
    method: str | FixedPointSolver,
    lin: Linearization,
    g: torch.Tensor,
    *,
    tol: float,
    rtol: float,
    max_steps: int,
) -> AdjointResult:
    r"""Solve :math:`u = g + J^\top u`, i.e. :math:`(I - J^\top) u = g`, per sample.

    ``J`` is the Jacobian of ``T`` at the equilibrium. A sample is solved when
    ``||g + J^T u - u|| <= tol + rtol ||g||``.
    """
    gnorm = torch.linalg.vector_norm(g, dim=1)
    threshold = tol + rtol * gnorm
    if method == "dense":
        J = lin.jacobian()
        eye = torch.eye(J.shape[-1], dtype=J.dtype, device=J.device)
        u, info = small_linalg.solve_ex(eye - J.transpose(1, 2), g.unsqueeze(2))
        u = u.squeeze(2)
        residual = torch.linalg.vector_norm(g + lin.vjp(u) - u, dim=1)
        solved = (info == 0) & (residual <= threshold)
        status = torch.where(solved, int(Status.SUCCESS), int(Status.LINEAR_SOLVE_FAILED))
        return AdjointResult(u, status, torch.ones_like(status), residual)
    if method in ("gmres", "bicgstab"):
        solve = gmres if method == "gmres" else bicgstab
        relative = safe_divide(threshold, gnorm) + (gnorm == 0)
        sol = solve(lambda u: u - lin.vjp(u), g, g, tol=relative, max_iters=max_steps, batch_ndim=1)
        return AdjointResult(sol.x, sol.status, sol.iterations, sol.residual)
    packer = Packer(g, 1)
    problem = Problem(lambda u: g + lin.vjp(u), (), packer, "fixed_point", "adjoint")
    result = iterate(
        method, problem, g, tol=threshold, rtol=0.0, max_steps=max_steps, norm="l2", divergence=1e6
    )
    return AdjointResult(result.z, result.status, result.steps, result.residual)
