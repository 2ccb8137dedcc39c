"""Correlated and coarse correlated equilibria by linear programming (SciPy's HiGHS).

A distribution ``p`` over pure profiles is a *correlated equilibrium* (Aumann 1974) when no
player gains by swapping a recommended action ``a`` for another ``a'``:

    sum_{s_{-i}} p(a, s_{-i}) [u_i(a', s_{-i}) - u_i(a, s_{-i})] <= 0   for all i, a, a',

and a *coarse correlated equilibrium* (Moulin & Vial 1978; Hannan) when no player gains by
committing to ``a'`` before seeing the recommendation:

    sum_s p(s) [u_i(a', s_{-i}) - u_i(s)] <= 0   for all i, a'.

Both sets are polytopes, so any linear objective (welfare, a player's payoff, the worst-off
player's payoff, a user vector) is optimized by one LP.  The time average of no-regret play
approaches the CCE set (Hart & Mas-Colell, Econometrica 68, 2000).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch
from scipy.optimize import linprog

from attractor._core.validation import check_choice
from attractor.games.game import NormalFormGame, check_game


@dataclasses.dataclass
class CorrelatedEquilibrium:
    """A (coarse) correlated equilibrium.

    Attributes
    ----------
    distribution: tensor of shape ``(a_0, ..., a_{n-1})``, the joint distribution of play.
    payoffs: expected payoff of each player, shape ``(n_players,)``.
    objective: the optimal objective value (in payoff units).
    gap: largest violation of an equilibrium constraint at the returned distribution (>= 0;
        ~1e-9 from the LP's tolerances).
    kind: ``"ce"`` or ``"cce"``.
    """

    distribution: torch.Tensor
    payoffs: torch.Tensor
    objective: float
    gap: float
    kind: str

    def marginals(self) -> tuple[torch.Tensor, ...]:
        """Each player's marginal distribution over actions."""
        n = self.distribution.dim()
        return tuple(self.distribution.sum(dim=[j for j in range(n) if j != i]) for i in range(n))


def _player_view(p: torch.Tensor, i: int, batch: int) -> torch.Tensor:
    """``p`` with player ``i``'s axis first after the batch axes, others flattened: (*b, a_i, R)."""
    moved = p.movedim(batch + i, batch)
    return moved.reshape(*moved.shape[: batch + 1], -1)


def _swap_gains(game: NormalFormGame, joint: torch.Tensor) -> list[torch.Tensor]:
    """Per player, ``G[a, a'] = sum_r p(a, r) (u(a', r) - u(a, r))``: shape (*batch, a_i, a_i)."""
    check_game(game)
    shape = game.num_actions
    if not isinstance(joint, torch.Tensor) or tuple(joint.shape[joint.dim() - len(shape):]) != shape:
        got = tuple(joint.shape) if isinstance(joint, torch.Tensor) else type(joint).__name__
        raise ValueError(f"`joint` must be a tensor of shape (*batch, {', '.join(map(str, shape))}); got {got}.")
    batch = joint.dim() - len(shape)
    out = []
    for i in range(game.n_players):
        P = _player_view(joint, i, batch)
        U = _player_view(game.payoffs[i], i, 0).to(joint)
        M = P @ U.T  # M[a, a'] = sum_r p(a, r) u(a', r)
        out.append(M - torch.diagonal(M, dim1=-2, dim2=-1).unsqueeze(-1))
    return out


def ce_gap(game: NormalFormGame, joint: torch.Tensor) -> torch.Tensor:
    """Each player's gain from the best swap of recommendations, ``sum_a max_{a'} G[a, a']``.

    Zero exactly at correlated equilibria.  ``joint`` has shape ``(*batch, a_0, ..., a_{n-1})``;
    returns ``(*batch, n_players)``.
    """
    return torch.stack([G.amax(-1).sum(-1) for G in _swap_gains(game, joint)], -1)


def cce_gap(game: NormalFormGame, joint: torch.Tensor) -> torch.Tensor:
    """Each player's gain from the best fixed deviation ``max_{a'} sum_a G[a, a']`` (>= 0).

    Zero exactly at coarse correlated equilibria; shape ``(*batch, n_players)``.
    """
    return torch.stack([G.sum(-2).amax(-1).clamp_min(0) for G in _swap_gains(game, joint)], -1)


def _constraints(U: np.ndarray, kind: str) -> sp.csr_matrix:
    """Rows ``<= 0`` of the CE or CCE polytope over the flattened profiles."""
    n, shape = U.shape[0], U.shape[1:]
    N = int(np.prod(shape))
    index = np.arange(N).reshape(shape)
    blocks = []
    for i in range(n):
        a = shape[i]
        Ui = np.moveaxis(U[i], i, 0).reshape(a, -1)  # (a, R)
        idx = np.moveaxis(index, i, 0).reshape(a, -1)
        diff = Ui[None, :, :] - Ui[:, None, :]  # diff[a, a', r] = u(a', r) - u(a, r)
        if kind == "ce":
            rec, dev = np.nonzero(~np.eye(a, dtype=bool))
            R = Ui.shape[1]
            rows = np.repeat(np.arange(len(rec)), R)
            cols = idx[rec].reshape(-1)
            data = diff[rec, dev].reshape(-1)
            blocks.append(sp.csr_matrix((data, (rows, cols)), shape=(len(rec), N)))
        else:
            dense = np.zeros((a, N))
            dense[:, idx.reshape(-1)] = diff.transpose(1, 0, 2).reshape(a, -1)
            blocks.append(sp.csr_matrix(dense))
    return sp.vstack(blocks).tocsr()


def _objective(U: np.ndarray, objective: Any) -> tuple[np.ndarray, bool]:
    """Coefficients to maximize over ``p`` and whether it is the egalitarian (max-min) form."""
    n = U.shape[0]
    flat = U.reshape(n, -1)
    if isinstance(objective, str) and objective.startswith("player:"):
        objective = ("player", int(objective.split(":", 1)[1]))
    if isinstance(objective, tuple) and len(objective) == 2 and objective[0] == "player":
        i = int(objective[1])
        if not 0 <= i < n:
            raise ValueError(f"`objective` names player {i}; the game has players 0..{n - 1}.")
        return flat[i], False
    if objective is None or isinstance(objective, str):
        key = check_choice("objective", "none" if objective is None else objective,
                           ["welfare", "min_welfare", "egalitarian", "none", "feasible"])
        if key == "welfare":
            return flat.sum(0), False
        if key == "min_welfare":
            return -flat.sum(0), False
        if key == "egalitarian":
            return flat, True
        return np.zeros(flat.shape[1]), False
    c = np.asarray(objective.detach().cpu() if isinstance(objective, torch.Tensor) else objective, dtype=np.float64)
    if c.shape != U.shape[1:] and c.shape != (flat.shape[1],):
        raise ValueError(
            f"`objective` must be 'welfare', 'min_welfare', 'egalitarian', ('player', i), None or an array "
            f"of shape {U.shape[1:]}; got shape {c.shape}."
        )
    if not np.isfinite(c).all():
        raise ValueError("`objective` must be finite.")
    return c.reshape(-1), False


def _solve(game: NormalFormGame, kind: str, objective: Any) -> CorrelatedEquilibrium:
    check_game(game)
    U = game.payoffs.detach().to("cpu", torch.float64).numpy()
    n = U.shape[0]
    N = game.num_profiles
    c, egalitarian = _objective(U, objective)
    # scale each player's constraints by their payoff range: the LP is then unit-free
    ranges = np.maximum(U.reshape(n, -1).max(1) - U.reshape(n, -1).min(1), 1e-300)
    A_ub = _constraints(U / ranges.reshape(n, *([1] * (U.ndim - 1))), kind)
    b_ub = np.zeros(A_ub.shape[0])
    if egalitarian:
        # maximize t subject to t <= sum_s p(s) u_i(s) for every player i
        A_ub = sp.vstack([sp.hstack([A_ub, sp.csr_matrix((A_ub.shape[0], 1))]),
                          sp.hstack([sp.csr_matrix(-c), sp.csr_matrix(np.ones((n, 1)))])]).tocsr()
        b_ub = np.zeros(A_ub.shape[0])
        cost = np.zeros(N + 1)
        cost[-1] = -1.0
        A_eq = sp.csr_matrix(np.concatenate([np.ones(N), [0.0]])[None])
        bounds = [(0, None)] * N + [(None, None)]
    else:
        cost = -c
        A_eq = sp.csr_matrix(np.ones((1, N)))
        bounds = [(0, None)] * N
    res = linprog(cost, A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=[1.0], bounds=bounds, method="highs")
    if res.status != 0:
        raise RuntimeError(f"{kind.upper()} linear program failed: {res.message}")
    p = np.maximum(res.x[:N], 0.0)
    p /= p.sum()
    dist = torch.from_numpy(p.reshape(game.num_actions))
    gap_fn = ce_gap if kind == "ce" else cce_gap
    gap = float(gap_fn(NormalFormGame(torch.from_numpy(U)), dist).max())
    payoffs = torch.from_numpy(U.reshape(n, -1) @ p)
    return CorrelatedEquilibrium(
        distribution=dist.to(dtype=game.dtype, device=game.device),
        payoffs=payoffs.to(dtype=game.dtype, device=game.device),
        objective=float(-res.fun) if not egalitarian else float(payoffs.min()),
        gap=gap,
        kind=kind,
    )


def correlated_equilibrium(game: NormalFormGame, objective: Any = "welfare") -> CorrelatedEquilibrium:
    """A correlated equilibrium maximizing a linear ``objective``.

    ``objective``: ``"welfare"`` (sum of expected payoffs, default), ``"min_welfare"``,
    ``"egalitarian"`` (the smallest player payoff, by an extra LP variable),
    ``("player", i)`` or ``"player:i"``, ``None`` (any CE), or an array of shape
    ``game.num_actions`` (maximize ``sum_s c(s) p(s)``).
    """
    return _solve(game, "ce", objective)


def coarse_correlated_equilibrium(game: NormalFormGame, objective: Any = "welfare") -> CorrelatedEquilibrium:
    """A coarse correlated equilibrium maximizing ``objective`` (see :func:`correlated_equilibrium`)."""
    return _solve(game, "cce", objective)
