"""Learning dynamics: replicator invariants, rest points, batching, and no-regret learning
reaching the coarse correlated equilibria."""

import pytest
import torch

from attractor.games import (
    FictitiousPlay,
    Hedge,
    OptimisticHedge,
    RegretMatching,
    best_response_dynamics,
    cce_gap,
    learn,
    logit_dynamics,
    matching_pennies,
    qre,
    random_game,
    replicator,
    rock_paper_scissors,
    shapley_game,
    stag_hunt,
)

T64 = {"dtype": torch.float64}


def _start(*rows):
    return tuple(torch.tensor(r, **T64) for r in rows)


def test_rps_single_population_conserves_product_of_shares():
    x0 = torch.tensor([[0.5, 0.3, 0.2], [0.1, 0.2, 0.7]], **T64)
    flow = replicator(rock_paper_scissors(torch.float64), x0, torch.linspace(0, 40, 81, **T64), populations="single")
    (x,) = flow.profiles
    product = x.prod(-1)
    assert torch.allclose(product, product[0].expand_as(product), rtol=1e-6)
    # the orbit is a closed cycle, not a spiral: it moves but keeps its distance to the centre
    assert float((x[:, 0] - x[0, 0]).abs().max()) > 0.05
    assert torch.allclose(x.sum(-1), torch.ones_like(x[..., 0]), atol=1e-9)


def test_rps_two_populations_conserve_product_of_all_shares():
    x0 = _start([0.6, 0.3, 0.1], [0.2, 0.2, 0.6])
    flow = replicator(rock_paper_scissors(torch.float64), x0, torch.linspace(0, 40, 41, **T64))
    x, y = flow.profiles
    product = x.prod(-1) * y.prod(-1)
    assert torch.allclose(product, product[0].expand_as(product), rtol=1e-6)
    assert flow.solution.stats["nfe"] > 0


def test_replicator_batch_equals_per_sample():
    game = random_game((3, 2, 2), seed=0, dtype=torch.float64)
    x0 = game.random_profile((4,), generator=torch.Generator().manual_seed(1))
    t = torch.linspace(0, 5, 6, **T64)
    batched = replicator(game, x0, t)
    for k in range(4):
        single = replicator(game, tuple(x[k] for x in x0), t)
        for xb, xs in zip(batched.profiles, single.profiles):
            assert torch.allclose(xb[:, k], xs, atol=1e-7)


def test_replicator_rest_points_and_strict_equilibria():
    game = stag_hunt(torch.float64)
    mixed = _start([0.75, 0.25], [0.75, 0.25])
    flow = replicator(game, mixed, torch.tensor([0.0, 20.0], **T64))
    assert torch.allclose(flow.final[0], mixed[0], atol=1e-8)  # a Nash equilibrium is a rest point
    flow = replicator(game, _start([0.9, 0.1], [0.9, 0.1]), torch.tensor([0.0, 30.0], **T64))
    assert float(flow.final[0][0]) > 0.999  # inside the stag basin


def test_replicator_mutator_pulls_towards_the_interior():
    flow = replicator(matching_pennies(torch.float64), _start([0.9, 0.1], [0.2, 0.8]),
                      torch.tensor([0.0, 200.0], **T64), mutation=0.05)
    assert torch.allclose(flow.final[0], torch.tensor([0.5, 0.5], **T64), atol=1e-3)


def test_logit_dynamics_rest_point_is_the_qre():
    game = random_game((3, 3), seed=4, dtype=torch.float64)
    flow = logit_dynamics(game, game.uniform_profile(), torch.tensor([0.0, 60.0], **T64), temperature=1.0)
    for x, q in zip(flow.final, qre(game, 1.0)):
        assert torch.allclose(x, q, atol=1e-6)


def test_best_response_dynamics_converge_in_zero_sum():
    # Hofbauer & Sorin (2006): along best-response dynamics of a zero-sum game the duality gap
    # (here the sum of deviation gains) decays like exp(-t); Euler steps of the discontinuous
    # field leave a chattering floor that shrinks with the step
    game = rock_paper_scissors(torch.float64)
    x0 = _start([0.8, 0.1, 0.1], [0.1, 0.1, 0.8])
    gaps = [float(game.deviation_gains(best_response_dynamics(game, x0, torch.tensor([0.0, 5.0], **T64), dt=dt).final).sum())
            for dt in (2e-2, 2e-3)]
    assert gaps[1] < 0.1 and gaps[1] < gaps[0] / 2


