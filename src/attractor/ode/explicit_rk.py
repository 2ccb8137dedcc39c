"""One generic explicit Runge--Kutta stepper driven by a Butcher tableau, and the named methods.

Stage ``i`` of a step from ``(t, y)`` of size ``h`` is

.. math::
    Y_i = y + \\sum_{j<i} a_{ij} K_j, \\qquad K_i = h\\, f(t + c_i h, Y_i),

with the ``K`` stacked in one ``(s, N)`` matrix so that every stage sum is a single ``addmv``,
the error estimate ``err = E K`` a single ``mm`` and the dense output ``y + W(theta) K`` a single
``addmm``. Without autograd the stages, stage inputs and the two alternating solution buffers
are preallocated once per solve and written in place (``out=``); with autograd a fresh stage
matrix is used per step so the graph stays valid.

The last stage is ``f(t + h, y_1)`` (FSAL): it is the state carried to the next step.
"""

from __future__ import annotations

import threading
from typing import Any, ClassVar

import torch

from attractor.ode.esdirk import Kvaerno3, Kvaerno5
from attractor.ode.rosenbrock import Rodas5
from attractor.ode.stepper import AbstractStepper, Step
from attractor.ode.tableau import ButcherTableau
from attractor.ode.tableaus import BOSH3, DOPRI5, DOPRI8, EULER, HEUN, MIDPOINT, RALSTON, RK4, TSIT5

_COEFF_CACHE: dict[tuple[str, torch.dtype, torch.device], _Coefficients] = {}
_BUFFER_CACHE: dict[tuple, _Buffers] = {}


class _Coefficients:
    """A tableau's coefficients as tensors of one dtype on one device."""

    def __init__(self, tableau: ButcherTableau, dtype: torch.dtype, device: torch.device) -> None:
        s = tableau.stages
        rows = list(tableau.a) + list(tableau.dense_a)
        # a[i] padded to length i (stage i combines stages 0..i-1)
        self.a = [None] + [torch.tensor(row, dtype=dtype, device=device) for row in rows[1:]]
        self.error = (
            torch.tensor(tableau.error, dtype=dtype, device=device) if tableau.error else None
        )
        self.dense = torch.tensor(tableau.dense, dtype=dtype, device=device)
        self.c = list(tableau.c)
        self.dense_c = list(tableau.dense_c)
        self.stages = s


def _coefficients(tableau: ButcherTableau, dtype: torch.dtype, device: torch.device) -> _Coefficients:
    key = (tableau.name, dtype, torch.device(device))
    coeffs = _COEFF_CACHE.get(key)
    if coeffs is None:
        coeffs = _COEFF_CACHE[key] = _Coefficients(tableau, dtype, device)
    return coeffs


class _Buffers:
    """Preallocated storage for one solve without autograd (reused by later solves of the same
    shape once released; a solve nested inside another gets its own)."""

    def __init__(self, coeffs: _Coefficients, y0: torch.Tensor, shape: torch.Size) -> None:
        self.busy = False
        s = coeffs.stages
        n_all = s + len(coeffs.dense_c)
        n = y0.numel()
        self.coeffs = coeffs
        self.K = y0.new_empty(n_all, n)
        self.Ks = self.K[:s]
        self.Kv = [row.view(shape) for row in self.K]
        self.KT = [None] + [self.K[:i].T for i in range(1, n_all)]
        # stage inputs 1..s-2 and the extra dense stages; stage s-1 is y1 (two alternating slots)
        self.Y = [None] + [y0.new_empty(n) for _ in range(1, n_all)]
        self.Yv = [None if b is None else b.view(shape) for b in self.Y]
        self.y_slots = (self.Y[s - 1], y0.new_empty(n))
        self.y_views = (self.Yv[s - 1], self.y_slots[1].view(shape))
        self.err = y0.new_empty(coeffs.error.shape[0], n) if coeffs.error is not None else None


