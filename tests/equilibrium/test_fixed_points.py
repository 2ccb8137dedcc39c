"""Known fixed points and roots, for every solver."""

import pytest
import torch

import attractor
from attractor import Status
from attractor.equilibrium import Anderson, Broyden, Halpern, Newton, Picard

from .problems import D, contraction, ill_conditioned_linear, tanh_layer

FAST = ["picard", "anderson", "broyden", "newton"]
DOTTIE = 0.7390851332151607  # the fixed point of cos


@pytest.mark.parametrize("solver", FAST + [Newton(linear_solver="gmres"), Picard(damping=0.7)])
def test_linear_contraction_closed_form(solver):
    A, c, z_star = ill_conditioned_linear(n=8, batch=3)
    A = 0.6 * A  # a milder contraction so that Picard converges quickly too
    z_star = torch.linalg.solve(torch.eye(8, dtype=D) - A, c.T).T
    sol = attractor.fixed_point(
        lambda z: z @ A.T + c, torch.zeros_like(c), solver=solver, tol=1e-12, max_steps=500
    )
    torch.testing.assert_close(sol.value, z_star, atol=1e-10, rtol=1e-10)
    assert bool(sol.ok.all())
    assert bool((sol.residual <= 1e-12).all())
    assert sol.residual.shape == (3,) and sol.steps.shape == (3,) and sol.status.shape == (3,)
    assert sol.steps.dtype == torch.long and sol.status.dtype == torch.long


@pytest.mark.parametrize("solver", FAST)
def test_dottie_number(solver):
    sol = attractor.fixed_point(torch.cos, torch.zeros((), dtype=D), solver=solver, tol=1e-13)
    assert abs(float(sol.value) - DOTTIE) < 1e-12
    assert sol.residual.shape == () and int(sol.status) == int(Status.SUCCESS)


def test_halpern_reaches_the_fixed_point_of_a_contraction():
    # O(1/k) convergence: 2 |z0 - z*| / (k + 1) <= 1e-6 after 2000 steps
    sol = attractor.fixed_point(
        torch.cos,
        torch.full((), DOTTIE + 1e-3, dtype=D),
        solver=Halpern(),
        tol=1e-6,
        max_steps=3000,
    )
    assert abs(float(sol.value) - DOTTIE) < 1e-6


@pytest.mark.parametrize("solver", FAST)
def test_residual_reported_is_the_residual_of_the_value(solver):
    W, x = contraction(batch=4, n=5, norm=0.9)
    f = tanh_layer(W, x)
    sol = attractor.fixed_point(f, torch.zeros_like(x), solver=solver, tol=1e-9)
    torch.testing.assert_close(
        sol.residual, torch.linalg.vector_norm(f(sol.value) - sol.value, dim=1)
    )


def test_norms_and_relative_tolerance():
    W, x = contraction(batch=2, n=4)
    f = tanh_layer(W, x)
    for norm, reduce in [
        ("max", lambda r: r.abs().amax(1)),
        ("rms", lambda r: r.pow(2).mean(1).sqrt()),
    ]:
        sol = attractor.fixed_point(f, torch.zeros_like(x), norm=norm, tol=1e-9)
        torch.testing.assert_close(sol.residual, reduce(f(sol.value) - sol.value))
    loose = attractor.fixed_point(f, torch.zeros_like(x), tol=1e-30, rtol=1e-6, solver="picard")
    assert bool((loose.residual <= 1e-6 * torch.linalg.vector_norm(loose.value, dim=1)).all())


def test_multiple_batch_dims_and_feature_dims():
    W, x = contraction(batch=6, n=4)
    x = x.reshape(2, 3, 4)
    f = lambda z: torch.tanh(torch.einsum("ij,abj->abi", W, z) + x)
    sol = attractor.fixed_point(f, torch.zeros_like(x), batch_ndim=2, tol=1e-11)
    assert sol.value.shape == (2, 3, 4) and sol.residual.shape == (2, 3)
    # one batch dim: each "sample" is a (3, 4) block
    sol1 = attractor.fixed_point(f, torch.zeros_like(x), batch_ndim=1, tol=1e-11)
    assert sol1.residual.shape == (2,)
    torch.testing.assert_close(sol.value, sol1.value, atol=1e-10, rtol=0)


