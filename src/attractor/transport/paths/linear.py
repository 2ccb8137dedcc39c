"""The linear path: rectified flow, conditional OT flow matching (OT-CFM)."""

from __future__ import annotations

from typing import Any

import torch

from attractor._core.validation import check_in_range
from attractor.transport.paths.base import Path, as_time


class LinearPath(Path):
    r"""Straight lines from noise to data (Liu et al. 2023; Lipman et al. 2023; Tong et al. 2024).

    .. math:: x_t = (1 - (1 - \sigma_{\min})\, t)\, x_0 + t\, x_1, \qquad
              \dot x_t = x_1 - (1 - \sigma_{\min})\, x_0 .

    With ``sigma_min = 0`` (the default) this is rectified flow and the OT-CFM path; Lipman et
    al.'s optimal-transport path keeps a noise floor ``sigma_min`` at the data. The noise level
    is ``sigma(t) = (1 - (1 - sigma_min) t) / t``, inverted in closed form.
    """

    def __init__(self, sigma_min: float = 0.0) -> None:
        self.sigma_min = check_in_range("sigma_min", sigma_min, 0.0, 1.0, inclusive=True)
        if self.sigma_min == 1.0:
            raise ValueError("`sigma_min` must lie in [0, 1); got 1.0 (the path would never leave noise).")

    def coefficients(self, t: Any):
        t = as_time(t)
        return 1.0 - (1.0 - self.sigma_min) * t, t, torch.zeros_like(t)

    def derivatives(self, t: Any):
        t = as_time(t)
        one = torch.ones_like(t)
        return -(1.0 - self.sigma_min) * one, one, torch.zeros_like(t)

    def t_of_sigma(self, sigma: Any) -> torch.Tensor:
        sig = torch.as_tensor(sigma, dtype=torch.float64)
        return 1.0 / (sig + 1.0 - self.sigma_min)