@pytest.mark.parametrize("rule", ["regret_matching", "regret_matching_plus", Hedge(1.0, "sqrt"),
                                  RegretMatching(predictive=True), "optimistic_hedge"])
def test_no_regret_time_average_approaches_cce(rule):
    game = random_game((3, 3, 2), seed=7, dtype=torch.float64)
    x0 = game.random_profile((3,), generator=torch.Generator().manual_seed(0))
    gaps = []
    for steps in (100, 2000):
        result = learn(game, rule, x0, steps=steps)
        gaps.append(float(cce_gap(game, result.joint).max()))
        # the CCE gap of the average joint play is exactly the average external regret
        assert torch.allclose(cce_gap(game, result.joint), result.regret.clamp_min(0), atol=1e-10)
    assert gaps[1] < gaps[0] and gaps[1] < 0.02


def test_regret_matching_on_shapley_reaches_cce_though_play_cycles():
    game = shapley_game(torch.float64)
    result = learn(game, "regret_matching", _start([0.6, 0.3, 0.1], [0.1, 0.3, 0.6]), steps=4000, record=True)
    assert float(cce_gap(game, result.joint).max()) < 0.01
    assert result.history[0].shape == (4000, 3)


def test_fictitious_play_converges_in_zero_sum_and_cycles_in_shapley():
    rps = rock_paper_scissors(torch.float64)
    x0 = _start([0.7, 0.2, 0.1], [0.2, 0.2, 0.6])
    gaps = [float(rps.deviation_gains(learn(rps, FictitiousPlay(), x0, steps=s).average).sum()) for s in (100, 3000)]
    assert gaps[1] < 0.05 and gaps[1] < gaps[0] / 3  # Robinson (1951)
    game = shapley_game(torch.float64)
    result = learn(game, "fictitious_play", _start([1.0, 0.0, 0.0], [0.0, 1.0, 0.0]), steps=3000)
    assert float(game.deviation_gains(result.average).sum()) > 0.1  # Shapley (1964)


def test_optimistic_hedge_last_iterate_converges_in_zero_sum():
    game = rock_paper_scissors(torch.float64)
    x0 = _start([0.7, 0.2, 0.1], [0.2, 0.2, 0.6])
    plain = learn(game, Hedge(0.3), x0, steps=2000)
    optimistic = learn(game, OptimisticHedge(0.3), x0, steps=2000)
    assert float(game.deviation_gains(optimistic.strategies).sum()) < 1e-8
    assert float(game.deviation_gains(plain.strategies).sum()) > 1.0  # plain Hedge spirals to the boundary


def test_learning_batch_equals_per_sample():
    game = random_game((3, 4), seed=3, dtype=torch.float64)
    x0 = game.random_profile((3,), generator=torch.Generator().manual_seed(5))
    batched = learn(game, "regret_matching_plus", x0, steps=200)
    for k in range(3):
        single = learn(game, "regret_matching_plus", tuple(x[k] for x in x0), steps=200)
        assert torch.allclose(batched.joint[k], single.joint, atol=1e-12)
        assert torch.allclose(batched.regret[k], single.regret, atol=1e-12)


def test_learning_bad_arguments():
    game = matching_pennies()
    with pytest.raises(ValueError, match="rule"):
        learn(game, "gradient_descent")
    with pytest.raises(ValueError, match="steps"):
        learn(game, steps=0)
    with pytest.raises(ValueError, match="step_size"):
        Hedge(-1.0)
    with pytest.raises(ValueError, match="populations"):
        replicator(game, game.uniform_profile(), torch.tensor([0.0, 1.0]), populations="two")
    with pytest.raises(ValueError, match="x0"):
        replicator(game, (torch.tensor([0.5, 0.6]), torch.tensor([0.5, 0.5])), torch.tensor([0.0, 1.0]))
