"""Lyapunov spectra by the Benettin / QR method on the variational equation.

Algorithm (Benettin, Galgani, Giorgilli & Strelcyn, Meccanica 15, 1980; Shimada & Nagashima,
Prog. Theor. Phys. 61, 1979). With ``Q_0`` an orthonormal ``d × k`` frame, repeat over
intervals of length ``τ``:

.. math::
    (y_{m+1}, W_{m+1}) = \\bigl(\\varphi_τ(y_m),\\; D\\varphi_τ(y_m)\\, Q_m\\bigr), \\qquad
    Q_{m+1} R_{m+1} = W_{m+1}\\ \\text{(QR)}, \\qquad
    λ_i ≈ \\frac{1}{Mτ} \\sum_{m=1}^{M} \\log |R_{m, ii}|,

where ``Dφ_τ Q`` solves the variational equation ``Q' = J(y) Q`` (flows, integrated with
:func:`attractor.odeint`) or is the product of map Jacobians (maps); ``J Q`` comes from a
system's analytic tangent map or from batched autograd (:mod:`attractor.analysis.tangent`),
never from finite differences.

Statistical convergence is measured, not assumed: the averaging is split into chunks of
about one period, the standard error of each exponent is estimated by batch means over
those chunks (Flyvbjerg & Petersen, J. Chem. Phys. 91, 1989) or, for an ensemble of
initial states that the transient has decorrelated, by the spread across members — or by
the batch means of the ensemble average where that is larger, because members of a
phase-coherent flow keep a common phase long after they have spread over the attractor and
share a fluctuation their spread does not show (Sprott's jerk flow after 180 time units:
a spread of ±0.0009 beside an actual error of 0.0055) — and the run stops when every exponent's
standard error is below
``tol · max(|λ_i|, |λ_1|) + abs_tol`` (after at least 16 chunks and, for a chaotic orbit,
five Lyapunov times). A run that does not get there by ``max_time`` fails loudly
(``on_failure="raise"``) or reports ``Status.MAX_STEPS`` per sample.
"""

from __future__ import annotations

import dataclasses
import math
import time as _time
from collections.abc import Callable
from typing import Any

import torch

from attractor._core.errors import raise_if_failed
from attractor._core.progress import progress as _progress
from attractor._core.status import Status, is_ok
from attractor._core.validation import (
    check_callable,
    check_choice,
    check_int,
    check_positive,
    check_tensor,
)
from attractor.analysis.dimensions import kaplan_yorke_dimension
from attractor.analysis.propagators import FlowPropagator, MapPropagator
from attractor.analysis.tangent import JVP_MODES

FIXED_STEP_SOLVERS = ("euler", "midpoint", "heun", "ralston", "rk4")
# log-growth spread allowed between the fastest and slowest tangent direction within one
# interval before re-orthonormalising: e^8 ≈ 3000 costs ~3.5 of float64's 16 digits in the
# weakest direction; float32 gets e^3.
_SPREAD = {torch.float64: 8.0, torch.float32: 3.0, torch.float16: 1.5, torch.bfloat16: 1.0}
_MIN_CHUNKS = 16  # chunks averaged before a batch-means standard error is trusted
_N_BLOCKS = 16  # batch-means blocks
_MIN_LYAPUNOV_TIMES = 5.0  # averaging time × λ1 before a chaotic run may stop


