"""Nash equilibria of two-player games: known equilibria, method agreement, degeneracy,
and agreement with nashpy and pygambit."""

import warnings

import numpy as np
import pytest
import torch

from attractor import ConvergenceError
from attractor.games import (
    DegenerateGameWarning,
    NormalFormGame,
    battle_of_the_sexes,
    chicken,
    coordination,
    matching_pennies,
    nash_equilibria,
    prisoners_dilemma,
    random_game,
    rock_paper_scissors,
    shapley_game,
    stag_hunt,
    zero_sum_game,
)
from attractor.games.lemke_howson import lemke_howson
from attractor.games.polytope import vertices_by_bases, vertices_by_pivoting
from attractor.games.tableau import positive_scaled

from ._peers import assert_same_sets, gambit_solve, nashpy_solve

TWO_PLAYER_METHODS = ["vertex", "support", "lemke_howson"]


def _profiles(eqs):
    return [tuple(x.detach().cpu().numpy() for x in p) for p in eqs]


@pytest.mark.parametrize("method", TWO_PLAYER_METHODS + ["lp"])
def test_matching_pennies_unique_mixed_equilibrium(method):
    eqs = nash_equilibria(matching_pennies(torch.float64), method)
    assert len(eqs) == 1
    x, y = eqs[0]
    assert torch.allclose(x, torch.full((2,), 0.5, dtype=torch.float64), atol=1e-12)
    assert torch.allclose(y, torch.full((2,), 0.5, dtype=torch.float64), atol=1e-12)


@pytest.mark.parametrize("method", TWO_PLAYER_METHODS + ["lp"])
def test_rock_paper_scissors_uniform(method):
    (x, y), = nash_equilibria(rock_paper_scissors(torch.float64), method)
    third = torch.full((3,), 1 / 3, dtype=torch.float64)
    assert torch.allclose(x, third, atol=1e-12) and torch.allclose(y, third, atol=1e-12)


@pytest.mark.parametrize("method", ["vertex", "support"])
def test_battle_of_the_sexes_three_equilibria(method):
    eqs = nash_equilibria(battle_of_the_sexes(torch.float64), method)
    expected = [
        (np.array([1.0, 0.0]), np.array([1.0, 0.0])),
        (np.array([0.0, 1.0]), np.array([0.0, 1.0])),
        (np.array([2 / 3, 1 / 3]), np.array([1 / 3, 2 / 3])),
    ]
    assert len(eqs) == 3
    assert_same_sets(eqs, expected, atol=1e-12)
    assert eqs.complete and not eqs.degenerate


@pytest.mark.parametrize(
    "make, mixed",
    [(stag_hunt, ([0.75, 0.25], [0.75, 0.25])), (chicken, ([0.9, 0.1], [0.9, 0.1]))],
)
def test_symmetric_coordination_games(make, mixed):
    eqs = nash_equilibria(make(torch.float64))
    assert len(eqs) == 3
    assert any(np.allclose(p[0], mixed[0]) and np.allclose(p[1], mixed[1]) for p in _profiles(eqs))


def test_single_equilibrium_games():
    (x, y), = nash_equilibria(prisoners_dilemma())
    assert x.tolist() == [0.0, 1.0] and y.tolist() == [0.0, 1.0]
    (x, y), = nash_equilibria(shapley_game(torch.float64))
    assert torch.allclose(x, torch.full((3,), 1 / 3, dtype=torch.float64))


def test_identity_coordination_has_all_support_equilibria():
    eqs = nash_equilibria(coordination(4, dtype=torch.float64))
    assert len(eqs) == 2**4 - 1
    for x, y in eqs:
        support = x > 0
        assert torch.equal(support, y > 0)
        assert torch.allclose(x[support], torch.full((int(support.sum()),), 1 / float(support.sum()), dtype=torch.float64))


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("shape", [(3, 3), (4, 6), (5, 5)])
def test_methods_agree_on_random_games(shape, seed):
    game = random_game(shape, seed=seed, dtype=torch.float64)
    vertex = nash_equilibria(game, "vertex")
    support = nash_equilibria(game, "support")
    lh = nash_equilibria(game, "lemke_howson")
    assert_same_sets(vertex, support, atol=1e-10)
    # Lemke-Howson reaches a subset of them
    for p in lh:
        assert min(max(float((a - b).abs().max()) for a, b in zip(p, q)) for q in vertex) < 1e-10
    # non-degenerate games have an odd number of equilibria
    assert len(vertex) % 2 == 1


