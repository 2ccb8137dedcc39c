"""How gradients flow through an equilibrium: implicit, phantom, unrolled or not at all."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import torch

from attractor._core.errors import raise_if_failed, refuse_second_order
from attractor._core.status import is_ok
from attractor.equilibrium._base import FixedPointSolver
from attractor.equilibrium._problem import Problem
from attractor.equilibrium.adjoint import Linearization, solve_adjoint

BACKWARD_MODES = ("implicit", "phantom", "unroll", "none")


@dataclass
class BackwardOptions:
    mode: str
    method: str | FixedPointSolver  # adjoint solver (implicit)
    tol: float
    rtol: float
    max_steps: int
    phantom_steps: int
    phantom_damping: float
    on_failure: str


def attach_gradients(
    problem: Problem, z_star: torch.Tensor, options: BackwardOptions, stats: dict[str, Any]
) -> torch.Tensor:
    """The flat equilibrium ``z_star`` (no graph), re-attached to the inputs of ``f``.

    The returned tensor equals ``z_star`` exactly; only its gradient depends on the mode:

    * ``implicit`` (Bai et al. 2019; implicit function theorem): one evaluation
      :math:`T(z^\\ast)` with autograd, whose incoming gradient :math:`g` is replaced in a hook
      by the solution of the adjoint system :math:`u = g + J_T(z^\\ast)^\\top u`; autograd
      then carries :math:`u^\\top \\partial T / \\partial\\theta` to every parameter
      :math:`\\theta` of ``f``: explicit args, closed-over tensors, module parameters.
    * ``phantom`` (Geng et al. 2021): the gradient of ``k`` damped steps
      :math:`z \\leftarrow (1-\\lambda) z + \\lambda T(z)` from :math:`z^\\ast`.
    * ``none``: no gradient.

    (``unroll`` differentiates the solver loop itself and never reaches this function.)
    """
    if options.mode == "none" or not torch.is_grad_enabled():
        return z_star
    if options.mode == "phantom":
        z = z_star
        with torch.enable_grad():
            for _ in range(options.phantom_steps):
                z = torch.lerp(z, problem.map(z), options.phantom_damping)
        return z_star + (z - z.detach()) if z.requires_grad else z_star
    z = z_star.detach().requires_grad_()
    with torch.enable_grad():
        fz = problem.map(z)
    if not _depends_on_other_leaves(fz, z):
        return z_star
    fz.register_hook(_ImplicitHook(fz, z, options, stats, problem.kind))
    return z_star + (fz - fz.detach())


class _ImplicitHook:
    """Replaces the gradient ``g`` arriving at ``T(z*)`` by the adjoint solution ``u``."""

    def __init__(
        self, fz: torch.Tensor, z: torch.Tensor, options: BackwardOptions, stats: dict, kind: str
    ):
        self.lin = Linearization(fz, z)
        self.options, self.stats, self.kind = options, stats, kind
        self.busy = False

    def __call__(self, grad: torch.Tensor) -> torch.Tensor | None:
        if self.busy or grad is None:  # the adjoint solve's own VJPs pass through this tensor too
            return None
        refuse_second_order(
            f"{self.kind}(backward='implicit')",
            "Use backward='unroll' for exact higher-order derivatives (it differentiates the "
            "iterations; backward='phantom' gives only its usual approximation).",
        )
        self.busy = True
        try:
            o = self.options
            result = solve_adjoint(
                o.method, self.lin, grad, tol=o.tol, rtol=o.rtol, max_steps=o.max_steps
            )
        finally:
            self.busy = False
        self.stats["backward"] = {
            "status": result.status,
            "steps": result.steps,
            "residual": result.residual,
            "nvjp": self.lin.nvjp,
        }
        if not bool(is_ok(result.status).all()):
            what = f"{self.kind} implicit backward (adjoint solve, backward_solver={o.method!r})"
            if o.on_failure == "raise":
                raise_if_failed(
                    what,
                    result.status,
                    {
                        "residual": result.residual,
                        "steps": result.steps,
                        "backward_max_steps": o.max_steps,
                    },
                    hint="Raise `backward_max_steps`, loosen `backward_tol`, try backward_solver='gmres', "
                    "or use backward='phantom'.",
                )
            warnings.warn(
                f"{what} did not converge for some samples; gradients are approximate.",
                stacklevel=2,
            )
        return result.u


def _depends_on_other_leaves(out: torch.Tensor, z: torch.Tensor) -> bool:
    """Whether ``out``'s graph reaches a tensor requiring grad other than ``z``.

    When it does not (no parameter of ``f`` needs a gradient), the solution carries no graph.
    """
    stack, seen = [out.grad_fn], set()
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        variable = getattr(node, "variable", None)
        if variable is not None:  # an AccumulateGrad node: a leaf
            if variable is not z:
                return True
            continue
        stack.extend(fn for fn, _ in node.next_functions)
    return False