@dataclasses.dataclass
class LyapunovSpectrum:
    """Result of :func:`lyapunov_spectrum`.

    Attributes
    ----------
    exponents: ``(*batch, k)`` Lyapunov exponents in decreasing order (per unit time for
        flows, per iteration for maps); with an ensemble, the mean over the members that did
        not blow up. NaN for a sample whose status is ``NONFINITE``.
    stderr: ``(*batch, k)`` standard errors (batch means over time, or across members).
    status: ``(*batch,)`` :class:`attractor.Status` codes (``MAX_STEPS``: the tolerance was
        not reached by ``max_time``; ``NONFINITE``: the trajectory blew up).
    time: ``(*batch,)`` averaging time (flows) or iterations (maps) per sample, transient
        excluded.
    history: ``(n_checks, *batch, k)`` running estimates at each convergence check.
    members: ``(ensemble, k)`` per-member exponents when an ensemble was used, else ``None``.
    stats: ``nfe`` (right-hand-side evaluations), ``intervals``, ``interval`` (τ),
        ``transient``, ``wall`` (seconds) and the ``dt``/``solver`` used.
    """

    exponents: torch.Tensor
    stderr: torch.Tensor
    status: torch.Tensor
    time: torch.Tensor
    history: torch.Tensor
    members: torch.Tensor | None
    stats: dict[str, Any]

    @property
    def ok(self) -> torch.Tensor:
        return is_ok(self.status)

    @property
    def sum(self) -> torch.Tensor:
        """Sum of the exponents (the mean phase-space contraction rate when k = d)."""
        return self.exponents.sum(-1)

    @property
    def kaplan_yorke_dimension(self) -> torch.Tensor:
        return kaplan_yorke_dimension(self.exponents)

    def __repr__(self) -> str:
        ex = self.exponents.detach().cpu()
        return (
            f"LyapunovSpectrum(exponents={ex.tolist() if ex.numel() <= 12 else tuple(ex.shape)}, "
            f"status={self.status.tolist() if self.status.numel() <= 8 else '...'})"
        )


@dataclasses.dataclass
class _Problem:
    """Everything the loop needs, resolved from the user's arguments."""

    propagate: Any
    y: torch.Tensor  # (B, d)
    k: int
    discrete: bool
    dt: float
    period: float | None
    batch_shape: tuple[int, ...]
    ensemble: int


def _resolve(system, y0, *, n_exponents, discrete, ensemble, dt, solver, rtol, atol, args,
             jvp_mode, spread) -> _Problem:
    from attractor.systems.base import FLOW, System
    from attractor.systems.registry import get

    if isinstance(system, str):
        system = get(system)
    period = None
    if isinstance(system, System):
        if discrete is not None and discrete != (system.kind != FLOW):
            raise ValueError(f"`discrete={discrete}` contradicts {system.name!r}, a {system.kind}.")
        discrete = system.kind != FLOW
        f: Callable[..., torch.Tensor] = system
        period = system.period
        if dt is None and not discrete:
            dt = system.dt
        if y0 is None:
            y0 = system.initial_state()
            if ensemble is None:
                ensemble = default_ensemble(system.dim, _n_exponents(n_exponents, system.dim))
    else:
        check_callable("system", system)
        f = system
        discrete = bool(discrete)
        if y0 is None:
            raise ValueError("`y0` is required when `system` is a function rather than a System.")
    y0 = check_tensor("y0", y0, min_dim=1)
    d = y0.shape[-1]
    if d == 0 or y0.numel() == 0:
        raise ValueError(f"`y0` must hold at least one state of at least one variable, shape "
                         f"(*batch, d) with d >= 1; got shape {tuple(y0.shape)}.")
    if isinstance(system, System) and d != system.dim:
        raise ValueError(f"`y0` has {d} entries in its last dimension; {system.name!r} has dimension "
                         f"{system.dim}: expected shape (*batch, {system.dim}).")
    k = _n_exponents(n_exponents, d)
    ensemble = 1 if ensemble is None else check_int("ensemble", ensemble)
    if ensemble > 1 and y0.dim() != 1:
        raise ValueError(
            f"`ensemble` needs one initial state of shape ({d},); got shape {tuple(y0.shape)}. "
            "A batch of initial states is solved sample by sample."
        )
    check_choice("jvp_mode", jvp_mode, JVP_MODES)
    if discrete:
        dt = 1.0
        propagate = MapPropagator(f, args=args, jvp_mode=jvp_mode)
    else:
        if dt is None:
            if isinstance(solver, str) and solver.lower() in FIXED_STEP_SOLVERS:
                raise ValueError(f"`dt` is required with the fixed-step solver {solver!r}.")
            dt = 0.01
        dt = check_positive("dt", dt)
        fixed = isinstance(solver, str) and solver.lower() in FIXED_STEP_SOLVERS
        propagate = FlowPropagator(
            f, solver=solver, dt=dt if fixed else None, rtol=rtol, atol=atol, args=args,
            jvp_mode=jvp_mode,
        )
    _check_field(f, y0, discrete, args)
    batch_shape = tuple(y0.shape[:-1])
    y = y0.reshape(-1, d)
    if ensemble > 1:
        y = _spread(y0, ensemble, spread)
    return _Problem(propagate, y, k, discrete, dt, period, batch_shape, ensemble)


