"""The padded payoff tables of the logit trace: action values and cross derivatives against the
game's own (torch) contraction and against finite differences, in both evaluation modes
(the dense table ``W`` and the gathers used when ``W`` would be large)."""

import numpy as np
import pytest
import torch

from attractor.games import padded, random_game
from attractor.games.game import action_values
from attractor.games.padded import PaddedGame

SHAPES = [(4,), (4, 3), (3, 3, 3), (2, 4, 3), (3, 2, 4, 2), (2, 2, 3, 2, 2)]


def _profiles(game: PaddedGame, batch: int, seed: int) -> np.ndarray:
    return game.strategies(np.random.default_rng(seed).normal(size=(batch, game.n, game.A)))


@pytest.mark.parametrize("dense", [True, False])
@pytest.mark.parametrize("shape", SHAPES)
def test_values_and_cross_match_the_game(shape, dense, monkeypatch):
    if not dense:
        monkeypatch.setattr(padded, "DENSE_LIMIT", 0)
    payoffs = random_game(shape, seed=3, dtype=torch.float64).payoffs
    game = PaddedGame(payoffs)
    assert game.dense == (dense and len(shape) > 1)
    x = _profiles(game, 3, 0)
    parts = [torch.from_numpy(x[:, i, :a]) for i, a in enumerate(shape)]
    v = game.values(x)
    for i, (ref, a) in enumerate(zip(action_values(payoffs, parts), shape)):
        assert np.allclose(v[:, i, :a], ref.numpy(), atol=1e-14)
        assert np.all(v[:, i, a:] == 0)  # padded actions pay nothing
    assert np.allclose(game.values(x[0]), v[0], atol=1e-14)  # unbatched
    assert np.allclose(game.values(x, game.blocks(x)), v, atol=1e-14)
    # M_ij = dv_i/dx_j by central differences (v is multilinear: exact up to rounding), zero for i = j
    M, eps = game.cross(x[0]), 1e-4
    for j in range(game.n):
        for b in range(game.A):
            dx = np.zeros_like(x[0])
            dx[j, b] = eps
            numeric = (game.values(x[0] + dx) - game.values(x[0] - dx)) / (2 * eps)
            expected = np.where(np.arange(game.n)[:, None] == j, 0.0, numeric)
            assert np.allclose(M[:, j, :, b], expected, atol=1e-10)
    assert np.allclose(game.blocks(x).reshape(3, game.n, game.A, game.n, game.A).swapaxes(-3, -2), game.cross(x))


@pytest.mark.parametrize("shape", [(3, 3, 3), (3, 2, 4, 2), (2, 5)])
def test_dense_and_gathered_modes_agree(shape, monkeypatch):
    payoffs = random_game(shape, seed=1, dtype=torch.float64).payoffs
    dense = PaddedGame(payoffs)
    monkeypatch.setattr(padded, "DENSE_LIMIT", 0)
    gathered = PaddedGame(payoffs)
    assert dense.dense and not gathered.dense
    x = _profiles(dense, 4, 2)
    for name in ("values", "cross", "blocks"):
        assert np.allclose(getattr(dense, name)(x), getattr(gathered, name)(x), atol=1e-14), name
