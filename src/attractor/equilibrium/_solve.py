"""The shared driver of ``fixed_point`` and ``root``: validate, solve, attach gradients, report."""

from __future__ import annotations

import contextlib
import math
from typing import Any

import torch

from attractor._core import autocast, small_linalg
from attractor._core.errors import raise_if_failed
from attractor._core.lookup import resolve
from attractor._core.norms import batch_norm
from attractor._core.status import Status
from attractor._core.validation import (
    check_batch_ndim,
    check_callable,
    check_choice,
    check_in_range,
    check_int,
    check_positive,
    check_tensor,
)
from attractor.equilibrium._base import FixedPointSolver
from attractor.equilibrium._loop import iterate, loop_stats
from attractor.equilibrium._problem import Packer, Problem
from attractor.equilibrium._registry import SOLVERS
from attractor.equilibrium._solution import EquilibriumSolution
from attractor.equilibrium.adjoint import resolve_adjoint_method
from attractor.equilibrium.backward import BACKWARD_MODES, BackwardOptions, attach_gradients
from attractor.linalg._batch import check_tol

NORMS = ("l2", "rms", "max")


def solve_equilibrium(
    kind: str,
    fn_name: str,
    fn: Any,
    z0: Any,
    *,
    args: Any,
    solver: Any,
    tol: Any,
    rtol: Any,
    max_steps: Any,
    norm: Any,
    batch_ndim: Any,
    backward: Any,
    backward_solver: Any,
    backward_tol: Any,
    backward_rtol: Any,
    backward_max_steps: Any,
    phantom_steps: Any,
    phantom_damping: Any,
    on_failure: Any,
    trajectory: Any,
    divergence: Any,
) -> EquilibriumSolution:
    check_callable(fn_name, fn)
    z0_name = "z0" if kind == "fixed_point" else "x0"
    z0 = _check_state(z0_name, z0)
    first = z0[0] if isinstance(z0, tuple) else z0
    batch_ndim = check_batch_ndim(z0_name, first, batch_ndim)
    if isinstance(z0, tuple):
        _check_state_batch(z0_name, z0, batch_ndim)
    if isinstance(args, list):
        args = tuple(args)
    if not isinstance(args, tuple):
        raise TypeError(
            f"`args` must be a tuple of extra arguments for `{fn_name}`; got {type(args).__name__}."
        )
    solver = resolve("solver", solver, SOLVERS, FixedPointSolver)
    norm = check_choice("norm", norm, NORMS)
    packer = Packer(z0, batch_ndim)
    rtol = check_positive("rtol", rtol, allow_zero=True)
    # tol=0 with rtol > 0 is a purely relative criterion ||r|| <= rtol ||z||
    mixed = autocast.capture(packer.device)
    tol = _default_tol(packer, norm, mixed) if tol is None else check_tol("tol", tol, first.dtype, allow_zero=rtol > 0)
    if backward_rtol is None:  # a purely relative forward criterion carries over to the adjoint
        backward_rtol = rtol if tol == 0 and backward_tol is None else 0.0
    backward_rtol = check_positive("backward_rtol", backward_rtol, allow_zero=True)
    max_steps = check_int("max_steps", max_steps, minimum=1)
    backward = check_choice("backward", backward, BACKWARD_MODES)
    options = BackwardOptions(
        mode=backward,
        method=resolve_adjoint_method(backward_solver, SOLVERS),
        rtol=backward_rtol,
        tol=check_tol(
            "backward_tol", backward_tol if backward_tol is not None else tol, first.dtype,
            allow_zero=backward_rtol > 0,
        ),
        max_steps=max_steps
        if backward_max_steps is None
        else check_int("backward_max_steps", backward_max_steps),
        phantom_steps=check_int("phantom_steps", phantom_steps, minimum=1),
        phantom_damping=check_in_range("phantom_damping", phantom_damping, 0.0, 1.0),
        on_failure=check_choice("on_failure", on_failure, ("raise", "status")),
    )
    if options.phantom_damping == 0.0:
        raise ValueError("`phantom_damping` must lie in (0, 1]; got 0.0.")
    if not isinstance(trajectory, bool):
        raise TypeError(f"`trajectory` must be a bool; got {type(trajectory).__name__}.")
    divergence = check_positive("divergence", divergence)

    problem = Problem(fn, args, packer, kind, fn_name, mixed)
    if packer.batch == 0:
        return _empty_batch(problem, packer, z0, solver, trajectory)
    unroll = backward == "unroll" and torch.is_grad_enabled()
    start = packer.pack(z0).clone()  # the solve never works in the caller's storage
    if not unroll:
        start = start.detach()
    with autocast.solver_region(problem.autocast):  # only f itself runs under the caller's autocast
        with contextlib.nullcontext() if unroll else torch.no_grad():
            result = iterate(
                solver,
                problem,
                start,
                tol=tol,
                rtol=rtol,
                max_steps=max_steps,
                norm=norm,
                divergence=divergence,
                record=trajectory,
            )
        _check_uncoupled(problem, result, tol, rtol, norm, batch_ndim)
        stats: dict[str, Any] = loop_stats(problem, solver, result, tol, rtol)
        value = result.z if unroll else attach_gradients(problem, result.z, options, stats)
    sol = EquilibriumSolution(
        value=packer.unpack(value),
        residual=packer.per_sample(result.residual),
        steps=packer.per_sample(result.steps),
        status=packer.per_sample(result.status),
        stats=stats,
        trajectory=None
        if result.trajectory is None
        else [packer.unpack(z) for z in result.trajectory],
    )
    if options.on_failure == "raise":
        raise_if_failed(
            kind,
            sol.status,
            {"residual": sol.residual, "steps": sol.steps, "tol": tol, "max_steps": max_steps},
            solution=sol,
            hint=f"Solver {solver!r}. Raise `max_steps`, loosen `tol`, try another `solver`, "
            "or pass on_failure='status' to inspect the per-sample status instead.",
        )
    return sol


