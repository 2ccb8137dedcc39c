"""The logit homotopy ``H(w, lambda)`` and its Jacobian in closed form, in the padded layout.

``H(w, lambda) = w - log_softmax(lambda v(softmax(w)))`` with ``w`` the log-probabilities
(McKelvey & Palfrey 1995; Turocy, GEB 51, 2005): its zero set contains the principal branch of
logit QRE.  A point is ``z = [w, lambda]`` with ``w`` of shape ``(n, A)`` flattened
(:class:`attractor.games.padded.PaddedGame`, host NumPy float64), so ``N = n A`` equations in
``N + 1`` unknowns.
"""

from __future__ import annotations

import numpy as np

from attractor.games.padded import PaddedGame


def split(game: PaddedGame, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``z = [w, lambda]`` (*batch, n A + 1) -> ``w`` (*batch, n, A) and ``lambda`` (*batch, 1, 1)."""
    return z[..., :-1].reshape(*z.shape[:-1], game.n, game.A), z[..., -1:, None]


def _log_response(game: PaddedGame, lv: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(lv - logsumexp(lv), softmax(lv))`` over each player's real actions; the first is
    ``-logsumexp`` (finite) on padded actions, whose value is zero."""
    shifted = lv - np.maximum.reduce(lv, -1, keepdims=True)
    e = np.exp(shifted)
    if game.padded:
        e *= game.mask
    total = np.add.reduce(e, -1, keepdims=True)
    e /= total
    shifted -= np.log(total)
    return shifted, e


def homotopy(game: PaddedGame, z: np.ndarray) -> np.ndarray:
    """``H(w, lambda) = w - log_softmax(lambda v(softmax(w)))``, flattened to (*batch, n A).

    Every padded action has ``v = 0``, so its row reads ``w + logsumexp(lambda v_i)``: a
    coordinate that follows along without influencing anything (its probability is zero).
    """
    w, lam = split(game, z)
    log_s, _ = _log_response(game, lam * game.values(game.strategies(w)))
    return (w - log_s).reshape(*z.shape[:-1], -1)


def homotopy_jacobian(game: PaddedGame, z: np.ndarray, out: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``H`` (B, n A) and its Jacobian ``[dH/dw, dH/dlambda]`` (B, n A, n A + 1) in closed form.

    With ``x_j = softmax(w_j)``, ``s_i = softmax(lambda v_i)``, ``P_i = I - 1 s_i^T`` and
    ``M_ij = dv_i/dx_j``:  ``dH_i/dw_j = delta_ij I - lambda P_i M_ij (diag x_j - x_j x_j^T)``
    where ``M_ij (diag x_j - x_j x_j^T) = (M_ij - v_i 1^T) diag x_j`` for ``i != j`` (as
    ``M_ij x_j = v_i``; ``M_ii = 0``), and ``dH_i/dlambda = -P_i v_i``.  All blocks at once from
    the ``N x N`` matrix ``M`` (:meth:`PaddedGame.blocks`, which also gives ``v``): about
    twenty batched array operations, whatever ``n`` and ``B``.  The Jacobian is written into
    the first ``n A`` rows of ``out`` (B, >= n A, n A + 1) when given (then it is returned).
    """
    w, lam = split(game, z)
    B, n, A = w.shape
    N = n * A
    x = game.strategies(w)
    M = game.blocks(x)  # [(i, a), (j, b)]
    v = game.values(x, M)
    log_s, s = _log_response(game, lam * v)
    CD = M - v.reshape(B, N, 1) * game.offdiag
    CD *= x.reshape(B, 1, N)
    rows = CD.reshape(B, n, A, N)
    rows -= s[:, :, None, :] @ rows  # P_i applied
    J = np.empty((B, N, N + 1)) if out is None else out
    np.multiply(lam, CD, out=J[:, :N, :N])
    np.subtract(game.eye, J[:, :N, :N], out=J[:, :N, :N])
    np.subtract((s[:, :, None, :] @ v[..., None])[..., 0], v, out=J[:, :N, N].reshape(B, n, A))  # (a view)
    return (w - log_s).reshape(B, N), J
