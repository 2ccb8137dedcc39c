"""Convergence facts: acceleration beats Picard, Newton is quadratic, Halpern handles rotations."""

import math

import pytest
import torch

import attractor
from attractor import Status
from attractor.equilibrium import Halpern, Newton, Picard

from .problems import D, ill_conditioned_linear, rotation


def test_accelerated_solvers_beat_picard_on_an_ill_conditioned_contraction():
    # eigenvalues of A up to 0.98: Picard needs ~ log(1e-10) / log(0.98) ~ 1100 steps
    A, c, z_star = ill_conditioned_linear(n=30, batch=2)
    f = lambda z: z @ A.T + c
    steps = {}
    for solver in ["picard", "anderson", "broyden", "newton"]:
        sol = attractor.fixed_point(
            f, torch.zeros_like(c), solver=solver, tol=1e-10, max_steps=3000
        )
        torch.testing.assert_close(sol.value, z_star, atol=1e-8, rtol=0)
        steps[solver] = int(sol.steps.max())
    assert steps["picard"] > 800
    assert steps["anderson"] < steps["picard"] / 5
    assert steps["broyden"] < steps["picard"] / 5
    assert steps["newton"] <= 2  # exact Jacobian of a linear map: one step
    # a longer Anderson memory approaches GMRES on I - A
    long = attractor.fixed_point(
        f, torch.zeros_like(c), solver=attractor.equilibrium.Anderson(m=20), tol=1e-10
    )
    assert int(long.steps.max()) < steps["picard"] / 15


def test_accelerated_solvers_beat_picard_on_a_nonlinear_contraction():
    A, c, _ = ill_conditioned_linear(n=30, batch=3, seed=1)
    f = lambda z: z @ A.T + 0.01 * torch.sin(z) + c  # still a contraction (factor <= 0.99)
    steps = {}
    for solver in ["picard", "anderson", "broyden", "newton", Newton(linear_solver="gmres")]:
        sol = attractor.fixed_point(
            f, torch.zeros_like(c), solver=solver, tol=1e-10, max_steps=3000
        )
        name = solver if isinstance(solver, str) else "newton_krylov"
        steps[name] = int(sol.steps.max())
    assert max(steps["anderson"], steps["broyden"]) * 4 < steps["picard"]
    assert max(steps["newton"], steps["newton_krylov"]) < 10


@pytest.mark.parametrize(
    "newton", [Newton(linear_solver="dense"), Newton(linear_solver="gmres", restart=30)]
)
def test_newton_converges_quadratically(newton):
    # g(x) = x^3 + x - a per component, simple roots; errors e_k satisfy e_{k+1} ~ C e_k^2
    a = torch.tensor([[1.0, 3.0, 10.0, -2.0]], dtype=D)
    g = lambda x: x**3 + x - a
    sol = attractor.root(g, torch.ones_like(a), solver=newton, tol=1e-14, trajectory=True)
    errors = [float((x - sol.value).abs().max()) for x in sol.trajectory[:-1]]
    errors = [e for e in errors if 1e-13 < e < 1e-1]
    assert len(errors) >= 3
    orders = [math.log(errors[i + 1]) / math.log(errors[i]) for i in range(len(errors) - 1)]
    assert max(orders[-2:]) > 1.8, orders  # q-order 2 in the asymptotic regime


def test_newton_line_search_rescues_a_bad_start():
    # arctan: full Newton steps diverge from |x0| > 1.39; the backtracking line search converges
    x0 = torch.tensor([3.0, -5.0], dtype=D)
    sol = attractor.root(torch.atan, x0, batch_ndim=1, tol=1e-12)
    assert float(sol.value.abs().max()) < 1e-12
    bad = attractor.root(
        torch.atan,
        x0,
        batch_ndim=1,
        solver=Newton(line_search=False),
        on_failure="status",
        max_steps=20,
    )
    assert not bool(bad.ok.all())


def test_halpern_converges_on_a_rotation_where_picard_cycles():
    R = rotation(1.0)
    shift = torch.tensor([[1.0, 0.5], [-0.3, 2.0]], dtype=D)
    f = lambda z: z @ R.T + shift
    z_star = torch.linalg.solve(torch.eye(2, dtype=D) - R, shift.T).T
    z0 = torch.zeros_like(shift)
    picard = attractor.fixed_point(
        f, z0, solver="picard", tol=1e-3, max_steps=2000, on_failure="status"
    )
    assert (picard.status == int(Status.MAX_STEPS)).all()  # |f(z) - z| is constant along Picard
    halpern = attractor.fixed_point(
        f, z0, solver=Halpern(), tol=1e-3, max_steps=2000, trajectory=True
    )
    assert bool(halpern.ok.all())
    torch.testing.assert_close(halpern.value, z_star, atol=2e-3, rtol=0)
    # Lieder's bound ||f(z_k) - z_k|| <= 2 ||z_0 - z*|| / (k + 1)
    distance = torch.linalg.vector_norm(z0 - z_star, dim=1)
    for k, z in enumerate(halpern.trajectory[1:200], start=1):
        residual = torch.linalg.vector_norm(f(z) - z, dim=1)
        assert bool((residual <= 2 * distance / (k + 1) + 1e-12).all())


def test_damped_picard_converges_on_a_rotation():
    # Krasnosel'skii-Mann: averaging a nonexpansive map makes Picard converge
    R = rotation(1.0)
    shift = torch.tensor([[1.0, 0.5]], dtype=D)
    sol = attractor.fixed_point(
        lambda z: z @ R.T + shift,
        torch.zeros_like(shift),
        solver=Picard(damping=0.5),
        tol=1e-10,
        max_steps=500,
    )
    torch.testing.assert_close(sol.value @ R.T + shift, sol.value, atol=1e-9, rtol=0)


def test_anderson_regularization_guards_singular_histories():
    # f constant on a subspace: residual differences are rank deficient
    c = torch.randn(3, 10, dtype=D)
    f = lambda z: 0.5 * z * torch.tensor([1.0] + [0.0] * 9, dtype=D) + c
    sol = attractor.fixed_point(
        f, torch.zeros_like(c), solver=attractor.equilibrium.Anderson(m=6), tol=1e-12
    )
    torch.testing.assert_close(f(sol.value), sol.value, atol=1e-11, rtol=0)
