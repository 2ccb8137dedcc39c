"""What the implicit steppers (ESDIRK, Rosenbrock) share: the per-solve workspace and the base class.

Both solve linear systems with the iteration matrix ``M = I - gamma h J`` (``J = df/dy``), one
``(D, D)`` block per sample (samples are independent), factorised once per step by batched LU
and reused for every stage and every Newton iteration. The workspace holds what one solve
needs: the integration tolerances (Newton iterations are stopped relative to them), the
Jacobian evaluator, a one-entry cache of the Jacobian at the current step's start (a rejected
step retried from the same point does not recompute it) and counters for the statistics
(Jacobians, LU factorisations, Newton iterations and failures).
"""

from __future__ import annotations

import math
from typing import Any

import torch

from attractor._core.status import Status
from attractor._core.validation import check_choice
from attractor.ode.jacobian import JacobianEvaluator
from attractor.ode.stepper import AbstractStepper

JACOBIAN_METHODS = ("autograd", "finite_difference")


class ImplicitWorkspace:
    """Scratch of one solve with an implicit stepper (see the module docstring)."""

    def __init__(self, field, y0: torch.Tensor, functional: bool, tolerances, jacobian: str) -> None:
        self.shape = field.shape
        self.batch_shape = field.batch_shape
        self.B = max(1, math.prod(self.batch_shape))
        self.D = y0.numel() // self.B
        self.functional = functional
        rtol, atol = tolerances if tolerances is not None else (1e-6, 1e-8)
        atol = torch.as_tensor(atol, dtype=y0.dtype, device=y0.device)
        self.rtol = float(rtol)
        self.atol = atol.reshape(self.B, self.D) if atol.numel() > 1 else atol
        self.jacobian = JacobianEvaluator(self.B, self.D, jacobian)
        self._cache: tuple[Any, ...] | None = None
        self.factorisations = 0
        self.newton_iterations = 0
        self.newton_failures = 0
        # fixed steps cannot be retried smaller: Newton runs to its iteration limit, and samples
        # whose stage solve still fails are remembered and reported (LINEAR_SOLVE_FAILED)
        self.fixed_steps = False
        self.failed_samples = None

    def scale(self, yb: torch.Tensor) -> torch.Tensor:
        """``atol + rtol |y|`` per entry, ``(B, D)``: the units of the Newton convergence test."""
        return torch.add(self.atol, yb.detach().abs(), alpha=self.rtol)

    def jacobian_at(self, field, t, y: torch.Tensor, f0: torch.Tensor | None = None) -> torch.Tensor:
        """Constant ``(B, D, D)`` Jacobian blocks at ``(t, y)``, computed once per point."""
        return self.linearize(field, t, y, f0)[0]

    def linearize(self, field, t, y: torch.Tensor, f0: torch.Tensor | None = None, *,
                  time_derivative: bool = False, create_graph: bool = False):
        """``(J, df/dt)`` at ``(t, y)`` (``df/dt`` flat, or ``None`` unless asked for), computed once
        per point: a rejected step retried from the same point reuses them. With ``create_graph``
        they stay differentiable; otherwise they are constants."""
        key = (time_derivative, create_graph)
        cached = self._cache
        # a differentiable linearisation belongs to its graph: reuse it only for the same tensor
        if (cached is not None and cached[0] == key and _same(cached[1], t)
                and (cached[2] is y or (not create_graph and torch.equal(cached[2].detach(), y.detach())))):
            return cached[3]
        J, ft = self.jacobian(field, t, y, f0, create_graph=create_graph, with_time=time_derivative)
        if time_derivative and ft is None:
            ft = self.jacobian.time_derivative(field, t, y, f0, create_graph=create_graph)
        if not create_graph:
            J, ft = J.detach(), (None if ft is None else ft.detach())
        self._cache = (key, t.detach().clone() if isinstance(t, torch.Tensor) else t, y, (J, ft))
        return J, ft

    def factor(self, J: torch.Tensor, gh) -> IterationMatrix:
        """``M = I - gh J`` (``gh`` a float or ``(B, 1)``), factorised for repeated solves."""
        self.factorisations += 1
        return IterationMatrix(J, gh)


