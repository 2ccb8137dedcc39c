"""``odeint``: solve ``dy/dt = f(t, y)`` at the requested times, with a choice of gradient."""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Callable, Iterable
from typing import Any

import torch

from attractor._core.errors import raise_if_failed
from attractor._core.lookup import resolve
from attractor._core.status import all_ok
from attractor._core.validation import (
    all_finite,
    check_batch_ndim,
    check_callable,
    check_choice,
    check_int,
    check_positive,
    check_tensor,
)
from attractor.ode.controller import PIController
from attractor.ode.events import as_events, hold_after_stop
from attractor.ode.explicit_rk import SOLVERS
from attractor.ode.field import VectorField
from attractor.ode.problem import Problem, RawSolution
from attractor.ode.solution import ODESolution
from attractor.ode.stepper import AbstractStepper
from attractor.ode.time_gradients import shift_outputs, shift_start

ADJOINTS = ("direct", "checkpoint", "backsolve")


def odeint(
    f: Callable[..., torch.Tensor],
    y0: torch.Tensor,
    t: torch.Tensor,
    *,
    solver: str | AbstractStepper = "tsit5",
    rtol: float = 1e-6,
    atol: float | torch.Tensor = 1e-8,
    dt0: float | None = None,
    dt: float | None = None,
    adaptive: bool | None = None,
    max_steps: int = 10_000,
    adjoint: str = "direct",
    events: Any = None,
    per_sample: bool = False,
    batch_ndim: int | None = None,
    args: tuple[Any, ...] = (),
    max_dt: float = math.inf,
    min_dt: float | None = None,
    on_failure: str = "raise",
    controller: PIController | None = None,
    batch_error: str = "max",
    dense: bool = False,
    event_tol: float | None = None,
    checkpoints: int | None = None,
    adjoint_params: Iterable[torch.Tensor] | None = None,
    adjoint_rtol: float | None = None,
    adjoint_atol: float | None = None,
    adjoint_solver: str | AbstractStepper | None = None,
    compile: bool | str = False,
) -> ODESolution:
    """Solve ``dy/dt = f(t, y, *args)`` from ``y(t[0]) = y0`` and report ``y`` at the times ``t``.

    Parameters
    ----------
    f:
        The vector field ``f(t, y, *args) -> dy/dt`` (same shape and dtype as ``y``). ``t`` is a
        tensor: 0-dim when the batch shares a step, ``batch_shape + (1,) * event_ndim`` with
        ``per_sample=True`` (broadcastable against ``y``).
    y0:
        Initial state with leading batch dimensions (``batch_ndim``; default: 1 if
        ``y0.dim() >= 2`` else 0).
    t:
        Output times, strictly increasing or strictly decreasing (backwards in time): 1-D, or
        ``batch_shape + (n,)`` for per-sample output times (implies ``per_sample=True`` unless all
        samples share the first and last time, and always with ``adjoint="checkpoint"``). Cast to
        ``y0``'s dtype.
    solver:
        ``"euler"``, ``"midpoint"``, ``"heun"``, ``"ralston"``, ``"rk4"``, ``"bosh3"``,
        ``"dopri5"``, ``"tsit5"``, ``"dopri8"`` or a stepper object (:mod:`attractor.ode`).
    rtol, atol:
        Local error tolerances: a step is accepted when the RMS of
        ``err / (atol + rtol max(|y|, |y_new|))`` is at most 1 for every sample (see
        ``batch_error``). ``atol`` may be a tensor broadcastable to ``y0``.
    dt0:
        First step size (default: Hairer's automatic selection).
    dt, adaptive:
        ``dt=h`` takes fixed steps of size ``h`` (``adaptive=False`` with ``dt0`` does the same).
        Methods without an error estimate (euler, rk4) need it.
    max_steps:
        Maximum accepted steps for an adaptive solve (rejected steps do not count); reaching it
        gives ``Status.MAX_STEPS``.
    adjoint:
        ``"direct"`` (backpropagate through the solver's operations), ``"checkpoint"``
        (recompute accepted steps from ``checkpoints`` stored states with binomial
        checkpointing: bounded memory, the same gradients as direct) or ``"backsolve"``
        (continuous adjoint: O(1) memory in the number of steps).
    events:
        ``g(t, y)``, an :class:`~attractor.ode.Event` or a list of them: sign changes are located
        on the dense output; terminal events stop their sample. Direct adjoint only.
    per_sample:
        Give every sample its own step size and termination (a batch solves as its samples
        alone). Otherwise the batch shares one step (faster).
    batch_ndim:
        Number of leading batch dimensions of ``y0``.
    args:
        Extra arguments for ``f`` (tensors among them receive gradients).
    max_dt, min_dt:
        Bounds on the step size (``min_dt`` default ``10 eps max(|t0|, |t1|)``).
    on_failure:
        ``"raise"`` (``ConvergenceError`` with per-sample diagnostics) or ``"status"``.
    controller:
        A :class:`~attractor.ode.PIController` (default ``PIController()``).
    batch_error:
        With a shared step, ``"max"`` (the worst sample's ratio decides: every sample meets its
        tolerance) or ``"rms"`` (RMS over the whole batch, like torchdiffeq).
    dense:
        Keep every step so that ``sol.evaluate(t)`` works anywhere in the interval.
    event_tol:
        Time tolerance for locating events (default ``4 eps max(|t|, 1)``).
    checkpoints:
        Number of states the checkpoint adjoint may hold (default ``ceil(log2(steps))``).
    adjoint_params:
        Tensors to differentiate for the checkpoint/backsolve adjoints (default: parameters of
        ``f`` if it is a module, tensors in ``args`` and tensors ``f`` closes over).
    adjoint_rtol, adjoint_atol, adjoint_solver:
        Settings of the backsolve adjoint's backward solve (default: the forward ones).
    compile:
        ``torch.compile`` each trial step -- all stages with ``f`` inlined, the error estimate and
        ratio -- into one fused call (``True``, or an inductor mode such as ``"max-autotune"``).
        Pays off for small states on the CPU, where per-operation overhead dominates (Lorenz at
        batch 1: 4x eager); on a GPU with a neural-network field it was measured *slower* than
        eager (benchmarks/RESULTS.md, GPU section). ``"reduce-overhead"`` replays CUDA graphs.
        The compilation is cached per ``f`` and problem shape. Explicit methods, shared steps
        (``per_sample=False``).

    Returns
    -------
    ODESolution
        ``.ys`` ``(n, *y0.shape)``, ``.ts``, ``.stats``, ``.status``, ``.evaluate(t)``,
        ``.event_t``, ``.event_y``.
    """
    check_callable("f", f)
    y0 = check_tensor("y0", y0)
    if y0.is_complex():
        raise TypeError(f"`y0` must be real floating point; got {y0.dtype}.")
    batch_ndim = check_batch_ndim("y0", y0, batch_ndim)
    t_in = t
    t = _check_times(t, y0, batch_ndim)
    stepper = resolve("solver", solver, SOLVERS, AbstractStepper)
    adjoint = check_choice("adjoint", adjoint, ADJOINTS)
    on_failure = check_choice("on_failure", on_failure, ("raise", "status"))
    batch_error = check_choice("batch_error", batch_error, ("max", "rms"))
    rtol = check_positive("rtol", rtol, allow_zero=True)
    atol_t = _check_atol(atol, y0)
    if rtol == 0 and not bool((atol_t > 0).all()):
        raise ValueError("`rtol` and `atol` cannot both be zero.")
    eps = torch.finfo(y0.dtype).eps
    if 0 < rtol < eps and (dt is None and adaptive is not False):
        warnings.warn(
            f"`rtol`={rtol:g} is below the resolution of {y0.dtype} (eps {eps:.1e}): round-off "
            "alone exceeds the tolerance, so the solve will likely stop with "
            "STEP_SIZE_TOO_SMALL. Use a larger rtol or float64.",
            stacklevel=2,
        )
    max_steps = check_int("max_steps", max_steps)
    max_dt = float(max_dt) if max_dt == math.inf else check_positive("max_dt", max_dt)
    if min_dt is not None:
        min_dt = check_positive("min_dt", min_dt)
    if dt0 is not None:
        dt0 = check_positive("dt0", dt0)
    if dt is not None:
        dt = check_positive("dt", dt)
        if adaptive:
            raise ValueError("`dt` gives fixed steps; it cannot be combined with adaptive=True.")
    elif adaptive is False:
        if dt0 is None:
            raise ValueError("adaptive=False needs a step size: pass `dt` (or `dt0`).")
        dt = dt0
    if dt is None and not stepper.adaptive:
        raise ValueError(
            f"solver {type(stepper).__name__} has no error estimate, so it cannot choose its own "
            "steps; pass a fixed step size `dt=`."
        )
    event_list, single_event = as_events(events)
    if event_list and adjoint != "direct":
        raise ValueError(f"`events` need adjoint='direct'; got adjoint={adjoint!r}.")
    if event_tol is not None:
        event_tol = check_positive("event_tol", event_tol)
    if checkpoints is not None:
        checkpoints = check_int("checkpoints", checkpoints, minimum=1)
    if not isinstance(compile, (bool, str)):
        raise TypeError(f"`compile` must be a bool or an inductor mode name; got {type(compile).__name__}.")
    if not isinstance(args, tuple):
        args = (args,)

    batch_shape = y0.shape[:batch_ndim]
    if y0.numel() == 0:  # an empty batch: empty results of the right shapes, f never called
        return _empty_solution(y0, t, t_in, batch_shape, stepper, len(event_list), single_event)
    B = max(1, math.prod(batch_shape))
    if t.dim() > 1:
        t2 = t.reshape(B, t.shape[-1])
        same_ends = bool((t2[:, 0] == t2[0, 0]).all() and (t2[:, -1] == t2[0, -1]).all())
        if not same_ends or adjoint == "checkpoint":
            per_sample = True
    time_dtype = y0.dtype
    field = VectorField(f, args, y0.shape, batch_ndim, time_dtype, y0.device)
    if per_sample:
        t0 = (t.reshape(B, -1)[:, 0] if t.dim() > 1 else t[0].expand(B)).reshape(field.time_shape)
    else:
        t0 = t.reshape(-1)[0]
    needs_time_grad = t.requires_grad and torch.is_grad_enabled()
    f0 = _first_slope(field, t0.detach(), y0)
    y_start = y0
    if needs_time_grad:
        y_start = shift_start(y0, t0, f0)
        f0 = field(t0.detach(), y_start)  # the first stage must see the shifted start

    problem = Problem(
        field=field,
        y0=y_start.reshape(-1),
        t=t.detach().reshape(B, -1) if t.dim() > 1 else t.detach(),
        stepper=stepper,
        controller=controller if controller is not None else PIController(),
        rtol=rtol,
        atol=atol_t,
        max_steps=max_steps,
        dt0=dt0,
        dt=dt,
        max_dt=max_dt,
        min_dt=min_dt,
        batch_error=batch_error,
        events=event_list,
        event_tol=event_tol,
        dense=dense,
        compile=compile,
    )
    raw = _dispatch(problem, f0, f, args, adjoint, per_sample, checkpoints, adjoint_params,
                    adjoint_rtol, adjoint_atol, adjoint_solver)
    n = t.shape[-1]
    ys = raw.ys
    if raw.events is not None and raw.events.any_terminal:
        ys = hold_after_stop(ys.reshape(n, B, -1), problem.t, raw.events)
    ys = ys.reshape((n,) + y0.shape)
    if needs_time_grad:
        ys = torch.cat([y0.unsqueeze(0), ys[1:]], 0)
        ys = shift_outputs(field, ys, t.reshape(B, n) if t.dim() > 1 else t)
    status = raw.status.reshape(batch_shape)
    stats = raw.stats  # the backsolve adjoint adds "nfe_backward" here when it runs
    if per_sample:
        for k, v in list(stats.items()):
            if isinstance(v, torch.Tensor):
                stats[k] = v.reshape(batch_shape)
    event_t = event_y = None
    if raw.events is not None:
        n_ev = len(event_list)
        event_t = raw.events.event_t.reshape((n_ev,) + batch_shape)
        event_y = raw.events.event_y.reshape((n_ev,) + y0.shape)
        if single_event:
            event_t, event_y = event_t[0], event_y[0]
    sol = ODESolution(ys, t_in, stats, status, dense=raw.dense, event_t=event_t, event_y=event_y, solver=stepper)
    if on_failure == "raise" and not all_ok(status):
        t_final = raw.t_final
        if not isinstance(t_final, torch.Tensor):
            t_final = torch.full(batch_shape, float(t_final))
        raise_if_failed(
            "odeint",
            status,
            {"t_reached": t_final.reshape(batch_shape), "accepted": stats["accepted"],
             "rejected": stats["rejected"], "max_steps": max_steps},
            solution=sol,
            hint="Raise max_steps, loosen rtol/atol, try a different solver, or pass "
            "on_failure='status' to inspect the partial solution.",
        )
    return sol


