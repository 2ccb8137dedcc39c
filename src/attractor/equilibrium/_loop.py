"""The one loop that drives every fixed-point / root solver."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from attractor._core.norms import batch_norm
from attractor._core.status import Status
from attractor.equilibrium._base import FixedPointSolver, Iterate
from attractor.equilibrium._problem import Problem


@dataclass
class LoopResult:
    z: torch.Tensor  # (B, n): the converged iterate, or the best one seen for failed samples
    residual: torch.Tensor  # (B,) ||r(z)||
    steps: torch.Tensor  # (B,) steps per sample
    status: torch.Tensor  # (B,) Status codes
    iterations: int  # loop iterations (steps of the slowest sample)
    trajectory: list[torch.Tensor] | None


def iterate(
    solver: FixedPointSolver,
    problem: Problem,
    z0: torch.Tensor,
    *,
    tol: float | torch.Tensor,
    rtol: float,
    max_steps: int,
    norm: str,
    divergence: float,
    record: bool = False,
) -> LoopResult:
    """Run ``solver`` from the flat ``z0`` until each sample converges, fails or runs out of steps.

    A sample converges when ``||r(z)|| <= tol + rtol ||z||``. It fails with ``NONFINITE`` when
    its residual stops being finite, with ``DIVERGED`` when the residual exceeds ``divergence``
    times its initial value, or with the code the solver's ``terminate`` returns; a sample
    still running after ``max_steps`` keeps ``MAX_STEPS``. Failed samples report the iterate
    with the smallest residual they reached.

    A sample's result is recorded when it finishes and never changes afterwards. The batch as
    a whole keeps iterating (the user function sees the full batch every time, which keeps
    closures over batched tensors valid), but the finished samples' iterates are discarded.
    Per step the loop synchronises with the device once, to learn whether any sample finished
    or failed to improve; only then does it do the per-sample bookkeeping.
    """
    fz, r = problem.eval(z0)
    it = Iterate(z0, fz, r)
    res = batch_norm(r, 1, norm)

    def threshold(z: torch.Tensor) -> torch.Tensor | float:
        return tol + rtol * batch_norm(z, 1, norm) if rtol else tol

    # a sample runs unless it has converged at z0 or its residual is not finite (NaN fails
    # both comparisons); the common start, every sample running, costs a handful of small ops
    active = (res > threshold(z0)) & (res < math.inf)
    n_active = int(active.sum())
    batch = z0.shape[0]
    status = torch.full(res.shape, int(Status.MAX_STEPS), dtype=torch.long, device=z0.device)
    if n_active < batch:
        converged = torch.isfinite(res)  # finite and not running: converged at z0
        status = torch.where(
            active, status, torch.where(converged, int(Status.SUCCESS), int(Status.NONFINITE))
        )
    finished = ~active
    limit = divergence * torch.clamp(res, min=torch.finfo(res.dtype).tiny)
    final_z, final_res = z0, res  # what each finished sample reports
    best_z, best_res = z0, res  # each running sample's best iterate so far
    steps = torch.zeros_like(status)
    trajectory = [z0] if record else None
    state = solver.init(problem, it)
    k = 0
    while n_active and k < max_steps:
        it, state = solver.step(problem, state, it, active)
        k += 1
        res = batch_norm(it.r, 1, norm)
        declared = solver.terminate(state)
        # common case, in a handful of small ops and one sync: every running sample improved
        # and none converged. (NaN fails both comparisons, so it always takes the slow path.)
        quiet = (res > threshold(it.z)) & (res < best_res)
        if declared is not None:
            quiet = quiet & (declared == 0)
        if bool((quiet if n_active == batch else quiet | finished).all()):
            best_z, best_res = it.z, res  # the finished samples' entries are never read
            if record:
                trajectory.append(torch.where(active[:, None], it.z, final_z))
            continue
        # slow path: per-sample bookkeeping (a failure, a convergence, or a non-improving step)
        bad = active & ~(res <= limit)  # NaN, inf or blown up
        better = active & (res < best_res)
        if declared is not None:
            bad = bad | (active & (declared != 0))
            better = better & ~bad
        converged = active & (res <= threshold(it.z)) & ~bad
        n_bad, n_converged, n_better = torch.stack([bad, converged, better]).sum(dim=1).tolist()
        if n_bad:  # a failed sample reports its best iterate before this step
            code = torch.where(torch.isfinite(res), int(Status.DIVERGED), int(Status.NONFINITE))
            if declared is not None:
                code = torch.where(declared != 0, declared, code)
            status = torch.where(bad, code, status)
            final_z, final_res = (
                _take_rows(bad, best_z, final_z),
                torch.where(bad, best_res, final_res),
            )
            steps = torch.where(bad, k - 1, steps)
        if n_better == n_active:
            best_z, best_res = it.z, res
        elif n_better:
            # an exact 0/1 blend, several times faster than torch.where on CPU; NaN can only
            # reach rows of samples that are no longer running, which are never read again
            best_z = torch.lerp(best_z, it.z, better.to(res.dtype)[:, None])
            best_res = torch.where(better, res, best_res)
        if n_converged:
            status = torch.where(converged, int(Status.SUCCESS), status)
            final_z, final_res = (
                _take_rows(converged, it.z, final_z),
                torch.where(converged, res, final_res),
            )
            steps = torch.where(converged, k, steps)
        if n_bad or n_converged:
            active = active & ~converged & ~bad
            finished = ~active
            n_active -= n_bad + n_converged
        if record:
            trajectory.append(torch.where(active[:, None], it.z, final_z))
    if n_active:  # out of steps: the best iterate of each sample still running
        final_z, final_res = (
            _take_rows(active, best_z, final_z),
            torch.where(active, best_res, final_res),
        )
        steps = torch.where(active, k, steps)
    return LoopResult(final_z, final_res, steps, status, k, trajectory)


def loop_stats(problem: Problem, solver: FixedPointSolver, result: LoopResult, tol, rtol: float) -> dict:
    """The statistics every solve through this loop reports."""
    return {
        "nfe": problem.nfe,
        "njvp": problem.njvp,
        "steps": int(result.steps.max()),
        "iterations": result.iterations,
        "solver": solver.name or type(solver).__name__,
        "tol": tol,
        "rtol": rtol,
    }


def _take_rows(mask: torch.Tensor, source: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """``target`` with the rows selected by ``mask`` taken from ``source`` (differentiable).

    On CPU, copies only the selected rows (an index copy), much cheaper there than a full
    ``torch.where`` over ``(B, n)``; on other devices ``torch.where``, since finding the rows
    (``nonzero``) would synchronise with the host.
    """
    if mask.device.type != "cpu":
        return torch.where(mask[:, None], source, target)
    rows = mask.nonzero().squeeze(1)
    return target.index_copy(0, rows, source.index_select(0, rows))