@pytest.mark.parametrize("seed", range(4))
def test_polytope_enumerations_agree(seed):
    rng = np.random.default_rng(seed)
    M = positive_scaled(rng.standard_normal((5, 6)))
    a, b = vertices_by_bases(M), vertices_by_pivoting(M)
    key = lambda V: sorted(map(tuple, np.round(V.z, 9)))
    assert key(a) == key(b) and len(a) > 0


@pytest.mark.parametrize("seed", range(3))
def test_zero_sum_lp_value_matches_enumeration(seed):
    game = zero_sum_game(5, 4, seed=seed, dtype=torch.float64)
    (x, y), = nash_equilibria(game, "lp")
    A = game.payoffs[0]
    value = float(x @ A @ y)
    # minimax: x guarantees at least the value, y concedes at most the value
    assert float((x @ A).min()) == pytest.approx(value, abs=1e-9)
    assert float((A @ y).max()) == pytest.approx(value, abs=1e-9)
    for xv, yv in nash_equilibria(game, "vertex"):
        assert float(xv @ A @ yv) == pytest.approx(value, abs=1e-9)


def test_lemke_howson_each_label_ends_at_an_equilibrium():
    game = random_game((4, 5), seed=11, dtype=torch.float64)
    A, B = (u.numpy() for u in game.payoffs)
    found = nash_equilibria(game, "vertex")
    for label in range(9):
        x, y, pivots = lemke_howson(A, B, label)
        assert pivots >= 1
        assert min(np.abs(np.concatenate([x, y]) - np.concatenate([a.numpy(), b.numpy()])).max() for a, b in found) < 1e-10
    with pytest.raises(ValueError, match="label"):
        lemke_howson(A, B, 9)


DEGENERATE = {
    # von Stengel (2007), Fig. 2: row 1 makes both columns best responses; a segment of equilibria
    "von_stengel": ([[3, 3], [2, 5], [0, 6]], [[3, 3], [2, 6], [3, 1]]),
    "constant": ([[0, 0, 0], [0, 0, 0]], [[0, 0, 0], [0, 0, 0]]),
    "tied_row": ([[1, 1], [1, 1]], [[0, 1], [1, 0]]),
    "weak_dominance": ([[2, 0], [2, 1]], [[2, 2], [0, 1]]),
}


@pytest.mark.parametrize("name", sorted(DEGENERATE))
def test_degenerate_games_are_reported_and_extreme_equilibria_returned(name):
    A, B = (np.asarray(m, dtype=float) for m in DEGENERATE[name])
    game = NormalFormGame.from_bimatrix(torch.tensor(A), torch.tensor(B))
    with pytest.warns(DegenerateGameWarning):
        eqs = nash_equilibria(game, "vertex")
    assert eqs.degenerate
    for x, y in eqs:
        assert float(game.deviation_gains((x, y)).max()) <= 1e-12
    assert_same_sets(eqs, gambit_solve("enummixed", A, B, rational=False), atol=1e-6)


def test_von_stengel_degenerate_segment_end_points():
    A, B = DEGENERATE["von_stengel"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateGameWarning)
        eqs = nash_equilibria(NormalFormGame.from_bimatrix(torch.tensor(A, dtype=torch.float64),
                                                           torch.tensor(B, dtype=torch.float64)))
    expected = [
        ([1, 0, 0], [1, 0]),
        ([1, 0, 0], [2 / 3, 1 / 3]),
        ([0, 1 / 3, 2 / 3], [1 / 3, 2 / 3]),
    ]
    assert_same_sets(eqs, [tuple(map(np.array, e)) for e in expected], atol=1e-12)


def test_support_enumeration_flags_degenerate_games():
    A, B = DEGENERATE["von_stengel"]
    game = NormalFormGame.from_bimatrix(torch.tensor(A, dtype=torch.float64), torch.tensor(B, dtype=torch.float64))
    with pytest.warns(DegenerateGameWarning, match="equal-size supports"):
        eqs = nash_equilibria(game, "support")
    assert eqs.degenerate and not eqs.complete


