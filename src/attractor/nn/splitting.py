"""Operator splitting for monotone equilibrium cells, written as fixed-point maps.

For ``0 ∈ F(z) + ∂g(z)`` with ``F(z) = K z - c``, ``K = I - W`` (m-strongly monotone, Lipschitz
with ``L = ||K||₂``) and ``J_g = prox^α_g`` the activation, each method below is a map whose
fixed points give the equilibrium. The maps are handed to :func:`attractor.fixed_point` (Picard
iteration is the classical algorithm; Anderson also works, without the global guarantee).
References: Winston & Kolter 2020 (monDEQ); Ryu & Boyd 2016, "A primer on monotone operator
methods"; Giselsson 2017 for the Peaceman–Rachford contraction factor.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable

import torch

from attractor._core import small_linalg
from attractor._core.validation import check_positive
from attractor.nn.deq import SolverProblem

Prox = Callable[[torch.Tensor, float], torch.Tensor]


def _identity(z: torch.Tensor) -> torch.Tensor:
    return z


class Splitting(ABC):
    """A splitting method: builds the fixed-point problem for given ``W``, ``c``, prox and m."""

    alpha: float | None

    def __init__(self, alpha: float | None = None) -> None:
        self.alpha = None if alpha is None else check_positive("alpha", alpha)

    @abstractmethod
    def step_size(self, k: torch.Tensor, m: float) -> float:
        """The step α for ``K = I - W`` (validating a user-given one)."""

    @abstractmethod
    def problem(self, w: torch.Tensor, c: torch.Tensor, prox: Prox, m: float) -> SolverProblem:
        """The fixed-point map (with its tensor arguments) and the z <-> state conversions."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(alpha={self.alpha})"


def _k_matrix(w: torch.Tensor) -> torch.Tensor:
    return torch.eye(w.shape[-1], dtype=w.dtype, device=w.device) - w


class ForwardBackward(Splitting):
    """Forward–backward splitting: ``z ← prox_α(z - α(K z - c)) = prox_α((I - αK) z + α c)``.

    A contraction when the explicit step ``I - αK`` is, i.e. ``||I - αK||₂ < 1``; strong
    monotonicity guarantees this for every ``α ∈ (0, 2m/L²)`` (``||I - αK||² <= 1 - 2αm + α²L²``).
    The default ``α = m/L²`` minimizes that bound, giving the rate ``sqrt(1 - m²/L²)``. A given
    ``alpha`` is accepted when ``||I - αK||₂ < 1`` (checked exactly at every call, as W changes).
    """

    def step_size(self, k: torch.Tensor, m: float) -> float:
        lipschitz = float(small_linalg.matrix_norm(k, ord=2))
        if self.alpha is None:
            return m / lipschitz**2
        eye = torch.eye(k.shape[-1], dtype=k.dtype, device=k.device)
        rate = float(small_linalg.matrix_norm(eye - self.alpha * k, ord=2))
        if rate >= 1.0:
            raise ValueError(
                f"ForwardBackward `alpha`={self.alpha} does not give a contraction: ||I - alpha (I - W)||_2 = "
                f"{rate:.4g} >= 1. Any alpha in (0, {2 * m / lipschitz**2:.4g}) = (0, 2m/L^2) does, "
                "or use the Peaceman-Rachford splitting, which converges for every alpha > 0."
            )
        return self.alpha

    def problem(self, w: torch.Tensor, c: torch.Tensor, prox: Prox, m: float) -> SolverProblem:
        k = _k_matrix(w)
        alpha = self.step_size(k.detach(), m)
        explicit = torch.eye(k.shape[-1], dtype=k.dtype, device=k.device) - alpha * k

        def step(z: torch.Tensor, c_: torch.Tensor, explicit_: torch.Tensor) -> torch.Tensor:
            return prox(z @ explicit_.T + alpha * c_, alpha)

        return SolverProblem(step, (c, explicit), _identity, _identity)


class PeacemanRachford(Splitting):
    """Peaceman–Rachford splitting: ``u ← R_F R_g u`` with reflected resolvents ``R = 2J - I``.

        z = prox_α(u),   v = 2z - u,   w = (I + αK)⁻¹ (v + α c),   u ← 2w - v,

    and the equilibrium is ``z* = prox_α(u*)``. ``R_g`` is nonexpansive and ``R_F`` a
    contraction with factor ``sqrt((1 - 2αm + α²L²) / (1 + 2αm + α²L²)) < 1``, so it converges
    for every ``α > 0``; the default ``α = 1/L`` minimizes the factor to
    ``sqrt((1 - m/L) / (1 + m/L))``. ``(I + αK)⁻¹`` is formed once per solve.
    A guess ``z0`` is mapped to ``u0 = z0 - α F(z0)``, which is ``u*`` when ``z0 = z*``.
    """

    def step_size(self, k: torch.Tensor, m: float) -> float:
        if self.alpha is not None:
            return self.alpha
        return 1.0 / float(small_linalg.matrix_norm(k, ord=2))

    def problem(self, w: torch.Tensor, c: torch.Tensor, prox: Prox, m: float) -> SolverProblem:
        k = _k_matrix(w)
        alpha = self.step_size(k.detach(), m)
        eye = torch.eye(k.shape[-1], dtype=k.dtype, device=k.device)
        resolvent = small_linalg.inv(eye + alpha * k)

        def step(u: torch.Tensor, c_: torch.Tensor, resolvent_: torch.Tensor) -> torch.Tensor:
            v = 2.0 * prox(u, alpha) - u
            return 2.0 * ((v + alpha * c_) @ resolvent_.T) - v

        def encode(z0: torch.Tensor) -> torch.Tensor:
            return z0 - alpha * (z0 @ k.T - c)

        return SolverProblem(step, (c, resolvent), encode, lambda u: prox(u, alpha))


SPLITTINGS: dict[str, type[Splitting]] = {
    "forward_backward": ForwardBackward,
    "peaceman_rachford": PeacemanRachford,
    "fb": ForwardBackward,
    "pr": PeacemanRachford,
}