def _empty_solution(y0, t, t_in, batch_shape, stepper, n_events: int, single_event: bool) -> ODESolution:
    n = t.shape[-1]
    status = torch.zeros(batch_shape, dtype=torch.long, device=y0.device)
    stats = {"nfe": 0, "accepted": 0, "rejected": 0}
    event_t = event_y = None
    if n_events:
        lead = () if single_event else (n_events,)
        event_t = y0.new_full(lead + tuple(batch_shape), math.nan)
        event_y = y0.new_full(lead + tuple(y0.shape), math.nan)
    ys = y0.unsqueeze(0).expand((n,) + y0.shape).clone()  # y0's graph (if any) carries over
    return ODESolution(ys, t_in, stats, status, event_t=event_t, event_y=event_y, solver=stepper)


def _dispatch(problem: Problem, f0, f, args, adjoint, per_sample, checkpoints, adjoint_params,
              adjoint_rtol, adjoint_atol, adjoint_solver) -> RawSolution:
    from attractor.ode.per_sample_loop import solve_per_sample
    from attractor.ode.shared_loop import solve_shared

    wants_grad = torch.is_grad_enabled() and (problem.y0.requires_grad or f0.requires_grad)
    if adjoint == "direct" or not wants_grad:
        with torch.set_grad_enabled(wants_grad):
            if per_sample:
                return solve_per_sample(problem, f0 if wants_grad else f0.detach())
            return solve_shared(problem, f0 if wants_grad else f0.detach())
    from attractor.ode.parameters import find_parameters

    params = find_parameters(f, args, f0, None, adjoint_params)
    if adjoint == "checkpoint":
        from attractor.ode.adjoint_checkpoint import solve_checkpoint

        return solve_checkpoint(problem, f0, params, per_sample=per_sample, checkpoints=checkpoints)
    from attractor.ode.adjoint_backsolve import solve_backsolve

    backward_solver = problem.stepper if adjoint_solver is None else resolve(
        "adjoint_solver", adjoint_solver, SOLVERS, AbstractStepper
    )
    return solve_backsolve(
        problem,
        f0,
        params,
        per_sample=per_sample,
        rtol=problem.rtol if adjoint_rtol is None else check_positive("adjoint_rtol", adjoint_rtol),
        atol=problem.atol if adjoint_atol is None else _check_atol(float(adjoint_atol), problem.y0),
        solver=backward_solver,
    )


