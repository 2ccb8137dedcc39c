"""Sink equilibria of the response graph and the replicator's limit distribution over them."""

import pytest
import torch

from attractor.games import (
    battle_of_the_sexes,
    coordination,
    matching_pennies,
    prisoners_dilemma,
    pure_equilibria,
    random_game,
    response_graph,
    rock_paper_scissors,
    sink_distribution,
    sink_equilibria,
    stag_hunt,
)


def _profiles(sink):
    return sorted(map(tuple, sink.tolist()))


def test_matching_pennies_has_one_cyclic_sink():
    for kind in ("best", "better"):
        sinks = sink_equilibria(matching_pennies(), kind)
        assert len(sinks) == 1 and _profiles(sinks.sinks[0]) == [(0, 0), (0, 1), (1, 0), (1, 1)]
        assert sinks.pure_nash == []


def test_rock_paper_scissors_sinks():
    best = sink_equilibria(rock_paper_scissors(), "best")
    # best responses cycle through the six off-diagonal profiles; ties on the diagonal are transient
    assert len(best) == 1 and len(best.sinks[0]) == 6 and all(a != b for a, b in _profiles(best.sinks[0]))
    better = sink_equilibria(rock_paper_scissors(), "better")
    assert len(better) == 1 and len(better.sinks[0]) == 9


@pytest.mark.parametrize("seed", range(5))
def test_singleton_sinks_are_the_pure_equilibria(seed):
    game = random_game((3, 4, 2), seed=seed)
    for kind in ("best", "better"):
        sinks = sink_equilibria(game, kind)
        singletons = sorted(tuple(s.tolist()) for s in sinks.pure_nash)
        assert singletons == sorted(map(tuple, pure_equilibria(game).tolist()))
        assert len(sinks) >= 1  # every finite graph has a sink component


def test_graph_arcs_improve_the_deviator():
    game = random_game((3, 3), seed=2, dtype=torch.float64)
    graph = response_graph(game, "better")
    flat = game.payoffs.reshape(2, -1)
    for s, t in zip(*graph.nonzero()):
        a, b = divmod(int(s), 3), divmod(int(t), 3)
        player = 0 if a[1] == b[1] else 1
        assert (a[0] == b[0]) != (a[1] == b[1])  # a unilateral deviation
        assert float(flat[player, t]) > float(flat[player, s])
    assert response_graph(game, "best").nnz <= graph.nnz


def test_limit_distribution_prisoners_dilemma_and_symmetric_coordination():
    pd = sink_distribution(prisoners_dilemma(torch.float64), samples=32, t_final=40, segments=8)
    assert pd.probabilities.tolist() == [1.0] and pd.unassigned == 0.0
    game = coordination(2, dtype=torch.float64)
    dist = sink_distribution(game, samples=200, t_final=40, segments=8, seed=1)
    assert len(dist.probabilities) == 2
    # by symmetry each strict equilibrium attracts half of the uniform prior
    assert abs(float(dist.probabilities[0]) - 0.5) < 4 * float(dist.stderr[0]) + 0.02
    assert float(dist.probabilities.sum()) + dist.unassigned == pytest.approx(1.0)


def test_limit_distribution_follows_basin_sizes():
    # stag needs the partner's stag share above 3/4: the payoff-dominant equilibrium has the
    # smaller basin, the risk-dominant (hare, hare) the larger one
    dist = sink_distribution(stag_hunt(torch.float64), samples=200, t_final=40, segments=8, seed=2)
    stag, hare = dist.probabilities.tolist()
    assert hare > 0.7 and stag < 0.3 and stag > 0.0
    assert dist.assignment.shape == (200,)


def test_cyclic_sink_collects_all_mass():
    dist = sink_distribution(matching_pennies(torch.float64), samples=16, t_final=40, segments=8)
    assert dist.probabilities.tolist() == [1.0]


def test_bad_arguments():
    with pytest.raises(ValueError, match="kind"):
        sink_equilibria(battle_of_the_sexes(), "worse")
    with pytest.raises(ValueError, match="prior"):
        sink_distribution(battle_of_the_sexes(), prior="gaussian")
    with pytest.raises(ValueError, match="samples"):
        sink_distribution(battle_of_the_sexes(), samples=0)
