"""Initialisations of the reference implementations (Hess et al. 2023; Brenner et al. 2024)."""

from __future__ import annotations

import math

import torch
from torch import nn


def talathi_vartak_diagonal(M: int) -> nn.Parameter:
    """``A = diag(K) / λ_max(K)`` with ``K = RᵀR / M + I``, ``R`` standard normal (Talathi &
    Vartak 2016, as the PLRNN reference code initialises the diagonal): entries in (0, 1],
    the largest exactly 1, so the linear part starts at the edge of stability."""
    R = torch.randn(M, M)
    K = R.T @ R / M + torch.eye(M)
    return nn.Parameter(torch.diagonal(K) / torch.linalg.eigvalsh(K).max())


def uniform(*shape: int, fan_in: int) -> nn.Parameter:
    """``U(-1/√fan_in, 1/√fan_in)``."""
    bound = 1 / math.sqrt(fan_in)
    return nn.Parameter(torch.empty(*shape).uniform_(-bound, bound))
