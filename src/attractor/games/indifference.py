"""Nash equilibria on given supports: the indifference conditions, solved by Newton's method.

A profile ``x`` with supports ``S_i`` is a Nash equilibrium iff every player is indifferent
among the actions of its support and no action outside pays more.  The first part is the
square polynomial system (one row per action, in the padded layout of
:class:`attractor.games.padded.PaddedGame`)

    v_i(a) - v_i(b_i) = 0   for a in S_i, a != b_i      (b_i: the first action of S_i)
    sum_{a in S_i} x_i(a) = 1                            (the row of b_i)
    x_i(a) = 0               for a not in S_i (and for padded actions),

with Jacobian rows ``M_ij(a, .) - M_ij(b_i, .)``, ``1_{S_i}`` and ``e_{ia}``.  Newton's method
``x <- x - J(x)^{-1} F(x)`` is run on a batch of candidate supports at once (host NumPy,
float64, like the trace that proposes them); each solution is then checked for the second part.
"""

from __future__ import annotations

import numpy as np

from attractor.games.padded import PaddedGame


def _newton_step(x: np.ndarray, game: PaddedGame, support: np.ndarray, first: np.ndarray) -> np.ndarray:
    """``-J(x)^{-1} F(x)`` for ``x`` (B, n, A); ``support`` and ``first`` are (B, n, A) 0/1
    masks of the supports and of their first actions."""
    B, n, A = support.shape
    v = game.values(x)
    others = support - first  # rows v_i(a) - v_i(b_i)
    F = others * (v - (first * v).sum(-1, keepdims=True)) + first * ((support * x).sum(-1, keepdims=True) - 1)
    F = F + (1 - support) * x
    M = game.cross(x)  # (B, n, n, A, A): [i, j, a, c]
    M = others[:, :, None, :, None] * (M - (first[:, :, None, :, None] * M).sum(-2, keepdims=True))
    J = M.transpose(0, 1, 3, 2, 4).reshape(B, n * A, n * A)
    # the own block of player i: the sum row on b_i, the identity on actions outside S_i
    own = first[..., :, None] * support[..., None, :] + (1 - support)[..., None] * game.eye[:A, :A]
    rows = np.arange(n)
    J.reshape(B, n, A, n, A)[:, rows, :, rows, :] += own.transpose(1, 0, 2, 3)
    try:
        return -np.linalg.solve(J, F.reshape(B, n * A, 1))[..., 0].reshape(B, n, A)
    except np.linalg.LinAlgError:  # a singular system on some support: solve one by one
        out = np.full((B, n, A), np.nan)
        for k in range(B):
            try:
                out[k] = -np.linalg.solve(J[k], F[k].reshape(-1)).reshape(n, A)
            except np.linalg.LinAlgError:
                pass
        return out


def solve_supports(
    game: PaddedGame, start: np.ndarray, supports: np.ndarray, *, tol: float = 1e-14, max_steps: int = 6,
    gain_tol: float = 1e-12, kappa_max: float = 0.5,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Solve the indifference conditions on each of a batch of supports.

    ``start`` (n, A) is a profile near the solutions (restricted to each support and
    renormalized to start Newton); ``supports`` is (B, n, A) bool.  Returns the solutions
    ``(B, n, A)``, a (B,) bool that marks the Nash equilibria among them (converged,
    non-negative, no profitable deviation beyond ``gain_tol``) and the number of Newton
    iterations.  Newton stops when every support has converged (estimated error below
    ``tol``) or stopped contracting (``|dx| > kappa_max |dx_prev|``: a support whose system has
    no solution nearby).
    """
    S = supports.astype(np.float64)
    first = S * (np.cumsum(S, -1) == 1)
    x = S * start
    x = x / np.maximum(x.sum(-1, keepdims=True), np.finfo(np.float64).tiny)
    converged = np.zeros(len(S), dtype=bool)
    previous = np.full(len(S), np.inf)
    nfe = 0
    for nfe in range(1, max_steps + 1):
        step = _newton_step(x, game, S, first)
        x = x + step
        norms = np.sqrt(np.einsum("bij,bij->b", step, step))
        with np.errstate(invalid="ignore", divide="ignore"):
            # converged: the error left, estimated as kappa |dx| (kappa = |dx| / |dx_prev|), is below tol
            kappa = np.minimum(norms / previous, 1.0) if nfe > 1 else 1.0
            converged = (norms * kappa <= tol) | (norms <= tol)
            # after two free iterations (a start far from the solution), Newton must contract
            hopeful = ~converged & ((nfe < 3) | (norms <= kappa_max * previous))
        if not hopeful.any():
            break
        previous = norms
    v = game.values(x)
    gain = (v + game.bias).max(-1) - (x * v).sum(-1)  # (B, n)
    with np.errstate(invalid="ignore"):
        nash = converged & (x.min((-2, -1)) >= -gain_tol) & (gain.max(-1) <= gain_tol)
    return np.maximum(x, 0.0), nash, nfe
