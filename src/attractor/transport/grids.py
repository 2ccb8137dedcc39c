"""Time grids for fixed-budget samplers: uniform, quadratic, Karras rho and logSNR-uniform.

A grid turns a path, a number of steps ``N`` and a span ``[t_start, t_end]`` into ``N + 1``
increasing times. The noise-level grids (Karras, logSNR) are built in ``sigma = s / b`` and
mapped back to time with the path's inverse ``t_of_sigma``. When ``t_end`` is the data itself
(``sigma(t_end) = 0``, e.g. ``t = 1`` on the linear and VP paths), those grids run from
``sigma(t_start)`` to ``sigma_min`` in ``N - 1`` steps and take one last step to the data, as
EDM and k-diffusion do; ``sigma_min`` applies only then.
"""

from __future__ import annotations

import abc
import math
from typing import Any

import torch

from attractor._core.validation import check_positive
from attractor.transport.paths.base import Path


def noise_levels(path: Path, times: list[float]) -> list[float]:
    """``sigma(t)`` at each time (``inf`` where the signal vanishes, 0 at the data)."""
    return [float(v) for v in path.sigma(torch.tensor(times, dtype=torch.float64))]


class TimeGrid(abc.ABC):
    """``times(path, steps, t_start, t_end) -> [t_0 < ... < t_steps]``."""

    name: str

    @abc.abstractmethod
    def times(self, path: Path, steps: int, t_start: float, t_end: float) -> list[float]:
        ...

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({fields})"


class UniformGrid(TimeGrid):
    """Equal steps in ``t``."""

    name = "uniform"

    def times(self, path, steps, t_start, t_end):
        return [t_start + (t_end - t_start) * k / steps for k in range(steps + 1)]


class QuadraticGrid(TimeGrid):
    """Equal steps in ``sqrt(1 - t)`` (DPM-Solver's ``time_quadratic`` in diffusion time
    ``1 - t``): steps shrink towards the data."""

    name = "quadratic"

    def times(self, path, steps, t_start, t_end):
        a, b = math.sqrt(1.0 - t_start), math.sqrt(1.0 - t_end)
        out = [1.0 - (a + (b - a) * k / steps) ** 2 for k in range(steps + 1)]
        out[0], out[-1] = t_start, t_end
        return out


class _NoiseGrid(TimeGrid):
    """A grid defined on the noise level, with an optional final step to the data."""

    def __init__(self, sigma_min: float | None = None) -> None:
        self.sigma_min = None if sigma_min is None else check_positive("sigma_min", sigma_min)

    @abc.abstractmethod
    def _sigmas(self, sigma_max: float, sigma_min: float, n: int) -> list[float]:
        """``n + 1`` decreasing noise levels from ``sigma_max`` to ``sigma_min``."""

    def times(self, path, steps, t_start, t_end):
        s_max, s_end = noise_levels(path, [t_start, t_end])
        if not math.isfinite(s_max):
            raise ValueError(
                f"a {self.name} grid needs a finite noise level at t_start={t_start:g}, where the "
                f"signal of {path!r} vanishes; start later (e.g. t_start=1e-3) or use a uniform grid."
            )
        to_data = s_end == 0.0
        if not to_data and self.sigma_min is not None:
            raise ValueError(
                f"`sigma_min` applies when the grid ends at the data (sigma = 0); t_end={t_end:g} "
                f"has sigma={s_end:.4g}: drop sigma_min or set t_end to the data."
            )
        if to_data:
            s_min = 0.002 if self.sigma_min is None else self.sigma_min
            if s_min >= s_max:
                raise ValueError(f"`sigma_min`={s_min:g} must be below sigma(t_start)={s_max:.4g}.")
            if steps == 1:
                return [t_start, t_end]
            sig = self._sigmas(s_max, s_min, steps - 1)
        else:
            sig = self._sigmas(s_max, s_end, steps)
        inner = [float(v) for v in path.t_of_sigma(torch.tensor(sig[1:-1], dtype=torch.float64))]
        out = [t_start, *inner]
        if to_data:
            out.append(float(path.t_of_sigma(torch.tensor(sig[-1], dtype=torch.float64))))
        out.append(t_end)
        return out


class KarrasGrid(_NoiseGrid):
    """The EDM discretization (Karras et al. 2022, eq. 5): ``sigma_k = (sigma_max^(1/rho) +
    k/n (sigma_min^(1/rho) - sigma_max^(1/rho)))^rho`` with ``rho = 7``."""

    name = "karras"

    def __init__(self, rho: float = 7.0, sigma_min: float | None = None) -> None:
        super().__init__(sigma_min)
        self.rho = check_positive("rho", rho)

    def _sigmas(self, sigma_max, sigma_min, n):
        hi, lo = sigma_max ** (1 / self.rho), sigma_min ** (1 / self.rho)
        return [(hi + (lo - hi) * k / n) ** self.rho for k in range(n + 1)]


class LogSNRGrid(_NoiseGrid):
    """Equal steps in ``lambda = -log sigma`` (DPM-Solver's ``logSNR`` spacing)."""

    name = "logsnr"

    def _sigmas(self, sigma_max, sigma_min, n):
        a, b = math.log(sigma_max), math.log(sigma_min)
        return [math.exp(a + (b - a) * k / n) for k in range(n + 1)]


GRIDS: dict[str, type[TimeGrid]] = {
    "uniform": UniformGrid,
    "quadratic": QuadraticGrid,
    "karras": KarrasGrid,
    "logsnr": LogSNRGrid,
}


def resolve_grid(grid: Any) -> TimeGrid:
    """A grid from its name or a :class:`TimeGrid` instance."""
    if isinstance(grid, TimeGrid):
        return grid
    if isinstance(grid, str) and grid.lower() in GRIDS:
        return GRIDS[grid.lower()]()
    raise ValueError(f"`grid` must be one of {sorted(GRIDS)} or a TimeGrid; got {grid!r}.")

