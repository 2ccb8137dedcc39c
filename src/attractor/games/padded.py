"""A game's payoffs padded to one action count, as host (NumPy float64) tables for path following.

Every player gets ``A = max_i a_i`` actions; a padded action has probability zero, payoff
zero, and is masked out of every softmax.  Profiles are then single arrays of shape
``(*batch, n, A)`` and the quantities a continuation step needs are a handful of batched
kernels whatever the number of players (instead of one small contraction per player or per
pair of players).  Their common block is the matrix of cross derivatives

    M[(i, a), (j, b)] = d v_i(a) / d x_j(b),   v_i(a) = u_i(a, x_{-i})

(``i != j``; zero blocks for ``i = j``): the payoff of ``i`` when ``i`` plays ``a`` and ``j``
plays ``b``, averaged over the others, a multilinear form of degree ``n - 2`` in the profile.
As ``M_ij x_j = v_i`` for every ``j != i``, the action values follow from it:
``v = M x / (n - 1)``.  Two ways to evaluate ``M``:

* dense (small games): ``M = phi(x) W`` with ``phi(x)`` the probabilities of the pure
  combinations of every ``n - 2`` players (``phi = x`` itself for three players, ``1`` for two)
  and ``W`` a fixed ``(F, (n A)^2)`` table -- one matrix product, already in the row-major
  ``[(i, a), (j, b)]`` layout the Jacobians need;
* gathered (when ``W`` would be large): for each ordered pair ``(i, j)`` the product
  distribution of the others, gathered from ``x``, times the payoff table of ``i`` with the
  actions of ``i`` and ``j`` first (a batched matrix-vector product); and ``v`` likewise with
  the others of ``i`` alone.

Why NumPy on the host: the logit trace and the support polish are sequential chains of
operations on a few dozen numbers, whose cost is the per-operation overhead (about 1-3 us in
NumPy, 5-10 us for an eager torch op, far more for a CUDA launch plus the host sync that every
step-size decision needs).  The payoffs are copied to the host once per game; the callers
return their results on the game's device.  The tables are built once per game.
"""

from __future__ import annotations

import itertools

import numpy as np
import torch

DENSE_LIMIT = 65536  # largest size F (n A)^2 of the dense table W (512 KiB)


