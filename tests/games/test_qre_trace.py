"""The logit trace's internals: the closed-form homotopy Jacobian, exact landing at a requested
precision, the tangent's orientation through turning points, and the dtype/device of what the
trace returns."""

import numpy as np
import pytest
import torch

from attractor.games import (
    exploitability,
    logit_homotopy,
    logit_response,
    padded,
    qre,
    qre_nash,
    random_game,
)
from attractor.games.logit_map import homotopy, homotopy_jacobian
from attractor.games.padded import PaddedGame

from ._peers import gambit_solve


@pytest.mark.parametrize("dense", [True, False])
@pytest.mark.parametrize("shape", [(3, 3, 3), (2, 4, 3), (3, 2, 4, 2), (3, 4)])
def test_homotopy_jacobian_matches_central_differences(shape, dense, monkeypatch):
    if not dense:  # the gathered evaluation of the cross blocks (games too large for the dense table)
        monkeypatch.setattr(padded, "DENSE_LIMIT", 0)
    game = PaddedGame(random_game(shape, seed=0, dtype=torch.float64).payoffs)
    assert game.dense == dense
    rng = np.random.default_rng(1)
    N = game.n * game.A
    Z = np.concatenate([rng.normal(size=(3, N)), rng.uniform(0.5, 5.0, size=(3, 1))], -1)
    H, J = homotopy_jacobian(game, Z)
    assert np.allclose(H, homotopy(game, Z), atol=1e-14)
    eps = 1e-6
    for k, z in enumerate(Z):
        numeric = np.stack([(homotopy(game, z + eps * e) - homotopy(game, z - eps * e)) / (2 * eps)
                            for e in np.eye(N + 1)], -1)
        assert np.abs(J[k] - numeric).max() < 1e-7


def test_homotopy_ends_exactly_at_lambda_max_on_the_branch():
    game = random_game((3, 3, 2), seed=5, dtype=torch.float64)
    path = logit_homotopy(game, lambda_max=7.3)
    assert float(path.lambdas[-1]) == pytest.approx(7.3, abs=1e-12)
    assert bool((path.lambdas[:-1] < 7.3).all())
    profile = path.profile_at(-1)
    response = logit_response(game, profile, 1 / 7.3)
    assert max(float((x - r).abs().max()) for x, r in zip(profile, response)) < 1e-9


def test_homotopy_start_lands_on_the_branch():
    # the trace lands on each requested temperature, so the fixed-point polish has nothing to do
    game = random_game((3, 3, 3), seed=2, dtype=torch.float64)
    temperatures = torch.tensor([0.5, 0.05, 0.02], dtype=torch.float64)
    _, sol = qre(game, temperatures, start="homotopy", return_solution=True)
    assert bool(sol.ok.all()) and int(sol.steps.max()) <= 2


def test_trace_results_follow_the_game_dtype():
    game = random_game((3, 3, 3), seed=0, dtype=torch.float32)
    profile = qre_nash(game)
    assert all(x.dtype == torch.float32 for x in profile)
    path = logit_homotopy(game, lambda_max=5.0)
    assert path.lambdas.dtype == torch.float32 and path.profiles[0].dtype == torch.float32
    # the trace itself is float64: the float32 result is the float64 equilibrium rounded
    exact = qre_nash(random_game((3, 3, 3), seed=0, dtype=torch.float64))
    assert max(float((x.double() - e).abs().max()) for x, e in zip(profile, exact)) < 1e-6


# seed 15: the branch turns back near scaled lambda 90 (then near 14, 25, 25, 390 and 340); a
# long step on the descending piece used to slide onto the rising piece traversed backwards
# (det [H'; t^T] changed sign) and the trace ran off to lambda -> -infinity
TURNING = {"num_actions": (8, 8), "seed": 15}


def test_trace_keeps_its_orientation_through_turning_points():
    game = random_game(**TURNING, dtype=torch.float64)
    path = logit_homotopy(game, lambda_max=200.0)
    lambdas = path.lambdas
    assert bool((lambdas[1:] < lambdas[:-1]).any())  # the branch does turn back
    assert bool((lambdas[1:] > 0).all()) and float(lambdas[-1]) == pytest.approx(200.0, abs=1e-10)
    for k in range(1, len(lambdas), 50):  # every point is a QRE at its precision
        profile = path.profile_at(k)
        response = logit_response(game, profile, 1 / float(lambdas[k]))
        assert max(float((x - r).abs().max()) for x, r in zip(profile, response)) < 1e-7
    assert float(exploitability(game, qre_nash(game))) < 1e-10


def test_trace_through_turning_points_agrees_with_gambit():
    game = random_game(**TURNING, dtype=torch.float64)
    (peer,) = gambit_solve("logit", *game.payoffs.numpy())
    ours = qre_nash(game)
    # gambit stops at max regret 1e-8, we solve the support exactly
    assert max(float(np.abs(x.numpy() - p).max()) for x, p in zip(ours, peer)) < 1e-5


def _branch_point(game: PaddedGame, z: np.ndarray) -> np.ndarray:
    """Newton on H(z) = 0 with lambda fixed at z's."""
    for _ in range(30):
        A = np.zeros((1, len(z), len(z)))
        A[0, -1, -1] = 1.0
        H, _ = homotopy_jacobian(game, z[None], out=A)
        z = z + np.linalg.solve(A[0], np.append(-H[0], 0.0))
    return z


def _unit_tangent(game: PaddedGame, z: np.ndarray, reference: np.ndarray) -> np.ndarray:
    A = np.empty((1, len(z), len(z)))
    A[0, -1] = reference
    homotopy_jacobian(game, z[None], out=A)
    t = np.linalg.solve(A[0], np.eye(len(z))[-1])
    return t / np.linalg.norm(t)


@pytest.mark.parametrize("shape", [(3, 3, 3), (2, 3, 4), (4, 4), (3, 2, 4, 2)])
def test_initial_curvature_matches_central_differences(shape):
    # the first predictor's parabola: dt/ds at lambda = 0 from the Taylor expansion of the branch
    from attractor.games.qre_trace import LogitTrace

    trace = LogitTrace(random_game(shape, seed=1, dtype=torch.float64).payoffs)
    d = 1e-3
    ahead, back = (_branch_point(trace.game, trace.z + sign * d * trace.t) for sign in (1.0, -1.0))
    numeric = (_unit_tangent(trace.game, ahead, trace.t) - _unit_tangent(trace.game, back, trace.t)) / np.linalg.norm(
        ahead - back)
    assert np.abs(numeric - trace._bend).max() < 1e-7
    assert np.abs(trace._bend).max() > 1e-3  # not trivially zero


def test_polish_skips_supports_without_isolated_solutions():
    # one player mixing while the others play pure: its indifference condition depends only on
    # the others' (fixed) strategies, so Newton cannot solve it; the polish spends no iteration
    from attractor.games.indifference import solve_supports
    from attractor.games.qre_homotopy import _polish
    from attractor.games.qre_trace import LogitTrace

    trace = LogitTrace(random_game((3, 3, 3), seed=0, dtype=torch.float64).payoffs)
    support = np.zeros((3, 3), dtype=bool)
    support[:, 0] = True
    support[1, 1] = True
    _, nash, _ = solve_supports(trace.game, trace.profile(), support[None])
    assert not nash[0]
    assert _polish(trace, support.tobytes()) is None and trace.nfe == 0