def _check_field(f: Callable[..., torch.Tensor], y0: torch.Tensor, discrete: bool, args: tuple) -> None:
    """One evaluation at ``y0``, so that a field returning the wrong thing is named here rather
    than failing inside the tangent propagation (the check ``odeint`` makes of its ``f``)."""
    t0 = torch.zeros((), dtype=y0.dtype, device=y0.device)
    with torch.no_grad():
        out = f(y0, *args) if discrete else f(t0, y0, *args)
    what = "map `system(y)`" if discrete else "field `system(t, y)`"
    if not isinstance(out, torch.Tensor):
        raise TypeError(f"the {what} must return a torch.Tensor; got {type(out).__name__}.")
    if out.shape != y0.shape:
        raise ValueError(f"the {what} returned shape {tuple(out.shape)}; expected "
                         f"{tuple(y0.shape)} (the shape of `y0`).")
    if out.dtype != y0.dtype:
        raise TypeError(f"the {what} returned dtype {out.dtype}; expected {y0.dtype} (the dtype of `y0`).")


def _n_exponents(n_exponents: int | None, d: int) -> int:
    k = d if n_exponents is None else check_int("n_exponents", n_exponents)
    if not 1 <= k <= d:
        raise ValueError(f"`n_exponents` must lie in [1, {d}] (the state dimension); got {k}.")
    return k