# ------------------------------------------------------------------------ peers
@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("n", [2, 3, 4, 6, 8])
def test_agreement_with_pygambit_enummixed(n, seed):
    game = random_game(n, seed=100 * n + seed, dtype=torch.float64)
    A, B = (u.numpy() for u in game.payoffs)
    assert_same_sets(nash_equilibria(game), gambit_solve("enummixed", A, B, rational=False), atol=1e-6)


@pytest.mark.parametrize("shape", [(2, 5), (5, 3), (7, 4)])
def test_agreement_with_pygambit_on_rectangular_games(shape):
    game = random_game(shape, seed=sum(shape), dtype=torch.float64)
    A, B = (u.numpy() for u in game.payoffs)
    assert_same_sets(nash_equilibria(game), gambit_solve("enummixed", A, B, rational=False), atol=1e-6)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("n", [2, 3, 4, 5])
def test_agreement_with_nashpy(n, seed):
    game = random_game(n, seed=7 * n + seed, dtype=torch.float64)
    A, B = (u.numpy() for u in game.payoffs)
    ours = nash_equilibria(game, "vertex")
    assert_same_sets(ours, nashpy_solve("vertex_enumeration", A, B), atol=1e-6)
    assert_same_sets(nash_equilibria(game, "support"), ours, atol=1e-9)
    # nashpy's support enumeration occasionally drops an equilibrium to its own tolerance
    # checks (e.g. seed 36), so only ask that what it finds is among ours
    for p in nashpy_solve("support_enumeration", A, B):
        assert min(np.abs(np.concatenate(p) - np.concatenate([x.numpy(), y.numpy()])).max() for x, y in ours) < 1e-6


@pytest.mark.parametrize("seed", range(3))
def test_lemke_howson_agrees_with_nashpy_per_label(seed):
    nash = pytest.importorskip("nashpy")
    game = random_game((4, 4), seed=seed, dtype=torch.float64)
    A, B = (u.numpy() for u in game.payoffs)
    peer = nash.Game(A, B)
    for label in range(8):
        x, y, _ = lemke_howson(A, B, label)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            px, py = peer.lemke_howson(initial_dropped_label=label)
        assert np.allclose(x, px, atol=1e-6) and np.allclose(y, py, atol=1e-6)


def test_lemke_howson_set_is_within_gambit_lcp_set():
    game = random_game(6, seed=3, dtype=torch.float64)
    A, B = (u.numpy() for u in game.payoffs)
    peer = gambit_solve("lcp", A, B, rational=False)
    ours = nash_equilibria(game, "lcp")
    assert len(ours) >= 1
    for x, y in ours:
        flat = np.concatenate([x.numpy(), y.numpy()])
        assert min(np.abs(flat - np.concatenate(p)).max() for p in peer) < 1e-6


# ------------------------------------------------------------------------ dtype, errors
def test_results_follow_the_game_dtype():
    eqs = nash_equilibria(battle_of_the_sexes(torch.float32))
    assert all(x.dtype == torch.float32 for p in eqs for x in p)
    assert eqs.stacked()[0].shape == (3, 2)


def test_bad_arguments():
    game = matching_pennies()
    with pytest.raises(ValueError, match="method"):
        nash_equilibria(game, "simplex")
    with pytest.raises(TypeError, match="NormalFormGame"):
        nash_equilibria(torch.zeros(2, 2, 2))
    with pytest.raises(ValueError, match="constant-sum"):
        nash_equilibria(battle_of_the_sexes(), "lp")
    with pytest.raises(ValueError, match="two-player"):
        nash_equilibria(random_game(2, n_players=3, seed=0), "vertex")
    with pytest.raises(TypeError, match="unexpected option"):
        nash_equilibria(game, "vertex", label=3)
    with pytest.raises(ValueError, match="tol"):
        nash_equilibria(game, tol=-1.0)


def test_verification_rejects_wrong_profiles(monkeypatch):
    from attractor.games import nash as nash_module

    monkeypatch.setitem(nash_module.METHODS, "vertex",
                        lambda game, options: ([(np.array([1.0, 0.0]), np.array([1.0, 0.0]))], False, True))
    with pytest.raises(ConvergenceError, match="deviation"):
        nash_equilibria(matching_pennies(), "vertex")
