"""The almost-linear RNN: a few ReLU units, the rest linear."""

from __future__ import annotations

import torch
from torch import nn

from attractor._core.validation import check_int
from attractor.dsr.models._coupled import CoupledRNN


class ALRNN(CoupledRNN):
    r"""Almost-linear RNN (Brenner, Hemmer, Monfared & Durstewitz, "Almost-linear RNNs yield
    highly interpretable symbolic codes in dynamical systems reconstruction", NeurIPS 2024):

    .. math:: z_t = A z_{t-1} + W \Phi^*(z_{t-1}) + h, \qquad
              \Phi^*(z) = (z_1, \dots, z_{M-P}, \max(0, z_{M-P+1}), \dots, \max(0, z_M)),

    ``A`` diagonal (initialised by Talathi & Vartak 2016), ``W`` off-diagonal (initialised
    :math:`N(0, 0.01^2)`), and only the last ``P = relu_units`` units
    nonlinear. The state space splits into at most :math:`2^P` linear subregions; the sequence
    of subregions a trajectory visits is its symbolic code (:func:`attractor.dsr.symbolic_code`).
    """

    def __init__(self, latent_dim: int, n_obs: int, relu_units: int = 2, observation: str | nn.Module = "identity") -> None:
        P = check_int("relu_units", relu_units, minimum=0)
        if isinstance(latent_dim, int) and P > latent_dim:
            raise ValueError(f"`relu_units` ({P}) must be at most `latent_dim` ({latent_dim}).")
        self.relu_units = P
        # the reference initialisation (ALRNN-DSR, src/models/initialization.jl): W ~ N(0, 0.01^2)
        super().__init__(latent_dim, n_obs, observation, lambda M: nn.Parameter(0.01 * torch.randn(M, M)))

    def phi(self, z: torch.Tensor) -> torch.Tensor:
        k = self.latent_dim - self.relu_units
        return torch.cat([z[..., :k], torch.relu(z[..., k:])], dim=-1)

    def slopes(self, z: torch.Tensor) -> torch.Tensor:
        return self._slopes(self.pattern(z))

    def _slopes(self, pattern: torch.Tensor) -> torch.Tensor:
        ones = pattern.new_ones(*pattern.shape[:-1], self.latent_dim - self.relu_units, dtype=self.A.dtype)
        return torch.cat([ones, pattern.to(self.A.dtype)], dim=-1)

    def pattern(self, z: torch.Tensor) -> torch.Tensor:
        return z[..., self.latent_dim - self.relu_units:] > 0

    def affine(self, pattern: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        slope = self._slopes(pattern)
        return self.linear_part(slope), self.h.expand_as(slope)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, relu_units={self.relu_units}"
