"""A contractive parametrization: a DEQ cell with a unique equilibrium by Banach's theorem.

The weight is rescaled so its induced norm never exceeds ``bound < 1``:

    W = V · min(1, bound / ||V||)

and the cell is ``f(z, x) = σ(W z + U x + b)`` with σ elementwise and 1-Lipschitz. Then
``||f(z, x) - f(z', x)|| <= bound · ||z - z'||`` in the norm the weight was scaled in, so the
equilibrium exists, is unique, and plain fixed-point iteration converges at rate ``bound``
(e.g. Revay, Wang & Manchester 2020, "Lipschitz bounded equilibrium networks"; El Ghaoui et
al. 2021, "Implicit deep learning", whose well-posedness condition is an induced-∞ norm below 1).

The norms are computed exactly, so the bound is certified (up to rounding):

- ``"spectral"``: the largest singular value (an SVD per evaluation; contraction in ℓ2),
- ``"inf"``: the induced ∞-norm, max row sum of ``|V|`` (cheap; contraction in ℓ∞),
- ``"fro"``: the Frobenius norm, an upper bound on the spectral norm (cheap; ℓ2, conservative).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn
from torch.nn.utils import parametrize

from attractor._core import small_linalg
from attractor._core.validation import check_choice, check_in_range, check_int
from attractor.nn.activations import get_activation

NORMS = ("spectral", "inf", "fro")


def induced_norm(weight: torch.Tensor, norm: str) -> torch.Tensor:
    """The norm of a square matrix used by :class:`Contractive` (see module docstring)."""
    if norm == "spectral":
        return small_linalg.matrix_norm(weight, ord=2)
    if norm == "inf":
        return small_linalg.matrix_norm(weight, ord=float("inf"))
    return small_linalg.matrix_norm(weight, ord="fro")


class Contractive(nn.Module):
    """Parametrization ``V ↦ V · min(1, bound / ||V||)`` so that ``||W|| <= bound``."""

    def __init__(self, bound: float = 0.9, norm: str = "spectral") -> None:
        super().__init__()
        self.bound = check_in_range("bound", bound, 0.0, 1.0, inclusive=False)
        self.norm = check_choice("norm", norm, NORMS)

    def forward(self, weight: torch.Tensor) -> torch.Tensor:
        return weight * (self.bound / induced_norm(weight, self.norm).clamp_min(1e-12)).clamp(max=1.0)


class ContractiveCell(nn.Module):
    """``f(z, x) = σ(W z + U x + b)`` with ``||W|| <= bound < 1``: a contraction in z.

    Parameters
    ----------
    in_features, features:
        Sizes of the input x and of the state z.
    bound:
        The Lipschitz constant of ``f`` in z (strictly below 1).
    norm:
        ``"spectral"`` (ℓ2), ``"inf"`` (ℓ∞) or ``"fro"``; see the module docstring.
    activation:
        ``"tanh"`` (default), ``"relu"``, ``"hardtanh"``, ``"identity"``; a callable must be
        elementwise and 1-Lipschitz for the guarantee to hold.
    """

    def __init__(
        self,
        in_features: int,
        features: int,
        *,
        bound: float = 0.9,
        norm: str = "spectral",
        activation: str | Callable[[torch.Tensor], torch.Tensor] = "tanh",
        bias: bool = True,
    ) -> None:
        super().__init__()
        check_int("in_features", in_features)
        check_int("features", features)
        self.activation = get_activation(activation)
        self.linear = nn.Linear(features, features, bias=False)
        parametrize.register_parametrization(self.linear, "weight", Contractive(bound, norm))
        self.input = nn.Linear(in_features, features, bias=bias)

    @property
    def bound(self) -> float:
        return self.linear.parametrizations.weight[0].bound

    @property
    def weight(self) -> torch.Tensor:
        """The contractive matrix W."""
        return self.linear.weight

    def lipschitz(self) -> torch.Tensor:
        """``||W||`` in the parametrization's norm (at most :attr:`bound`)."""
        return induced_norm(self.weight, self.linear.parametrizations.weight[0].norm)

    def forward(self, z: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return self.activation(self.linear(z) + self.input(x))
