"""Variance-exploding paths: the geometric VE schedule and the EDM (Karras) schedule."""

from __future__ import annotations

import math
from typing import Any

import torch

from attractor._core.validation import check_positive
from attractor.transport.paths.base import Path, as_time


class VEPath(Path):
    r"""The variance-exploding path of score SDEs (Song et al. 2021), data at ``t = 1``:

    .. math:: x_t = \sigma(t)\, x_0 + x_1, \qquad
              \sigma(t) = \sigma_{\min} (\sigma_{\max} / \sigma_{\min})^{1 - t} .

    The source is ``N(0, sigma_max^2 I)`` only approximately (the data is still there at
    ``t = 0``); ``sigma(t)`` is also the noise-to-signal ratio.
    """

    def __init__(self, sigma_min: float = 0.01, sigma_max: float = 50.0) -> None:
        self.sigma_min = check_positive("sigma_min", sigma_min)
        self.sigma_max = check_positive("sigma_max", sigma_max)
        if self.sigma_max <= self.sigma_min:
            raise ValueError(f"`sigma_max` must exceed `sigma_min`; got {sigma_max} <= {sigma_min}.")

    def _log_ratio(self) -> float:
        return math.log(self.sigma_max / self.sigma_min)

    def coefficients(self, t: Any):
        t = as_time(t)
        sig = self.sigma_min * torch.exp((1.0 - t) * self._log_ratio())
        return sig, torch.ones_like(t), torch.zeros_like(t)

    def derivatives(self, t: Any):
        t = as_time(t)
        sig = self.sigma_min * torch.exp((1.0 - t) * self._log_ratio())
        return -self._log_ratio() * sig, torch.zeros_like(t), torch.zeros_like(t)

    def t_of_sigma(self, sigma: Any) -> torch.Tensor:
        sig = torch.as_tensor(sigma, dtype=torch.float64)
        return 1.0 - torch.log(sig / self.sigma_min) / self._log_ratio()


class EDMPath(Path):
    r"""The EDM path (Karras et al. 2022): ``x_t = sigma(t) x0 + x1`` with the rho-schedule

    .. math:: \sigma(t) = \big(\sigma_{\max}^{1/\rho} + t\,(\sigma_{\min}^{1/\rho}
              - \sigma_{\max}^{1/\rho})\big)^{\rho},

    so that a uniform grid in ``t`` is the Karras discretization. The path stops at
    ``sigma_min``; EDM's sampler then takes one more step to ``sigma = 0`` (the denoiser's
    output): use ``sigma_min = 0`` for a path that reaches the data at ``t = 1``, or sample a
    path that does (VP, linear) on a :class:`~attractor.transport.KarrasGrid`.
    """

    def __init__(self, sigma_min: float = 0.002, sigma_max: float = 80.0, rho: float = 7.0) -> None:
        self.sigma_min = check_positive("sigma_min", sigma_min, allow_zero=True)
        self.sigma_max = check_positive("sigma_max", sigma_max)
        self.rho = check_positive("rho", rho)
        if self.sigma_max <= self.sigma_min:
            raise ValueError(f"`sigma_max` must exceed `sigma_min`; got {sigma_max} <= {sigma_min}.")

    def _ends(self) -> tuple[float, float]:
        return self.sigma_max ** (1.0 / self.rho), self.sigma_min ** (1.0 / self.rho)

    def coefficients(self, t: Any):
        t = as_time(t)
        hi, lo = self._ends()
        return (hi + t * (lo - hi)) ** self.rho, torch.ones_like(t), torch.zeros_like(t)

    def derivatives(self, t: Any):
        t = as_time(t)
        hi, lo = self._ends()
        root = hi + t * (lo - hi)
        return self.rho * root ** (self.rho - 1.0) * (lo - hi), torch.zeros_like(t), torch.zeros_like(t)

    def t_of_sigma(self, sigma: Any) -> torch.Tensor:
        sig = torch.as_tensor(sigma, dtype=torch.float64)
        hi, lo = self._ends()
        return (sig ** (1.0 / self.rho) - hi) / (lo - hi)
