"""Adapters for the peer libraries (nashpy, pygambit 16.x and 17.x), skipping cleanly when a
peer is missing or its API is not one we know."""

from __future__ import annotations

import numpy as np
import pytest


def gambit():
    return pytest.importorskip("pygambit")


def gambit_game(*arrays):
    """A pygambit strategic game from payoff arrays (17.x ``StrategicGame.from_arrays``,
    16.x ``Game.from_arrays``)."""
    gbt = gambit()
    cls = getattr(gbt, "StrategicGame", None)
    maker = getattr(cls, "from_arrays", None) or getattr(getattr(gbt, "Game", None), "from_arrays", None)
    if maker is None:
        pytest.skip(f"pygambit {getattr(gbt, '__version__', '?')}: no from_arrays constructor")
    return maker(*[np.asarray(a, dtype=float) for a in arrays])


def gambit_profile(game, eq) -> list[np.ndarray]:
    """Per-player probability arrays of a pygambit mixed strategy profile."""
    out = []
    try:
        for player in game.players:
            strategies = getattr(player, "strategies", None)
            if strategies is not None:  # 16.x: players are objects
                out.append(np.array([float(eq[s]) for s in strategies]))
            else:  # 17.x: iteration yields labels; eq[label] iterates (label, value)
                out.append(np.array([float(v) for _, v in eq[player]]))
    except (AttributeError, TypeError, KeyError) as exc:
        pytest.skip(f"pygambit profile API not recognised: {exc}")
    return out


def gambit_equilibria(result) -> list:
    eqs = getattr(result, "equilibria", None)
    if eqs is None:
        eq = getattr(result, "equilibrium", None)
        if eq is None:
            pytest.skip("pygambit result API not recognised")
        eqs = [eq]
    return list(eqs)


def gambit_solve(method: str, *arrays, **kwargs) -> list[tuple[np.ndarray, ...]]:
    """Equilibria from ``pygambit.nash.<method>_solve`` as tuples of arrays."""
    gbt = gambit()
    game = gambit_game(*arrays)
    solve = getattr(gbt.nash, f"{method}_solve", None)
    if solve is None:
        pytest.skip(f"pygambit has no nash.{method}_solve")
    try:
        result = solve(game, **kwargs)
    except TypeError as exc:
        pytest.skip(f"pygambit nash.{method}_solve signature differs: {exc}")
    return [tuple(gambit_profile(game, eq)) for eq in gambit_equilibria(result)]


def nashpy_solve(method: str, A, B) -> list[tuple[np.ndarray, ...]]:
    nash = pytest.importorskip("nashpy")
    game = nash.Game(np.asarray(A, dtype=float), np.asarray(B, dtype=float))
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [tuple(np.asarray(x, dtype=float) for x in eq) for eq in getattr(game, method)()]


def as_set(profiles, digits: int = 6) -> set:
    """A set of rounded concatenated profiles (numpy or torch), for set comparisons."""
    out = set()
    for profile in profiles:
        flat = np.concatenate([np.asarray(x.detach().cpu() if hasattr(x, "detach") else x, dtype=float) for x in profile])
        out.add(tuple(np.round(flat, digits) + 0.0))
    return out


def assert_same_sets(ours, theirs, atol: float = 1e-6) -> None:
    """Every profile of one list is within ``atol`` (max norm) of one of the other, both ways."""
    a = [np.concatenate([np.asarray(x.detach().cpu() if hasattr(x, "detach") else x, dtype=float) for x in p]) for p in ours]
    b = [np.concatenate([np.asarray(x, dtype=float) for x in p]) for p in theirs]
    for name, xs, ys in (("ours", a, b), ("peer", b, a)):
        for x in xs:
            dist = min((np.abs(x - y).max() for y in ys), default=np.inf)
            assert dist <= atol, f"{name} profile {np.round(x, 6)} has no match (closest at {dist:.2e})"