def _check_uncoupled(problem: Problem, result, tol, rtol: float, norm: str, batch_ndim: int) -> None:
    """Samples that converged at different steps were frozen at different times; if ``f`` mixes
    the rows of the batch (a graph DEQ's ``(hidden, nodes)`` state), the early ones stop being
    fixed points when the others move. One evaluation of the assembled result tells."""
    success = result.status == int(Status.SUCCESS)
    if result.z.shape[0] < 2 or not bool(success.any()):
        return
    steps = result.steps[success]
    if int(steps.min()) == int(steps.max()):  # all froze together: the residuals are current
        return
    with torch.no_grad():
        residual = batch_norm(problem.residual(result.z), 1, norm)
        threshold = tol + rtol * batch_norm(result.z, 1, norm) if rtol else tol
    moved = success & (residual > 2 * threshold)  # round-off alone stays far below a factor 2
    if bool(moved.any()):
        i = int(moved.nonzero()[0, 0])
        raise ValueError(
            f"`{problem.name}` couples the samples of the batch: sample {i} converged (residual "
            f"{float(result.residual[i]):.3g}) but is no longer a fixed point ({float(residual[i]):.3g}) "
            f"once the later samples moved. Samples must not interact along the {batch_ndim} batch "
            "dimension(s); solve the whole state as one problem with batch_ndim=0."
        )


def _default_tol(packer: Packer, norm: str, mixed: autocast.AutocastState | None = None) -> float:
    """The dtype's default ``tol`` (``check_tol``), raised for float16/bfloat16 -- the state's
    own dtype, or the one ``torch.autocast`` computes ``f`` in -- to what round-off allows.
    Each entry of the residual ``f(z) - z`` carries about ``eps`` of round-off, so an l2 norm
    over ``n`` entries cannot fall much below ``eps sqrt(n)``; asking for less (bfloat16's
    table value is 1e-2, its eps 7.8e-3) leaves wide layers unable ever to converge."""
    tol = check_tol("tol", None, packer.dtype)
    compute = mixed.dtype if mixed is not None and mixed.dtype in small_linalg.LOW_PRECISION else packer.dtype
    if compute not in small_linalg.LOW_PRECISION:
        return tol
    per_entry = 4 * torch.finfo(compute).eps
    return max(tol, per_entry * (math.sqrt(packer.n) if norm == "l2" else 1.0))


def _empty_batch(problem: Problem, packer: Packer, z0, solver, trajectory: bool) -> EquilibriumSolution:
    """Nothing to solve: empty results of the right shapes. With autograd on, the map is applied
    once (to the empty batch) so that the value is part of the graph and a loss over it
    backpropagates (zeros) to the parameters like any other batch."""
    start = packer.pack(z0).detach()
    value = problem.map(start) if torch.is_grad_enabled() else start.clone()
    empty = torch.zeros(packer.batch_shape, dtype=torch.long, device=packer.device)
    return EquilibriumSolution(
        value=packer.unpack(value), residual=empty.to(packer.dtype), steps=empty, status=empty.clone(),
        stats={"nfe": problem.nfe, "njvp": 0, "steps": 0, "iterations": 0,
               "solver": solver.name or type(solver).__name__},
        trajectory=[] if trajectory else None,
    )


def _check_state(name: str, z0: Any) -> torch.Tensor | tuple[torch.Tensor, ...]:
    """A floating-point tensor, or a non-empty tuple of them sharing dtype and device."""
    if isinstance(z0, (tuple, list)):
        if not z0:
            raise ValueError(
                f"`{name}` must be a tensor or a non-empty tuple of tensors; got an empty {type(z0).__name__}."
            )
        if not all(isinstance(p, torch.Tensor) for p in z0):
            raise TypeError(
                f"`{name}` must be a torch.Tensor or a tuple of tensors; got {type(z0).__name__} {z0!r:.60}."
            )
        parts = tuple(check_tensor(f"{name}[{i}]", p, finite=False) for i, p in enumerate(z0))
        for i, p in enumerate(parts[1:], 1):
            if p.dtype != parts[0].dtype or p.device != parts[0].device:
                raise ValueError(
                    f"`{name}[{i}]` must share dtype and device with `{name}[0]` "
                    f"({parts[0].dtype}, {parts[0].device}); got {p.dtype}, {p.device}."
                )
        for i, p in enumerate(parts):
            _check_finite(f"{name}[{i}]", p)
        return parts
    check_tensor(name, z0, finite=False)
    _check_finite(name, z0)
    return z0


def _check_state_batch(name: str, z0: tuple[torch.Tensor, ...], batch_ndim: int) -> None:
    batch_shape = z0[0].shape[:batch_ndim]
    for i, p in enumerate(z0[1:], 1):
        if p.dim() < batch_ndim or p.shape[:batch_ndim] != batch_shape:
            raise ValueError(
                f"`{name}[{i}]` must have the batch shape {tuple(batch_shape)} of `{name}[0]` "
                f"(batch_ndim={batch_ndim}); got shape {tuple(p.shape)}."
            )


def _check_finite(name: str, x: torch.Tensor) -> None:
    """One reduction instead of an elementwise test: NaN and inf propagate through a sum."""
    if not bool(torch.isfinite(x.sum())):
        check_tensor(name, x)  # names the culprit (or passes if the sum merely overflowed)
