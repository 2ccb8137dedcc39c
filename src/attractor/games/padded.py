"""A game's payoffs padded to one action count, as host (NumPy float64) tables for path following.

Every player gets ``A = max_i a_i`` actions; a padded action has probability zero, payoff
zero, and is masked out of every softmax.  Profiles are then single arrays of shape
``(*batch, n, A)`` and the quantities a continuation step needs are a handful of batched
kernels whatever the number of players (instead of one small contraction per player or per
pair of players):

* the action values ``v_i(a) = u_i(a, x_{-i})``: one gather of the others' probabilities
  into the rows of the product distribution ``prod_{k != i} x_k(s_k)`` and one batched
  matrix-vector product with the payoff table of each player (own action first);
* the cross blocks ``M_ij(a, b) = d v_i(a) / d x_j(b)`` (``i != j``), the payoff of ``i``
  when ``i`` plays ``a`` and ``j`` plays ``b``, averaged over the others: the same with the
  product over ``k not in {i, j}``.

Why NumPy on the host: the logit trace and the support polish are sequential chains of
operations on a few dozen numbers, whose cost is the per-operation overhead (about 1 us in
NumPy, 5-10 us for an eager torch op, far more for a CUDA launch plus the host sync that every
step-size decision needs).  The payoffs are copied to the host once per game; the callers
return their results on the game's device.  The index tables and permuted payoff tables are
built once per game.
"""

from __future__ import annotations

import numpy as np
import torch


class PaddedGame:
    """Payoff tables of an n-player game in the padded ``(n, A)`` layout (see module doc).

    Attributes
    ----------
    n, A: players and padded action count.  ``num_actions``: the true counts.
    mask: ``(n, A)`` float 0/1, one on real actions (``real``: the same as bool).  ``bias``: 0 on real actions, ``-inf`` on
        padded ones (added before a softmax); ``padded``: whether there are padded actions.
    eye: the ``n A x n A`` identity; ``offdiag``: ``(n, n, 1, 1)``, zero where ``i = j``.
    """

    def __init__(self, payoffs: torch.Tensor | np.ndarray) -> None:
        if isinstance(payoffs, torch.Tensor):
            payoffs = payoffs.detach().to("cpu", torch.float64).numpy()
        payoffs = np.asarray(payoffs, dtype=np.float64)
        n = payoffs.shape[0]
        num_actions = tuple(int(a) for a in payoffs.shape[1:])
        A = max(num_actions)
        U = np.zeros((n,) + (A,) * n)
        U[(slice(None),) + tuple(slice(0, a) for a in num_actions)] = payoffs
        self.n, self.A, self.num_actions = n, A, num_actions
        self.mask = (np.arange(A) < np.array(num_actions)[:, None]).astype(np.float64)
        self.real = self.mask > 0
        self.bias = np.where(self.real, 0.0, -np.inf)
        self.padded = min(num_actions) < A
        # v_i = U1[i] @ prod_{k != i} x_k: own action first, the others' (ascending) flattened
        self.idx1 = self._others_index([[k for k in range(n) if k != i] for i in range(n)])
        # M_ij = U2[i, j] @ prod_{k not in {i, j}} x_k, zero for i = j (where any n - 2 of the
        # others keep the index table rectangular)
        m2 = max(n - 2, 0)
        pairs = [[k for k in range(n) if k not in (i, j)][:m2] for i in range(n) for j in range(n)]
        self.idx2 = self._others_index(pairs).reshape(n, n, A**m2, m2)
        # both tables are gathers from U[i] at flat offsets (row-major over the n action axes)
        stride = A ** np.arange(n - 1, -1, -1)
        flat = U.reshape(n, -1)
        own = np.arange(A)[:, None] * stride[:, None, None]  # (n, A, 1): player i plays a
        offset1 = self._offsets(self.idx1, stride)  # (n, A^{n-1})
        self.U1 = np.take_along_axis(flat, (own + offset1[:, None, :]).reshape(n, -1), 1).reshape(n, A, -1)
        offset2 = self._offsets(self.idx2, stride)  # (n, n, A^{n-2})
        offdiag = 1 - np.eye(n, dtype=np.intp)
        index = own[:, None, :, None, :] + offdiag[:, :, None, None, None] * own[None, :, None, :, :]
        index = index + offset2[:, :, None, None, :]
        U2 = np.take_along_axis(flat, index.reshape(n, -1), 1).reshape(n, n, A * A, -1)
        self.U2 = U2 * offdiag[:, :, None, None]
        self.offdiag = (1 - np.eye(n)).reshape(n, n, 1, 1)
        self.eye = np.eye(n * A)

    def _offsets(self, index: np.ndarray, stride: np.ndarray) -> np.ndarray:
        """Flat offsets into a payoff table of the pure combinations listed by ``index`` (flat
        ``player * A + action`` entries, as made by :meth:`_others_index`)."""
        return (index % self.A * stride[index // self.A]).sum(-1)

    def _others_index(self, groups: list[list[int]]) -> np.ndarray:
        """``(len(groups), A^m, m)`` flat indices into ``x.reshape(n * A)``: row ``r`` of group
        ``g`` lists, for each player of the group, the action that pure combination ``r``
        (row-major over the group) gives it.  The product over the last axis is the
        probability of the combination."""
        m = len(groups[0])
        combos = np.indices((self.A,) * m).reshape(m, self.A**m).T  # row-major pure combinations
        players = np.array(groups, dtype=np.intp).reshape(len(groups), 1, m)
        return players * self.A + combos[None]

    # ------------------------------------------------------------------ profile arithmetic
    def strategies(self, w: np.ndarray) -> np.ndarray:
        """Probabilities ``softmax(w_i)`` over the real actions, ``(*batch, n, A)``."""
        if self.padded:
            e = np.exp(w - w.max(-1, keepdims=True, initial=-np.inf, where=self.real)) * self.mask
        else:
            e = np.exp(w - w.max(-1, keepdims=True))
        return e / e.sum(-1, keepdims=True)

    def values(self, x: np.ndarray) -> np.ndarray:
        """``v_i(a) = u_i(a, x_{-i})``, ``(*batch, n, A)`` (zero on padded actions)."""
        others = _product(x.reshape(*x.shape[:-2], -1)[..., self.idx1])  # (*batch, n, A^{n-1})
        return (self.U1 @ others[..., None])[..., 0]

    def cross(self, x: np.ndarray) -> np.ndarray:
        """``M_ij(a, b) = d v_i(a) / d x_j(b)``, ``(*batch, n, n, A, A)``, zero blocks for ``i = j``."""
        others = _product(x.reshape(*x.shape[:-2], -1)[..., self.idx2])  # (*batch, n, n, A^{n-2})
        M = self.U2 @ others[..., None]
        return M.reshape(*M.shape[:-2], self.A, self.A)

    def unpad(self, x: np.ndarray, like: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """``(*batch, n, A)`` -> per-player ``(*batch, a_i)`` tensors with ``like``'s dtype and device."""
        t = torch.from_numpy(np.ascontiguousarray(x)).to(device=like.device, dtype=like.dtype)
        return tuple(t[..., i, :a] for i, a in enumerate(self.num_actions))


def _product(factors: np.ndarray) -> np.ndarray:
    """The product over the last axis (the probabilities of pure combinations); a multiply per
    factor, cheaper than a reduction over an axis of one to three entries."""
    m = factors.shape[-1]
    if m == 0:
        return np.ones(factors.shape[:-1])
    out = factors[..., 0]
    for k in range(1, m):
        out = out * factors[..., k]
    return out
