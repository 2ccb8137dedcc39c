"""The checkpoint adjoint: exact gradients of the discrete solver with bounded memory.

The forward solve runs without a graph and records a *tape*: the accepted steps ``(t, h)``
(rejected trials are not part of the solution, so not of its gradient) and which output times
each produced. The backward pass reverses the tape with binomial checkpointing
(:mod:`attractor.ode.checkpointing`): states are recomputed from a few snapshots, and each step
is recomputed once more under autograd and back-propagated on its own. The recomputation uses
the same operations as ``adjoint="direct"``, so the gradients agree with it to round-off, while
memory holds ``checkpoints + 1`` states and one step's graph instead of every step's graph.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from attractor._core.errors import refuse_second_order
from attractor.ode.checkpointing import reverse
from attractor.ode.implicit_base import use_fixed_steps
from attractor.ode.outputs import PerSampleOutputs, SharedOutputs
from attractor.ode.per_sample_loop import replay_per_sample, solve_per_sample
from attractor.ode.problem import Problem, RawSolution
from attractor.ode.shared_loop import replay_shared, solve_shared


def _flatten(state: Any) -> list[torch.Tensor]:
    if state is None:
        return []
    if isinstance(state, torch.Tensor):
        return [state]
    return [s for part in state for s in _flatten(part)]


def _unflatten(template: Any, flat: list[torch.Tensor]) -> Any:
    it = iter(flat)

    def build(node: Any) -> Any:
        if node is None:
            return None
        if isinstance(node, torch.Tensor):
            return next(it)
        return type(node)(build(n) for n in node)

    return build(template)


def _initial_state(p: Problem, t0, y0: torch.Tensor, work) -> Any:
    f0 = p.field(t0, y0.view(p.shape))
    return p.stepper.init(p.field, t0, y0, f0, work)


class _Holder:
    raw: RawSolution | None = None


class _CheckpointSolve(torch.autograd.Function):
    @staticmethod
    def forward(ctx, holder: _Holder, p: Problem, per_sample: bool, checkpoints, f0, y0, *params):
        with torch.no_grad():
            solve = solve_per_sample if per_sample else solve_shared
            raw = solve(p.with_y0(y0), f0, tape=True)
        holder.raw = raw
        ctx.p, ctx.per_sample, ctx.checkpoints, ctx.tape = p, per_sample, checkpoints, raw.tape
        ctx.save_for_backward(y0, *params)
        return raw.ys

    @staticmethod
    def backward(ctx, grad_ys):
        refuse_second_order("odeint(adjoint='checkpoint')", "Use adjoint='direct' with an explicit or Rosenbrock "
                            "solver for exact second derivatives.")
        p: Problem = ctx.p
        y0, *params = ctx.saved_tensors
        per_sample = ctx.per_sample
        tape = ctx.tape if per_sample else ctx.tape[0]
        t0 = _start_time(p, per_sample)
        work = p.stepper.workspace(p.field, y0, True, tolerances=(p.rtol, p.atol))
        use_fixed_steps(work, not p.adaptive)
        B = p.batch
        if per_sample:
            times = p.t if p.t.dim() == 2 else p.t.unsqueeze(0).expand(B, -1)
            direction = torch.where(times[:, -1] < times[:, 0], -1.0, 1.0).to(times.dtype)
            outputs = PerSampleOutputs(times, y0.detach(), direction, p.stepper.dense_coefficients(y0.dtype, y0.device))
            grad_flat = grad_ys.reshape(-1, y0.numel() // B)
        else:
            outputs = SharedOutputs(p.t, y0.detach(), ctx.tape[1], True, p.stepper.dense_coefficients(y0.dtype, y0.device))

        def replay(n: int, y: torch.Tensor, state: Any):
            if per_sample:
                return replay_per_sample(p, outputs, tape[n], y, state, work)
            return replay_shared(p, outputs, tape[n], y, state, work)

        with torch.no_grad():
            state0 = (y0.detach(), _initial_state(p, t0, y0.detach(), work))

        def advance(state, i: int, j: int):
            y, st = state
            with torch.no_grad():
                for n in range(i, j):
                    y, st, _ = replay(n, y, st)
            return y, st

        cot_y = torch.zeros_like(y0)
        template = state0[1]
        cot_state = [torch.zeros_like(s) for s in _flatten(template)]
        param_grads: list[torch.Tensor | None] = [None] * len(params)

        def accumulate(grads) -> None:
            for k, g in enumerate(grads):
                if g is not None:
                    param_grads[k] = g if param_grads[k] is None else param_grads[k] + g

        def backprop(n: int, state) -> None:
            nonlocal cot_y, cot_state
            y_in = state[0].detach().requires_grad_()
            st_in = [s.detach().requires_grad_() for s in _flatten(state[1])]
            with torch.enable_grad():
                y1, st1, outs = replay(n, y_in, _unflatten(state[1], st_in))
                targets = [y1, *_flatten(st1)]
                cots = [cot_y, *cot_state]
                if per_sample:
                    if outs is not None:
                        idx, vals = outs
                        targets.append(vals)
                        cots.append(grad_flat[idx])
                else:
                    entry = tape[n]
                    targets.extend(outs)
                    cots.extend(grad_ys[entry[3] : entry[4]].unbind(0))
                pairs = [(a, c) for a, c in zip(targets, cots) if a.requires_grad]
                inputs = [y_in, *st_in, *params]
                grads = torch.autograd.grad(
                    [a for a, _ in pairs], inputs, [c for _, c in pairs], allow_unused=True
                )
            cot_y = grads[0] if grads[0] is not None else torch.zeros_like(y_in)
            ns = len(st_in)
            cot_state = [g if g is not None else torch.zeros_like(s) for g, s in zip(grads[1 : 1 + ns], st_in)]
            accumulate(grads[1 + ns :])

        n_steps = len(tape)
        snapshots = ctx.checkpoints if ctx.checkpoints is not None else max(1, math.ceil(math.log2(n_steps + 1)))
        reverse(n_steps, snapshots, state0, advance, backprop)

        # the initial state (y0 and the stepper state built from it) and outputs at t0
        y_in = y0.detach().requires_grad_()
        with torch.enable_grad():
            st0 = _flatten(_initial_state(p, t0, y_in, work))
            targets, cots = [y_in], [cot_y]
            targets += st0
            cots += cot_state
            if per_sample:
                first = PerSampleOutputs(times, y_in, direction, p.stepper.dense_coefficients(y0.dtype, y0.device))
                idx, vals = first.pieces[0]
                targets.append(vals)
                cots.append(grad_flat[idx])
            else:
                count = SharedOutputs(p.t, y0.detach(), ctx.tape[1], True, p.stepper.dense_coefficients(y0.dtype, y0.device)).next
                for i in range(count):
                    targets.append(y_in)
                    cots.append(grad_ys[i])
            pairs = [(a, c) for a, c in zip(targets, cots) if a.requires_grad]
            grads = torch.autograd.grad([a for a, _ in pairs], [y_in, *params], [c for _, c in pairs], allow_unused=True)
        grad_y0 = grads[0]
        accumulate(grads[1:])
        return (None, None, None, None, None, grad_y0, *param_grads)


def _start_time(p: Problem, per_sample: bool) -> torch.Tensor:
    if per_sample:
        times = p.t if p.t.dim() == 2 else p.t.unsqueeze(0).expand(p.batch, -1)
        return times[:, 0].reshape(p.field.time_shape)
    return p.t.reshape(-1)[0].clone()


def solve_checkpoint(
    p: Problem, f0: torch.Tensor, params: list[torch.Tensor], *, per_sample: bool, checkpoints: int | None
) -> RawSolution:
    """Solve ``p`` (``f0 = f(t0, y0)``) with gradients by the checkpoint adjoint."""
    holder = _Holder()
    ys = _CheckpointSolve.apply(holder, p, per_sample, checkpoints, f0.detach(), p.y0, *params)
    raw = holder.raw
    raw.ys = ys
    return raw
