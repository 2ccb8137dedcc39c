"""The monotone operator parametrization of an equilibrium cell (monDEQ).

Winston & Kolter 2020, "Monotone operator equilibrium networks". The cell is

    f(z, x) = σ(W z + U x + b),   W = (1 - m) I - AᵀA + B - Bᵀ,

with σ the proximal operator of a convex function (ReLU is the projection onto z >= 0). The
symmetric part of ``I - W = m I + AᵀA + (Bᵀ - B)`` is ``m I + AᵀA ⪰ m I`` for *any* A, B, so
``F(z) = (I - W) z - (U x + b)`` is m-strongly monotone, and the equilibrium -- a zero of the
monotone inclusion ``0 ∈ F(z) + ∂g(z)`` -- exists and is unique for every input. Operator
splitting methods (:mod:`attractor.nn.splitting`) find it from any start.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import nn

from attractor._core import small_linalg
from attractor._core.validation import check_int, check_positive

# Proximal operators prox^α_g whose value does not depend on α: indicators of convex sets
# (ReLU: the nonnegative orthant, hardtanh: the box [-1, 1]) and g = 0 (identity).
PROXES: dict[str, Callable[[torch.Tensor, float], torch.Tensor]] = {
    "relu": lambda v, alpha: torch.relu(v),
    "hardtanh": lambda v, alpha: v.clamp(-1.0, 1.0),
    "identity": lambda v, alpha: v,
}


def get_prox(activation: str | Callable[[torch.Tensor, float], torch.Tensor]) -> Callable[[torch.Tensor, float], torch.Tensor]:
    """A proximal operator ``prox(v, alpha)`` by name (:data:`PROXES`) or a callable."""
    if callable(activation):
        return activation
    if isinstance(activation, str) and activation.lower() in PROXES:
        return PROXES[activation.lower()]
    raise ValueError(
        f"`activation` must be one of {sorted(PROXES)} or a callable prox(v, alpha); got {activation!r}."
    )


class MonotoneCell(nn.Module):
    """``f(z, x) = σ(W z + U x + b)`` with ``W = (1 - m) I - AᵀA + B - Bᵀ`` (monDEQ).

    Parameters
    ----------
    in_features, features:
        Sizes of the input x and of the state z.
    m:
        Strong-monotonicity margin: ``sym(I - W) ⪰ m I``. Larger m means faster, more robust
        solves and a less expressive W.
    activation:
        ``"relu"`` (default), ``"hardtanh"``, ``"identity"``, or a callable ``prox(v, alpha)``,
        the proximal operator ``argmin_z g(z) + ||z - v||² / (2α)`` of a convex g; the cell
        uses ``prox(v, 1)``, the splitting methods ``prox(v, α)``.
    init_scale:
        Entries of A and B start as ``N(0, init_scale² / features)``.
    """

    def __init__(
        self,
        in_features: int,
        features: int,
        *,
        m: float = 0.05,
        activation: str | Callable[[torch.Tensor, float], torch.Tensor] = "relu",
        bias: bool = True,
        init_scale: float = 0.3,
    ) -> None:
        super().__init__()
        check_int("in_features", in_features)
        self.features = check_int("features", features)
        self.m = check_positive("m", m)
        self.prox = get_prox(activation)
        scale = check_positive("init_scale", init_scale, allow_zero=True) / math.sqrt(features)
        self.A = nn.Parameter(torch.randn(features, features) * scale)
        self.B = nn.Parameter(torch.randn(features, features) * scale)
        self.input = nn.Linear(in_features, features, bias=bias)

    def weight(self) -> torch.Tensor:
        """``W = (1 - m) I - AᵀA + B - Bᵀ``."""
        eye = torch.eye(self.features, dtype=self.A.dtype, device=self.A.device)
        return (1.0 - self.m) * eye - self.A.T @ self.A + self.B - self.B.T

    def monotonicity(self) -> torch.Tensor:
        """Smallest eigenvalue of the symmetric part of ``I - W`` (at least ``m`` by construction)."""
        eye = torch.eye(self.features, dtype=self.A.dtype, device=self.A.device)
        k = eye - self.weight()
        return small_linalg.eigvalsh(0.5 * (k + k.T)).min()

    def forward(self, z: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return self.prox(z @ self.weight().T + self.input(x), 1.0)

    def extra_repr(self) -> str:
        return f"features={self.features}, m={self.m}"
