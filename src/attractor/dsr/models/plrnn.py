"""The piecewise-linear RNN (PLRNN) and its dendritic extension."""

from __future__ import annotations

import math

import torch
from torch import nn

from attractor._core.validation import check_int
from attractor.dsr.models._coupled import CoupledRNN


def _small_coupling(M: int) -> nn.Parameter:
    bound = 0.5 / math.sqrt(M)
    return nn.Parameter(torch.empty(M, M).uniform_(-bound, bound))


class PLRNN(CoupledRNN):
    r"""Piecewise-linear RNN (Durstewitz, PLoS Comput. Biol. 2017; Koppe et al. 2019):

    .. math:: z_t = A z_{t-1} + W \phi(z_{t-1}) + h, \qquad \phi = \max(0, \cdot),

    ``A`` diagonal, ``W`` off-diagonal (its diagonal is held at zero; self-coupling is ``A``).
    Initialised with ``A`` by Talathi & Vartak (2016), small ``W``, ``h = 0``.

    The map is linear in each orthant ``D = diag(z > 0)``: :math:`z \mapsto (A + W D) z + h`,
    which :func:`attractor.dsr.scyfi` uses to find its fixed points and cycles.
    :meth:`manifold_attractor_regularization` is the regularizer of Schmidt et al. (ICLR 2021).
    """

    def __init__(self, latent_dim: int, n_obs: int, observation: str | nn.Module = "identity") -> None:
        super().__init__(latent_dim, n_obs, observation, _small_coupling)

    def phi(self, z: torch.Tensor) -> torch.Tensor:
        return torch.relu(z)

    def slopes(self, z: torch.Tensor) -> torch.Tensor:
        return self.pattern(z)

    def pattern(self, z: torch.Tensor) -> torch.Tensor:
        return z > 0

    def affine(self, pattern: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        D = pattern.to(self.A.dtype)
        return self.linear_part(D), self.h.expand_as(D)

    def manifold_attractor_regularization(self, fraction: float = 0.5) -> torch.Tensor:
        r"""Schmidt et al. (2021): the first ``fraction`` of the units are pushed towards a
        line attractor, :math:`\sum_{i \in R} (A_i - 1)^2 + \sum_{i \in R, j} W_{ij}^2 +
        \sum_{i \in R} h_i^2`, which lets them hold slow time scales."""
        k = round(fraction * self.latent_dim)
        return (self.A[:k] - 1).pow(2).sum() + self.W_offdiag[:k].pow(2).sum() + self.h[:k].pow(2).sum()


class DendriticPLRNN(CoupledRNN):
    r"""Dendritic PLRNN (Brenner et al., "Tractable dendritic RNNs for reconstructing nonlinear
    dynamical systems", ICML 2022): each unit's nonlinearity is a weighted sum of ``bases``
    thresholded ReLUs,

    .. math:: z_t = A z_{t-1} + W \sum_{b=1}^{B} \alpha_b \max(0, z_{t-1} - \eta_b) + h ,

    with ``A`` diagonal, ``W`` off-diagonal, :math:`\alpha \in R^B`, thresholds
    :math:`\eta_b \in R^M`. Still piecewise linear: the pattern is which thresholds each unit
    exceeds.
    """

    def __init__(self, latent_dim: int, n_obs: int, bases: int = 10, observation: str | nn.Module = "identity") -> None:
        B = check_int("bases", bases, minimum=1)
        super().__init__(latent_dim, n_obs, observation, _small_coupling)
        self.bases = B
        self.alpha = nn.Parameter(torch.full((B,), 1.0 / B))
        self.thresholds = nn.Parameter(torch.randn(B, self.latent_dim))

    def phi(self, z: torch.Tensor) -> torch.Tensor:
        return torch.einsum("b,...bm->...m", self.alpha, torch.relu(z.unsqueeze(-2) - self.thresholds))

    def slopes(self, z: torch.Tensor) -> torch.Tensor:
        return torch.einsum("b,...bm->...m", self.alpha, (z.unsqueeze(-2) > self.thresholds).to(z.dtype))

    def pattern(self, z: torch.Tensor) -> torch.Tensor:
        return (z.unsqueeze(-2) > self.thresholds).flatten(-2)  # (*, B M)

    def affine(self, pattern: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        P = pattern.reshape(*pattern.shape[:-1], self.bases, self.latent_dim).to(self.A.dtype)
        slope = torch.einsum("b,...bm->...m", self.alpha, P)
        offset = torch.einsum("b,...bm->...m", self.alpha, P * self.thresholds)
        return self.linear_part(slope), self.h - offset @ self.W_offdiag.T

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, bases={self.bases}"
