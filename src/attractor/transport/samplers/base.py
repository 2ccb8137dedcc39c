"""The sampler interface and the one driver loop of the fixed-grid samplers.

Every sampler is a small class holding its hyper-parameters. :func:`attractor.transport.sample`
builds a :class:`SamplingProblem` and calls ``sampler.run(problem)``. The probability-flow ODE
and SDE samplers hand the problem to ``odeint`` / ``sdeint``; the fixed-budget diffusion
samplers are :class:`GridSampler` s whose steps run in :func:`run_grid` (one loop for all of
them), or for the linear multistep family in :mod:`attractor.transport.samplers.linear`.
"""

from __future__ import annotations

import abc
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from attractor._core.validation import check_int
from attractor.transport import randomness
from attractor.transport.field import TransportField
from attractor.transport.grids import TimeGrid, resolve_grid
from attractor.transport.paths.base import Path


class Evaluator:
    """The field evaluated in one parametrization, counting work.

    ``nfe`` counts model evaluations per sample (a batched call over ``K`` stacked copies of the
    batch counts ``K``); ``calls`` counts batched calls (the sequential depth).
    """

    def __init__(self, field: TransportField, kind: str, cond: Any, batch: int) -> None:
        self.field, self.kind, self.cond, self.batch = field, kind, cond, batch
        self.nfe = 0
        self.calls = 0
        self._checked = False

    def __call__(self, x: torch.Tensor, t: Any, cond: Any = None) -> torch.Tensor:
        rows = x.shape[0]
        out = self.field.predict(self.kind, x, t, self.cond if cond is None else cond)
        if not self._checked:
            check_output(out, x, self.kind)
            self._checked = True
        self.calls += 1
        self.nfe += rows // self.batch if self.batch else 0
        return out


def check_output(out: Any, x: torch.Tensor, kind: str) -> None:
    """A model's prediction must be a tensor of ``x``'s shape and dtype."""
    if not isinstance(out, torch.Tensor):
        raise TypeError(f"`model` must return a tensor (its {kind} prediction); got {type(out).__name__}.")
    if out.shape != x.shape:
        raise ValueError(f"`model` returned shape {tuple(out.shape)}; expected {tuple(x.shape)} "
                         f"(the shape of x) for its {kind} prediction.")
    if out.dtype != x.dtype:
        raise TypeError(f"`model` returned dtype {out.dtype}; expected {x.dtype} (the dtype of x).")


@dataclass
class SamplingProblem:
    """What a sampler needs: the field, the start ``x`` at ``t_start``, the span and the noise."""

    field: TransportField
    x: torch.Tensor
    t_start: float
    t_end: float
    cond: Any = None
    generator: torch.Generator | None = None
    record: bool = False

    @property
    def path(self) -> Path:
        return self.field.path

    @property
    def batch(self) -> int:
        return self.x.shape[0]

    def evaluator(self, kind: str) -> Evaluator:
        return Evaluator(self.field, kind, self.cond, self.batch)

    def gaussian(self, like: torch.Tensor | None = None) -> torch.Tensor:
        """Standard normal noise shaped like the state, from the problem's generator."""
        return randomness.randn_like(self.x if like is None else like, self.generator)


@dataclass
class SamplerOutput:
    samples: torch.Tensor
    times: list[float]
    trajectory: list[torch.Tensor] | None
    stats: dict[str, Any] = field(default_factory=dict)


class Sampler(abc.ABC):
    """A way to move samples from ``t_start`` to ``t_end`` along a field."""

    prediction: str = "data"
    """The parametrization the update consumes (the model's own is converted to it)."""
    stochastic: bool = False
    needs_gaussian_view: bool = True

    @abc.abstractmethod
    def run(self, problem: SamplingProblem) -> SamplerOutput:
        ...

    def check(self, problem: SamplingProblem) -> None:
        """Refuse a problem this sampler cannot solve (before any model call)."""
        if self.needs_gaussian_view:
            problem.path.scales(problem.t_start)  # raises for a path without a Gaussian view

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({fields})"


