"""The fixed step grid of an SDE solve and the noise over it."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass

import torch

from attractor.sde.brownian.base import AbstractBrownian, BrownianIncrement

NOISE_CHUNK = 256  # steps of noise drawn per Brownian query: bounds memory, amortises overhead


@dataclass
class StepGrid:
    """Step times (Python floats and 0-dim tensors) and where the output times sit in them."""

    times: list[float]
    tensors: tuple[torch.Tensor, ...]
    out_index: list[int]

    @property
    def n_steps(self) -> int:
        return len(self.times) - 1

    def h(self, n: int) -> float:
        return self.times[n + 1] - self.times[n]


def make_grid(ts: list[float], dt: float, dtype, device) -> StepGrid:
    """Steps of at most ``dt`` between consecutive output times, equal within each interval."""
    times = [ts[0]]
    out_index = [0]
    for a, b in itertools.pairwise(ts):
        n = max(1, math.ceil((b - a) / dt - 1e-9))
        times.extend(a + (b - a) * k / n for k in range(1, n))
        times.append(b)
        out_index.append(len(times) - 1)
    tensors = torch.tensor(times, dtype=dtype, device=device).unbind(0)
    return StepGrid(times, tensors, out_index)


def step_noise(bm: AbstractBrownian, grid: StepGrid, area: str | None = None,
               reverse: bool = False) -> Iterator[BrownianIncrement]:
    """Per-step increments over ``grid`` (in reverse step order when ``reverse``).

    ``area`` (``"davie"``/``"foster"``) adds approximate space-space Levy areas.
    """
    n = grid.n_steps
    starts = range(0, n, NOISE_CHUNK)
    for start in reversed(starts) if reverse else starts:
        stop = min(start + NOISE_CHUNK, n)
        times = grid.times[start:stop + 1]
        inc = bm.increments(times)
        A = bm.space_space_areas(times, inc, area) if area else None
        steps = range(stop - start)
        for j in reversed(steps) if reverse else steps:
            yield BrownianIncrement(inc.dW[j], None if inc.H is None else inc.H[j],
                                    None if A is None else A[j])
