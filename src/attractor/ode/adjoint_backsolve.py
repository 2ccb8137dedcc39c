"""The backsolve (continuous) adjoint: O(1) memory in the number of steps.

For a loss ``L(y(t_1), ..., y(t_n))`` the adjoint ``a(t) = dL/dy(t)`` and the parameter
gradient ``g`` solve, backwards in time from ``t_n`` (Pontryagin; Chen et al., "Neural ordinary
differential equations", NeurIPS 2018),

.. math::
    \\dot y = f(t, y), \\qquad \\dot a = -a^\\top \\partial_y f, \\qquad
    \\dot g = -a^\\top \\partial_\\theta f, \\qquad g(t_n) = 0,

with ``a`` jumping by ``dL/dy(t_i)`` at every output time, where ``y`` is also reset to the
value stored by the forward pass. The vector--Jacobian products come from autograd on one
evaluation of ``f`` per stage. The augmented state is solved with the same stepper and loop as
the forward pass; its error control uses ``y`` and ``a`` only (a seminorm: Kidger, Chen & Lyons,
"'Hey, that's not an ODE'", ICML 2021), which saves steps without hurting ``g``.

Per-sample output times are handled by stopping at every sample's output times and switching
each sample's dynamics off outside its own interval.
"""

from __future__ import annotations

import math

import torch

from attractor._core.errors import refuse_second_order
from attractor.ode.error_norm import ErrorNorm
from attractor.ode.field import VectorField
from attractor.ode.per_sample_loop import solve_per_sample
from attractor.ode.problem import Problem, RawSolution
from attractor.ode.shared_loop import solve_shared
from attractor.ode.stepper import AbstractStepper


class _Holder:
    raw: RawSolution | None = None


