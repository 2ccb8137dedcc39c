"""The linear multistep family of diffusion samplers and its one execution loop.

DDIM, DPM-Solver++ (multistep), UniPC and SA-Solver are all exponential integrators whose step
``k`` (from ``t_k`` to ``t_{k+1}``) is linear in the state and in the model's recent data
predictions ``D_j = x_hat(x_j, t_j)``:

.. math::

    x^{p}_{k+1} = A_k\\, x^{c}_k + \\sum_{j \\ge 0} C_{k,j}\\, D_{k-j} + N_k\\, \\xi_k, \\qquad
    x^{c}_{k+1} = x^{p}_{k+1} + \\sum_{j \\ge 0} E_{k,j}\\, D_{k+1-j},

with ``D_{k+1}`` evaluated at the predicted point ``x^p_{k+1}`` (so a corrector costs no
extra evaluation) and ``xi_k`` standard normal. Each sampler only computes its coefficient
tables ``(A, C, N, E)`` on the host from the grid's signal ``b``, noise ``s`` and log-SNR
``lambda = log(b/s)``; :func:`run_tables` executes them, and the parallel sampler evaluates the
same tables on a whole window at once. No corrector is applied after the last step.
"""

from __future__ import annotations

import abc
import itertools
import math
from dataclasses import dataclass

import torch

from attractor.transport.samplers.base import GridSampler, Levels, SamplerOutput, SamplingProblem


@dataclass
class Tables:
    """Per-step coefficients: ``A[k]``, ``C[k][j]`` (on ``D_{k-j}``), ``N[k]`` and, with a
    corrector, ``E[k][j]`` (on ``D_{k+1-j}``)."""

    A: list[float]
    C: list[list[float]]
    N: list[float]
    E: list[list[float]] | None = None

    @property
    def history(self) -> int:
        """How many model outputs a step reads (the depth of the D window)."""
        depth = max(len(c) for c in self.C)
        if self.E is not None:
            depth = max(depth, max(len(e) for e in self.E))
        return depth

    def check(self) -> None:
        values = [*self.A, *self.N, *itertools.chain(*self.C, *(self.E or []))]
        if not all(math.isfinite(v) for v in values):
            raise ValueError("the sampler's coefficients are not finite on this grid (a repeated "
                             "noise level, or an infinite step inside the grid)")


def combine(terms: list[tuple[float, torch.Tensor]]) -> torch.Tensor:
    """``sum_i c_i * x_i`` with float coefficients, skipping zeros: one product, then in-place
    accumulation into that fresh tensor (safe under autograd)."""
    out = None
    for c, x in terms:
        if c == 0.0:
            continue
        if out is None:
            out = x * c
        else:
            out.add_(x, alpha=c)
    if out is None:
        return torch.zeros_like(terms[0][1])
    return out


class LinearMultistepSampler(GridSampler):
    """A grid sampler defined by :class:`Tables` (see the module docstring)."""

    prediction = "data"

    @abc.abstractmethod
    def tables(self, levels: Levels) -> Tables:
        """The coefficient tables on a grid."""

    def build(self, problem: SamplingProblem) -> tuple[list[float], Tables]:
        times = self.times(problem.path, problem.t_start, problem.t_end)
        tables = self.tables(Levels.of(problem.path, times))
        tables.check()
        return times, tables

    def run(self, problem: SamplingProblem) -> SamplerOutput:
        times, tables = self.build(problem)
        evaluate = problem.evaluator(self.prediction)
        x, trajectory = run_tables(tables, times, problem.x, evaluate, problem.gaussian, problem.record)
        return SamplerOutput(x, times, trajectory, {"nfe": evaluate.nfe, "calls": evaluate.calls,
                                                    "steps": len(times) - 1})


def run_tables(tables: Tables, times: list[float], x: torch.Tensor, evaluate, noise, record: bool):
    """Execute the tables sequentially: one model evaluation per step. Without a trajectory to
    record, a step's corrector is folded into the next prediction (``A (x + sum E D) + sum C D``
    as one combination), so the corrected point is never formed."""
    history: list[torch.Tensor] = []
    depth = tables.history
    trajectory = [x] if record else None
    n = len(times) - 1
    for k in range(n):
        D = evaluate(x, times[k])
        history.insert(0, D)
        del history[depth:]
        coefficients = list(tables.C[k])
        A = tables.A[k]
        if k > 0 and tables.E is not None:  # correct x_k with the evaluation just made
            E = tables.E[k - 1]
            if record:
                x = combine([(1.0, x), *zip(E, history)])
                trajectory[-1] = x
            else:
                width = max(len(E), len(coefficients))
                coefficients = [(coefficients[j] if j < len(coefficients) else 0.0)
                                + A * (E[j] if j < len(E) else 0.0) for j in range(width)]
        terms = [(A, x), *zip(coefficients, history)]
        if tables.N[k] != 0.0:
            terms.append((tables.N[k], noise(x)))
        x = combine(terms)
        if record:
            trajectory.append(x)
    return x, trajectory


def step_ratio(levels: Levels, k: int) -> tuple[float, float, float]:
    """``(h, b_{k+1}, s_{k+1} / s_k)`` for the step ``k -> k+1`` (``h`` may be ``inf``)."""
    h = levels.lam[k + 1] - levels.lam[k]
    return h, levels.b[k + 1], levels.s[k + 1] / levels.s[k]


def usable_order(levels: Levels, k: int, order: int, lower_order_final: str | None = None) -> int:
    """The order step ``k`` can use: limited by the finite-log-SNR history, and 1 for an
    infinite step (to the data, or from pure noise), where only the first-order update is
    defined. ``lower_order_final`` stabilizes the last steps as the reference codes do:
    ``"dpm"`` (DPM-Solver++): on grids of fewer than 15 steps, order at most 1 on the last step
    and 2 on the one before; ``"unipc"`` (UniPC): at most the number of steps left."""
    h = levels.lam[k + 1] - levels.lam[k]
    if not math.isfinite(h):
        return 1
    p = max(1, min(order, k - levels.first_finite() + 1))
    n = len(levels.t) - 1
    if lower_order_final == "unipc" or (lower_order_final == "dpm" and n < 15):
        p = min(p, n - k)
    return p


def neg_expm1(h: float) -> float:
    """``1 - exp(-h)`` (1 for ``h = inf``), accurately for small ``h``."""
    return -math.expm1(-h)
