"""The shared form of the PLRNN family: a diagonal linear part and an off-diagonal coupling."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from attractor.dsr.models._base import ReconstructionModel
from attractor.dsr.models._init import talathi_vartak_diagonal


class CoupledRNN(ReconstructionModel):
    r""":math:`z_t = A z_{t-1} + W \phi(z_{t-1}) + h` with ``A`` diagonal (initialised by Talathi &
    Vartak 2016) and ``W`` off-diagonal (its diagonal is held at zero: the self-coupling is
    ``A``). A subclass gives the elementwise nonlinearity :meth:`phi` and its slopes
    :meth:`slopes`; the Jacobian, and the linear part of the affine map of each region, is then
    :math:`A + W \operatorname{diag}(\phi')`."""

    def __init__(
        self, latent_dim: int, n_obs: int, observation: str | nn.Module,
        coupling: Callable[[int], nn.Parameter],
    ) -> None:
        super().__init__(latent_dim, n_obs, observation)
        M = self.latent_dim
        self.A = talathi_vartak_diagonal(M)
        self.W = coupling(M)
        self.h = nn.Parameter(torch.zeros(M))
        self.register_buffer("mask", 1 - torch.eye(M))

    @property
    def W_offdiag(self) -> torch.Tensor:
        return self.W * self.mask

    def phi(self, z: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def slopes(self, z: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        """:math:`\\phi'(z)` (elementwise)."""
        raise NotImplementedError

    def step(self, z: torch.Tensor) -> torch.Tensor:
        return self.A * z + self.phi(z) @ self.W_offdiag.T + self.h

    def linear_part(self, slope: torch.Tensor) -> torch.Tensor:
        """:math:`A + W \\operatorname{diag}(s)` for slopes ``s`` of shape ``(*, M)``."""
        return torch.diag_embed(self.A.expand_as(slope)) + self.W_offdiag * slope.unsqueeze(-2)

    def jacobian(self, z: torch.Tensor) -> torch.Tensor:
        return self.linear_part(self.slopes(z).to(z.dtype))
