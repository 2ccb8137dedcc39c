"""The game class, profiles, generators and exploitability: facts and input validation."""

import string

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from attractor.games import (
    GAMUT,
    NormalFormGame,
    covariance_game,
    exploitability,
    gamut,
    matching_pennies,
    minimum_effort_game,
    nash_conv,
    pure_equilibria,
    random_game,
    regret,
    travelers_dilemma,
)
from attractor.games.game import action_values


def _einsum_values(payoffs, profile):
    n = payoffs.shape[0]
    if n == 1:
        return [payoffs[0].expand_as(profile[0])]
    letters = string.ascii_letters[:n]
    out = []
    for i in range(n):
        others = [j for j in range(n) if j != i]
        spec = letters + "," + ",".join("..." + letters[j] for j in others) + "->..." + letters[i]
        out.append(torch.einsum(spec, payoffs[i], *[profile[j] for j in others]))
    return out


@pytest.mark.parametrize("shape", [(3,), (2, 3), (2, 3, 4), (3, 2, 2, 2)])
def test_action_values_match_tensor_contraction(shape):
    game = random_game(shape, seed=1, dtype=torch.float64)
    profile = game.random_profile((5,), generator=torch.Generator().manual_seed(0))
    for ours, ref in zip(action_values(game.payoffs, profile), _einsum_values(game.payoffs, profile)):
        assert torch.allclose(ours, ref, atol=1e-14)


def test_expected_payoffs_are_multilinear_averages():
    game = random_game((2, 3, 2), seed=3, dtype=torch.float64)
    x = game.random_profile(generator=torch.Generator().manual_seed(1))
    joint = torch.einsum("a,b,c->abc", *x)
    expected = (game.payoffs * joint).sum((1, 2, 3))
    assert torch.allclose(game.expected_payoffs(x), expected, atol=1e-14)


def test_deviation_gains_zero_exactly_at_equilibrium():
    game = matching_pennies(torch.float64)
    half = torch.tensor([0.5, 0.5], dtype=torch.float64)
    assert torch.allclose(game.deviation_gains((half, half)), torch.zeros(2, dtype=torch.float64))
    x = torch.tensor([0.8, 0.2], dtype=torch.float64)
    # against x = (0.8, 0.2) the column player's best reply T earns 0.6 while mixing earns 0
    assert torch.allclose(game.deviation_gains((x, half)), torch.tensor([0.0, 0.6], dtype=torch.float64))
    assert float(nash_conv(game, (x, half))) == pytest.approx(0.6)
    assert float(exploitability(game, (x, half), reduction="mean")) == pytest.approx(0.3)
    assert torch.allclose(exploitability(game, (x, half), reduction="none"), regret(game, (x, half)))


def test_batched_profiles_match_per_sample():
    game = random_game((3, 4), seed=5, dtype=torch.float64)
    xs = game.random_profile((6,), generator=torch.Generator().manual_seed(2))
    batched = game.deviation_gains(xs)
    for k in range(6):
        assert torch.allclose(batched[k], game.deviation_gains(tuple(x[k] for x in xs)))


def test_best_responses_and_pure_profiles():
    game = NormalFormGame.from_bimatrix([[3.0, 0.0], [5.0, 1.0]], [[3.0, 5.0], [0.0, 1.0]])
    profile = game.pure_profile([0, 0])
    br = game.best_response(profile)
    assert br[0].tolist() == [0.0, 1.0] and br[1].tolist() == [0.0, 1.0]
    assert pure_equilibria(game).tolist() == [[1, 1]]
    assert game.is_zero_sum() is False and matching_pennies().is_zero_sum()


@pytest.mark.parametrize(
    "payoffs, message",
    [
        (torch.zeros(2, 3), "shape"),
        (torch.zeros(3, 2, 2), "shape"),
        (torch.tensor([[[1.0, float("nan")], [0.0, 0.0]], [[0.0, 0.0], [0.0, 0.0]]]), "finite"),
        (torch.zeros(2, 2, 2, dtype=torch.long), "floating"),
    ],
)
def test_bad_payoffs_are_rejected(payoffs, message):
    with pytest.raises(ValueError, match=message):
        NormalFormGame(payoffs)


def test_bad_names_are_rejected():
    with pytest.raises(ValueError, match="players"):
        NormalFormGame(torch.zeros(2, 2, 2), players=["a"])
    with pytest.raises(ValueError, match="actions"):
        NormalFormGame(torch.zeros(2, 2, 2), actions=[["a", "b"], ["c"]])


@settings(max_examples=40, deadline=None)
@given(
    entries=st.lists(st.floats(-2, 2, allow_nan=False), min_size=3, max_size=3),
)
def test_profiles_that_are_not_distributions_are_rejected(entries):
    game = random_game(3, seed=0, dtype=torch.float64)
    x = torch.tensor(entries, dtype=torch.float64)
    good = torch.full((3,), 1 / 3, dtype=torch.float64)
    if x.min() >= -1e-9 and abs(float(x.sum()) - 1) <= 3e-9:
        game.check_profile((x, good))
    else:
        with pytest.raises(ValueError, match="profile\\[0\\]"):
            game.check_profile((x, good))


def test_profile_structure_errors():
    game = random_game(3, seed=0)
    u = torch.full((3,), 1 / 3)
    with pytest.raises(TypeError, match="tuple"):
        game.deviation_gains(torch.cat([u, u]))
    with pytest.raises(ValueError, match="one strategy per player"):
        game.deviation_gains((u,))
    with pytest.raises(ValueError, match="shape"):
        game.deviation_gains((u, torch.full((2,), 0.5)))


def test_generators_are_seeded_and_shaped():
    a = random_game((2, 3, 4), seed=7)
    b = random_game((2, 3, 4), seed=7)
    assert a.payoffs.shape == (3, 2, 3, 4) and torch.equal(a.payoffs, b.payoffs)
    assert not torch.equal(a.payoffs, random_game((2, 3, 4), seed=8).payoffs)
    for name in GAMUT:
        game = gamut(name, 3, seed=0) if name in ("random", "common_interest", "coordination", "covariance") else None
        if game is not None:
            assert game.n_players == 2 and game.num_actions == (3, 3)


def test_covariance_game_correlation():
    game = covariance_game(30, rho=-1.0, seed=0, dtype=torch.float64)
    assert torch.allclose(game.payoffs.sum(0), torch.zeros(30, 30, dtype=torch.float64), atol=1e-12)
    game = covariance_game(60, rho=0.5, seed=1, dtype=torch.float64)
    corr = torch.corrcoef(game.payoffs.reshape(2, -1))[0, 1]
    assert abs(float(corr) - 0.5) < 0.05
    with pytest.raises(ValueError, match="rho"):
        covariance_game(3, n_players=3, rho=-0.9)


def test_gamut_families_have_their_known_equilibria():
    td = travelers_dilemma(10)
    assert pure_equilibria(td).tolist() == [[0, 0]]
    me = minimum_effort_game(3, 4, cost=0.5)
    assert sorted(map(tuple, pure_equilibria(me).tolist())) == [(k, k, k) for k in range(4)]
    with pytest.raises(ValueError, match="name"):
        gamut("nope")


def test_dtype_and_device_follow_the_payoffs():
    game = random_game(3, seed=0, dtype=torch.float32)
    assert game.uniform_profile()[0].dtype == torch.float32
    assert game.expected_payoffs(game.uniform_profile()).dtype == torch.float32
    assert torch.equal(game.to(torch.float64).payoffs.float(), game.payoffs)
