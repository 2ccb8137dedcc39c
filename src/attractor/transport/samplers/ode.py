"""The probability-flow ODE sampler on :func:`attractor.odeint`."""

from __future__ import annotations

from typing import Any

import torch

from attractor._core.validation import check_int
from attractor.transport.samplers.base import Sampler, SamplerOutput, SamplingProblem


def check_velocity_span(path, t_start: float, t_end: float) -> None:
    """Refuse a span at whose ends the path's velocity is singular (VP paths at the data)."""
    t = torch.tensor([t_start, t_end], dtype=torch.float64)
    if not all(bool(torch.isfinite(d).all()) for d in path.derivatives(t)[:2]):
        raise ValueError(
            f"the velocity of {path!r} is singular at the ends of [{t_start:g}, {t_end:g}] (a "
            "coefficient has an infinite time derivative); integrate the probability-flow ODE to "
            "t_end < 1 (e.g. 1 - 1e-3), or sample with a diffusion sampler (DPMSolverPP, UniPC, "
            "EDMHeun), which step to the data exactly."
        )


class ProbabilityFlowODE(Sampler):
    r"""Integrate :math:`dx/dt = v(x, t)` from ``t_start`` to ``t_end`` with any ``odeint`` solver.

    Adaptive by default (``solver="dopri5"`` with ``rtol``/``atol``, default 1e-5); ``steps=N`` takes ``N``
    fixed steps of a method without error control too (``"euler"``, ``"heun"``,
    ``"midpoint"``, ``"rk4"``: ``N``, ``2N``, ``2N``, ``4N`` evaluations). The model is
    converted to a velocity, so this works on every path, including a non-Gaussian source.
    The batch shares its adaptive steps (``odeint``'s default, the fast one), so a sample's
    result depends on its batch-mates within the tolerance; ``per_sample=True`` solves every
    sample as if alone.
    Further keyword arguments go to :func:`attractor.odeint` (``adjoint=``, ``max_steps=``, ...).
    """

    prediction = "velocity"
    needs_gaussian_view = False

    def __init__(self, solver: Any = "dopri5", *, rtol: float | None = None, atol: float | None = None,
                 steps: int | None = None, **odeint_kwargs: Any) -> None:
        self.solver = solver
        self.steps = None if steps is None else check_int("steps", steps)
        if self.steps is not None and (rtol is not None or atol is not None):
            raise ValueError("`rtol`/`atol` control adaptive steps; with fixed `steps` they do not apply.")
        self.rtol = 1e-5 if rtol is None else rtol
        self.atol = 1e-5 if atol is None else atol
        for key in ("dt", "adaptive", "t", "y0"):
            if key in odeint_kwargs:
                raise ValueError(f"ProbabilityFlowODE sets `{key}` itself; use `steps=` for fixed steps.")
        self.odeint_kwargs = odeint_kwargs

    def check(self, problem: SamplingProblem) -> None:
        check_velocity_span(problem.path, problem.t_start, problem.t_end)

    def run(self, problem: SamplingProblem) -> SamplerOutput:
        from attractor.ode import odeint

        evaluate = problem.evaluator("velocity")
        x = problem.x
        if self.steps is None:
            n_out = 2
            options = {"rtol": self.rtol, "atol": self.atol}
        else:
            n_out = self.steps + 1 if problem.record else 2
            options = {"dt": (problem.t_end - problem.t_start) / self.steps}
        ts = torch.linspace(problem.t_start, problem.t_end, n_out, dtype=x.dtype, device=x.device)
        sol = odeint(lambda t, y: evaluate(y, t), x, ts, solver=self.solver, **options,
                     **self.odeint_kwargs)
        times = ts.tolist()
        trajectory = list(sol.ys.unbind(0)) if problem.record else None
        stats = {"nfe": evaluate.nfe, "calls": evaluate.calls, "steps": sol.stats["accepted"],
                 "rejected": sol.stats["rejected"]}
        return SamplerOutput(sol.ys[-1], times, trajectory, stats)

    @property
    def nfe(self) -> int | None:
        """Evaluations of a fixed-step solve with a known method (``None`` when adaptive)."""
        if self.steps is None or not isinstance(self.solver, str):
            return None
        stages = {"euler": 1, "midpoint": 2, "heun": 2, "ralston": 2, "rk4": 4}.get(self.solver.lower())
        return None if stages is None else stages * self.steps
