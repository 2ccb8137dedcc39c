"""The EDM second-order sampler (Karras et al. 2022, Algorithms 1 and 2)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch

from attractor._core.validation import check_positive
from attractor.transport.samplers.base import GridSampler, Levels, SamplerOutput, SamplingProblem


@dataclass
class HeunStep:
    """Coefficients of one step (floats, or ``(K, 1, ...)`` tensors for a window of steps)."""

    b0: Any        # signal at t_i
    t_hat: Any     # the (churned) time of the first evaluation
    b_hat: Any
    sig_hat: Any
    churn: Any     # sqrt(sig_hat^2 - sig_i^2) * noise_scale
    t1: Any
    b1: Any
    sig1: Any


class EDMHeun(GridSampler):
    r"""Heun's method on the probability-flow ODE in the noise-level variable.

    In scaled coordinates :math:`\tilde x = x / b` and :math:`\sigma = s / b` every Gaussian
    path gives :math:`d\tilde x / d\sigma = (\tilde x - \hat x(\tilde x, \sigma)) / \sigma`;
    each step from :math:`\sigma_i` to :math:`\sigma_{i+1}` is an Euler predictor and a
    trapezoidal corrector (Karras et al., Algorithm 1), the last step to :math:`\sigma = 0`
    Euler only, so ``steps`` intervals cost ``2 steps - 1`` evaluations (``2 steps`` when the
    span does not end at the data). Second order.

    ``churn > 0`` adds Algorithm 2's stochasticity: on steps with :math:`\sigma_i` in
    ``churn_range`` the noise is first raised to :math:`\hat\sigma = \sigma_i (1 + \gamma)`,
    :math:`\gamma = \min(\text{churn}/N, \sqrt 2 - 1)`, by fresh noise of scale ``noise_scale``.
    """

    default_grid = "karras"

    def __init__(self, steps: int | None = None, grid=None, *, churn: float = 0.0,
                 churn_range: tuple[float, float] | None = None, noise_scale: float | None = None) -> None:
        super().__init__(steps, grid)
        self.churn = check_positive("churn", churn, allow_zero=True)
        if not self.churn and (churn_range is not None or noise_scale is not None):
            raise ValueError("`churn_range` and `noise_scale` shape the churn; with churn=0 they do not apply.")
        lo, hi = (0.0, math.inf) if churn_range is None else churn_range
        if not (0 <= lo <= hi):
            raise ValueError(f"`churn_range` must be (low, high) with 0 <= low <= high; got {churn_range}.")
        self.churn_range = (float(lo), float(hi))
        self.noise_scale = 1.0 if noise_scale is None else check_positive("noise_scale", noise_scale)

    @property
    def stochastic(self) -> bool:  # type: ignore[override]
        return self.churn > 0

    @property
    def nfe(self) -> int:
        """Evaluations of a span that ends at the data (``sigma = 0``, where the last step is
        Euler); a span that ends at a positive noise level (``t_end < 1``, or a VE/EDM path with
        ``sigma_min > 0``) costs ``2 steps``: the result's ``nfe`` says which."""
        return 2 * self.steps - 1

    def plan(self, problem: SamplingProblem) -> tuple[list[float], list[HeunStep]]:
        path = problem.path
        times = self.times(path, problem.t_start, problem.t_end)
        lv = Levels.of(path, times)
        sig = [s / b if b > 0 else math.inf for b, s in zip(lv.b, lv.s)]
        if not math.isfinite(sig[0]):
            raise ValueError(f"EDMHeun needs a finite noise level at t_start={times[0]:g}; the signal of "
                             f"{path!r} vanishes there. Start later (e.g. t_start=1e-3).")
        gamma = min(self.churn / self.steps, math.sqrt(2.0) - 1.0) if self.churn else 0.0
        steps = []
        for i in range(len(times) - 1):
            g = gamma if self.churn_range[0] <= sig[i] <= self.churn_range[1] else 0.0
            if g:
                sig_hat = sig[i] * (1 + g)
                t_hat = float(path.t_of_sigma(sig_hat))
                b_hat = float(path.signal(t_hat))
                churn = math.sqrt(sig_hat**2 - sig[i] ** 2) * self.noise_scale
            else:
                sig_hat, t_hat, b_hat, churn = sig[i], times[i], lv.b[i], 0.0
            steps.append(HeunStep(lv.b[i], t_hat, b_hat, sig_hat, churn, times[i + 1], lv.b[i + 1], sig[i + 1]))
        return times, steps

    def run(self, problem: SamplingProblem) -> SamplerOutput:
        times, steps = self.plan(problem)
        evaluate = problem.evaluator("data")
        x = problem.x
        trajectory = [x] if problem.record else None
        for c in steps:
            xi = problem.gaussian(x) if c.churn else None
            x = heun_step(x, c, evaluate, xi, final=c.sig1 == 0)
            if trajectory is not None:
                trajectory.append(x)
        return SamplerOutput(x, times, trajectory, {"nfe": evaluate.nfe, "calls": evaluate.calls,
                                                    "steps": len(steps)})


def heun_step(x: torch.Tensor, c: HeunStep, evaluate, xi: torch.Tensor | None, final: bool) -> torch.Tensor:
    """One EDM step in the path's own coordinates (see :class:`EDMHeun`)."""
    y = x / c.b0
    if xi is not None:
        y = y + c.churn * xi
    D = evaluate(y * c.b_hat, c.t_hat)
    d = (y - D) / c.sig_hat
    dsig = c.sig1 - c.sig_hat
    y_next = y + dsig * d
    if final:  # to the data: Euler (y_next = D)
        return y_next * c.b1
    D1 = evaluate(y_next * c.b1, c.t1)
    d1 = (y_next - D1) / c.sig1
    return (y + (0.5 * dsig) * (d + d1)) * c.b1