class _Augmented:
    """``z = [y, a, g] -> [f, -a^T f_y, -a^T f_theta]``, with a per-sample on/off mask."""

    def __init__(self, p: Problem, params: list[torch.Tensor], per_sample: bool) -> None:
        self.p = p
        self.params = params
        self.per_sample = per_sample
        self.N = p.y0.numel()
        self.B = p.batch
        self.mask: torch.Tensor | None = None  # (B,) 0/1, None = all on

    def __call__(self, t: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        p, N = self.p, self.N
        field = p.field
        y, a = z[:N], z[N : 2 * N]
        tf = t.expand(field.time_shape) if self.per_sample else t
        if self.mask is not None:
            a = (a.view(self.B, -1) * self.mask.unsqueeze(1)).reshape(-1)
        with torch.enable_grad():
            y_in = y.detach().requires_grad_()
            fy = field(tf, y_in.view(field.shape))
            grads = torch.autograd.grad(
                fy, [y_in, *self.params], a.view(field.shape), allow_unused=True
            )
        fy = fy.detach().reshape(-1)
        if self.mask is not None:
            fy = (fy.view(self.B, -1) * self.mask.unsqueeze(1)).reshape(-1)
        parts = [fy, -(grads[0] if grads[0] is not None else torch.zeros_like(y))]
        for g, prm in zip(grads[1:], self.params):
            parts.append(-(g.reshape(-1).to(z.dtype) if g is not None else z.new_zeros(prm.numel())))
        return torch.cat(parts)


class _BacksolveSolve(torch.autograd.Function):
    @staticmethod
    def forward(ctx, holder: _Holder, p: Problem, per_sample: bool, settings, f0, y0, *params):
        with torch.no_grad():
            solve = solve_per_sample if per_sample else solve_shared
            raw = solve(p.with_y0(y0), f0)
        holder.raw = raw
        ctx.p, ctx.per_sample, ctx.settings, ctx.stats = p, per_sample, settings, raw.stats
        ctx.save_for_backward(raw.ys, *params)
        return raw.ys

    @staticmethod
    def backward(ctx, grad_ys):
        refuse_second_order("odeint(adjoint='backsolve')", "Use adjoint='direct' with an explicit or Rosenbrock "
                            "solver for exact second derivatives.")
        p: Problem = ctx.p
        ys, *params = ctx.saved_tensors
        rtol, atol, solver = ctx.settings
        per_sample = ctx.per_sample
        N, B = p.y0.numel(), p.batch
        D = N // B
        n = ys.shape[0]
        aug = _Augmented(p, list(params), per_sample)
        P = sum(prm.numel() for prm in params)
        if per_sample or p.t.dim() == 2:
            times = p.t if p.t.dim() == 2 else p.t.unsqueeze(0).expand(B, -1)
            ys_b, g_b = ys.reshape(n, B, D), grad_ys.reshape(n, B, D)
        else:
            times = p.t
            ys_b, g_b = ys.reshape(n, 1, N), grad_ys.reshape(n, 1, N)
        direction = -1.0 if float(times.reshape(-1, n)[0, -1]) < float(times.reshape(-1, n)[0, 0]) else 1.0
        rows = times.reshape(-1, n)
        # breakpoints: every distinct output time, visited from the end backwards
        keys = torch.unique(direction * rows.reshape(-1)).flip(0)
        breaks = (direction * keys).tolist()
        start = rows[:, 0] * direction
        end = rows[:, -1] * direction
        masked = per_sample and bool(((start != start[0]) | (end != end[0])).any())

        z = ys.new_zeros(2 * N + P)
        zy, za = z[:N].view(-1, ys_b.shape[-1]), z[N : 2 * N].view(-1, ys_b.shape[-1])
        zy.copy_(ys_b[-1])
        aug_field = VectorField(lambda t, v: aug(t, v), (), torch.Size([2 * N + P]), 0, p.field.time_dtype, p.y0.device)
        aug_atol = atol if atol.dim() == 0 else torch.cat([atol, atol, atol.new_zeros(P) + atol.mean()])
        norm = ErrorNorm(solver, rtol, aug_atol, 1, entries=2 * N)
        dt0 = None
        nfe = 0
        for j, tau in enumerate(breaks):
            # jumps at tau: add dL/dy(t_i) and reset y to the forward value, where t_i = tau
            hit = (rows == tau)  # (B or 1, n)
            if bool(hit.any()):
                b_idx, i_idx = hit.nonzero(as_tuple=True)
                za[b_idx] += g_b[i_idx, b_idx]
                zy[b_idx] = ys_b[i_idx, b_idx]
            if j + 1 == len(breaks):
                break
            nxt = breaks[j + 1]
            if masked:
                mid = direction * 0.5 * (tau + nxt)
                aug.mask = ((start <= mid) & (mid <= end)).to(z.dtype)
            sub = Problem(
                field=aug_field,
                y0=z,
                t=torch.tensor([tau, nxt], dtype=p.field.time_dtype, device=z.device),
                stepper=solver,
                controller=p.controller,
                rtol=rtol,
                atol=aug_atol,
                max_steps=p.max_steps,
                dt0=dt0 if p.dt is None else None,
                dt=p.dt,
                max_dt=p.max_dt,
            )
            f0 = aug_field(sub.t[0], z)
            with torch.no_grad():
                raw = solve_shared(sub, f0, error_norm=norm)
            if not bool((raw.status == 0).all()):
                raise RuntimeError(
                    f"odeint backsolve adjoint: the backward solve failed between t={tau} and t={nxt} "
                    f"(status {raw.status.tolist()}); try adjoint='checkpoint' or looser adjoint tolerances."
                )
            z = raw.ys[-1].clone()
            zy, za = z[:N].view(-1, ys_b.shape[-1]), z[N : 2 * N].view(-1, ys_b.shape[-1])
            dt0 = abs(raw.last_dt) if isinstance(raw.last_dt, float) and math.isfinite(raw.last_dt) else None
        nfe = aug_field.nfe
        ctx.stats["nfe_backward"] = ctx.stats.get("nfe_backward", 0) + nfe
        grad_y0 = z[N : 2 * N].view(p.y0.shape)
        grads, offset = [], 2 * N
        for prm in params:
            grads.append(z[offset : offset + prm.numel()].view_as(prm).to(prm.dtype))
            offset += prm.numel()
        return (None, None, None, None, None, grad_y0, *grads)


def solve_backsolve(
    p: Problem,
    f0: torch.Tensor,
    params: list[torch.Tensor],
    *,
    per_sample: bool,
    rtol: float,
    atol: torch.Tensor,
    solver: AbstractStepper,
) -> RawSolution:
    if p.t.dim() == 2:
        rows = p.t
        dirs = torch.sign(rows[:, -1] - rows[:, 0])
        if bool((dirs != dirs[0]).any()):
            raise ValueError("adjoint='backsolve' needs every sample's output times to run in one direction.")
    holder = _Holder()
    ys = _BacksolveSolve.apply(holder, p, per_sample, (rtol, atol, solver), f0.detach(), p.y0, *params)
    raw = holder.raw
    raw.ys = ys
    return raw
