"""The integration loop when the whole batch shares one step (the default, and the fast path).

Time and step size live on the host as Python floats; the only host-device synchronisation per
step is reading the error ratio (``.item()``) that decides acceptance. Rejected steps leave no
trace in the solution. Output times inside an accepted step are interpolated together from the
step's dense output. The tape (accepted ``(t, h)`` and the outputs they produced) lets the
checkpoint adjoint replay exactly the accepted steps.
"""

from __future__ import annotations

import math

import torch

from attractor._core.status import Status
from attractor.ode.compiled import fused_step
from attractor.ode.controller import initial_step_size
from attractor.ode.error_norm import ErrorNorm
from attractor.ode.events import EventTracker
from attractor.ode.explicit_rk import ExplicitRungeKutta
from attractor.ode.implicit_base import stage_failure_status, use_fixed_steps
from attractor.ode.interpolation import DenseInterpolation, DenseRecorder
from attractor.ode.outputs import PerSampleOutputs, SharedOutputs
from attractor.ode.problem import Problem, RawSolution, mark_nonfinite


def min_step(p: Problem, t0: float, t1: float) -> float:
    if p.min_dt is not None:
        return p.min_dt
    eps = torch.finfo(p.field.time_dtype).eps
    return 10 * eps * max(abs(t0), abs(t1), 1e-300)


