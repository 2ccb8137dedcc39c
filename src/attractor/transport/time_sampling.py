"""Distributions of the training time ``t``."""

from __future__ import annotations

import abc

import torch

from attractor._core.validation import check_in_range, check_positive
from attractor.transport import randomness


class TimeSampler(abc.ABC):
    """``sample(n, ...) -> (n,)`` times in ``[0, 1]``."""

    @abc.abstractmethod
    def sample(self, n: int, *, generator: torch.Generator | None = None, dtype=torch.float32,
               device=None) -> torch.Tensor:
        ...

    def reachable_ends(self) -> tuple[float, ...]:
        """The times in ``{0, 1}`` the sampler can return (a loss refuses those where its
        target is singular)."""
        return ()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in vars(self).items())})"


class UniformTime(TimeSampler):
    """``t ~ U[t_min, t_max]`` (flow matching's default)."""

    def __init__(self, t_min: float = 0.0, t_max: float = 1.0) -> None:
        self.t_min = check_in_range("t_min", t_min, 0.0, 1.0)
        self.t_max = check_in_range("t_max", t_max, 0.0, 1.0)
        if self.t_min >= self.t_max:
            raise ValueError(f"`t_min` must be below `t_max`; got {t_min} and {t_max}.")

    def sample(self, n, *, generator=None, dtype=torch.float32, device=None):
        u = randomness.rand((n,), dtype=dtype, device=device, generator=generator)
        return self.t_min + (self.t_max - self.t_min) * u

    def reachable_ends(self):
        # torch.rand is in [0, 1); t_max is reached up to rounding
        return tuple(e for e in (0.0, 1.0) if e in (self.t_min, self.t_max))


class LogitNormalTime(TimeSampler):
    """``t = sigmoid(m + s n)``, ``n ~ N(0, 1)`` (Esser et al. 2024, Stable Diffusion 3): more
    weight on intermediate times, where the velocity is hardest to learn."""

    def __init__(self, mean: float = 0.0, std: float = 1.0) -> None:
        self.mean = float(mean)
        self.std = check_positive("std", std)

    def sample(self, n, *, generator=None, dtype=torch.float32, device=None):
        z = randomness.randn((n,), dtype=dtype, device=device, generator=generator)
        return torch.sigmoid(self.mean + self.std * z)
