"""Nash equilibria on given supports: the indifference conditions, solved by Newton's method.

A profile ``x`` with supports ``S_i`` is a Nash equilibrium iff every player is indifferent
among the actions of its support and no action outside pays more.  The first part is the
square polynomial system (one row per action, in the padded layout of
:class:`attractor.games.padded.PaddedGame`)

    v_i(a) - v_i(b_i) = 0   for a in S_i, a != b_i      (b_i: the first action of S_i)
    sum_{a in S_i} x_i(a) = 1                            (the row of b_i)
    x_i(a) = 0               for a not in S_i (and for padded actions),

with Jacobian rows ``M_ij(a, .) - M_ij(b_i, .)``, ``1_{S_i}`` and ``e_{ia}``.  It is solved by
:func:`attractor.root` on the Newton step ``-J(x)^{-1} F(x)`` (Picard iteration of the Newton
map), batched over candidate supports; each solution is then checked for the second part.
"""

from __future__ import annotations

import torch

from attractor.equilibrium.picard import Picard
from attractor.games.padded import PaddedGame

_PICARD = Picard()


def block_diagonal(blocks: torch.Tensor) -> torch.Tensor:
    """``(B, n, A, A)`` diagonal blocks -> ``(B, n A, n A)`` block-diagonal matrices."""
    B, n, A, _ = blocks.shape
    eye = torch.eye(n, dtype=blocks.dtype, device=blocks.device)
    return (eye[:, None, :, None] * blocks[:, :, :, None, :]).reshape(B, n * A, n * A)


def _newton_step(x: torch.Tensor, game: PaddedGame, support: torch.Tensor, first: torch.Tensor) -> torch.Tensor:
    """``-J(x)^{-1} F(x)``; ``x`` is (B, n A), ``support`` and ``first`` (B, n, A) 0/1 masks of
    the supports and of their first actions."""
    B, n, A = support.shape
    X = x.reshape(B, n, A)
    v = game.values(X)
    others = support - first  # rows v_i(a) - v_i(b_i)
    F = others * (v - (first * v).sum(-1, keepdim=True)) + first * ((support * X).sum(-1, keepdim=True) - 1)
    F = F + (1 - support) * X
    M = game.cross(X)  # (B, n, n, A, A): [i, j, a, c]
    M = others[:, :, None, :, None] * (M - (first[:, :, None, :, None] * M).sum(-2, keepdim=True))
    own = first.unsqueeze(-1) * support.unsqueeze(-2) + torch.diag_embed(1 - support)
    J = M.transpose(2, 3).reshape(B, n * A, n * A) + block_diagonal(own)
    return -torch.linalg.solve_ex(J, F.reshape(B, n * A, 1))[0].squeeze(-1)


def solve_supports(
    game: PaddedGame, start: torch.Tensor, supports: torch.Tensor, *, tol: float = 1e-14, max_steps: int = 6,
    gain_tol: float = 1e-12,
) -> tuple[torch.Tensor, torch.Tensor, int]:
    """Solve the indifference conditions on each of a batch of supports.

    ``start`` (n, A) is a profile near the solutions (restricted to each support and
    renormalized to start Newton); ``supports`` is (B, n, A) bool.  Returns the solutions
    ``(B, n, A)``, a (B,) bool that marks the Nash equilibria among them (converged,
    non-negative, no profitable deviation beyond ``gain_tol``) and the number of evaluations.
    """
    from attractor.equilibrium import root

    S = supports.to(start.dtype)
    first = S * (S.cumsum(-1) == 1)
    x0 = S * start
    x0 = x0 / x0.sum(-1, keepdim=True).clamp_min(torch.finfo(start.dtype).tiny)
    B = supports.shape[0]
    sol = root(_newton_step, x0.reshape(B, -1), args=(game, S, first), solver=_PICARD, tol=tol,
               max_steps=max_steps, batch_ndim=1, backward="none", on_failure="status")
    x = sol.value.reshape(supports.shape)
    v = game.values(x)
    gain = (v + game.bias).amax(-1) - (x * v).sum(-1)  # (B, n)
    nash = sol.ok & (x.amin((-2, -1)) >= -gain_tol) & (gain.amax(-1) <= gain_tol)
    return x.clamp_min(0), nash, sol.stats["nfe"]
