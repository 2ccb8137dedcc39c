"""Demo part: equilibria of random games, checked by their exploitability.

All Nash equilibria of a seeded random two-player game (vertex enumeration; every equilibrium
must have zero exploitability), the logit QRE branch of a three-player game traced to its Nash
limit, and regret matching's time-averaged joint play approaching the set of coarse correlated
equilibria (its CCE gap shrinks like ``1/sqrt(T)``).
"""

from __future__ import annotations

import time

TITLE = "Games: all equilibria of a random game, a QRE trace to Nash, no-regret learning"


def run(quick: bool = False) -> dict:
    import torch

    from attractor import games

    figures: dict = {}
    n = 6 if quick else 8
    game = games.random_game((n, n), seed=0, dtype=torch.float64)
    start = time.perf_counter()
    eqs = games.nash_equilibria(game)
    figures[f"{n}x{n} game: equilibria"] = len(eqs)
    figures[f"{n}x{n} game: time (ms)"] = 1000 * (time.perf_counter() - start)
    figures[f"{n}x{n} game: max exploitability"] = max(float(games.exploitability(game, x)) for x in eqs)

    three = games.random_game((3, 3, 3), seed=1, dtype=torch.float64)
    start = time.perf_counter()
    limit = games.qre_nash(three)
    figures["3-player QRE trace: time (ms)"] = 1000 * (time.perf_counter() - start)
    figures["3-player QRE limit: exploitability"] = float(games.exploitability(three, limit))

    rounds = 2000 if quick else 10000
    result = games.learn(game, "regret_matching", steps=rounds)
    figures[f"regret matching, {rounds} rounds: CCE gap"] = float(games.cce_gap(game, result.joint).max())
    return figures
