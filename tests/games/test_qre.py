"""Logit QRE: the fixed-point equation, the limit T -> 0, implicit gradients, the principal
branch and agreement with pygambit's logit solver."""

import itertools

import numpy as np
import pytest
import torch

from attractor.games import (
    NormalFormGame,
    logit_homotopy,
    logit_response,
    matching_pennies,
    nash_equilibria,
    qre,
    qre_nash,
    random_game,
    stag_hunt,
)

from ._peers import gambit, gambit_game, gambit_profile


def asymmetric_pennies() -> NormalFormGame:
    """McKelvey & Palfrey's asymmetric matching pennies: Nash x = (1/2, 1/2), y = (1/10, 9/10)."""
    return NormalFormGame.from_bimatrix(
        torch.tensor([[9.0, 0.0], [0.0, 1.0]], dtype=torch.float64),
        torch.tensor([[0.0, 1.0], [1.0, 0.0]], dtype=torch.float64),
    )


@pytest.mark.parametrize("temperature", [5.0, 0.5, 0.05])
def test_qre_solves_the_logit_equation(temperature):
    game = random_game((3, 2, 2), seed=1, dtype=torch.float64)
    profile = qre(game, temperature)
    response = logit_response(game, profile, temperature)
    for x, r in zip(profile, response):
        assert torch.allclose(x, r, atol=1e-10)
        assert float(x.sum()) == pytest.approx(1.0, abs=1e-12)


def test_qre_tends_to_nash_as_temperature_vanishes():
    game = asymmetric_pennies()
    nash = (torch.tensor([0.5, 0.5], dtype=torch.float64), torch.tensor([0.1, 0.9], dtype=torch.float64))
    errors = []
    for T in [1.0, 0.1, 0.01, 0.001]:
        profile = qre(game, T)
        errors.append(max(float((x - n).abs().max()) for x, n in zip(profile, nash)))
    assert all(b < a for a, b in itertools.pairwise(errors))
    assert errors[-1] < 2e-3
    # the distance shrinks like T (McKelvey & Palfrey 1995)
    assert errors[-1] / errors[-2] == pytest.approx(0.1, rel=0.2)


def test_matching_pennies_qre_is_uniform_at_every_temperature():
    for T in [10.0, 1.0, 0.01]:
        x, _ = qre(matching_pennies(torch.float64), T)
        assert torch.allclose(x, torch.full((2,), 0.5, dtype=torch.float64), atol=1e-10)


def test_batched_temperatures_equal_one_by_one():
    game = random_game((3, 3), seed=2, dtype=torch.float64)
    temps = torch.tensor([2.0, 0.3, 0.05], dtype=torch.float64)
    batched = qre(game, temps)
    for k, T in enumerate(temps.tolist()):
        single = qre(game, T)
        for xb, xs in zip(batched, single):
            assert torch.allclose(xb[k], xs, atol=1e-9)


