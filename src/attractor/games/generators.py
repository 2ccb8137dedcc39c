"""Seeded random games and GAMUT-style parametrized families.

Random payoffs are drawn on the CPU with a seeded :class:`torch.Generator` and then moved, so
the same seed gives the same game on every device.  Families follow GAMUT (Nudelman, Wortman,
Shoham & Leyton-Brown, "Run the GAMUT", AAMAS 2004) where a GAMUT generator exists.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from attractor._core.validation import check_in_range, check_int
from attractor.games.game import NormalFormGame


def _shape(num_actions: int | Sequence[int], n_players: int | None) -> tuple[int, ...]:
    if isinstance(num_actions, int):
        n = 2 if n_players is None else check_int("n_players", n_players)
        shape = (num_actions,) * n
    else:
        shape = tuple(num_actions)
        if n_players is not None and n_players != len(shape):
            raise ValueError(f"`n_players` is {n_players} but `num_actions` lists {len(shape)} players.")
    if not shape:
        raise ValueError("`num_actions` must name at least one player.")
    for i, a in enumerate(shape):
        check_int(f"num_actions[{i}]", a)
    return shape


def _generator(seed: int | torch.Generator | None) -> torch.Generator:
    if isinstance(seed, torch.Generator):
        return seed
    g = torch.Generator()
    g.manual_seed(int(torch.seed() if seed is None else seed) % (2**63))
    return g


def _finish(payoffs: torch.Tensor, dtype, device, title: str) -> NormalFormGame:
    return NormalFormGame(payoffs.to(dtype=dtype or torch.get_default_dtype(), device=device), title=title)


def random_game(
    num_actions: int | Sequence[int],
    n_players: int | None = None,
    *,
    seed: int | torch.Generator | None = None,
    distribution: str = "uniform",
    dtype: torch.dtype | None = None,
    device=None,
) -> NormalFormGame:
    """Independent payoffs: ``U(-1, 1)`` (``distribution="uniform"``) or ``N(0, 1)`` ("normal").

    ``num_actions`` is an int (square game, ``n_players`` players, default 2) or a per-player
    sequence.  GAMUT's RandomGame.
    """
    shape = _shape(num_actions, n_players)
    g = _generator(seed)
    size = (len(shape), *shape)
    if distribution == "uniform":
        payoffs = torch.rand(size, generator=g, dtype=torch.float64) * 2 - 1
    elif distribution == "normal":
        payoffs = torch.randn(size, generator=g, dtype=torch.float64)
    else:
        raise ValueError(f"`distribution` must be 'uniform' or 'normal'; got {distribution!r}.")
    return _finish(payoffs, dtype, device, f"Random game {shape}")


def zero_sum_game(
    m: int, n: int | None = None, *, seed=None, dtype: torch.dtype | None = None, device=None
) -> NormalFormGame:
    """A two-player zero-sum game with ``A ~ U(-1, 1)^{m x n}`` and ``B = -A``."""
    n = m if n is None else n
    g = _generator(seed)
    A = torch.rand((check_int("m", m), check_int("n", n)), generator=g, dtype=torch.float64) * 2 - 1
    return _finish(torch.stack([A, -A]), dtype, device, f"Random zero-sum game {m}x{n}")


def common_interest_game(
    num_actions: int | Sequence[int], n_players: int | None = None, *, seed=None, dtype=None, device=None
) -> NormalFormGame:
    """All players share one random payoff tensor ``U(-1, 1)`` (a team / potential game)."""
    shape = _shape(num_actions, n_players)
    common = torch.rand(shape, generator=_generator(seed), dtype=torch.float64) * 2 - 1
    return _finish(common.expand(len(shape), *shape).clone(), dtype, device, f"Common-interest game {shape}")


def coordination_game(
    num_actions: int | Sequence[int], n_players: int | None = None, *, seed=None, dtype=None, device=None
) -> NormalFormGame:
    """GAMUT-style coordination: when everybody plays the same action ``k`` each player gets a
    random payoff in ``(1, 2)``; every other profile pays ``U(0, 1)``.  Every diagonal profile
    is a strict pure equilibrium.
    """
    shape = _shape(num_actions, n_players)
    n = len(shape)
    g = _generator(seed)
    payoffs = torch.rand((n, *shape), generator=g, dtype=torch.float64)
    for k in range(min(shape)):
        payoffs[(slice(None),) + (k,) * n] += 1.0
    return _finish(payoffs, dtype, device, f"Coordination game {shape}")


def covariance_game(
    num_actions: int | Sequence[int],
    n_players: int | None = None,
    *,
    rho: float = 0.0,
    seed=None,
    dtype=None,
    device=None,
) -> NormalFormGame:
    """GAMUT's CovariantGame: at each pure profile the players' payoffs are jointly normal with
    unit variance and pairwise correlation ``rho``.

    ``rho = 1`` gives common interests, ``rho = -1/(n-1)`` (the smallest allowed) a zero-sum
    game for two players, ``rho = 0`` independent payoffs.
    """
    shape = _shape(num_actions, n_players)
    n = len(shape)
    low = -1.0 / (n - 1) if n > 1 else -1.0
    rho = check_in_range("rho", rho, low, 1.0)
    cov = torch.full((n, n), rho, dtype=torch.float64)
    cov.fill_diagonal_(1.0)
    # the covariance can be singular at the end points; a symmetric square root always exists
    evals, evecs = torch.linalg.eigh(cov)
    root = evecs * evals.clamp_min(0).sqrt()
    z = torch.randn((math.prod(shape), n), generator=_generator(seed), dtype=torch.float64)
    payoffs = (z @ root.T).T.reshape(n, *shape)
    return _finish(payoffs, dtype, device, f"Covariance game {shape}, rho={rho:g}")


def travelers_dilemma(
    num_actions: int = 100, *, bonus: float = 2.0, low: int = 2, dtype=None, device=None
) -> NormalFormGame:
    """Basu's traveler's dilemma: claims ``low, ..., low + m - 1``; the lower claim ``c`` is paid
    to both, plus ``bonus`` to the lower claimant and minus ``bonus`` to the higher.  The unique
    equilibrium claims ``low``.  (Basu, AER 1994; GAMUT TravelersDilemma.)
    """
    m = check_int("num_actions", num_actions, minimum=2)
    c = torch.arange(low, low + m, dtype=torch.float64)
    mine, theirs = c[:, None], c[None, :]
    A = torch.minimum(mine, theirs) + bonus * torch.sign(theirs - mine)
    return _finish(torch.stack([A, A.T]), dtype, device, f"Traveler's dilemma ({m} claims)")


def minimum_effort_game(
    n_players: int = 2,
    num_efforts: int = 3,
    *,
    cost: float = 0.5,
    dtype=None,
    device=None,
) -> NormalFormGame:
    """Van Huyck et al.'s minimum-effort game: ``u_i = min_j e_j - cost * e_i`` with efforts
    ``e in {1..k}``; every common effort level is a pure equilibrium when ``0 < cost < 1``.
    (GAMUT MinimumEffortGame.)
    """
    n = check_int("n_players", n_players)
    k = check_int("num_efforts", num_efforts)
    efforts = torch.arange(1, k + 1, dtype=torch.float64)
    grids = torch.meshgrid(*([efforts] * n), indexing="ij")
    low = torch.stack(grids).amin(0)
    payoffs = torch.stack([low - cost * grids[i] for i in range(n)])
    return _finish(payoffs, dtype, device, f"Minimum effort game ({n} players, {k} efforts)")


def dispersion_game(n_players: int = 2, num_actions: int = 2, *, dtype=None, device=None) -> NormalFormGame:
    """GAMUT's DispersionGame: a player earns 1 when no one else picks her action, else 0."""
    n = check_int("n_players", n_players)
    m = check_int("num_actions", num_actions)
    grids = torch.meshgrid(*([torch.arange(m)] * n), indexing="ij")
    payoffs = []
    for i in range(n):
        clash = torch.zeros_like(grids[0], dtype=torch.bool)
        for j in range(n):
            if j != i:
                clash |= grids[j] == grids[i]
        payoffs.append((~clash).to(torch.float64))
    return _finish(torch.stack(payoffs), dtype, device, f"Dispersion game ({n} players, {m} actions)")


GAMUT = {
    "random": random_game,
    "zero_sum": zero_sum_game,
    "common_interest": common_interest_game,
    "coordination": coordination_game,
    "covariance": covariance_game,
    "travelers_dilemma": travelers_dilemma,
    "minimum_effort": minimum_effort_game,
    "dispersion": dispersion_game,
}


def gamut(name: str, *args, **kwargs) -> NormalFormGame:
    """Build a game of a named family: ``gamut("covariance", 4, rho=-0.5, seed=0)``."""
    key = str(name).lower()
    if key not in GAMUT:
        raise ValueError(f"`name` must be one of {sorted(GAMUT)}; got {name!r}.")
    return GAMUT[key](*args, **kwargs)
