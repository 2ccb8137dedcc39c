"""Newton's method: dense Jacobians for small states, Newton--Krylov for large ones."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from attractor._core import small_linalg
from attractor._core.status import Status
from attractor._core.validation import check_choice, check_in_range, check_int
from attractor.equilibrium._base import FixedPointSolver, Iterate
from attractor.equilibrium._problem import Problem
from attractor.linalg import gmres, materialize


@dataclass
class NewtonState:
    declared: torch.Tensor  # per-sample failure codes of the last step (0: fine)
    linear_iterations: int = 0


class Newton(FixedPointSolver):
    r"""Newton's method on :math:`r(z) = 0` with a backtracking line search.

    .. math:: J_r(z_k)\, d_k = -r(z_k), \qquad z_{k+1} = z_k + \alpha_k d_k .

    * ``linear_solver="dense"``: each sample's Jacobian is built from ``n`` forward-mode
      Jacobian-vector products in one vectorised call (``torch.func.jvp`` under
      ``torch.func.vmap``) and the step solved by LU. Quadratic convergence near a regular root.
    * ``linear_solver="gmres"``: Newton--Krylov (Kelley 2003, ch. 3): the step is found by
      GMRES from Jacobian-vector products only, to the relative accuracy
      :math:`\eta_k = \min(\eta_{\max}, \|r(z_k)\|)` (an inexact Newton forcing term that keeps
      local quadratic convergence; Eisenstat & Walker 1996). Nothing of size ``n^2`` is formed.
    * ``"auto"``: dense when the state has at most ``dense_max`` features per sample.

    The line search (Armijo backtracking on :math:`\tfrac12\|r\|^2`, per sample) halves
    :math:`\alpha_k` from 1 until
    :math:`\|r(z_k + \alpha d_k)\| \le \sqrt{1 - 2 c \alpha}\, \|r(z_k)\|`, at most
    ``max_backtracks`` times, after which the smallest step is taken. Each trial costs one
    batched evaluation. A singular Jacobian (dense) or a failed Krylov solve stops the sample
    with status ``LINEAR_SOLVE_FAILED``.

    Parameters
    ----------
    linear_solver:
        ``"auto"``, ``"dense"`` or ``"gmres"``.
    line_search:
        Backtracking on (default) or off (full Newton steps).
    dense_max:
        Largest per-sample state size solved densely by ``"auto"``.
    forcing:
        :math:`\eta_{\max}` for Newton--Krylov.
    restart, krylov_max_iters:
        GMRES restart length and iteration cap per Newton step (default ``min(n, 200)``).
    max_backtracks, armijo:
        Line search limits and sufficient-decrease constant :math:`c`.
    """

    name = "newton"

    def __init__(
        self,
        linear_solver: str = "auto",
        line_search: bool = True,
        dense_max: int = 64,
        forcing: float = 0.1,
        restart: int = 20,
        krylov_max_iters: int | None = None,
        max_backtracks: int = 10,
        armijo: float = 1e-4,
    ) -> None:
        self.linear_solver = check_choice(
            "linear_solver", linear_solver, ("auto", "dense", "gmres")
        )
        if not isinstance(line_search, bool):
            raise TypeError(f"`line_search` must be a bool; got {type(line_search).__name__}.")
        self.line_search = line_search
        self.dense_max = check_int("dense_max", dense_max, minimum=1)
        self.forcing = check_in_range("forcing", forcing, 0.0, 1.0, inclusive=False)
        self.restart = check_int("restart", restart, minimum=1)
        self.krylov_max_iters = (
            None if krylov_max_iters is None else check_int("krylov_max_iters", krylov_max_iters)
        )
        self.max_backtracks = check_int("max_backtracks", max_backtracks, minimum=0)
        self.armijo = check_in_range("armijo", armijo, 0.0, 0.5, inclusive=False)

    def init(self, problem: Problem, it: Iterate) -> NewtonState:
        return NewtonState(torch.zeros(it.z.shape[0], dtype=torch.long, device=it.z.device))

    def step(
        self, problem: Problem, state: NewtonState, it: Iterate, active: torch.Tensor
    ) -> tuple[Iterate, Any]:
        n = it.z.shape[1]
        dense = self.linear_solver == "dense" or (
            self.linear_solver == "auto" and n <= self.dense_max
        )
        direction, failed = (
            self._dense_direction(problem, it)
            if dense
            else self._krylov_direction(problem, it, state)
        )
        state.declared = torch.where(failed, int(Status.LINEAR_SOLVE_FAILED), 0)
        if not self.line_search:
            z = it.z + direction
            return Iterate(z, *problem.eval(z)), state
        return self._backtrack(problem, it, direction, active & ~failed), state

    def terminate(self, state: NewtonState) -> torch.Tensor:
        return state.declared

    def _dense_direction(self, problem: Problem, it: Iterate) -> tuple[torch.Tensor, torch.Tensor]:
        batch, n = it.z.shape
        jacobian = materialize(lambda v: problem.jvp(it.z, v, count=0), batch, n, it.z)
        problem.njvp += n
        direction, info = small_linalg.solve_ex(jacobian, -it.r.unsqueeze(2))
        direction = direction.squeeze(2)
        failed = (info != 0) | ~torch.isfinite(direction).all(dim=1)
        return torch.where(failed[:, None], torch.zeros_like(direction), direction), failed

    def _krylov_direction(
        self, problem: Problem, it: Iterate, state: NewtonState
    ) -> tuple[torch.Tensor, torch.Tensor]:
        n = it.z.shape[1]
        res = torch.linalg.vector_norm(it.r, dim=1)
        eta = torch.clamp(torch.clamp(res, max=self.forcing), min=torch.finfo(res.dtype).eps)
        sol = gmres(
            lambda v: problem.jvp(it.z, v),
            -it.r,
            tol=eta,
            restart=self.restart,
            max_iters=self.krylov_max_iters or min(n, 200),
            batch_ndim=1,
        )
        state.linear_iterations += int(sol.iterations.max())
        failed = (sol.status == int(Status.NONFINITE)) | (sol.status == int(Status.BREAKDOWN))
        return torch.where(failed[:, None], torch.zeros_like(sol.x), sol.x), failed

    def _backtrack(
        self, problem: Problem, it: Iterate, direction: torch.Tensor, active: torch.Tensor
    ) -> Iterate:
        """Armijo backtracking, per sample; only the samples still searching are re-evaluated."""
        res0 = torch.linalg.vector_norm(it.r, dim=1)
        alpha = torch.ones_like(res0)
        z = it.z + direction
        trial = Iterate(z, *problem.eval(z))
        for _ in range(self.max_backtracks):
            res = torch.linalg.vector_norm(trial.r, dim=1)
            enough = res <= torch.sqrt(1 - 2 * self.armijo * alpha) * res0  # False for NaN
            searching = active & ~enough
            if not bool(searching.any()):
                break
            alpha = torch.where(searching, alpha / 2, alpha)
            z = torch.where(searching[:, None], it.z + alpha[:, None] * direction, trial.z)
            fz, r = problem.eval(z)
            keep = searching[:, None]
            trial = Iterate(z, torch.where(keep, fz, trial.fz), torch.where(keep, r, trial.r))
        return trial