def test_gradcheck_payoffs_and_temperature():
    base = random_game((2, 3), seed=3, dtype=torch.float64)

    def profile(payoffs, temperature):
        return torch.cat(qre(base.with_payoffs(payoffs), temperature, tol=1e-13))

    payoffs = base.payoffs.clone().requires_grad_(True)
    temperature = torch.tensor(0.4, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(profile, (payoffs, temperature), atol=1e-6, rtol=1e-5)


def test_gradcheck_three_players_batched_temperatures():
    base = random_game((2, 2, 2), seed=4, dtype=torch.float64)

    def profile(payoffs, temperature):
        return torch.cat(qre(base.with_payoffs(payoffs), temperature, tol=1e-13), -1)

    payoffs = base.payoffs.clone().requires_grad_(True)
    temperature = torch.tensor([0.5, 1.5], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(profile, (payoffs, temperature), atol=1e-6, rtol=1e-5)


def test_homotopy_selects_the_principal_branch():
    game = stag_hunt(torch.float64)
    # the branch from the centroid ends at the risk-dominant equilibrium (hare, hare)
    x, y = qre(game, 0.02)
    assert float(x[1]) > 0.999 and float(y[1]) > 0.999
    x_u, _ = qre(game, 0.02, start="uniform")  # a Newton start at the centroid finds another QRE
    assert float(x_u[1]) < 0.5
    path = logit_homotopy(game, lambda_max=50.0)
    assert float(path.lambdas[0]) == 0.0 and float(path.lambdas[-1]) >= 50.0
    assert float(path.profiles[0][-1, 1]) > 0.999


def test_homotopy_points_solve_the_logit_equation():
    game = random_game((3, 3, 2), seed=5, dtype=torch.float64)
    path = logit_homotopy(game, lambda_max=20.0)
    for k in range(0, len(path.lambdas), max(1, len(path.lambdas) // 6)):
        lam = float(path.lambdas[k])
        profile = path.profile_at(k)
        if lam > 0:
            response = logit_response(game, profile, 1.0 / lam)
            assert max(float((x - r).abs().max()) for x, r in zip(profile, response)) < 1e-7


@pytest.mark.parametrize("seed", range(3))
def test_qre_nash_is_an_equilibrium_n_players(seed):
    game = random_game((3, 3, 3), seed=seed, dtype=torch.float64)
    (profile,) = nash_equilibria(game)  # default for n players: the logit homotopy
    assert float(game.deviation_gains(profile).max()) <= 1e-10


def test_bad_temperature():
    game = matching_pennies()
    for bad in [0.0, -1.0, float("inf")]:
        with pytest.raises(ValueError, match="temperature"):
            qre(game, bad)
    with pytest.raises(TypeError, match="temperature"):
        qre(game, "hot")
    with pytest.raises(ValueError, match="start"):
        qre(game, 1.0, start="random")


def _gambit_logit(game, with_path=False):
    """pygambit's logit endpoint (and path events).  A bifurcation event on gambit's path does
    not mean its endpoint is wrong, so the comparison is skipped only when the endpoint is not a
    Nash equilibrium: its regret, checked here, must be within 1e-6 of the payoff range (gambit
    stops at 1e-8 of it)."""
    gbt = gambit()
    peer = gambit_game(*game.payoffs.numpy())
    events = []
    try:
        result = gbt.nash.logit_solve(peer, event_callback=events.append) if with_path else gbt.nash.logit_solve(peer)
    except TypeError as exc:
        pytest.skip(f"pygambit logit_solve API differs: {exc}")
    eq = getattr(result, "equilibrium", None) or result.equilibria[0]
    profile = gambit_profile(peer, eq)
    gains = game.deviation_gains(tuple(torch.from_numpy(np.asarray(x, dtype=np.float64)) for x in profile))
    span = float(game.payoffs.max() - game.payoffs.min())
    regret = float(gains.max())
    if regret > 1e-6 * span:
        pytest.skip(f"gambit's logit endpoint is not a Nash equilibrium (regret {regret:.1e})")
    return peer, profile, events


# the last three: gambit reports a bifurcation event on its path, yet ends at an equilibrium
@pytest.mark.parametrize("shape, seed", [((3, 3, 3), 0), ((3, 3, 3), 1), ((2, 3, 2, 2), 0), ((4, 4), 2),
                                         ((3, 3, 3), 15), ((4, 4), 14), ((2, 3, 2, 2), 20)])
def test_qre_nash_agrees_with_gambit_logit(shape, seed):
    game = random_game(shape, seed=seed, dtype=torch.float64)
    _, peer, _ = _gambit_logit(game)
    ours = qre_nash(game)
    # gambit stops at max regret 1e-8, we solve the support exactly
    assert max(float(np.abs(x.numpy() - p).max()) for x, p in zip(ours, peer)) < 1e-5


def test_qre_agrees_with_gambit_path_points():
    game = random_game((3, 2, 2), seed=6, dtype=torch.float64)
    peer, _, events = _gambit_logit(game, with_path=True)
    points = [e.qre for e in events if hasattr(e, "qre")]
    if not points:
        pytest.skip("no path events from pygambit")
    for q in points[:: max(1, len(points) // 8)]:
        lam = float(q.lam)
        if not 0.05 < lam < 200:
            continue
        ours = qre(game, 1.0 / lam)
        theirs = gambit_profile(peer, q.profile)
        assert max(float(np.abs(x.numpy() - p).max()) for x, p in zip(ours, theirs)) < 1e-6


def test_qre_method_on_two_player_games_finds_one_of_the_equilibria():
    game = random_game((4, 4), seed=8, dtype=torch.float64)
    (limit,) = nash_equilibria(game, "qre")
    every = nash_equilibria(game, "vertex")
    assert min(max(float((a - b).abs().max()) for a, b in zip(limit, p)) for p in every) < 1e-9


def test_homotopy_reports_a_short_budget():
    from attractor import ConvergenceError

    game = random_game((3, 3), seed=1, dtype=torch.float64)
    with pytest.raises(ConvergenceError, match="lambda_max"):
        logit_homotopy(game, lambda_max=1e4, max_steps=3)
    path = logit_homotopy(game, lambda_max=1e4, max_steps=3, on_failure="status")
    assert path.steps == 3 and path.status != 0 and len(path.lambdas) == 4