class ExplicitRungeKutta(AbstractStepper):
    """Explicit Runge--Kutta method defined by ``tableau`` (see the module docstring)."""

    tableau: ClassVar[ButcherTableau]

    def __init__(self, tableau: ButcherTableau | None = None) -> None:
        if tableau is not None:
            self.tableau = tableau
        self.order = self.tableau.order
        self.error_order = self.tableau.error_order

    # -- interface ---------------------------------------------------------------------------
    def workspace(self, field, y0: torch.Tensor, functional: bool, tolerances: Any = None) -> Any:
        coeffs = _coefficients(self.tableau, y0.dtype, y0.device)
        if functional:
            return coeffs
        key = (self.tableau.name, y0.dtype, y0.device, field.shape, threading.get_ident())
        work = _BUFFER_CACHE.get(key)
        if work is None or work.busy:
            if len(_BUFFER_CACHE) >= 32:
                _BUFFER_CACHE.clear()
            work = _BUFFER_CACHE[key] = _Buffers(coeffs, y0, field.shape)
        work.busy = True
        return work

    def release(self, work: Any) -> None:
        if isinstance(work, _Buffers):
            work.busy = False

    def init(self, field, t0, y0, f0, work) -> Any:
        return f0

    def step(self, field, t, h, y, state, work, closing: bool = True) -> Step:
        """One step; ``closing=False`` skips the appended last stage ``f(t + h, y_1)``: the loops
        ask for that on the last fixed step when nothing reads the end-point slope (no error
        estimate, dense output or events), which saves one evaluation per solve."""
        if isinstance(work, _Buffers):
            return self._step_buffered(field, t, h, y, state, work, closing)
        return self._step_functional(field, t, h, y, state, work, closing)

    def dense_stages(self, field, t, h, y, step, work) -> torch.Tensor:
        coeffs = work.coeffs if isinstance(work, _Buffers) else work
        s = coeffs.stages
        stages = step.stages.matrix() if isinstance(step.stages, _RecordedStages) else step.stages
        if not coeffs.dense_c:
            return stages
        times = _stage_times(field, t, h, coeffs.dense_c)
        if isinstance(work, _Buffers):
            for n, i in enumerate(range(s, s + len(coeffs.dense_c))):
                torch.addmv(y, work.KT[i], coeffs.a[i], out=work.Y[i])
                torch.mul(field(times[n], work.Yv[i]), h, out=work.Kv[i])
            return work.K
        # same layout as the buffered path (rows of one matrix), so results agree bit for bit
        K = y.new_empty(s + len(coeffs.dense_c), y.numel())
        K[:s] = stages
        Kv = K.view((K.shape[0],) + field.shape)
        for n, i in enumerate(range(s, s + len(coeffs.dense_c))):
            yi = torch.addmv(y, K[:i].T, coeffs.a[i])
            Kv[i] = field(times[n], yi.view(field.shape)) * h
        return K

    def dense_coefficients(self, dtype, device) -> torch.Tensor:
        return _coefficients(self.tableau, dtype, device).dense

    def combine_error_norms(self, norms: torch.Tensor) -> torch.Tensor:
        return norms[0]

    # -- the two implementations of a step ---------------------------------------------------
    def _step_buffered(self, field, t, h, y, f0, work: _Buffers, closing: bool = True) -> Step:
        coeffs = work.coeffs
        s = coeffs.stages
        times = _stage_times(field, t, h, coeffs.c)
        slot = 1 if y is work.y_slots[0] else 0
        torch.mul(f0, h, out=work.Kv[0])
        k = f0
        for i in range(1, s):
            if i == s - 1:
                yi, yv = work.y_slots[slot], work.y_views[slot]
            else:
                yi, yv = work.Y[i], work.Yv[i]
            torch.addmv(y, work.KT[i], coeffs.a[i], out=yi)
            if i == s - 1 and not closing:
                return Step(yi, None, work.Ks, None)
            k = field(times[i], yv)
            torch.mul(k, h, out=work.Kv[i])
        error = None
        if coeffs.error is not None:
            error = torch.mm(coeffs.error, work.Ks, out=work.err)
        return Step(yi, error, work.Ks, k)

    def _step_functional(self, field, t, h, y, f0, coeffs: _Coefficients, closing: bool = True) -> Step:
        # K holds the h-scaled stage values (no graph): the error estimate and the stage sums
        # read it. With autograd recording, each stage sum is one _StageSum node on the raw
        # slopes k_j (backward: one outer product), instead of in-place copies into K.
        s = coeffs.stages
        times = _stage_times(field, t, h, coeffs.c)
        K = y.new_empty(s, y.numel())
        Kv = K.view((s,) + field.shape)
        track = torch.is_grad_enabled()
        k = f0
        torch.mul(f0.detach(), h, out=Kv[0])
        ks = [f0]
        for i in range(1, s):
            if track:
                yi = _StageSum.apply(y, coeffs.a[i], h, K, *ks)
            else:
                yi = torch.addmv(y, K[:i].T, coeffs.a[i])
            if i == s - 1 and not closing:
                return Step(yi, None, _RecordedStages(ks, h) if track else K, None)
            k = field(times[i], yi.view(field.shape))
            torch.mul(k.detach(), h, out=Kv[i])
            ks.append(k)
        error = torch.mm(coeffs.error, K) if coeffs.error is not None else None
        # with a graph, the stage matrix is only assembled if a dense output asks for it
        return Step(yi, error, _RecordedStages(ks, h) if track else K, k)

    def step_pointwise(self, field, t, h, y, f0) -> tuple[Step, list[torch.Tensor]]:
        """The same step written with the coefficients as Python constants and no matrix
        products: purely elementwise, so ``torch.compile`` fuses it into a few kernels (the
        ``addmv`` of the eager path would be an opaque library call). Also returns the slopes."""
        tab = self.tableau
        ks = [f0]
        Ks = [f0.reshape(-1) * h]
        yi = y
        for i in range(1, tab.stages):
            yi = _combine(y, tab.a[i], Ks)
            ks.append(field(t + tab.c[i] * h, yi.view(field.shape)))
            Ks.append(ks[-1].reshape(-1) * h)
        error = torch.stack([_combine(None, row, Ks) for row in tab.error]) if tab.error else None
        return Step(yi, error, torch.stack(Ks), ks[-1]), Ks

    def dense_pointwise(self, field, t, h, y, Ks: list[torch.Tensor]) -> torch.Tensor:
        """The continuous extension's extra stages, elementwise (see :meth:`step_pointwise`)."""
        tab = self.tableau
        Ks = list(Ks)
        for c, row in zip(tab.dense_c, tab.dense_a):
            yi = _combine(y, row, Ks)
            Ks.append(field(t + c * h, yi.view(field.shape)).reshape(-1) * h)
        return torch.stack(Ks)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def _combine(y: torch.Tensor | None, weights, Ks: list[torch.Tensor]) -> torch.Tensor:
    """``y + sum_j w_j K_j`` over the nonzero ``w_j`` (Python floats)."""
    out = y
    for w, K in zip(weights, Ks):
        if w != 0.0:
            out = K * w if out is None else out + K * w
    return out if out is not None else torch.zeros_like(Ks[0])


