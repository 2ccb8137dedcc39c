"""A game's payoffs padded to one action count, for few-kernel profile arithmetic.

Every player gets ``A = max_i a_i`` actions; a padded action has probability zero, payoff
zero, and is masked out of every softmax.  Profiles are then single tensors of shape
``(*batch, n, A)`` and the quantities a continuation step needs are a handful of batched
kernels whatever the number of players (instead of one small contraction per player or per
pair of players, where eager per-operation overhead would dominate on games this small):

* the action values ``v_i(a) = u_i(a, x_{-i})``: one gather of the others' probabilities
  into the rows of the product distribution ``prod_{k != i} x_k(s_k)`` and one batched
  matrix-vector product with the payoff table of each player (own action first);
* the cross blocks ``M_ij(a, b) = d v_i(a) / d x_j(b)`` (``i != j``), the payoff of ``i``
  when ``i`` plays ``a`` and ``j`` plays ``b``, averaged over the others: the same with the
  product over ``k not in {i, j}``.

The index tables and permuted payoff tables are built once per game.
"""

from __future__ import annotations

import itertools

import torch


class PaddedGame:
    """Payoff tables of an n-player game in the padded ``(n, A)`` layout (see module doc).

    Attributes
    ----------
    n, A: players and padded action count.  ``num_actions``: the true counts.
    mask: ``(n, A)`` bool, True for real actions.  ``bias``: 0 on real actions, ``-inf`` on
        padded ones (added before a softmax); ``padded``: whether there are padded actions.
    eye: the ``n A x n A`` identity.
    """

    def __init__(self, payoffs: torch.Tensor) -> None:
        n = payoffs.shape[0]
        num_actions = tuple(payoffs.shape[1:])
        A = max(num_actions)
        dtype, device = payoffs.dtype, payoffs.device
        U = payoffs.new_zeros((n,) + (A,) * n)
        U[(slice(None),) + tuple(slice(0, a) for a in num_actions)] = payoffs
        self.n, self.A, self.num_actions = n, A, num_actions
        self.mask = torch.arange(A, device=device) < torch.tensor(num_actions, device=device).unsqueeze(1)
        self.bias = torch.zeros(n, A, dtype=dtype, device=device).masked_fill(~self.mask, float("-inf"))
        # v_i = U1[i] @ prod_{k != i} x_k: own axis first, the others (ascending) flattened
        self.U1 = torch.stack([U[i].movedim(i, 0).reshape(A, -1) for i in range(n)])
        self.idx1 = self._others_index([[k for k in range(n) if k != i] for i in range(n)])
        # M_ij = U2[i, j] @ prod_{k not in {i, j}} x_k, zero for i = j
        K2 = A ** max(n - 2, 0)
        U2 = U.new_zeros(n, n, A * A, K2)
        for i, j in itertools.permutations(range(n), 2):
            U2[i, j] = U[i].movedim((i, j), (0, 1)).reshape(A * A, K2)
        self.U2 = U2
        # (for i = j, where U2 is zero, any n - 2 of the others keep the table rectangular)
        pairs = [[k for k in range(n) if k not in (i, j)][: max(n - 2, 0)] for i in range(n) for j in range(n)]
        self.idx2 = self._others_index(pairs)
        self.idx2 = self.idx2.reshape(n, n, *self.idx2.shape[1:])
        self.offdiag = (1 - torch.eye(n, dtype=dtype, device=device)).reshape(n, n, 1, 1)
        self.padded = min(num_actions) < A
        self.eye = torch.eye(n * A, dtype=dtype, device=device)

    def _others_index(self, groups: list[list[int]]) -> torch.Tensor:
        """``(len(groups), A^m, m)`` flat indices into ``x.reshape(n * A)``: row ``r`` of group
        ``g`` lists, for each player of the group, the action that pure combination ``r``
        (row-major over the group) gives it.  The product over the last axis is the
        probability of the combination."""
        m = len(groups[0])
        combos = torch.tensor(list(itertools.product(range(self.A), repeat=m)), dtype=torch.long).reshape(self.A**m, m)
        players = torch.tensor(groups, dtype=torch.long).reshape(len(groups), 1, m)
        return (players * self.A + combos.unsqueeze(0)).to(self.mask.device)

    # ------------------------------------------------------------------ profile arithmetic
    def strategies(self, w: torch.Tensor) -> torch.Tensor:
        """Probabilities ``softmax(w_i)`` over the real actions, ``(*batch, n, A)``."""
        return torch.softmax(w + self.bias if self.padded else w, -1)

    def values(self, x: torch.Tensor) -> torch.Tensor:
        """``v_i(a) = u_i(a, x_{-i})``, ``(*batch, n, A)`` (zero on padded actions)."""
        others = x.flatten(-2)[..., self.idx1].prod(-1)  # (*batch, n, A^{n-1})
        return (self.U1 @ others.unsqueeze(-1)).squeeze(-1)

    def cross(self, x: torch.Tensor) -> torch.Tensor:
        """``M_ij(a, b) = d v_i(a) / d x_j(b)``, ``(*batch, n, n, A, A)``, zero blocks for ``i = j``."""
        others = x.flatten(-2)[..., self.idx2].prod(-1)  # (*batch, n, n, A^{n-2})
        M = self.U2 @ others.unsqueeze(-1)
        return M.reshape(*M.shape[:-2], self.A, self.A)

    def pad(self, parts: tuple[torch.Tensor, ...], fill: float = 0.0) -> torch.Tensor:
        """Per-player ``(*batch, a_i)`` tensors -> one ``(*batch, n, A)`` tensor."""
        return torch.stack([torch.nn.functional.pad(p, (0, self.A - p.shape[-1]), value=fill) for p in parts], -2)

    def unpad(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """``(*batch, n, A)`` -> per-player ``(*batch, a_i)`` tensors."""
        return tuple(x[..., i, :a] for i, a in enumerate(self.num_actions))
