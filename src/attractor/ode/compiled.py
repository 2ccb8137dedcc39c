"""``odeint(..., compile=True)``: one ``torch.compile``d function per step.

In eager mode every stage costs a few dispatched operations around ``f``; for small states
(Lorenz, a handful of variables) that overhead dominates. Compiling *the whole trial step* --
all stages with ``f`` inlined, the embedded error estimate and the error ratio -- lets inductor
fuse it into a few kernels, leaving one compiled call and one ``.item()`` per step. The
continuous extension's extra stages (DOP853) get a second compiled function.

Compiled steps are cached per (vector field, arguments, method, shape, dtype, device,
tolerances), so repeated solves with the same ``f`` reuse the compilation. Explicit
Runge--Kutta methods only. The first call pays the compilation (seconds to a minute).
"""

from __future__ import annotations

import math
from typing import Any

import torch

from attractor.ode.explicit_rk import ExplicitRungeKutta
from attractor.ode.stepper import Step

_CACHE: dict[tuple, FusedStep] = {}


class _RawField:
    """The vector field without the evaluation counter (a Python side effect would make
    every call recompile); the loop counts evaluations instead."""

    def __init__(self, field) -> None:
        self.f = field.f
        self.args = field.args
        self.shape = field.shape
        self.time_dtype = field.time_dtype
        self.device = field.device

    def __call__(self, t: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.f(t, y, *self.args)


class FusedStep:
    """A compiled ``(t, h), y, state, |y| -> (y1, state1, stages, ratio, |y1|)``.

    ``ratio`` is the batch's one error ratio (``how`` = ``"max"``/``"rms"``) or, with
    ``how=None``, per-sample ratios.
    """

    def __init__(self, stepper: ExplicitRungeKutta, field, rtol: float, atol: torch.Tensor,
                 batch: int, how: str | None, mode: str | None, y0: torch.Tensor) -> None:
        self.stepper = stepper
        self.raw = _RawField(field)
        self.rtol = float(rtol)
        self.atol = atol
        self.batch = batch
        self.how = how
        self.evals = stepper.tableau.stages - 1
        self.dense_evals = len(stepper.tableau.dense_c)
        self.adaptive = stepper.adaptive
        self._kwargs: dict[str, Any] = {"dynamic": False}
        if mode is not None:
            self._kwargs["mode"] = mode
        elif y0.device.type == "cpu":
            # the generated wrapper in C++: its per-call Python overhead dominates tiny states
            self._kwargs["options"] = {"cpp_wrapper": True}
        self._compiled: dict[str, Any] = {}
        # CUDA graphs ("reduce-overhead", "max-autotune"): a replay writes its outputs into the
        # graph's own memory, which the next replay overwrites; the loop keeps a step's outputs
        # (the accepted state, the stages for dense output) across later trial steps
        self._cudagraphs = mode in ("reduce-overhead", "max-autotune") and y0.device.type == "cuda"

    def _call(self, name: str, *args):
        fn = self._compiled.get(name)
        if fn is None:
            fn = self._compiled[name] = torch.compile(getattr(self, name), **self._kwargs)
        if not self._cudagraphs:
            return fn(*args)
        torch.compiler.cudagraph_mark_step_begin()
        out = fn(*args)  # copied out of the graph's memory before the next replay reuses it
        if isinstance(out, torch.Tensor):
            return out.clone()
        return tuple(o.clone() if isinstance(o, torch.Tensor) else o for o in out)

    def _ratio(self, error: torch.Tensor, abs_y: torch.Tensor, abs_y1: torch.Tensor) -> torch.Tensor:
        q = error / torch.add(self.atol, torch.maximum(abs_y, abs_y1), alpha=self.rtol)
        sq = (q * q).view(q.shape[0], self.batch, -1)
        norms = (sq.sum(-1) / sq.shape[-1]).sqrt()
        ratios = self.stepper.combine_error_norms(norms)
        if self.how is None:
            return ratios
        if self.how == "max":
            return ratios.amax()
        return ratios.square().mean().sqrt()

    def _trial(self, th, y, state, abs_y):
        t, h = th[0], th[1]
        step, Ks = self.stepper.step_pointwise(self.raw, t, h, y, state)
        abs_y1 = step.y.detach().abs()
        ratio = self._ratio(step.error.detach(), abs_y, abs_y1) if self.adaptive else abs_y1.new_zeros(())
        return step, Ks, ratio, abs_y1

    def _fused(self, th, y, state, abs_y):
        step, _, ratio, abs_y1 = self._trial(th, y, state, abs_y)
        return step.y, step.state, step.stages, ratio, abs_y1

    def _fused_dense(self, th, y, state, abs_y):
        """The step and its continuous extension's extra stages in one call."""
        step, Ks, ratio, abs_y1 = self._trial(th, y, state, abs_y)
        stages = self.stepper.dense_pointwise(self.raw, th[0], th[1], y, Ks)
        return step.y, step.state, stages, ratio, abs_y1

    def _extend(self, th, y, stages):
        return self.stepper.dense_pointwise(self.raw, th[0], th[1], y, list(stages.unbind(0)))

    def step(self, field, th: torch.Tensor, y: torch.Tensor, state, abs_y: torch.Tensor,
             dense: bool = False):
        """One trial step; ``th`` holds ``(t, h)``. With ``dense`` the returned stages already
        include the continuous extension's (for a step expected to hold output times)."""
        dense = dense and self.dense_evals > 0
        y1, state1, stages, ratio, abs_y1 = self._call("_fused_dense" if dense else "_fused", th, y, state, abs_y)
        field.nfe += self.evals + (self.dense_evals if dense else 0)
        return Step(y1, None, stages, state1), ratio, abs_y1

    def dense(self, field, th: torch.Tensor, y: torch.Tensor, stages: torch.Tensor) -> torch.Tensor:
        if self.dense_evals == 0 or stages.shape[0] > self.evals + 1:
            return stages
        field.nfe += self.dense_evals
        return self._call("_extend", th, y, stages)


def fused_step(stepper, field, rtol: float, atol: torch.Tensor, batch: int, how: str | None,
               mode: str | bool, y0: torch.Tensor) -> FusedStep:
    """The cached :class:`FusedStep` for this problem (built and compiled on first use)."""
    if not isinstance(stepper, ExplicitRungeKutta):
        raise TypeError(
            f"`compile` supports the explicit Runge-Kutta methods; got {type(stepper).__name__}."
        )
    mode = None if mode is True else str(mode)
    atol_key = float(atol) if atol.dim() == 0 else id(atol)
    key = (
        id(field.f), tuple(id(a) for a in field.args), type(stepper), stepper.tableau.name,
        field.shape, y0.dtype, y0.device, float(rtol), atol_key, batch, how, mode,
    )
    entry = _CACHE.get(key)
    if entry is None or entry.raw.f is not field.f or not math.isfinite(entry.rtol):
        if len(_CACHE) >= 64:
            _CACHE.clear()
        entry = _CACHE[key] = FusedStep(stepper, field, rtol, atol, batch, how, mode, y0)
    return entry