class _RecordedStages:
    """The slopes of a step recorded by autograd; :meth:`matrix` stacks them into the ``(s, N)``
    h-scaled stage matrix with its graph (a copy of every slope, paid only by steps that hold
    outputs or events)."""

    __slots__ = ("h", "ks")

    def __init__(self, ks: list[torch.Tensor], h) -> None:
        self.ks, self.h = ks, h

    def matrix(self) -> torch.Tensor:
        return (torch.stack(self.ks) * self.h).view(len(self.ks), -1)


class _StageSum(torch.autograd.Function):
    """``y + sum_j a_j h k_j`` where ``K`` (no graph) already holds the values ``h k_j`` of the
    slopes ``ks`` (graph). Backward: ``dy = g``, ``dk_j = a_j h g`` (one outer product)."""

    @staticmethod
    def forward(ctx, y, a, h, K, *ks):
        ctx.save_for_backward(a)
        ctx.h = h
        ctx.stage_shape = ks[0].shape
        return torch.addmv(y, K[: a.numel()].T, a)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        h = ctx.h
        if isinstance(h, torch.Tensor):  # a step per sample: h broadcasts over the state
            grads = torch.outer(a, g).view((a.numel(),) + ctx.stage_shape) * h
        else:  # one step: fold h into the (short) coefficient vector, one pass over the state
            grads = torch.outer(a * h, g).view((a.numel(),) + ctx.stage_shape)
        return (g, None, None, None, *grads.unbind(0))