def _first_slope(field: VectorField, t0: torch.Tensor, y0: torch.Tensor) -> torch.Tensor:
    """``f(t0, y0)``, checked for type, shape and dtype."""
    out = field(t0, y0)
    if not isinstance(out, torch.Tensor):
        raise TypeError(f"`f` must return a torch.Tensor; got {type(out).__name__}.")
    if out.shape != y0.shape:
        raise ValueError(
            f"`f` returned shape {tuple(out.shape)}; expected {tuple(y0.shape)} (the shape of y0)."
        )
    if out.dtype != y0.dtype:
        raise TypeError(f"`f` returned dtype {out.dtype}; expected {y0.dtype} (the dtype of y0).")
    return out


def _check_times(t: Any, y0: torch.Tensor, batch_ndim: int) -> torch.Tensor:
    if not isinstance(t, torch.Tensor):
        try:
            t = torch.as_tensor(t, dtype=y0.dtype, device=y0.device)
        except (TypeError, ValueError, RuntimeError) as exc:
            raise TypeError(f"`t` must be a 1-D tensor of times; got {type(t).__name__}.") from exc
    if t.is_complex() or t.dtype == torch.bool:
        raise TypeError(f"`t` must be a real tensor of times; got dtype {t.dtype}.")
    if t.device != y0.device:
        raise ValueError(f"`t` is on {t.device} but `y0` is on {y0.device}; put them on one device.")
    t = t.to(y0.dtype)
    batch_shape = tuple(y0.shape[:batch_ndim])
    if t.dim() == 0:
        raise ValueError("`t` must hold at least one time (a 1-D tensor); got a 0-dim tensor.")
    if t.dim() > 1 and tuple(t.shape[:-1]) != batch_shape:
        raise ValueError(
            f"`t` has shape {tuple(t.shape)}; expected (n,) or batch_shape + (n,) = "
            f"{batch_shape + ('n',)} for per-sample output times."
        )
    if t.dim() == 1 and t.numel() <= 64 and t.device.type == "cpu":
        _check_few_times(t.tolist())  # a few host comparisons instead of ~10 tensor ops
        return t
    if not all_finite(t):
        raise ValueError("`t` must be finite; got NaN/inf times.")
    if t.shape[-1] >= 2:
        d = t[..., 1:] - t[..., :-1]
        rows = d.reshape(-1, d.shape[-1])
        increasing = (rows > 0).all(-1)
        decreasing = (rows < 0).all(-1)
        if not bool((increasing | decreasing).all()):
            bad = int((~(increasing | decreasing)).nonzero()[0, 0])
            where = f" (row {bad})" if t.dim() > 1 else ""
            raise ValueError(
                f"`t` must be strictly increasing or strictly decreasing{where}; got "
                f"{t.reshape(-1, t.shape[-1])[bad].tolist()[:8]}..."
            )
    return t


