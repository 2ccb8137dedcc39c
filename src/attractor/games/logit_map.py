"""The logit homotopy ``H(w, lambda)`` and its Jacobian in closed form, in the padded layout.

``H(w, lambda) = w - log_softmax(lambda v(softmax(w)))`` with ``w`` the log-probabilities
(McKelvey & Palfrey 1995; Turocy, GEB 51, 2005): its zero set contains the principal branch of
logit QRE.  A point is ``z = [w, lambda]`` with ``w`` of shape ``(n, A)`` flattened
(:class:`attractor.games.padded.PaddedGame`), so ``N = n A`` equations in ``N + 1`` unknowns.
"""

from __future__ import annotations

import torch

from attractor.games.padded import PaddedGame


def split(game: PaddedGame, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``z = [w, lambda]`` (*batch, n A + 1) -> ``w`` (*batch, n, A) and ``lambda`` (*batch, 1, 1)."""
    return z[..., :-1].unflatten(-1, (game.n, game.A)), z[..., -1:, None]
def _log_response(game: PaddedGame, lv: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``(lv - logsumexp(lv), softmax(lv))`` over each player's real actions; the first is
    ``-logsumexp`` (finite) on padded actions, whose value is zero."""
    lse = torch.logsumexp(lv + game.bias if game.padded else lv, -1, keepdim=True)
    log_s = lv - lse
    return log_s, (log_s + game.bias if game.padded else log_s).exp()


def homotopy(game: PaddedGame, z: torch.Tensor) -> torch.Tensor:
    """``H(w, lambda) = w - log_softmax(lambda v(softmax(w)))``, flattened to (*batch, n A).

    Every padded action has ``v = 0``, so its row reads ``w + logsumexp(lambda v_i)``: a
    coordinate that follows along without influencing anything (its probability is zero).
    """
    w, lam = split(game, z)
    log_s, _ = _log_response(game, lam * game.values(game.strategies(w)))
    return (w - log_s).flatten(-2)


def homotopy_jacobian(game: PaddedGame, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``H`` (B, n A) and its Jacobian ``[dH/dw, dH/dlambda]`` (B, n A, n A + 1) in closed form.

    With ``x_j = softmax(w_j)``, ``s_i = softmax(lambda v_i)``, ``P_i = I - 1 s_i^T`` and
    ``M_ij = dv_i/dx_j``:  ``dH_i/dw_j = delta_ij I - lambda P_i M_ij (diag x_j - x_j x_j^T)``
    where ``M_ij (diag x_j - x_j x_j^T) = (M_ij - v_i 1^T) diag x_j`` for ``i != j`` (as
    ``M_ij x_j = v_i``), and ``dH_i/dlambda = -P_i v_i``.
    """
    w, lam = split(game, z)
    B, n, A = w.shape
    x = game.strategies(w)
    v = game.values(x)
    log_s, s = _log_response(game, lam * v)
    CD = (game.cross(x) - v[:, :, None, :, None]) * (x[:, None, :, None, :] * game.offdiag)  # [i, j, a, b]
    PCD = CD - (s[:, :, None, :, None] * CD).sum(-2, keepdim=True)
    Jw = game.eye - lam * PCD.transpose(2, 3).reshape(B, n * A, n * A)
    Jl = (s * v).sum(-1, keepdim=True) - v
    return (w - log_s).reshape(B, n * A), torch.cat([Jw, Jl.reshape(B, n * A, 1)], -1)