def test_tuple_state():
    W, x = contraction(batch=3, n=4)

    def f(state):
        a, b = state
        return torch.tanh(a @ W.T + x), 0.5 * b + a.sum(-1, keepdim=True)

    z0 = (torch.zeros(3, 4, dtype=D), torch.zeros(3, 1, dtype=D))
    sol = attractor.fixed_point(f, z0, tol=1e-11)
    a, b = sol.value
    fa, fb = f(sol.value)
    torch.testing.assert_close(a, fa, atol=1e-10, rtol=0)
    torch.testing.assert_close(b, fb, atol=1e-10, rtol=0)
    torch.testing.assert_close(b, 2 * a.sum(-1, keepdim=True), atol=1e-10, rtol=0)  # b* = 2 sum(a*)
    assert sol.residual.shape == (3,)


@pytest.mark.parametrize(
    "solver", ["newton", "broyden", Newton(linear_solver="gmres"), Newton(line_search=False)]
)
def test_root_square_roots(solver):
    a = torch.tensor([2.0, 3.0, 10.0], dtype=D)
    sol = attractor.root(
        lambda x: x * x - a, torch.ones(3, dtype=D), batch_ndim=1, solver=solver, tol=1e-12
    )
    # Broyden's H_0 = -I has the wrong sign for this g and may land on the negative roots
    torch.testing.assert_close(sol.value.abs(), a.sqrt(), atol=1e-11, rtol=0)
    if solver != "broyden":
        torch.testing.assert_close(sol.value, a.sqrt(), atol=1e-11, rtol=0)


def test_root_of_linear_system_is_one_newton_step():
    A = torch.randn(4, 5, 5, dtype=D) + 3 * torch.eye(5, dtype=D)
    b = torch.randn(4, 5, dtype=D)
    sol = attractor.root(
        lambda x: (A @ x.unsqueeze(-1)).squeeze(-1) - b, torch.zeros_like(b), tol=1e-10
    )
    torch.testing.assert_close(sol.value, torch.linalg.solve(A, b), atol=1e-11, rtol=0)
    assert (sol.steps == 1).all()


@pytest.mark.parametrize("solver", ["picard", "anderson"])
def test_root_with_gradient_flow_solvers(solver):
    # g = -grad V for V = |x - c|^2 / 2: Picard on roots is the Richardson iteration x + g(x)
    c = torch.randn(3, 4, dtype=D)
    sol = attractor.root(lambda x: 0.5 * (c - x), torch.zeros_like(c), solver=solver, tol=1e-11)
    torch.testing.assert_close(sol.value, c, atol=1e-10, rtol=0)


def test_solver_objects_and_names_are_interchangeable():
    W, x = contraction()
    f = tanh_layer(W, x)
    for name, obj in [("anderson", Anderson()), ("broyden", Broyden()), ("picard", Picard())]:
        a = attractor.fixed_point(f, torch.zeros_like(x), solver=name)
        b = attractor.fixed_point(f, torch.zeros_like(x), solver=obj)
        assert torch.equal(a.value, b.value) and a.stats["solver"] == name
    assert set(attractor.equilibrium.SOLVERS) == {
        "picard",
        "anderson",
        "broyden",
        "newton",
        "halpern",
    }


def test_trajectory_and_stats():
    W, x = contraction(batch=2)
    sol = attractor.fixed_point(
        tanh_layer(W, x), torch.zeros_like(x), solver="picard", trajectory=True, tol=1e-10
    )
    assert len(sol.trajectory) == sol.stats["steps"] + 1
    torch.testing.assert_close(sol.trajectory[-1], sol.value)
    assert torch.equal(sol.trajectory[0], torch.zeros_like(x))
    # Picard: one evaluation per step, and one more when the samples finished at different steps
    # (the check that f does not couple them)
    staggered = int(sol.steps.min() != sol.steps.max())
    assert sol.stats["nfe"] == sol.stats["steps"] + 1 + staggered
    assert sol.stats["steps"] == int(sol.steps.max())


def test_inputs_are_not_mutated():
    W, x = contraction()
    z0 = torch.randn_like(x)
    before = z0.clone()
    for solver in FAST:
        attractor.fixed_point(tanh_layer(W, x), z0, solver=solver)
    assert torch.equal(z0, before)


def test_float32_default_tolerance():
    W, x = contraction()
    sol = attractor.fixed_point(
        tanh_layer(W.float(), x.float()), torch.zeros_like(x, dtype=torch.float32)
    )
    assert sol.value.dtype == torch.float32
    assert bool((sol.residual <= 1e-5).all())