def default_ensemble(d: int, k: int) -> int:
    """Ensemble size used when no ``y0`` is given: 64 members for small systems, fewer as
    the tangent frames grow (about 8192 tangent entries in all), at least 8. On CPU the cost of
    a step is per-operation overhead for small systems, so 64 members cost about what one
    does while cutting the statistical error eightfold."""
    return max(8, min(64, 8192 // (d * k)))


def _spread(y0: torch.Tensor, count: int, size: float) -> torch.Tensor:
    """``count`` copies of ``y0`` displaced by independent Gaussian kicks of relative size
    ``size`` (of the state's RMS magnitude). Chaos separates them to the attractor's scale
    within about ``ln(1/size) / λ_1`` — the decorrelation part of the transient — after
    which the members sample the attractor independently. (Points along one orbit would
    not do: their averaging windows would overlap and the spread across members would
    understate the error.) The kicks come from a fixed seed, so results are reproducible."""
    gen = torch.Generator().manual_seed(7)
    kicks = torch.randn((count,) + tuple(y0.shape), generator=gen, dtype=torch.float64)
    kicks[0] = 0  # the first member is the given state itself
    scale = y0.detach().pow(2).mean().sqrt().clamp_min(1.0)
    return y0.unsqueeze(0) + size * scale * kicks.to(dtype=y0.dtype, device=y0.device)


def _initial_frame(d: int, k: int, like: torch.Tensor, batch: int) -> torch.Tensor:
    # a fixed generic frame (not the coordinate axes, which can be special for symmetric
    # systems); the same for every sample so that batched and single solves agree
    gen = torch.Generator().manual_seed(20240605)
    a = torch.randn(d, d, generator=gen, dtype=torch.float64)[:, :k]  # leading columns agree for every k
    q = torch.linalg.qr(a).Q.to(dtype=like.dtype, device=like.device)
    return q.expand(batch, d, k).clone()


def _qr_step(w: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    q, r = torch.linalg.qr(w)
    diag = torch.diagonal(r, dim1=-2, dim2=-1)
    # keep R's diagonal positive so Q varies continuously from interval to interval
    sign = torch.where(diag < 0, -1.0, 1.0).to(w.dtype)
    return q * sign.unsqueeze(-2), torch.log(diag.abs())


def _block_stderr(chunks: torch.Tensor, span: float) -> torch.Tensor:
    """Batch-means standard error of the rate, from chunk sums of shape (n, B, k)."""
    n = chunks.shape[0]
    nb = min(_N_BLOCKS, n)
    if nb < 2:
        return torch.full(chunks.shape[1:], math.inf, dtype=chunks.dtype, device=chunks.device)
    m = n // nb
    blocks = chunks[n - nb * m :].reshape(nb, m, *chunks.shape[1:]).sum(1) / (m * span)
    return blocks.std(dim=0, unbiased=True) / math.sqrt(nb)


def lyapunov_spectrum(
    system: Any,
    y0: torch.Tensor | None = None,
    *,
    n_exponents: int | None = None,
    discrete: bool | None = None,
    ensemble: int | None = None,
    dt: float | None = None,
    solver: Any = "rk4",
    rtol: float = 1e-8,
    atol: float = 1e-10,
    interval: float | None = None,
    transient: float | None = None,
    max_time: float | None = None,
    tol: float = 0.01,
    abs_tol: float = 0.0,
    spread: float = 1e-3,
    args: tuple = (),
    jvp_mode: str = "auto",
    on_failure: str = "raise",
    progress: bool = False,
) -> LyapunovSpectrum:
    """Lyapunov spectrum of a flow or map by the Benettin / QR method (see module docstring).

    Parameters
    ----------
    system: a registry :class:`~attractor.systems.System`, its name, or a function:
        ``f(t, y, *args) -> dy/dt`` (flow) or ``F(y, *args) -> y_next`` (map, with
        ``discrete=True``) acting on the last dimension of a batched state.
    y0: initial state(s) ``(*batch, d)``; each sample gets its own spectrum. Default (for a
        System): the reference state, expanded into an ensemble.
    n_exponents: how many leading exponents (default all ``d``); fewer is cheaper.
    ensemble: number of copies of a single ``y0``, kicked apart (``spread``) and decorrelated
        by the dynamics during the transient, whose spectra are averaged. Members run as one
        batch, so an ensemble costs little more than one orbit while its statistical error
        falls like ``1/√ensemble``. Default: :func:`default_ensemble` (64 for small systems)
        when ``y0`` is not given, else 1 (each given state is its own sample).
    dt, solver, rtol, atol: integration of the variational equation by
        :func:`attractor.odeint`. The default is fixed-step RK4 with the system's ``dt``
        (about 1/100 of its dominant period): the exponents' discretisation error is
        O(dt⁴) — far below the statistical error — and a fixed step costs no error control,
        no rejected steps and no host synchronisation. Pass an adaptive solver (``"tsit5"``)
        with ``rtol``/``atol`` for stiff or multi-scale systems; ``dt`` (default 0.01 for a
        plain function) then only sets the time scale of the calibration and intervals.
    interval: re-orthonormalisation interval τ (time; iterations for maps). Default: chosen
        after a short calibration so the tangent directions' growth ratio over one interval
        is about e^8 (float64) or e^3 (float32) — long enough to amortise the QR and the
        ``odeint`` call, short enough to keep the weakest direction resolved.
    transient: time (iterations) run before averaging, letting the frame align with the
        Lyapunov vectors. Default ``max(5 periods, 500 dt)`` for flows, 200 iterations for
        maps; with an ensemble, extended until the members are spread over the attractor
        (median distance to the first member at least the orbit's RMS size) and three
        periods more (at most 100 periods), so that they sample it independently.
    max_time: averaging time (iterations) budget per sample, rounded up to whole chunks.
        Default ``100000 dt`` for flows, 100000 iterations for maps.
    tol, abs_tol: stop once every exponent's standard error is at most
        ``tol · max(|λ_i|, |λ_1|) + abs_tol``, after at least 16 chunks (about 16 periods)
        and, for a chaotic orbit, five Lyapunov times ``5 / λ_1``.
    spread: relative size of the random kicks that separate ensemble members (see
        ``_spread``); the default transient adds the time chaos needs to amplify them.
    jvp_mode: how ``J Q`` is computed: ``"auto"`` (a registry system's analytic tangent map
        when it has one, else reverse-mode autograd), ``"analytic"``, ``"reverse"``,
        ``"forward"`` or ``"vmap"`` (see :mod:`attractor.analysis.tangent`).
    on_failure: ``"raise"`` (default) raises :class:`attractor.ConvergenceError` when a sample
        misses the tolerance or blows up; ``"status"`` returns the per-sample status.
    progress: show a progress bar.

    Example
    -------
    >>> from attractor.systems import get
    >>> res = lyapunov_spectrum(get("lorenz"))
    >>> res.exponents, res.sum, res.kaplan_yorke_dimension   # ≈ (0.906, 0, -14.57), -13.67, 2.06
    """
    start = _time.perf_counter()
    check_choice("on_failure", on_failure, ["raise", "status"])
    p = _resolve(
        system, y0, n_exponents=n_exponents, discrete=discrete, ensemble=ensemble, dt=dt,
        solver=solver, rtol=rtol, atol=atol, args=args, jvp_mode=jvp_mode, spread=spread,
    )
    method = Benettin(tol=tol, abs_tol=abs_tol, interval=interval, transient=transient, max_time=max_time)
    state = method.init(p)
    chunks = _progress(range(state.max_chunks), total=state.max_chunks, desc="lyapunov", enable=progress)
    for _ in chunks:
        state = method.step(p, state)
        if method.terminate(p, state):
            break
    result = _result(p, state, solver, _time.perf_counter() - start)
    if on_failure == "raise":
        raise_if_failed(
            "lyapunov_spectrum",
            result.status,
            {"max_stderr": result.stderr.amax(-1), "time": result.time},
            solution=result,
            hint=(
                "The standard error did not fall below `tol` within `max_time` (raise "
                "`max_time`, loosen `tol`, or use `ensemble`), or the orbit blew up (NONFINITE). "
                "Pass on_failure='status' to get the estimates anyway."
            ),
        )
    return result


@dataclasses.dataclass
class _State:
    """Where a Benettin run stands: the orbit and frame, the interval, the chunk sums of
    ``log |R_ii|`` and, per sample, the frozen answer once it converged (or blew up)."""

    y: torch.Tensor
    q: torch.Tensor
    t: float
    tau: float
    per_chunk: int
    max_chunks: int
    transient: float
    status: torch.Tensor
    done: torch.Tensor
    final: torch.Tensor
    final_err: torch.Tensor
    final_time: torch.Tensor
    chunks: list = dataclasses.field(default_factory=list)
    history: list = dataclasses.field(default_factory=list)

    @property
    def span(self) -> float:
        return self.per_chunk * self.tau


class Benettin:
    """The Benettin / QR iteration as a solver: ``init`` (frame, calibration of the interval,
    transient, decorrelation of an ensemble), ``step`` (one chunk of intervals, about a
    period), ``terminate`` (the statistical convergence test). Hyper-parameters are those of
    :func:`lyapunov_spectrum`."""

    def __init__(self, *, tol=0.01, abs_tol=0.0, interval=None, transient=None, max_time=None):
        self.tol = check_positive("tol", tol, allow_zero=True)
        self.abs_tol = check_positive("abs_tol", abs_tol, allow_zero=True)
        self.interval = None if interval is None else check_positive("interval", interval)
        self.transient = None if transient is None else check_positive("transient", transient, allow_zero=True)
        self.max_time = None if max_time is None else check_positive("max_time", max_time)

    def _advance(self, p: _Problem, s: _State, tau: float):
        """One interval and its QR step. A sample that blows up (in any phase: calibration,
        transient or averaging) is frozen at its last finite state, marked ``NONFINITE`` and
        contributes no growth; unconditional masking, no host sync."""
        y, w = p.propagate(s.t, s.y, s.q, tau)
        q, g = _qr_step(w)
        bad = ~torch.isfinite(g).all(-1) | ~torch.isfinite(y).all(-1)
        s.status = torch.where(bad & ~s.done, int(Status.NONFINITE), s.status)
        s.done = s.done | bad
        keep = bad.reshape(-1, 1)
        s.y = torch.where(keep, s.y, y)
        s.q = torch.where(keep.unsqueeze(-1), s.q, q)
        s.t = s.t + tau
        return torch.where(keep, torch.zeros_like(g), g)

    def init(self, p: _Problem) -> _State:
        y, k, dt = p.y, p.k, p.dt
        nb, d = y.shape
        chunk_span = 50.0 if p.discrete else max(p.period or 0.0, 100 * dt)
        transient = self.transient
        if transient is None:
            transient = 200.0 if p.discrete else max(5 * (p.period or 0.0), 500 * dt)
        max_time = self.max_time if self.max_time is not None else 100_000 * dt
        zeros = torch.zeros(nb, k, dtype=y.dtype, device=y.device)
        s = _State(
            y=y, q=_initial_frame(d, k, y, nb), t=0.0, tau=dt, per_chunk=1, max_chunks=1,
            transient=transient,
            status=torch.full((nb,), int(Status.MAX_STEPS), dtype=torch.long, device=y.device),
            done=torch.zeros(nb, dtype=torch.bool, device=y.device),
            final=zeros, final_err=torch.full_like(zeros, math.inf),
            final_time=torch.zeros(nb, dtype=y.dtype, device=y.device),
        )
        # calibration: growth rates over short intervals choose τ
        tau0 = dt if p.discrete else 10 * dt
        n_cal = max(10, math.ceil(min(transient, 50 * tau0) / tau0))
        rates = sum(self._advance(p, s, tau0) for _ in range(n_cal)) / (n_cal * tau0)
        interval = self.interval
        if interval is None:
            interval = min(_choose_interval(rates, y.dtype, dt, p.discrete), chunk_span)
        s.tau = max(1, round(interval / dt)) * dt
        orbit = []  # states of sample 0, to measure the attractor's size
        while s.t < transient:
            self._advance(p, s, s.tau)
            orbit.append(s.y[0])
        if self.transient is None and p.ensemble > 1:
            s.transient = self._decorrelate(p, s, orbit, chunk_span)
        s.per_chunk = max(1, round(chunk_span / s.tau))
        # the budget is honoured even below the 16 chunks a trusted standard error needs
        # (such a run ends with MAX_STEPS: an estimate, not a converged answer)
        s.max_chunks = max(1, math.ceil(max_time / s.span - 1e-9))
        return s

    def _decorrelate(self, p: _Problem, s: _State, orbit: list, chunk_span: float) -> float:
        """Run until the kicked members are spread over the attractor (median distance to
        member 0 at least the orbit's RMS size; independent points sit about √2 times that
        apart), then three chunks more to lose phase memory; at most 100 periods."""
        cap = s.t + (2000.0 if p.discrete else max(100 * (p.period or 0.0), 10_000 * p.dt))
        spread_out = None
        while s.t < cap and (spread_out is None or s.t < spread_out + 3 * chunk_span):
            if spread_out is None and len(orbit) > 1:
                size = torch.stack(orbit).std(0).norm()
                if bool((s.y - s.y[:1]).norm(dim=-1)[1:].median() >= size):
                    spread_out = s.t
            self._advance(p, s, s.tau)
            orbit.append(s.y[0])
        return s.t

    def step(self, p: _Problem, s: _State) -> _State:
        """One chunk of ``per_chunk`` intervals; samples that blow up are frozen at their last
        finite state and marked ``NONFINITE``."""
        acc = torch.zeros_like(s.final)
        for _ in range(s.per_chunk):
            acc = acc + self._advance(p, s, s.tau)
        s.chunks.append(acc)
        return s

    def terminate(self, p: _Problem, s: _State) -> bool:
        """Freeze the samples whose every exponent has standard error below
        ``tol · max(|λ_i|, |λ_1|) + abs_tol`` after at least 16 chunks and, when clearly
        chaotic, five Lyapunov times; True when every sample is done or time is up."""
        n = len(s.chunks)
        stacked = torch.stack(s.chunks)
        estimate = stacked.sum(0) / (n * s.span)
        if p.ensemble > 1:
            # decorrelated members are independent samples: the error of their mean is the
            # spread across members over √ensemble. Members that started together can keep a
            # common phase for many periods (phase-coherent flows such as Sprott's jerk), so
            # their estimates share a fluctuation the spread does not see; the batch-means
            # error of the ensemble-average rate over time does, and the larger one is used.
            alive = s.status != int(Status.NONFINITE)
            if int(alive.sum()) < 2:
                alive = torch.ones_like(alive)
            live = estimate[alive]
            mean = live.mean(0, keepdim=True).expand_as(estimate)
            spread = live.std(0, unbiased=True) / math.sqrt(live.shape[0])
            common = _block_stderr(stacked[:, alive].mean(1, keepdim=True), s.span)[0]
            err = torch.maximum(spread, common).expand_as(estimate)
        else:
            mean, err = estimate, _block_stderr(stacked, s.span)
        scale = torch.maximum(mean.abs(), mean[:, :1].abs())
        lam1, err1 = mean[:, 0], err[:, 0]
        long_enough = (lam1 - 2 * err1 <= 0) | (n * s.span * lam1 >= _MIN_LYAPUNOV_TIMES)
        converged = (err <= self.tol * scale + self.abs_tol).all(-1) & long_enough & (n >= _MIN_CHUNKS)
        newly = converged & ~s.done
        last = n >= s.max_chunks
        if bool(newly.any()) or last:
            take = (newly | ~s.done).unsqueeze(-1)
            s.final = torch.where(take, estimate, s.final)
            s.final_err = torch.where(take, err, s.final_err)
            s.final_time = torch.where(take[:, 0], torch.full_like(s.final_time, n * s.span), s.final_time)
            s.status = torch.where(newly, int(Status.SUCCESS), s.status)
            s.done = s.done | newly
        s.history.append(torch.where(s.done.unsqueeze(-1), s.final, estimate))
        return bool(s.done.all()) or last


def _result(p: _Problem, s: _State, solver: Any, wall: float) -> LyapunovSpectrum:
    hist = torch.stack(s.history)
    k = p.k
    members = None
    # a sample that blew up has no exponents: NaN, not the zeros its sums were frozen at
    blown = (s.status == int(Status.NONFINITE)).unsqueeze(-1)
    final = s.final.masked_fill(blown, math.nan)
    final_err = s.final_err.masked_fill(blown, math.nan)
    if p.ensemble > 1:
        # members that blew up left the basin of the attractor when kicked: drop them
        alive = ~blown[:, 0]
        n_alive = int(alive.sum())
        members = final
        if n_alive >= 2:
            exponents = final[alive].mean(0)
            stderr = final_err[alive][0]
            status = s.status[alive].max()
        else:
            exponents, stderr = final[0] * math.nan, final_err[0] * math.nan
            status = torch.tensor(int(Status.NONFINITE), device=s.status.device)
        time = s.final_time[alive].max() if n_alive else s.final_time.max()
        hist = (hist * alive.unsqueeze(-1)).sum(1) / max(n_alive, 1)
    else:
        exponents = final.reshape(*p.batch_shape, k)
        stderr = final_err.reshape(*p.batch_shape, k)
        status = s.status.reshape(p.batch_shape)
        time = s.final_time.reshape(p.batch_shape)
        hist = hist.reshape(hist.shape[0], *p.batch_shape, k)
    stats = {
        "nfe": p.propagate.nfe,
        "dropped_members": 0 if members is None else int((s.status == int(Status.NONFINITE)).sum()),
        "intervals": len(s.chunks) * s.per_chunk,
        "interval": s.tau,
        "transient": float(s.transient),
        "dt": p.dt,
        "solver": "map" if p.discrete else solver,
        "wall": wall,
    }
    return LyapunovSpectrum(exponents, stderr, status, time, hist, members, stats)


def _choose_interval(rates: torch.Tensor, dtype: torch.dtype, dt: float, discrete: bool) -> float:
    """τ such that the log-growth spread (or, for one exponent, the growth) over one interval
    is about ``_SPREAD[dtype]``; between one step and 1000 steps (50 iterations for maps).
    (The caller also caps τ at one convergence-check chunk, about one period.)"""
    finite = torch.where(torch.isfinite(rates), rates, torch.zeros_like(rates))
    if finite.shape[-1] > 1:
        spread = (finite.amax(-1) - finite.amin(-1)).amax()
    else:
        spread = finite.abs().amax()
    spread = float(spread)
    target = _SPREAD.get(dtype, 3.0)
    longest = 50.0 if discrete else 1000 * dt
    if spread <= 0 or not math.isfinite(spread):
        return longest
    return min(max(target / spread, dt), longest)


def max_lyapunov(source: Any, y0: torch.Tensor | None = None, **kwargs: Any) -> torch.Tensor:
    """Largest Lyapunov exponent, from a model or from a measured time series.

    * ``source`` a System, name or function: :func:`lyapunov_spectrum` with one exponent
      (``kwargs`` are passed on); returns a tensor of shape ``batch``.
    * ``source`` a tensor ``(T, d)`` or ``(T,)`` of observations: Rosenstein's method
      (:func:`attractor.analysis.rosenstein`; ``kwargs`` such as ``dt``, ``dim``, ``delay``
      are passed on); returns a 0-dim tensor.
    """
    if isinstance(source, torch.Tensor):
        if y0 is not None:
            raise ValueError("`y0` is meaningless for a time series; pass `dt=` and options only.")
        from attractor.analysis.rosenstein import rosenstein

        return rosenstein(source, **kwargs).exponent
    res = lyapunov_spectrum(source, y0, n_exponents=1, **kwargs)
    return res.exponents[..., 0]