class GridSampler(Sampler):
    """A fixed-budget sampler on a time grid: ``steps`` intervals of a :class:`TimeGrid`, or an
    explicit increasing sequence of times (``grid=[t_0, ..., t_N]``)."""

    default_grid = "logsnr"

    def __init__(self, steps: int | None = None, grid: str | TimeGrid | Sequence[float] | None = None) -> None:
        self._explicit: list[float] | None = None
        if grid is not None and not isinstance(grid, (str, TimeGrid)):
            self._explicit = _explicit_times(grid)
            n = len(self._explicit) - 1
            if steps is not None and check_int("steps", steps) != n:
                raise ValueError(f"`steps`={steps} disagrees with the {n} intervals of the explicit `grid`.")
            steps = n
            self.grid = None
        else:
            if steps is None:
                raise ValueError(f"{type(self).__name__} needs `steps` (the number of grid intervals).")
            self.grid = resolve_grid(self.default_grid if grid is None else grid)
        self.steps = check_int("steps", steps)
        if self.steps < self.min_steps:
            raise ValueError(
                f"{type(self).__name__} of order {self.min_steps} needs at least {self.min_steps} "
                f"steps (its multistep start-up); got steps={self.steps}."
            )

    @property
    def min_steps(self) -> int:
        """The fewest steps the method can take (a multistep method's start-up)."""
        return 1

    @property
    def nfe(self) -> int:
        """Model evaluations per sample for a solve."""
        return self.steps

    def times(self, path: Path, t_start: float, t_end: float) -> list[float]:
        if self._explicit is not None:
            if (t_start, t_end) != (self._explicit[0], self._explicit[-1]):
                raise ValueError(
                    f"the explicit grid spans [{self._explicit[0]}, {self._explicit[-1]}] but the "
                    f"sampling span is [{t_start}, {t_end}]; pass t_start/t_end to match."
                )
            return list(self._explicit)
        times = self.grid.times(path, self.steps, t_start, t_end)
        if any(b <= a for a, b in itertools.pairwise(times)):
            raise ValueError(
                f"the {self.grid.name} grid of {self.steps} steps on [{t_start:g}, {t_end:g}] repeats "
                f"times (its noise levels are finer than float64 resolves on {path!r}); use fewer "
                "steps, another grid, or an explicit grid."
            )
        return times


def _explicit_times(grid: Any) -> list[float]:
    try:
        values = [float(v) for v in (grid.tolist() if isinstance(grid, torch.Tensor) else grid)]
    except (TypeError, ValueError) as exc:
        raise TypeError(f"`grid` must be a grid name, a TimeGrid or a sequence of times; got {grid!r}.") from exc
    if len(values) < 2 or any(b <= a for a, b in itertools.pairwise(values)):
        raise ValueError(f"an explicit `grid` must hold at least 2 strictly increasing times; got {values[:8]}.")
    if values[0] < 0 or values[-1] > 1:
        raise ValueError(f"an explicit `grid` must lie in [0, 1]; got [{values[0]}, {values[-1]}].")
    return values


@dataclass
class Levels:
    """Signal ``b``, noise ``s`` and log-SNR ``lam`` at the grid times, as Python floats."""

    t: list[float]
    b: list[float]
    s: list[float]
    lam: list[float]

    @classmethod
    def of(cls, path: Path, times: list[float]) -> Levels:
        b, s = path.scales(torch.tensor(times, dtype=torch.float64))[:2]
        lam = torch.log(b) - torch.log(s)
        return cls(list(times), b.tolist(), s.tolist(), lam.tolist())

    def first_finite(self) -> int:
        """The first grid index with a finite log-SNR (history before it is unusable)."""
        for k, v in enumerate(self.lam):
            if v > float("-inf"):
                return k
        return len(self.lam)
