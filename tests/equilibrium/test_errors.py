"""Failures are never silent: ConvergenceError with per-sample diagnostics, or per-sample status."""

import pytest
import torch

import attractor
from attractor import ConvergenceError, Status
from attractor.equilibrium import Newton

from .problems import D


def slow_map(z):
    return 0.999 * z + 1.0


def test_max_steps_raises_with_per_sample_diagnostics():
    z0 = torch.zeros(3, 2, dtype=D)
    z0[1] = 1000.0  # already the fixed point
    with pytest.raises(ConvergenceError) as info:
        attractor.fixed_point(slow_map, z0, solver="picard", max_steps=5)
    err = info.value
    assert err.status.tolist() == [
        int(Status.MAX_STEPS),
        int(Status.SUCCESS),
        int(Status.MAX_STEPS),
    ]
    assert err.diagnostics["residual"].shape == (3,) and err.diagnostics["steps"].tolist() == [
        5,
        0,
        5,
    ]
    assert err.diagnostics["max_steps"] == 5
    message = str(err)
    assert (
        "2 of 3" in message
        and "MAX_STEPS" in message
        and "sample 0" in message
        and "sample 2" in message
    )
    assert "sample 1" not in message
    sol = err.solution
    assert isinstance(sol, attractor.equilibrium.EquilibriumSolution)
    assert sol.ok.tolist() == [False, True, False]
    torch.testing.assert_close(
        sol.residual, torch.linalg.vector_norm(slow_map(sol.value) - sol.value, dim=1)
    )


def test_on_failure_status_returns_instead_of_raising():
    sol = attractor.fixed_point(
        slow_map, torch.zeros(2, 2, dtype=D), solver="anderson", max_steps=1, on_failure="status"
    )
    assert (sol.status == int(Status.MAX_STEPS)).all() and not bool(sol.ok.any())


def test_divergence_is_detected():
    sol = attractor.fixed_point(
        lambda z: 3.0 * z + 1.0, torch.zeros(2, dtype=D), solver="picard", on_failure="status"
    )
    assert int(sol.status) == int(Status.DIVERGED)
    assert int(sol.steps) < 30  # residual grows 3x per step: stops well before max_steps
    assert torch.isfinite(sol.value).all()
    with pytest.raises(ConvergenceError, match="DIVERGED"):
        attractor.fixed_point(lambda z: 3.0 * z + 1.0, torch.zeros(2, dtype=D), solver="picard")


def test_nonfinite_values_are_detected_and_the_last_finite_iterate_kept():
    # f(z) = z - 1 + log(z): the iterate crosses 0 -> log of a negative number -> NaN
    f = lambda z: z - 1.0 + torch.log(z)
    sol = attractor.fixed_point(
        f, torch.full((1, 1), 0.5, dtype=D), solver="picard", on_failure="status"
    )
    assert int(sol.status[0]) == int(Status.NONFINITE)
    assert torch.isfinite(sol.value).all() and torch.isfinite(sol.residual).all()


def test_nonfinite_at_the_start():
    sol = attractor.fixed_point(
        lambda z: torch.log(z - 1.0), torch.zeros(1, 2, dtype=D), on_failure="status"
    )
    assert int(sol.status[0]) == int(Status.NONFINITE) and int(sol.steps[0]) == 0


def test_singular_newton_jacobian_is_a_linear_solve_failure():
    # g(x) = x^2 + 1 at x0 = 0: J = 0
    sol = attractor.root(
        lambda x: x * x + 1.0,
        torch.zeros(1, 1, dtype=D),
        solver=Newton(linear_solver="dense"),
        on_failure="status",
    )
    assert int(sol.status[0]) == int(Status.LINEAR_SOLVE_FAILED)
    with pytest.raises(ConvergenceError, match="LINEAR_SOLVE_FAILED"):
        attractor.root(
            lambda x: x * x + 1.0, torch.zeros(1, 1, dtype=D), solver=Newton(linear_solver="dense")
        )


def test_failed_samples_report_their_best_iterate():
    # Anderson with too few steps: the reported residual is the smallest seen, and matches the value
    g = torch.Generator().manual_seed(0)
    A = torch.randn(6, 6, generator=g, dtype=D)
    A = 0.97 * A / torch.linalg.matrix_norm(A, ord=2)
    f = lambda z: torch.sin(z @ A.T) + 1.0
    sol = attractor.fixed_point(
        f,
        torch.zeros(2, 6, dtype=D),
        solver="picard",
        max_steps=7,
        trajectory=True,
        on_failure="status",
    )
    residuals = torch.stack([torch.linalg.vector_norm(f(z) - z, dim=1) for z in sol.trajectory])
    torch.testing.assert_close(sol.residual, residuals.min(dim=0).values)
    torch.testing.assert_close(
        sol.residual, torch.linalg.vector_norm(f(sol.value) - sol.value, dim=1)
    )


def test_unbatched_failure_message():
    with pytest.raises(ConvergenceError, match="1 of 1"):
        attractor.fixed_point(slow_map, torch.zeros(3, dtype=D), max_steps=2, solver="picard")
