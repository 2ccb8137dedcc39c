"""The trigonometric (generalized variance-preserving) path."""

from __future__ import annotations

from typing import Any

import torch

from attractor.transport.paths.base import HALF_PI, Path, as_time


class TrigonometricPath(Path):
    r"""The trigonometric interpolant (GVP; Albergo & Vanden-Eijnden 2023, Ma et al. 2024 SiT):

    .. math:: x_t = \cos(\tfrac{\pi t}{2})\, x_0 + \sin(\tfrac{\pi t}{2})\, x_1,

    variance preserving for unit-variance data (``alpha^2 + beta^2 = 1``), with
    ``sigma(t) = cot(pi t / 2)``.
    """

    # cos(pi t/2) written as sin(pi (1 - t)/2): exactly 0 at t = 1 (cos rounds to 6e-17 there,
    # which would hide that the path reaches the data)
    def coefficients(self, t: Any):
        t = as_time(t)
        return torch.sin(HALF_PI * (1.0 - t)), torch.sin(HALF_PI * t), torch.zeros_like(t)

    def derivatives(self, t: Any):
        t = as_time(t)
        return -HALF_PI * torch.cos(HALF_PI * (1.0 - t)), HALF_PI * torch.cos(HALF_PI * t), torch.zeros_like(t)

    def t_of_sigma(self, sigma: Any) -> torch.Tensor:
        sig = torch.as_tensor(sigma, dtype=torch.float64)
        return torch.atan2(torch.ones_like(sig), sig) / HALF_PI
