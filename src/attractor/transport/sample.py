"""``sample``: run a sampler from noise to data, with statistics and failure reporting."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch

from attractor._core.errors import raise_if_failed
from attractor._core.status import Status, is_ok
from attractor._core.validation import check_choice, check_in_range, check_tensor
from attractor.transport.field import TransportField, TransportModel
from attractor.transport.paths.base import Path
from attractor.transport.samplers.base import Sampler, SamplingProblem


@dataclass
class SampleResult:
    """Samples and how they were made.

    Attributes
    ----------
    samples:
        The state at ``t_end``, shaped like the start.
    nfe:
        Model evaluations per sample.
    status:
        Per-sample :class:`attractor.Status` (``NONFINITE`` where a sample blew up).
    ts:
        The times the sampler visited (the grid; the ends for an adaptive ODE).
    trajectory:
        ``(len(ts), *samples.shape)`` states at ``ts`` with ``trajectory=True``, else ``None``.
    stats:
        ``{"nfe", "calls", "steps", ...}``: ``calls`` is the number of batched model calls
        (equal to ``nfe`` except for parallel sampling).
    """

    samples: torch.Tensor
    nfe: int
    status: torch.Tensor
    ts: list[float]
    trajectory: torch.Tensor | None = None
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> torch.Tensor:
        return is_ok(self.status)


def as_field(model: Any, path: Path | None, prediction: str | None) -> TransportField:
    """A :class:`TransportField` from a field, or from a network with its path and prediction."""
    if isinstance(model, TransportField):
        if path is not None and path is not model.path:
            raise ValueError("`path` is given twice: the model already carries its path; drop `path=`.")
        if prediction is not None:
            raise ValueError(f"`prediction`={prediction!r} describes a bare network; {type(model).__name__} "
                             "already answers every parametrization: drop `prediction=`.")
        return model
    if path is None:
        raise TypeError("`model` is not a TransportField; pass `path=` (and `prediction=`) to wrap it, "
                        "or wrap it in attractor.transport.TransportModel(net, path, prediction).")
    return TransportModel(model, path, prediction or "velocity")


def sample(model: Any, x: torch.Tensor, sampler: Sampler, *, path: Path | None = None,
           prediction: str | None = None, t_start: float = 0.0, t_end: float = 1.0, cond: Any = None,
           generator: torch.Generator | None = None, trajectory: bool = False,
           on_failure: str = "raise") -> SampleResult:
    """Transport ``x`` (samples of the source at ``t_start``) to ``t_end`` with ``sampler``.

    Parameters
    ----------
    model:
        A :class:`TransportModel`, an exact :class:`MixtureField`, or a network ``net(x, t)``
        together with ``path=`` and ``prediction=`` (default ``"velocity"``).
    x:
        ``(B, ...)`` starting samples, e.g. ``path.prior((B, d))``.
    sampler:
        A sampler object (:class:`ProbabilityFlowODE`, :class:`SDESampler`, :class:`DDIM`,
        :class:`EDMHeun`, :class:`DPMSolverPP`, :class:`UniPC`, :class:`SASolver`).
    t_start, t_end:
        The span, ``0 <= t_start < t_end <= 1`` (data at ``t = 1``).
    cond:
        Conditioning passed to the network as ``net(x, t, cond)``.
    generator:
        Random numbers of stochastic samplers.
    trajectory:
        Keep the states at the grid times.
    on_failure:
        ``"raise"`` raises :class:`attractor.ConvergenceError` when a sample is not finite;
        ``"status"`` reports it in ``status``.
    """
    problem = make_problem(model, x, sampler, path, prediction, t_start, t_end, cond, generator, trajectory)
    on_failure = check_choice("on_failure", on_failure, ("raise", "status"))
    if x.shape[0] == 0:
        return empty_result(problem)
    out = sampler.run(problem)
    return finish("sample", out, on_failure, hint="A sampler step blew up: use more steps, a lower-order "
                  "sampler, or check the model near t_start/t_end.")


def check_span(t_start: Any, t_end: Any) -> tuple[float, float]:
    """``0 <= t_start < t_end <= 1``: samplers and likelihoods run from source to data."""
    t_start = check_in_range("t_start", t_start, 0.0, 1.0)
    t_end = check_in_range("t_end", t_end, 0.0, 1.0)
    if t_start >= t_end:
        raise ValueError(f"`t_start` must be below `t_end` (from the source to the data); got "
                         f"t_start={t_start}, t_end={t_end}.")
    return t_start, t_end


def make_problem(model, x, sampler, path, prediction, t_start, t_end, cond, generator,
                 trajectory) -> SamplingProblem:
    """The validated :class:`SamplingProblem` of :func:`sample` and :func:`parallel_sample`."""
    field_ = as_field(model, path, prediction)
    x = check_tensor("x", x, min_dim=1)
    if not isinstance(sampler, Sampler):
        raise TypeError(f"`sampler` must be a transport Sampler (e.g. DPMSolverPP(steps=10)); got "
                        f"{type(sampler).__name__}.")
    t_start, t_end = check_span(t_start, t_end)
    if field_.path.gaussian_source and sampler.needs_gaussian_view and float(field_.path.noise(t_start)) <= 0:
        raise ValueError(f"`t_start`={t_start} is the data itself (no noise on {field_.path!r}); "
                         "start where there is noise.")
    problem = SamplingProblem(field_, x, t_start, t_end, cond, generator, bool(trajectory))
    sampler.check(problem)
    return problem


def empty_result(problem: SamplingProblem) -> SampleResult:
    """An empty batch: nothing to sample, no model call."""
    x = problem.x
    return SampleResult(x.clone(), 0, torch.zeros(0, dtype=torch.long, device=x.device),
                        [problem.t_start, problem.t_end], stats={"nfe": 0, "calls": 0, "steps": 0})


def finish(what: str, out: Any, on_failure: str, hint: str, failed: list[torch.Tensor] = ()) -> SampleResult:
    """The result of a sampler's output: non-finite samples (and samples whose ``failed``
    status is not a success) get a failure status, raised with ``on_failure="raise"``."""
    samples = out.samples
    finite = torch.isfinite(samples.detach().reshape(samples.shape[0], -1)).all(-1)
    status = torch.where(finite, int(Status.SUCCESS), int(Status.NONFINITE))
    for s in failed:
        status = torch.where((s != int(Status.SUCCESS)) & (status == int(Status.SUCCESS)), s, status)
    traj = torch.stack(out.trajectory) if out.trajectory is not None else None
    result = SampleResult(samples, int(out.stats["nfe"]), status, out.times, traj, out.stats)
    if on_failure == "raise":
        raise_if_failed(what, status, {"nfe": result.nfe}, solution=result, hint=hint)
    return result