def solve_shared(p: Problem, f0: torch.Tensor, *, tape: bool = False, error_norm=None) -> RawSolution:
    """Integrate ``p`` with one step for the whole batch; ``f0 = f(t0, y0)``."""
    field, stepper, ctrl = p.field, p.stepper, p.controller
    y = p.y0
    B = p.batch
    functional = torch.is_grad_enabled() and (y.requires_grad or f0.requires_grad)
    work = stepper.workspace(field, y, functional, tolerances=(p.rtol, p.atol))
    use_fixed_steps(work, not p.adaptive)
    P = stepper.dense_coefficients(y.dtype, y.device)
    per_sample_times = p.t.dim() == 2
    t0 = float(p.t[..., 0].reshape(-1)[0])
    t1 = float(p.t[..., -1].reshape(-1)[0])
    direction = -1.0 if t1 < t0 else 1.0
    if per_sample_times:
        dirs = torch.full((B,), direction, dtype=p.t.dtype, device=p.t.device)
        outputs = PerSampleOutputs(p.t, y, dirs, P)
    else:
        outputs = SharedOutputs(p.t, y, direction, functional, P)
    state = stepper.init(field, t0, y, f0, work)
    norm = error_norm or ErrorNorm(stepper, p.rtol, p.atol, B)
    abs_y = y.detach().abs()
    span = abs(t1 - t0)
    adaptive = p.adaptive
    h_min = min_step(p, t0, t1)
    if adaptive:
        if p.dt0 is not None:
            h = abs(p.dt0)
        else:
            h = initial_step_size(field, t0, y, f0, direction, stepper.error_order, p.rtol, p.atol, B, p.max_dt)
        h = direction * min(h, p.max_dt)
    else:
        n_fixed = max(1, math.ceil(span / p.dt - 1e-9))
        h = direction * p.dt
    ctrl_state = ctrl.init()
    fused = None
    if p.compile and error_norm is None:
        fused = fused_step(stepper, field, p.rtol, p.atol, B, p.batch_error, p.compile, y)
    events = None
    if p.events:
        time0 = torch.full((B,), t0, dtype=field.time_dtype, device=y.device)
        events = EventTracker(p.events, field, time0, y, B, P, p.event_tol)
    recorder = DenseRecorder(copy=not functional) if p.dense else None
    steps_tape = [] if tape else None
    # a fixed-step solve needs the closing slope f(t1, y1) of an explicit method only for
    # dense output, events or a replay
    skip_closing = (not adaptive and isinstance(stepper, ExplicitRungeKutta) and events is None
                    and recorder is None and not tape)
    stopped_mask = None  # flat mask of samples stopped by a terminal event
    frozen_y = None
    status = int(Status.SUCCESS)
    n_acc = n_rej = 0
    r = 0.0
    t = t0
    h_proposed = h
    done = span == 0.0
    while not done:
        if adaptive:
            rem = t1 - t
            last = direction * (t + h) >= direction * t1 - 1e-13 * span
            if last:
                h_proposed, h = h, rem
        else:
            last = n_acc + 1 >= n_fixed
            h = (t1 if last else t0 + (n_acc + 1) * direction * p.dt) - t
        th = None
        if fused is not None and stopped_mask is None:
            th = field.to_device([t, h])
            want_dense = events is not None or recorder is not None or outputs.inside(t, t + h)
            step, ratio, abs_y1 = fused.step(field, th, y, state, abs_y, dense=want_dense)
            r = ratio.item() if adaptive else 0.0
            accept = r <= 1.0
        elif adaptive:
            step = stepper.step(field, t, h, y, state, work)
            active = None if stopped_mask is None else ~events.stopped
            r, abs_y1 = norm.shared(step.error, abs_y, step.y, p.batch_error, active)
            accept = r <= 1.0
        elif last and skip_closing and not outputs.inside(t, t1):
            step = stepper.step(field, t, h, y, state, work, closing=False)  # nothing reads f(t1)
            accept, abs_y1 = True, None
        else:
            step = stepper.step(field, t, h, y, state, work)
            accept, abs_y1 = True, None
        if accept:
            t_new = t1 if last else t + h
            Z = None

            def dense(step=step, t=t, h=h, y=y, th=th):
                nonlocal Z
                if Z is None:
                    if th is not None:
                        Z = fused.dense(field, th, y, step.stages)
                    else:
                        Z = stepper.dense_stages(field, t, h, y, step, work)
                return Z

            if per_sample_times:
                tb = torch.full((B,), t, dtype=p.t.dtype, device=y.device)
                tnb = torch.full((B,), t_new, dtype=p.t.dtype, device=y.device)
                hb = torch.full((B,), h, dtype=p.t.dtype, device=y.device)
                stop = outputs.count(tnb, torch.ones(B, dtype=torch.bool, device=y.device))
                m = int((stop - outputs.next).max())
                if m > 0:
                    outputs.write(stop, m, tb, hb, y, dense(), step.y, tnb)
                out_range = None
            else:
                stop = outputs.upto(t_new)
                out_range = (outputs.next, stop)
                if stop > outputs.next:
                    Zo = dense() if outputs.needs_dense(stop, t_new) else None
                    outputs.write(stop, t, h, y, Zo, step.y, t_new)
            y_new, state_new = step.y, step.state
            if events is not None:
                tb = torch.full((B,), t, dtype=field.time_dtype, device=y.device)
                hb = torch.full((B,), h, dtype=field.time_dtype, device=y.device)
                tnb = torch.full((B,), t_new, dtype=field.time_dtype, device=y.device)
                newly = events.update(tb, hb, y, y_new, tnb, dense, ~events.stopped)
                if newly is not None:
                    stopped_mask = events.stopped.view(B, 1).expand(B, y.numel() // B).reshape(-1)
                    frozen_y = events.stop_y.reshape(-1)
            if recorder is not None:
                recorder.append(t, h, y, dense())
            if steps_tape is not None:
                steps_tape.append((t, h, t_new) + (out_range or (0, 0)))
            if stopped_mask is not None:
                y_new = torch.where(stopped_mask, frozen_y, y_new)
            y, state, abs_y, t = y_new, state_new, abs_y1, t_new
            n_acc += 1
            if last or (events is not None and bool(events.stopped.all())):
                break
            if adaptive and n_acc >= p.max_steps:
                status = int(Status.MAX_STEPS)
                break
        else:
            n_rej += 1
        if adaptive:
            h, ctrl_state = ctrl.adapt(h, r, accept, ctrl_state, stepper.error_order)
            h = direction * min(abs(h), p.max_dt)
            if not abs(h) >= h_min:  # also a NaN step (f(t0, y0) not finite): it never recovers
                status = int(Status.NONFINITE if not math.isfinite(r) else Status.STEP_SIZE_TOO_SMALL)
                break
    stepper.release(work)
    codes = torch.full((B,), status, dtype=torch.long, device=y.device)
    if status == int(Status.NONFINITE) and step.error is not None:
        # which samples made the last trial non-finite
        ratios, _ = norm(step.error, abs_y, step.y)
        codes = torch.where(torch.isfinite(ratios), int(Status.STEP_SIZE_TOO_SMALL), codes)
    codes = mark_nonfinite(codes, y, B)
    codes = stage_failure_status(work, codes)
    if events is not None:
        codes = torch.where(events.stopped & (codes == int(Status.SUCCESS)), int(Status.EVENT), codes)
    ys = outputs.result(y)
    dense_out = None
    if recorder is not None and recorder.t:
        dense_out = DenseInterpolation(
            torch.tensor(recorder.t, dtype=field.time_dtype, device=y.device),
            torch.tensor(recorder.h, dtype=field.time_dtype, device=y.device),
            torch.stack(recorder.y),
            torch.stack(recorder.Z),
            P,
            field.shape,
            field.batch_ndim,
            direction,
            stop_t=events.stop_t if events is not None and events.any_terminal else None,
            stop_y=events.stop_y if events is not None and events.any_terminal else None,
        )
    stats = {"nfe": field.nfe, "accepted": n_acc, "rejected": n_rej, **stepper.statistics(work)}
    return RawSolution(
        ys=ys,
        status=codes,
        stats=stats,
        t_final=t,
        events=events,
        dense=dense_out,
        tape=(steps_tape, direction) if tape else None,
        last_dt=h_proposed if adaptive else h,
    )


def replay_shared(p: Problem, outputs: SharedOutputs, entry, y: torch.Tensor, state, work):
    """Recompute one accepted step of a tape: ``(y1, state1, output rows)``.

    ``entry = (t, h, t_new, start, stop)``; the output rows are those of outputs
    ``start..stop-1``, computed exactly as the forward loop computed them.
    """
    t, h, t_new, start, stop = entry
    field, stepper = p.field, p.stepper
    step = stepper.step(field, t, h, y, state, work)
    rows: list[torch.Tensor] = []
    if stop > start:
        Z = stepper.dense_stages(field, t, h, y, step, work) if outputs.needs_dense_range(start, stop, t_new) else None
        vals, n_end = outputs.step_values(start, stop, t, h, t_new, y, Z, step.y)
        if vals is not None:
            rows.extend(vals.unbind(0))
        rows.extend([step.y] * n_end)
    return step.y, step.state, rows