class PaddedGame:
    """Payoff tables of an n-player game in the padded ``(n, A)`` layout (see module doc).

    Attributes
    ----------
    n, A: players and padded action count; ``N = n A``.  ``num_actions``: the true counts.
    mask: ``(n, A)`` float 0/1, one on real actions (``real``: the same as bool).  ``bias``: 0 on real actions, ``-inf`` on
        padded ones (added before a softmax); ``padded``: whether there are padded actions.
    eye: the ``N x N`` identity; ``offdiag``: ``(N, N)`` 0/1, zero on the blocks ``i = j``.
    dense: whether ``M`` is evaluated with the dense table ``W`` (else by gathers).
    """

    def __init__(self, payoffs: torch.Tensor | np.ndarray) -> None:
        if isinstance(payoffs, torch.Tensor):
            payoffs = payoffs.detach().to("cpu", torch.float64).numpy()
        payoffs = np.asarray(payoffs, dtype=np.float64)
        n = payoffs.shape[0]
        num_actions = tuple(int(a) for a in payoffs.shape[1:])
        A = max(num_actions)
        self.n, self.A, self.N, self.num_actions = n, A, n * A, num_actions
        self.padded = min(num_actions) < A
        if self.padded:
            U = np.zeros((n,) + (A,) * n)
            U[(slice(None),) + tuple(slice(0, a) for a in num_actions)] = payoffs
        else:
            U = payoffs
        self.mask = (np.arange(A) < np.array(num_actions)[:, None]).astype(np.float64)
        self.real = self.mask > 0
        self.bias = np.where(self.real, 0.0, -np.inf)
        self.eye = np.eye(self.N)
        self.offdiag = np.repeat(np.repeat(1.0 - np.eye(n), A, 0), A, 1)
        self.inv_others = 1.0 / max(n - 1, 1)  # v = M x / (n - 1)
        m = max(n - 2, 0)
        groups = list(itertools.combinations(range(n), m))  # the players of each block of phi
        self.dense = n > 1 and len(groups) * A**m * self.N**2 <= DENSE_LIMIT  # (one player: v = u, no M)
        if self.dense:
            # phi gathers from x for four or more players (it is x itself for three, 1 for two)
            self.phi_index = self._others_index([list(g) for g in groups]).reshape(-1, m) if m > 1 else None
            self.W = self._dense_table(U, groups)
        else:
            self._gather_tables(U)

    def _dense_table(self, U: np.ndarray, groups: list[tuple[int, ...]]) -> np.ndarray:
        """``W`` ``(F, N^2)``: row ``(g, r)`` (group ``g`` of ``n - 2`` players at their pure
        combination ``r``) holds the payoffs ``u_i`` at ``(a, b, r)`` in the blocks ``[(i, a), (j, b)]``
        whose other players are the group."""
        n, A = self.n, self.A
        size = A ** max(n - 2, 0)
        W = np.zeros((len(groups), size, n, A, n, A))
        for g, group in enumerate(groups):
            for i, j in itertools.permutations([k for k in range(n) if k not in group], 2):
                W[g, :, i, :, j, :] = U[i].transpose(*group, i, j).reshape(size, A, A)
        return W.reshape(len(groups) * size, -1)

    def _gather_tables(self, U: np.ndarray) -> None:
        """Index tables and permuted payoff tables for the gathered evaluation (module doc)."""
        n, A = self.n, self.A
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
            e = np.exp(w - w.max(-1, keepdims=True, initial=-np.inf, where=self.real))
            e *= self.mask
        else:
            e = w - np.maximum.reduce(w, -1, keepdims=True)
            np.exp(e, out=e)
        e /= np.add.reduce(e, -1, keepdims=True)
        return e

    def blocks(self, x: np.ndarray) -> np.ndarray:
        """``M[(i, a), (j, b)] = d v_i(a) / d x_j(b)``, ``(*batch, N, N)`` (zero blocks for ``i = j``)."""
        batch = x.shape[:-2]
        if not self.dense:
            M = self.cross(x).swapaxes(-3, -2)
            return M.reshape(*batch, self.N, self.N)
        if self.n == 2:  # constant: the payoff matrices
            return np.broadcast_to(self.W.reshape(self.N, self.N), (*batch, self.N, self.N))
        xf = x.reshape(*batch, self.N)
        phi = xf if self.phi_index is None else _product(xf[..., self.phi_index])
        return (phi @ self.W).reshape(*batch, self.N, self.N)

    def values(self, x: np.ndarray, M: np.ndarray | None = None) -> np.ndarray:
        """``v_i(a) = u_i(a, x_{-i})``, ``(*batch, n, A)`` (zero on padded actions); from the
        blocks ``M`` of the same ``x`` when given (``v = M x / (n - 1)``)."""
        if self.n == 1 or (M is None and not self.dense):  # (one player: M = 0, v = u)
            others = _product(x.reshape(*x.shape[:-2], -1)[..., self.idx1])  # (*batch, n, A^{n-1})
            return (self.U1 @ others[..., None])[..., 0]
        if M is None:
            M = self.blocks(x)
        v = M @ x.reshape(*x.shape[:-2], self.N, 1)
        v *= self.inv_others
        return v.reshape(x.shape)

    def cross(self, x: np.ndarray) -> np.ndarray:
        """``M_ij(a, b) = d v_i(a) / d x_j(b)``, ``(*batch, n, n, A, A)``, zero blocks for ``i = j``."""
        if self.dense:
            M = self.blocks(x).reshape(*x.shape[:-2], self.n, self.A, self.n, self.A)
            return M.swapaxes(-3, -2)
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
