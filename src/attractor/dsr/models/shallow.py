"""The shallow PLRNN and its clipped (bounded) variant."""

from __future__ import annotations

import torch
from torch import nn

from attractor._core.validation import check_int
from attractor.dsr.models._base import ReconstructionModel
from attractor.dsr.models._init import talathi_vartak_diagonal, uniform


class ShallowPLRNN(ReconstructionModel):
    r"""Shallow PLRNN (Hess, Monfared, Brenner & Durstewitz, "Generalized teacher forcing for
    learning chaotic dynamics", ICML 2023): one hidden ReLU layer of width ``hidden``,

    .. math:: z_t = A z_{t-1} + W_1 \max(0, W_2 z_{t-1} + h_2) + h_1 ,

    ``A`` diagonal. Initialised as the reference code: ``A`` by Talathi & Vartak (2016),
    ``W_1, W_2`` uniform in :math:`\pm 1/\sqrt{\text{fan-in}}`, ``h_1 = 0``, ``h_2 = 0``
    (uniform for the clipped variant). ``clipped=True`` is the clipped shPLRNN of the same paper,
    :math:`z_t = A z_{t-1} + W_1 [\max(0, W_2 z_{t-1} + h_2) - \max(0, W_2 z_{t-1})] + h_1`,
    whose nonlinear term is bounded, so orbits stay bounded whenever :math:`|A_i| < 1`.

    In each region of the hidden pattern ``D = diag(W_2 z + h_2 > 0)`` (and, clipped,
    ``D' = diag(W_2 z > 0)``) the map is affine:
    :math:`z \mapsto (A + W_1 (D - D') W_2) z + W_1 D h_2 + h_1`.
    """

    def __init__(
        self, latent_dim: int, n_obs: int, hidden: int = 50, clipped: bool = False,
        observation: str | nn.Module = "identity",
    ) -> None:
        super().__init__(latent_dim, n_obs, observation)
        M, L = self.latent_dim, check_int("hidden", hidden, minimum=1)
        if not isinstance(clipped, bool):
            raise TypeError(f"`clipped` must be a bool; got {type(clipped).__name__}.")
        self.hidden, self.clipped = L, clipped
        # the reference code's initialisation (GTF-shPLRNN, src/models/initialization.jl)
        self.A = talathi_vartak_diagonal(M)
        self.W1 = uniform(M, L, fan_in=L)
        self.W2 = uniform(L, M, fan_in=M)
        self.h1 = nn.Parameter(torch.zeros(M))
        self.h2 = uniform(L, fan_in=L) if clipped else nn.Parameter(torch.zeros(L))

    def step(self, z: torch.Tensor) -> torch.Tensor:
        u = z @ self.W2.T
        hidden = torch.relu(u + self.h2)
        if self.clipped:
            hidden = hidden - torch.relu(u)
        return self.A * z + hidden @ self.W1.T + self.h1

    def _slopes(self, z: torch.Tensor) -> torch.Tensor:
        u = z @ self.W2.T
        d = (u + self.h2 > 0).to(z.dtype)
        return d - (u > 0).to(z.dtype) if self.clipped else d

    def jacobian(self, z: torch.Tensor) -> torch.Tensor:
        return torch.diag_embed(self.A.expand_as(z)) + (self.W1 * self._slopes(z).unsqueeze(-2)) @ self.W2

    def pattern(self, z: torch.Tensor) -> torch.Tensor:
        u = z @ self.W2.T
        on = u + self.h2 > 0
        return torch.cat([on, u > 0], dim=-1) if self.clipped else on

    def affine(self, pattern: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        P = pattern.to(self.A.dtype)
        D = P[..., : self.hidden]
        slope = D - P[..., self.hidden:] if self.clipped else D
        mat = torch.diag_embed(self.A.expand(*P.shape[:-1], self.latent_dim)) + (self.W1 * slope.unsqueeze(-2)) @ self.W2
        return mat, (D * self.h2) @ self.W1.T + self.h1

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, hidden={self.hidden}, clipped={self.clipped}"
