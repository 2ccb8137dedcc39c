"""Correlated and coarse correlated equilibria by LP."""

import pytest
import torch

from attractor.games import (
    NormalFormGame,
    cce_gap,
    ce_gap,
    coarse_correlated_equilibrium,
    correlated_equilibrium,
    nash_equilibria,
    random_game,
    rock_paper_scissors,
)


def aumann_chicken() -> NormalFormGame:
    """Chicken with payoffs (6,6) (2,7) / (7,2) (0,0) (Aumann 1974)."""
    return NormalFormGame.from_bimatrix(
        torch.tensor([[6.0, 2.0], [7.0, 0.0]], dtype=torch.float64),
        torch.tensor([[6.0, 7.0], [2.0, 0.0]], dtype=torch.float64),
    )


def test_welfare_maximizing_ce_of_chicken():
    ce = correlated_equilibrium(aumann_chicken())
    # the known optimum: (C,C) 1/2, (C,D) 1/4, (D,C) 1/4 -- welfare 10.5, above every Nash equilibrium
    expected = torch.tensor([[0.5, 0.25], [0.25, 0.0]], dtype=torch.float64)
    assert torch.allclose(ce.distribution, expected, atol=1e-8)
    assert ce.objective == pytest.approx(10.5, abs=1e-8)
    assert ce.gap <= 1e-9
    best_nash = max(float(aumann_chicken().expected_payoffs(p).sum()) for p in nash_equilibria(aumann_chicken()))
    assert ce.objective > best_nash


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("shape", [(3, 3), (2, 3, 2)])
def test_cce_contains_ce_and_nash(shape, seed):
    game = random_game(shape, seed=seed, dtype=torch.float64)
    ce = correlated_equilibrium(game)
    cce = coarse_correlated_equilibrium(game)
    assert ce.gap <= 1e-8 and cce.gap <= 1e-8
    assert float(cce_gap(game, ce.distribution).max()) <= 1e-8  # every CE is a CCE
    assert cce.objective >= ce.objective - 1e-9
    assert torch.allclose(ce.distribution.sum(), torch.tensor(1.0, dtype=torch.float64))
    if game.n_players == 2:
        for x, y in nash_equilibria(game):
            joint = torch.outer(x, y)
            assert float(ce_gap(game, joint).max()) <= 1e-10
            assert ce.objective >= float(game.expected_payoffs((x, y)).sum()) - 1e-9


def test_objectives():
    game = aumann_chicken()
    assert correlated_equilibrium(game, ("player", 0)).payoffs.tolist() == pytest.approx([7.0, 2.0], abs=1e-8)
    assert correlated_equilibrium(game, "player:1").payoffs.tolist() == pytest.approx([2.0, 7.0], abs=1e-8)
    fair = correlated_equilibrium(game, "egalitarian")
    assert float(fair.payoffs.min()) == pytest.approx(5.25, abs=1e-8)
    worst = correlated_equilibrium(game, "min_welfare")
    assert float(worst.payoffs.sum()) <= 9.0 + 1e-8  # the mixed Nash equilibrium has welfare 28/3
    custom = torch.tensor([[0.0, 1.0], [0.0, 0.0]], dtype=torch.float64)
    assert float(correlated_equilibrium(game, custom).distribution[0, 1]) >= 0.25 - 1e-9
    anyone = correlated_equilibrium(game, None)
    assert anyone.gap <= 1e-9


def test_rps_correlated_equilibrium_is_uniform_product():
    ce = correlated_equilibrium(rock_paper_scissors(torch.float64))
    assert torch.allclose(ce.distribution, torch.full((3, 3), 1 / 9, dtype=torch.float64), atol=1e-8)


def test_gaps_are_batched_and_positive_off_equilibrium():
    game = aumann_chicken()
    joints = torch.stack([torch.tensor([[0.0, 0.0], [0.0, 1.0]]), torch.tensor([[0.5, 0.25], [0.25, 0.0]])]).double()
    gaps = ce_gap(game, joints)
    assert gaps.shape == (2, 2)
    assert float(gaps[0].min()) == pytest.approx(2.0)  # (D, D): swapping D -> C gains 2
    assert float(gaps[1].max()) <= 1e-12
    assert torch.all(cce_gap(game, joints) <= ce_gap(game, joints) + 1e-12)


def test_bad_objective_and_joint():
    game = aumann_chicken()
    with pytest.raises(ValueError, match="objective"):
        correlated_equilibrium(game, "fairest")
    with pytest.raises(ValueError, match="objective"):
        correlated_equilibrium(game, torch.ones(3))
    with pytest.raises(ValueError, match="player 5"):
        correlated_equilibrium(game, ("player", 5))
    with pytest.raises(ValueError, match="joint"):
        ce_gap(game, torch.ones(3, 3))