def _stage_times(field, t, h, nodes: list[float]):
    if isinstance(t, torch.Tensor):
        return [t if c == 0.0 else torch.add(t, h, alpha=c) for c in nodes]
    return field.times(t, h, nodes)


class Euler(ExplicitRungeKutta):
    """Forward Euler, ``y_1 = y_0 + h f(t_0, y_0)`` (order 1; fixed steps; Hermite dense output)."""

    tableau = EULER


class Midpoint(ExplicitRungeKutta):
    """Explicit midpoint rule (order 2) with embedded Euler; Hermite dense output."""

    tableau = MIDPOINT


class Heun(ExplicitRungeKutta):
    """Heun's method / explicit trapezoid (order 2) with embedded Euler; Hermite dense output."""

    tableau = HEUN


class Ralston(ExplicitRungeKutta):
    """Ralston's minimum-error 2nd-order method with embedded Euler; Hermite dense output."""

    tableau = RALSTON


class RK4(ExplicitRungeKutta):
    """The classical 4th-order Runge--Kutta method (fixed steps; Hermite dense output)."""

    tableau = RK4


class Bosh3(ExplicitRungeKutta):
    """Bogacki--Shampine 3(2), FSAL, with its Hermite cubic dense output."""

    tableau = BOSH3


class Dopri5(ExplicitRungeKutta):
    """Dormand--Prince 5(4), FSAL, with Hairer's 4th-order dense output (DOPRI5's CONTD5)."""

    tableau = DOPRI5


class Tsit5(ExplicitRungeKutta):
    """Tsitouras 5(4), FSAL, with Tsitouras' 4th-order interpolant."""

    tableau = TSIT5


class Dopri8(ExplicitRungeKutta):
    """Dormand--Prince 8(5,3) (Hairer's DOP853) with its 7th-order dense output.

    The error ratio combines the 5th- and 3rd-order estimators as in DOP853:
    ``r = n_5^2 / sqrt(n_5^2 + 0.01 n_3^2)``. The 7th-order interpolant needs three more
    evaluations, spent only in steps that hold output times or events.
    """

    tableau = DOPRI8

    def combine_error_norms(self, norms: torch.Tensor) -> torch.Tensor:
        n5, n3 = norms[0], norms[1]
        sq = n5 * n5
        denom = torch.sqrt(sq + 0.01 * n3 * n3)
        # 0 / 0 (an exact step) is 0; NaN and inf / inf stay non-finite, so such a trial step
        # is rejected (a `denom > 0` test would have turned NaN into an accepted 0)
        return torch.where(denom == 0, 0.0, sq / torch.where(denom == 0, 1.0, denom))


SOLVERS: dict[str, type[AbstractStepper]] = {
    "euler": Euler,
    "midpoint": Midpoint,
    "heun": Heun,
    "ralston": Ralston,
    "rk4": RK4,
    "bosh3": Bosh3,
    "dopri5": Dopri5,
    "tsit5": Tsit5,
    "dopri8": Dopri8,
    # stiff (implicit) methods
    "kvaerno3": Kvaerno3,
    "kvaerno5": Kvaerno5,
    "rodas5": Rodas5,
}
