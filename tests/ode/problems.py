"""Test problems with closed-form solutions."""

import math

import numpy as np
import torch

OMEGA = 3.0
R0 = 0.2


def limit_cycle(t, y):
    """Nonlinear rotation towards the unit circle: r' = r(1 - r^2), theta' = OMEGA."""
    r2 = (y**2).sum(-1, keepdim=True)
    x, v = y[..., 0:1], y[..., 1:2]
    return torch.cat([x * (1 - r2) - OMEGA * v, v * (1 - r2) + OMEGA * x], -1)


def limit_cycle_exact(t: float, r0: float = R0) -> np.ndarray:
    r = (1 + (1 / r0**2 - 1) * math.exp(-2 * t)) ** -0.5
    return np.array([r * math.cos(OMEGA * t), r * math.sin(OMEGA * t)])


def riccati(t, y):
    """y' = -2 t y^2, y(0) = 1: y = 1 / (1 + t^2) (non-autonomous, nonlinear)."""
    return -2 * t * y**2


def riccati_exact(t):
    return 1.0 / (1.0 + t**2)


def decay(t, y):
    return -y
