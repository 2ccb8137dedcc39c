"""Variance-preserving diffusion paths (DDPM / score SDE) with linear and cosine schedules."""

from __future__ import annotations

import math
from typing import Any

import torch

from attractor._core.validation import check_choice, check_positive
from attractor.transport.paths.base import HALF_PI, Path, as_time


class VPPath(Path):
    r"""The variance-preserving diffusion path in flow-matching time (data at ``t = 1``).

    With diffusion time :math:`\tau = 1 - t` and :math:`\bar\alpha(\tau)` the schedule's
    signal power,

    .. math:: x_t = \sqrt{1 - \bar\alpha(\tau)}\, x_0 + \sqrt{\bar\alpha(\tau)}\, x_1 .

    ``schedule="linear"`` (Ho et al. 2020; Song et al. 2021): :math:`\beta(\tau) = \beta_{\min}
    + \tau(\beta_{\max} - \beta_{\min})` and :math:`\bar\alpha = \exp(-\int_0^\tau \beta)`, the
    continuous limit of DDPM's 1000 linear betas from 1e-4 to 0.02 (``beta_min=0.1,
    beta_max=20``). ``schedule="cosine"`` (Nichol & Dhariwal 2021): :math:`\bar\alpha(\tau) =
    f(\tau)/f(0)`, :math:`f(\tau) = \cos^2(\frac{\tau + c}{1 + c}\frac{\pi}{2})` with offset
    ``c = cosine_offset`` (0.008), which reaches pure noise at ``t = 0``; the linear schedule
    keeps a signal ``exp(-(beta_min + beta_max)/4)`` there (0.0066 by default).

    The noise scale has an infinite derivative at the data (``t = 1``), where the velocity
    parametrization is singular; the exponential-integrator samplers step to ``t = 1`` exactly.
    """

    def __init__(self, schedule: str = "linear", *, beta_min: float = 0.1, beta_max: float = 20.0,
                 cosine_offset: float = 0.008) -> None:
        self.schedule = check_choice("schedule", schedule, ("linear", "cosine"))
        if self.schedule == "linear":
            self.beta_min = check_positive("beta_min", beta_min, allow_zero=True)
            self.beta_max = check_positive("beta_max", beta_max)
            if self.beta_max < self.beta_min:
                raise ValueError(f"`beta_max` must be >= `beta_min`; got {beta_max} < {beta_min}.")
        else:
            self.cosine_offset = check_positive("cosine_offset", cosine_offset)

    def _signal(self, t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``b = sqrt(abar)``, ``db/dt`` and ``s^2 = 1 - abar``, each without cancellation."""
        if self.schedule == "linear":
            tau = 1.0 - t
            slope = self.beta_max - self.beta_min
            B = self.beta_min * tau + 0.5 * slope * tau * tau  # -log abar
            b = torch.exp(-0.5 * B)
            return b, 0.5 * (self.beta_min + slope * tau) * b, -torch.expm1(-B)  # d/dt = -d/dtau
        # with theta = (tau + c)/(1 + c) pi/2: cos(theta) = sin(phi), phi = pi t / (2 (1 + c)),
        # exactly 0 at t = 0 (theta itself rounds past pi/2 in float32: a negative cosine), and
        # cos(theta0)^2 - cos(theta)^2 = sin(theta + theta0) sin(theta - theta0) near the data
        c = self.cosine_offset
        scale = HALF_PI / (1.0 + c)
        phi = t * scale
        norm = math.cos(c * scale)
        b = torch.sin(phi) / norm
        tau = 1.0 - t
        s2 = torch.sin((tau + 2.0 * c) * scale) * torch.sin(tau * scale) / (norm * norm)
        return b, torch.cos(phi) * (scale / norm), s2.clamp(min=0.0)

    def coefficients(self, t: Any):
        t = as_time(t)
        b, _, s2 = self._signal(t)
        return torch.sqrt(s2), b, torch.zeros_like(t)

    def derivatives(self, t: Any):
        t = as_time(t)
        b, db, s2 = self._signal(t)
        return -b * db / torch.sqrt(s2), db, torch.zeros_like(t)

    def t_of_sigma(self, sigma: Any) -> torch.Tensor:
        sig = torch.as_tensor(sigma, dtype=torch.float64)
        B = torch.log1p(sig * sig)  # sigma^2 = 1/abar - 1
        if self.schedule == "linear":
            slope = self.beta_max - self.beta_min
            if slope == 0:
                tau = B / self.beta_min
            else:
                tau = (-self.beta_min + torch.sqrt(self.beta_min**2 + 2.0 * slope * B)) / slope
        else:
            c = self.cosine_offset
            theta0 = c / (1.0 + c) * HALF_PI
            theta = torch.acos((torch.exp(-0.5 * B) * math.cos(theta0)).clamp(max=1.0))
            tau = theta / HALF_PI * (1.0 + c) - c
        return 1.0 - tau