class IterationMatrix:
    """Solves with ``M = I - gh J``, one ``(D, D)`` block per sample, factorised once.

    Small blocks (``D <= INVERSE_MAX``) are inverted once, so every later solve is one batched
    matrix product, several times cheaper than a triangular solve pair for tiny systems (and the
    inverse differentiates by matrix products only); larger ones keep LU factors. A singular
    block is not reported
    here (that would cost a synchronisation): its solves come out non-finite, which fails the
    Newton iteration or the step's error test.
    """

    INVERSE_MAX = 128

    def __init__(self, J: torch.Tensor, gh) -> None:
        D = J.shape[-1]
        gh = gh.reshape(-1, 1, 1) if isinstance(gh, torch.Tensor) else gh
        M = torch.eye(D, dtype=J.dtype, device=J.device) - gh * J
        self.matrix = M
        if D <= self.INVERSE_MAX:
            self.inverse, self.lu = torch.linalg.inv_ex(M)[0], None
        else:
            self.inverse, self.lu = None, torch.linalg.lu_factor_ex(M)[:2]

    def solve(self, rhs: torch.Tensor) -> torch.Tensor:
        """``M^{-1} rhs`` for ``rhs (B, D)``."""
        if self.inverse is not None:
            return torch.bmm(self.inverse, rhs.unsqueeze(-1)).squeeze(-1)
        return torch.linalg.lu_solve(self.lu[0], self.lu[1], rhs.unsqueeze(-1)).squeeze(-1)

    def solve_transposed(self, rhs: torch.Tensor) -> torch.Tensor:
        """``M^{-T} rhs`` for ``rhs (B, D)``."""
        if self.inverse is not None:
            return torch.bmm(rhs.unsqueeze(-2), self.inverse).squeeze(-2)
        return torch.linalg.lu_solve(self.lu[0], self.lu[1], rhs.unsqueeze(-1), adjoint=True).squeeze(-1)

    def transposed_product(self, w: torch.Tensor) -> torch.Tensor:
        """``M^T w`` for ``w (B, D)``."""
        return torch.bmm(w.unsqueeze(-2), self.matrix).squeeze(-2)


def safe_divide(num: torch.Tensor, h) -> torch.Tensor:
    """``num / h`` with ``h = 0`` (finished samples of a per-sample solve) giving 0, gradients too."""
    if isinstance(h, torch.Tensor):
        zero = h == 0
        return torch.where(zero, 0.0, num / torch.where(zero, 1.0, h))
    return num / h if h != 0 else torch.zeros_like(num)


def stage_times(field, t, h, nodes) -> list:
    """``t + c_i h`` for every node: 0-dim tensors (shared step) or per-sample tensors."""
    if isinstance(t, torch.Tensor):
        return [t if c == 0.0 else t + c * h for c in nodes]
    return list(field.times(t, h, [float(c) for c in nodes]))


class ImplicitStepper(AbstractStepper):
    """Base of the implicit steppers: the tableau, workspace, statistics and the ``jacobian=`` option.

    A family sets ``tableau`` (a class default, or per instance) and ``coefficients``, the class
    that turns a tableau into the tensors of one dtype and device (``work.coeffs``).
    """

    tableau: Any
    coefficients: Any

    def __init__(self, jacobian: str = "autograd", tableau: Any = None) -> None:
        self.jacobian = check_choice("jacobian", jacobian, JACOBIAN_METHODS)
        if tableau is not None:
            self.tableau = tableau
        self.order = self.tableau.order
        self.error_order = self.tableau.error_order

    def workspace(self, field, y0: torch.Tensor, functional: bool, tolerances=None) -> ImplicitWorkspace:
        work = ImplicitWorkspace(field, y0, functional, tolerances, self.jacobian)
        work.coeffs = self.coefficients(self.tableau, y0.dtype, y0.device)
        return work

    def statistics(self, work: ImplicitWorkspace) -> dict[str, int]:
        """Counters of one solve, merged into ``sol.stats``."""
        return {
            "jacobians": work.jacobian.evaluations,
            "factorisations": work.factorisations,
            "newton_iterations": work.newton_iterations,
            "newton_failures": work.newton_failures,
        }


def _same(a, b) -> bool:
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        return isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor) and a.shape == b.shape and bool(torch.equal(a, b.detach()))
    return a == b


def use_fixed_steps(work, fixed: bool) -> None:
    """Tell an implicit stepper's workspace that the loop takes fixed steps (no-op otherwise)."""
    if isinstance(work, ImplicitWorkspace):
        work.fixed_steps = fixed


def record_stage_failures(work: ImplicitWorkspace, failed) -> None:
    """Remember (fixed steps) which samples had a stage solve fail; ``failed (B,)`` host bools."""
    if work.fixed_steps and failed.any():
        work.failed_samples = failed.copy() if work.failed_samples is None else work.failed_samples | failed


def stage_failure_status(work, status: torch.Tensor) -> torch.Tensor:
    """``status (B,)`` with samples whose stage solve failed in a fixed step marked LINEAR_SOLVE_FAILED."""
    failed = getattr(work, "failed_samples", None)
    if failed is None:
        return status
    mask = torch.from_numpy(failed).to(status.device)
    return torch.where(mask & (status == int(Status.SUCCESS)), int(Status.LINEAR_SOLVE_FAILED), status)
