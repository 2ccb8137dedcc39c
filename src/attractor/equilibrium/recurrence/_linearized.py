"""The common step of the parallel-in-time solvers: linearize, then one parallel scan."""

from __future__ import annotations

import abc
from typing import Any

import torch

from attractor.equilibrium._base import FixedPointSolver, Iterate
from attractor.equilibrium.recurrence._problem import RecurrenceProblem, to_time_first
from attractor.linalg.scan import DENSE, DIAGONAL, SCALAR, affine_scan, apply


class LinearizedSolver(FixedPointSolver):
    r"""Each step replaces :math:`f` around the current trajectory :math:`\bar s` by the linear
    recurrence

    .. math:: s_t = \tilde A_t\, s_{t-1} + f(\bar s_{t-1}, x_t) - \tilde A_t\, \bar s_{t-1}

    and solves it exactly by one parallel scan (:func:`attractor.linalg.affine_scan`). The
    choice of :math:`\tilde A_t` is the method (Gonzalez et al., "Predictability enables
    parallelization of nonlinear state space models", 2025): 0 (Jacobi), :math:`I` (Picard),
    the Jacobian (Newton, DEER) or its diagonal (quasi-Newton, quasi-DEER). Every choice makes
    :math:`s_1, \dots, s_k` exact after :math:`k` steps, so ``T`` steps always suffice; the
    better :math:`\tilde A_t` approximates the Jacobian, the fewer are needed.
    """

    @abc.abstractmethod
    def transitions(self, problem: RecurrenceProblem, prev: torch.Tensor) -> tuple[torch.Tensor, str]:
        """:math:`\\tilde A_t` for all ``t`` (``(B, T, ...)``) and its structure."""

    def step(self, problem: RecurrenceProblem, state: Any, it: Iterate, active: torch.Tensor) -> tuple[Iterate, Any]:
        prev = problem.previous(it.z)
        A, structure = self.transitions(problem, prev)
        offset = it.fz.reshape(prev.shape) - apply(A, prev, structure)
        z = next_trajectory(problem, A, offset, structure)
        return Iterate(z, *problem.eval(z)), state


def next_trajectory(problem: RecurrenceProblem, A: torch.Tensor, offset: torch.Tensor, structure: str) -> torch.Tensor:
    """The flat trajectory of ``s_t = A_t s_{t-1} + offset_t`` from the problem's ``s_0``."""
    states = affine_scan(to_time_first(A), to_time_first(offset), problem.s0.detach())
    return to_time_first(states).reshape(problem.B, -1)


class Picard(LinearizedSolver):
    r"""Picard iteration in time, :math:`\tilde A_t = I`:
    :math:`s_t^{k+1} = s_0 + \sum_{i \le t} \big(f(s^k_{i-1}, x_i) - s^k_{i-1}\big)`
    (a cumulative sum; the parallel Picard iteration of Shih et al., NeurIPS 2023, for a
    discretized flow, where :math:`f(s) - s` is one step's increment). Cheap per step; few steps
    when :math:`f` stays close to the identity (small time steps)."""

    name = "picard"

    def transitions(self, problem, prev):
        return prev.new_ones(prev.shape[:2]), SCALAR


class DEER(LinearizedSolver):
    r"""Newton's method on the whole trajectory (DEER; Lim et al., "Parallelizing non-linear
    sequential models over the sequence length", ICLR 2024), :math:`\tilde A_t = J_t =
    \partial f/\partial s\,(\bar s_{t-1}, x_t)`: quadratic convergence near the solution, at
    the cost of ``d`` Jacobian-vector products per step and a dense scan (work
    :math:`O(T d^3)`). Where products of Jacobians overflow (long chaotic trajectories) the
    step turns non-finite and the sample fails with that status."""

    name = "deer"

    def transitions(self, problem, prev):
        return problem.jacobians(prev), DENSE


class QuasiDEER(LinearizedSolver):
    r"""Quasi-Newton DEER (Gonzalez et al., NeurIPS 2024): the diagonal of the Jacobian,
    :math:`\tilde A_t = \operatorname{diag} J_t`; a diagonal scan of work :math:`O(T d)` and
    memory :math:`O(T d)`, linear convergence. Give ``parallel_recurrence`` an analytic
    ``jacobian`` to avoid the ``d`` Jacobian-vector products."""

    name = "quasi_deer"

    def transitions(self, problem, prev):
        return problem.jacobians(prev).diagonal(dim1=-2, dim2=-1), DIAGONAL


class Jacobi(FixedPointSolver):
    r"""Jacobi iteration, :math:`\tilde A_t = 0`: :math:`s^{k+1}_t = f(s^k_{t-1}, x_t)` for all
    ``t`` at once (the plain fixed-point iteration of the trajectory map). No scan at all;
    converges in ``T`` steps, faster when :math:`f` contracts."""

    name = "jacobi"

    def step(self, problem, state, it, active):
        return Iterate(it.fz, *problem.eval(it.fz)), state
