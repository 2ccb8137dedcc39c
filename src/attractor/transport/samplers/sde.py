"""The SDE samplers with the marginals of the probability flow, on :func:`attractor.sdeint`."""

from __future__ import annotations

import itertools
import math
from typing import Any

import torch

from attractor._core.validation import check_positive
from attractor.transport.field import TransportField
from attractor.transport.samplers.base import (
    Evaluator,
    GridSampler,
    Levels,
    SamplerOutput,
    SamplingProblem,
)


class SDESampler(GridSampler):
    r"""Sample with :math:`dX = [v + \varepsilon(t)\, \nabla \log p_t]\, dt + \sqrt{2 \varepsilon(t)}\, dW`.

    For every diffusion :math:`\varepsilon(t) \ge 0` this SDE has the probability path's
    marginals :math:`p_t` (the Fokker-Planck equation reduces to the continuity equation;
    Albergo, Boffi & Vanden-Eijnden 2023, Theorem 2.22). ``epsilon`` is

    - a number (constant :math:`\varepsilon`) or a callable ``t -> epsilon(t)``;
    - ``"natural"`` (default): :math:`\varepsilon = \eta\, s^2 \dot\lambda` with
      :math:`\lambda = \log(b/s)`, the reverse-time diffusion SDE (``eta=1``; on the VP path
      :math:`\varepsilon = \beta(\tau)/2`, the limit of DDPM), which keeps the drift bounded at
      the data. It is infinite where the signal vanishes (``t = 0`` of the linear path).

    On a path with a Gaussian view one model evaluation gives both velocity and score; pass
    ``score_field`` for a non-Gaussian source, where they are separate models. Integrated by
    ``sdeint`` (Euler-Maruyama by default) with one step per interval of the time grid.
    """

    default_grid = "uniform"
    stochastic = True

    def __init__(self, steps: int | None = None, grid=None, *, epsilon: Any = "natural",
                 eta: float | None = None, solver: Any = "euler", score_field: TransportField | None = None) -> None:
        super().__init__(steps, grid)
        if isinstance(epsilon, str):
            if epsilon != "natural":
                raise ValueError(f"`epsilon` must be a number, a callable or 'natural'; got {epsilon!r}.")
        elif not callable(epsilon):
            epsilon = check_positive("epsilon", epsilon, allow_zero=True)
        self.epsilon = epsilon
        if eta is not None and epsilon != "natural":
            raise ValueError("`eta` scales epsilon='natural'; with a given `epsilon` it does not apply.")
        self.eta = 1.0 if eta is None else check_positive("eta", eta, allow_zero=True)
        self.solver = solver
        self.score_field = score_field

    @property
    def needs_gaussian_view(self) -> bool:  # type: ignore[override]
        return self.score_field is None

    def _epsilon(self, path, t: float) -> float:
        if self.epsilon == "natural":
            b, s, db, ds = (float(v) for v in path.scales(t))
            return self.eta * s * s * (db / b - ds / s) if b > 0 else math.inf
        if callable(self.epsilon):
            return float(self.epsilon(t))
        return float(self.epsilon)

    def run(self, problem: SamplingProblem) -> SamplerOutput:
        from attractor._core.lookup import resolve
        from attractor.sde import SOLVERS, AbstractSDESolver, sdeint

        solver = resolve("solver", self.solver, SOLVERS, AbstractSDESolver)
        # the noise is additive (epsilon depends on t only): Ito and Stratonovich agree
        sde_type = "ito" if "ito" in solver.sde_types else "stratonovich"

        path, x = problem.path, problem.x
        times = self.times(path, problem.t_start, problem.t_end)
        eps = [self._epsilon(path, t) for t in times[:-1]]
        if not all(math.isfinite(e) and e >= 0 for e in eps):
            k = next(i for i, e in enumerate(eps) if not (math.isfinite(e) and e >= 0))
            raise ValueError(
                f"the diffusion epsilon(t) is {eps[k]} at t={times[k]:g}; it must be finite and "
                "non-negative at every evaluation time. With epsilon='natural' start where the "
                "signal is positive (e.g. t_start=1e-3 on the linear path)."
            )
        shape, flat = x.shape, x.reshape(x.shape[0], -1)
        ts = torch.tensor(times, dtype=x.dtype, device=x.device)
        index = {t: k for k, t in enumerate(ts.tolist())}  # sdeint calls at these (rounded) times
        drift_at, evaluators = self._drift(problem, times, eps)
        diff = [math.sqrt(2.0 * e) for e in eps] + [0.0]

        def drift(t, y):
            return drift_at(index[float(t)], y.reshape(shape)).reshape(y.shape)

        def diffusion(t, y):
            return torch.full_like(y, diff[index.get(float(t), len(diff) - 1)])

        rounded = ts.tolist()
        gap = max(b - a for a, b in itertools.pairwise(rounded)) * (1 + 1e-6)  # one step per interval
        seed = int(torch.randint(0, 2**62, (1,), generator=problem.generator))
        sol = sdeint(drift, diffusion, flat, ts, dt=gap, solver=solver, seed=seed,
                     noise="diagonal", sde_type=sde_type, max_steps=len(times) + 1)
        trajectory = [y.reshape(shape) for y in sol.ys.unbind(0)] if problem.record else None
        stats = {"nfe": sum(e.nfe for e in evaluators), "calls": sum(e.calls for e in evaluators),
                 "steps": len(times) - 1}
        return SamplerOutput(sol.ys[-1].reshape(shape), times, trajectory, stats)

    def _drift(self, problem: SamplingProblem, times: list[float], eps: list[float]):
        """``(drift(k, x), evaluators)``: ``v + epsilon score`` at grid index ``k``."""
        path = problem.path
        if self.score_field is None:
            evaluate = problem.evaluator("data")
            lv = Levels.of(path, times)
            _, _, db, ds = (v.tolist() for v in path.scales(torch.tensor(times, dtype=torch.float64)))

            def drift(k, x):
                # v = (s'/s)(x - b D) + b' D and score = -(x - b D)/s^2, with D = x_hat
                b, s = lv.b[k], lv.s[k]
                D = evaluate(x, times[k])
                residual = torch.add(x, D, alpha=-b)
                return torch.add(residual * (ds[k] / s - eps[k] / (s * s)), D, alpha=db[k])
            return drift, [evaluate]
        v_eval = problem.evaluator("velocity")
        s_eval = Evaluator(self.score_field, "score", problem.cond, problem.batch)

        def drift(k, x):
            return torch.add(v_eval(x, times[k]), s_eval(x, times[k]), alpha=eps[k])
        return drift, [v_eval, s_eval]
