"""The integration loop where every sample has its own step size, time and termination.

All samples are stepped together (one batched call of ``f`` per stage); a sample's trial step
is accepted or rejected on its own error ratio, so solving a batch gives each sample exactly the
steps it would get alone (as in torchode). Finished samples take zero-size steps and stop
changing. One host synchronisation per step reads "is any sample still running" together with
the largest number of output times inside this step.
"""

from __future__ import annotations

import torch

from attractor._core.status import Status
from attractor.ode.controller import initial_step_size
from attractor.ode.error_norm import ErrorNorm
from attractor.ode.events import EventTracker
from attractor.ode.implicit_base import stage_failure_status, use_fixed_steps
from attractor.ode.interpolation import DenseInterpolation, DenseRecorder
from attractor.ode.outputs import PerSampleOutputs
from attractor.ode.problem import Problem, RawSolution, mark_nonfinite


def solve_per_sample(p: Problem, f0: torch.Tensor, *, tape: bool = False) -> RawSolution:
    """Integrate ``p`` with a step per sample; ``f0 = f(t0, y0)`` (per-sample ``t0``)."""
    field, stepper, ctrl = p.field, p.stepper, p.controller
    if p.compile:
        raise ValueError(
            "compile=True supports solves whose batch shares one step; this solve steps per "
            "sample (per_sample=True, or per-sample output times with different ends)."
        )
    y = p.y0
    B = p.batch
    N = y.numel()
    dev = y.device
    functional = torch.is_grad_enabled() and (y.requires_grad or f0.requires_grad)
    work = stepper.workspace(field, y, functional, tolerances=(p.rtol, p.atol))
    use_fixed_steps(work, not p.adaptive)
    P = stepper.dense_coefficients(y.dtype, dev)
    times = p.t if p.t.dim() == 2 else p.t.unsqueeze(0).expand(B, -1)
    tdt = times.dtype
    t0, t1 = times[:, 0].clone(), times[:, -1].clone()
    direction = torch.where(t1 < t0, -1.0, 1.0).to(tdt)
    span = (t1 - t0).abs()
    tshape = field.time_shape
    col = (B, N // B)

    def per_entry(mask: torch.Tensor) -> torch.Tensor:
        return mask.view(B, 1).expand(col).reshape(-1)

    outputs = PerSampleOutputs(times, y, direction, P)
    state = stepper.init(field, t0.view(tshape), y, f0, work)
    norm = ErrorNorm(stepper, p.rtol, p.atol, B)
    abs_y = y.detach().abs()
    adaptive = p.adaptive
    eps = torch.finfo(tdt).eps
    h_min = torch.full_like(t0, p.min_dt) if p.min_dt is not None else 10 * eps * torch.maximum(t0.abs(), t1.abs())
    if adaptive:
        if p.dt0 is not None:
            h = torch.full_like(t0, abs(p.dt0))
        else:
            h = initial_step_size(field, t0.view(tshape), y, f0, direction, stepper.error_order,
                                  p.rtol, p.atol, B, p.max_dt, per_sample=True).to(tdt)
        h = direction * h.clamp(max=p.max_dt)
    else:
        n_fixed = torch.clamp(torch.ceil(span / p.dt - 1e-9), min=1).long()
        h = direction * p.dt
        h = h.expand(B).clone()
    ctrl_state = ctrl.init(like=t0)
    active = span > 0
    status = torch.full((B,), int(Status.SUCCESS), dtype=torch.long, device=dev)
    n_acc = torch.zeros(B, dtype=torch.long, device=dev)
    n_rej = torch.zeros_like(n_acc)
    nfe = torch.zeros_like(n_acc)
    t = t0.clone()
    events = EventTracker(p.events, field, t0, y, B, P, p.event_tol) if p.events else None
    recorder = DenseRecorder(copy=not functional) if p.dense else None
    steps_tape = [] if tape else None
    last_ratio = torch.zeros_like(t0)
    running = bool(active.any())
    while running:
        if adaptive:
            last = direction * (t + h) >= direction * t1 - 1e-13 * span
            h_try = torch.where(last, t1 - t, h)
        else:
            last = n_acc + 1 >= n_fixed
            h_try = torch.where(last, t1, t0 + (n_acc + 1).to(tdt) * direction * p.dt) - t
        h_try = torch.where(active, h_try, 0.0)
        evals_before = field.nfe
        step = stepper.step(field, t.view(tshape), h_try.view(tshape), y, state, work)
        if adaptive:
            ratios, abs_y1 = norm(step.error, abs_y, step.y)
            accept = (ratios <= 1.0) & active
            last_ratio = torch.where(active, ratios, last_ratio)
        else:
            ratios, abs_y1 = None, step.y.detach().abs()
            accept = active
        t_new = torch.where(accept, torch.where(last, t1, t + h_try), t)
        stop = outputs.count(t_new, accept)
        y_old, step_t, step_h = y, t, h_try
        Z = None

        def dense(step=step, t=step_t, h=step_h, y=y_old):
            nonlocal Z
            if Z is None:
                Z = stepper.dense_stages(field, t.view(tshape), h.view(tshape), y, step, work)
            return Z

        y = torch.where(per_entry(accept), step.y, y)
        state = stepper.select(accept.view(field.batch_shape), step.state, state)
        abs_y = torch.where(per_entry(accept), abs_y1, abs_y)
        finished = accept & last
        if events is not None:
            newly = events.update(step_t, step_h, y_old, step.y, t_new, dense, accept)
            if newly is not None:
                y = torch.where(per_entry(newly), events.stop_y.reshape(-1), y)
                t_new = torch.where(newly, events.stop_t, t_new)
                finished = finished | newly
                status = torch.where(newly, int(Status.EVENT), status)
        nfe += (field.nfe - evals_before) * active
        n_acc += accept
        n_rej += active & ~accept
        t = t_new
        still = active & ~finished
        if adaptive:
            h_next, ctrl_state = ctrl.adapt(h_try, ratios, accept, ctrl_state, stepper.error_order)
            h = torch.where(still, direction * h_next.abs().clamp(max=p.max_dt), h)
            out_of_steps = still & (n_acc >= p.max_steps)
            status = torch.where(out_of_steps, int(Status.MAX_STEPS), status)
            too_small = still & ~out_of_steps & ~(h.abs() >= h_min)  # NaN steps too
            bad = torch.where(torch.isfinite(ratios), int(Status.STEP_SIZE_TOO_SMALL), int(Status.NONFINITE))
            status = torch.where(too_small, bad, status)
            still = still & ~out_of_steps & ~too_small
        if recorder is not None:
            recorder.append(step_t, step_h, y_old, dense(), accepted=accept)
        if steps_tape is not None:
            steps_tape.append((step_t, step_h, accept, t_new, last, outputs.next, stop))
        flags = torch.stack([still.any().long(), (stop - outputs.next).max()]).tolist()
        if flags[1] > 0:
            outputs.write(stop, flags[1], step_t, step_h, y_old, dense(), step.y, t_new)
        else:
            outputs.next = stop
        active = still
        running = bool(flags[0])
    stepper.release(work)
    status = mark_nonfinite(status, y, B)
    status = stage_failure_status(work, status)
    ys = outputs.result(y)
    dense_out = None
    if recorder is not None and recorder.t:
        dense_out = DenseInterpolation(
            torch.stack(recorder.t),
            torch.stack(recorder.h),
            torch.stack([v.view(B, -1) for v in recorder.y]),
            torch.stack([z.view(z.shape[0], B, -1) for z in recorder.Z]),
            P,
            field.shape,
            field.batch_ndim,
            direction,
            accepted=torch.stack(recorder.accepted),
            stop_t=events.stop_t if events is not None and events.any_terminal else None,
            stop_y=events.stop_y if events is not None and events.any_terminal else None,
        )
    stats = {"nfe": nfe, "accepted": n_acc, "rejected": n_rej, "nfe_total": field.nfe, **stepper.statistics(work)}
    return RawSolution(
        ys=ys,
        status=status,
        stats=stats,
        t_final=t,
        events=events,
        dense=dense_out,
        tape=steps_tape,
        last_dt=h,
    )


def replay_per_sample(p: Problem, outputs: PerSampleOutputs, entry, y: torch.Tensor, state, work):
    """Recompute one loop iteration of a per-sample tape: ``(y1, state1, (indices, values))``."""
    t, h, accept, t_new, _last, start, stop = entry
    field, stepper = p.field, p.stepper
    B = p.batch
    tshape = field.time_shape
    step = stepper.step(field, t.view(tshape), h.view(tshape), y, state, work)
    mask = accept.view(B, 1).expand(B, y.numel() // B).reshape(-1)
    y1 = torch.where(mask, step.y, y)
    state1 = stepper.select(accept.view(field.batch_shape), step.state, state)
    m = int((stop - start).max())
    piece = None
    if m > 0:
        Z = stepper.dense_stages(field, t.view(tshape), h.view(tshape), y, step, work)
        piece = outputs.step_values(start, stop, m, t, h, y, Z, step.y, t_new)
    return y1, state1, piece

