"""Monotone variational inequalities by extragradient and Halpern iterations.

Find ``z*`` in a closed convex set ``Z`` with ``<F(z*), z - z*> >= 0`` for all ``z`` in ``Z``,
for a monotone Lipschitz operator ``F``.  The saddle point of a bilinear zero-sum game
``min_x max_y x^T A y`` is the VI with ``F(x, y) = (A y, -A^T x)``; for any two-player zero-sum
normal-form game ``F`` is minus the players' payoff gradients on the product of simplices.

Both methods are fixed-point iterations of the extragradient map (Korpelevich 1976)

    T(z) = P(z - eta F(P(z - eta F(z)))),

solved with :func:`attractor.fixed_point`: plain iteration of ``T`` (``solver="picard"``) is the
extragradient method, whose *last* iterate converges for monotone ``F`` when
``eta L < 1`` (unlike simultaneous gradient descent-ascent, which spirals out on bilinear
games); Halpern's anchored iteration ``z_{k+1} = z_0/(k+2) + (k+1)/(k+2) T(z_k)`` (Halpern 1967;
with extragradient steps this is the extra-anchored gradient method of Yoon & Ryu, ICML 2021)
drives the residual ``||T(z_k) - z_k||`` down at the optimal ``O(1/k)`` rate for nonexpansive
``T`` (Lieder 2021).  ``T`` is nonexpansive for bilinear ``F`` with ``eta ||A|| <= 1``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch

from attractor._core.validation import check_choice, check_positive, check_tensor
from attractor.games.game import NormalFormGame, action_values, check_game


def project_simplex(v: torch.Tensor) -> torch.Tensor:
    """Euclidean projection of each ``v[..., :]`` onto the probability simplex (sort-based;
    Held, Wolfe & Crowder 1974; Duchi et al., ICML 2008)."""
    u, _ = torch.sort(v, dim=-1, descending=True)
    css = u.cumsum(-1) - 1
    k = torch.arange(1, v.shape[-1] + 1, dtype=v.dtype, device=v.device)
    rho = (u - css / k > 0).sum(-1, keepdim=True).clamp_min(1)
    theta = css.gather(-1, rho - 1) / rho.to(v.dtype)
    return (v - theta).clamp_min(0)


def product_simplex_projection(num_actions: Sequence[int]) -> Callable[[torch.Tensor], torch.Tensor]:
    """Projection onto a product of simplices for concatenated profiles ``(*batch, sum a_i)``."""
    sizes = list(num_actions)

    def project(z: torch.Tensor) -> torch.Tensor:
        return torch.cat([project_simplex(p) for p in torch.split(z, sizes, -1)], -1)

    return project


def bilinear_saddle(A: torch.Tensor) -> Callable[[torch.Tensor], torch.Tensor]:
    """``F(x, y) = (A y, -A^T x)`` on ``z = [x, y]``: the VI of ``min_x max_y x^T A y``."""
    A = check_tensor("A", A, min_dim=2)
    m = A.shape[0]

    def operator(z: torch.Tensor) -> torch.Tensor:
        x, y = z[..., :m], z[..., m:]
        return torch.cat([y @ A.T, -(x @ A)], -1)

    return operator


def game_operator(game: NormalFormGame) -> tuple[Callable[[torch.Tensor], torch.Tensor], Callable]:
    """``(F, project)`` for a game: ``F(z) = -(u_0(., x_{-0}), ..., u_{n-1}(., x_{-(n-1)}))`` on
    concatenated profiles and the projection onto the product of simplices.  ``F`` is monotone
    for two-player zero-sum games (and, more generally, monotone games)."""
    check_game(game)
    sizes = list(game.num_actions)

    def operator(z: torch.Tensor) -> torch.Tensor:
        return -torch.cat(action_values(game.payoffs, list(torch.split(z, sizes, -1))), -1)

    return operator, product_simplex_projection(sizes)


def extragradient_map(F: Callable, project: Callable | None, step_size: float) -> Callable[[torch.Tensor], torch.Tensor]:
    """``T(z) = P(z - eta F(P(z - eta F(z))))`` (identity ``P`` when ``project`` is None)."""
    P = project if project is not None else (lambda z: z)

    def T(z: torch.Tensor) -> torch.Tensor:
        half = P(z - step_size * F(z))
        return P(z - step_size * F(half))

    return T


def solve_vi(
    F: Callable[[torch.Tensor], torch.Tensor],
    z0: torch.Tensor,
    *,
    project: Callable | None = None,
    method: str = "extragradient",
    step_size: float = 0.1,
    tol: float | None = None,
    max_steps: int = 10_000,
    trajectory: bool = False,
    on_failure: str = "raise",
    batch_ndim: int | None = None,
):
    """Solve the monotone VI of ``F`` over the set onto which ``project`` maps (all of space when
    ``None``), from ``z0`` (batched).

    ``method="extragradient"`` iterates the extragradient map; ``"halpern"`` anchors it at
    ``z0``.  Convergence when ``||T(z) - z|| <= tol``.  Returns the
    :class:`attractor.equilibrium.EquilibriumSolution` of :func:`attractor.fixed_point`
    (``value``, per-sample ``residual``/``steps``/``status``, ``trajectory`` when asked).
    """
    from attractor.equilibrium import fixed_point

    method = check_choice("method", method, ["extragradient", "halpern"])
    step_size = check_positive("step_size", step_size)
    z0 = check_tensor("z0", z0)
    if project is not None:
        z0 = project(z0)
    T = extragradient_map(F, project, step_size)
    return fixed_point(
        T, z0, solver="picard" if method == "extragradient" else "halpern", tol=tol, max_steps=max_steps,
        trajectory=trajectory, on_failure=on_failure, batch_ndim=batch_ndim, backward="none",
    )


def extragradient(F: Callable, z0: torch.Tensor, **options: Any):
    """:func:`solve_vi` with ``method="extragradient"``."""
    return solve_vi(F, z0, method="extragradient", **options)


def halpern(F: Callable, z0: torch.Tensor, **options: Any):
    """:func:`solve_vi` with ``method="halpern"`` (anchored at ``z0``)."""
    return solve_vi(F, z0, method="halpern", **options)