def _check_few_times(values: list[float]) -> None:
    """The checks of :func:`_check_times` on a short 1-D list of times."""
    if not all(map(math.isfinite, values)):
        raise ValueError("`t` must be finite; got NaN/inf times.")
    pairs = list(itertools.pairwise(values))
    if pairs and not (all(a < b for a, b in pairs) or all(a > b for a, b in pairs)):
        raise ValueError(f"`t` must be strictly increasing or strictly decreasing; got {values[:8]}...")


def _check_atol(atol: Any, y0: torch.Tensor) -> torch.Tensor:
    if isinstance(atol, torch.Tensor):
        if atol.numel() == 1:
            value = float(atol)
            check_positive("atol", value, allow_zero=True)
            return torch.tensor(value, dtype=y0.dtype, device=y0.device)
        try:
            full = torch.broadcast_to(atol.to(dtype=y0.dtype, device=y0.device), y0.shape)
        except RuntimeError as exc:
            raise ValueError(
                f"`atol` has shape {tuple(atol.shape)}; expected a scalar or a shape broadcastable "
                f"to y0's {tuple(y0.shape)}."
            ) from exc
        if not bool((full >= 0).all()) or not bool(torch.isfinite(full).all()):
            raise ValueError("`atol` must be finite and non-negative.")
        return full.reshape(-1).contiguous()
    value = check_positive("atol", atol, allow_zero=True)
    return torch.tensor(value, dtype=y0.dtype, device=y0.device)
