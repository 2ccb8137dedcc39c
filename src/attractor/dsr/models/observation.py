"""Observation models: how a latent state ``z`` (``M`` units) is read out as data (``N`` values)."""

from __future__ import annotations

import torch
from torch import nn

from attractor._core.validation import check_int


class IdentityObservation(nn.Module):
    """``x = z[..., :N]``: the first ``N`` latent units are the observations (Brenner et al.,
    ICML 2022; Hess et al., ICML 2023). Teacher forcing then writes data straight into those
    units, and no parameters are spent on the read-out."""

    def __init__(self, n_obs: int, latent_dim: int) -> None:
        super().__init__()
        self.n_obs = check_int("n_obs", n_obs, minimum=1)
        if latent_dim < n_obs:
            raise ValueError(
                f"`latent_dim` ({latent_dim}) must be at least the number of observations `n_obs` "
                f"({n_obs}) with an identity observation model, whose first n_obs units are the data."
            )
        self.latent_dim = latent_dim

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return z[..., : self.n_obs]

    def invert(self, x: torch.Tensor, z: torch.Tensor | None = None) -> torch.Tensor:
        """The latent state that shows ``x``: ``x`` in the first ``N`` units, the rest from ``z``
        (zeros without one)."""
        rest = x.new_zeros(*x.shape[:-1], self.latent_dim - self.n_obs) if z is None else z[..., self.n_obs:]
        return torch.cat([x, rest], dim=-1)


class AffineObservation(nn.Module):
    """``x = B z + c`` with learned ``B`` (``N x M``) and ``c``; the latent state that shows ``x``
    is the least-squares one, ``z = B^+ (x - c)`` (plus, with a current ``z``, its component in
    the null space of ``B``)."""

    def __init__(self, n_obs: int, latent_dim: int) -> None:
        super().__init__()
        self.n_obs = check_int("n_obs", n_obs, minimum=1)
        self.latent_dim = check_int("latent_dim", latent_dim, minimum=1)
        self.linear = nn.Linear(latent_dim, n_obs)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.linear(z)

    def invert(self, x: torch.Tensor, z: torch.Tensor | None = None) -> torch.Tensor:
        B, c = self.linear.weight, self.linear.bias
        pinv = torch.linalg.pinv(B)
        fit = (x - c) @ pinv.T
        if z is None:
            return fit
        return fit + z - (z @ B.T) @ pinv.T  # keep the unobserved (null-space) part of z


def make_observation(observation: str | nn.Module, n_obs: int, latent_dim: int) -> nn.Module:
    if isinstance(observation, nn.Module):
        if not hasattr(observation, "invert"):
            raise TypeError("`observation` must have an `invert(x, z=None)` method (see IdentityObservation).")
        return observation
    if observation == "identity":
        return IdentityObservation(n_obs, latent_dim)
    if observation == "affine":
        return AffineObservation(n_obs, latent_dim)
    raise ValueError(f"`observation` must be 'identity', 'affine' or an nn.Module; got {observation!r}.")
