"""A batch gives the same answers as its samples solved one by one; finished samples freeze."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import attractor
from attractor.equilibrium import Newton

from .problems import D

SOLVERS = ["picard", "anderson", "broyden", "newton", "halpern"]


def per_sample_problem(seed, batch, n):
    """Each sample has its own contraction factor, so the samples converge at different steps."""
    g = torch.Generator().manual_seed(seed)
    W = torch.randn(batch, n, n, generator=g, dtype=D)
    scales = torch.rand(batch, generator=g, dtype=D) * 0.8 + 0.05
    W = W * (scales / torch.linalg.matrix_norm(W, ord=2))[:, None, None]
    x = torch.randn(batch, n, generator=g, dtype=D)
    return W, x


def layer(W, x):
    return lambda z: torch.tanh((W @ z.unsqueeze(-1)).squeeze(-1) + x)


@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 2**16), batch=st.integers(2, 4), solver=st.sampled_from(SOLVERS))
def test_batch_equals_per_sample(seed, batch, solver):
    n = 4
    W, x = per_sample_problem(seed, batch, n)
    # Halpern may run out of steps: failures must match per sample too
    kwargs = (
        {"tol": 1e-3, "max_steps": 200, "on_failure": "status"}
        if solver == "halpern"
        else {"tol": 1e-11}
    )
    together = attractor.fixed_point(layer(W, x), torch.zeros_like(x), solver=solver, **kwargs)
    for i in range(batch):
        alone = attractor.fixed_point(
            layer(W[i : i + 1], x[i : i + 1]), torch.zeros(1, n, dtype=D), solver=solver, **kwargs
        )
        torch.testing.assert_close(together.value[i], alone.value[0], atol=1e-12, rtol=1e-10)
        assert int(together.steps[i]) == int(alone.steps[0])
        assert int(together.status[i]) == int(alone.status[0])
        torch.testing.assert_close(together.residual[i], alone.residual[0], atol=1e-13, rtol=1e-8)


@pytest.mark.parametrize("solver", ["anderson", "broyden", Newton(linear_solver="gmres")])
def test_batch_gradients_equal_per_sample(solver):
    W, x = per_sample_problem(3, 3, 4)
    W.requires_grad_()
    together = attractor.fixed_point(layer(W, x), torch.zeros_like(x), solver=solver, tol=1e-12)
    (grad,) = torch.autograd.grad(together.value.square().sum(), W)
    for i in range(3):
        Wi = W[i : i + 1].detach().requires_grad_()
        alone = attractor.fixed_point(
            layer(Wi, x[i : i + 1]), torch.zeros(1, 4, dtype=D), solver=solver, tol=1e-12
        )
        (gi,) = torch.autograd.grad(alone.value.square().sum(), Wi)
        torch.testing.assert_close(grad[i], gi[0], atol=1e-10, rtol=1e-8)


@pytest.mark.parametrize("solver", SOLVERS)
def test_finished_samples_stop_changing(solver):
    # sample 0 starts at its fixed point, sample 1 needs many steps
    W, x = per_sample_problem(1, 2, 3)
    start = attractor.fixed_point(
        layer(W, x), torch.zeros_like(x), solver="newton", tol=1e-13
    ).value
    z0 = torch.stack([start[0], torch.zeros(3, dtype=D)])
    kwargs = {"tol": 1e-2, "max_steps": 500} if solver == "halpern" else {"tol": 1e-10}
    sol = attractor.fixed_point(layer(W, x), z0, solver=solver, trajectory=True, **kwargs)
    assert int(sol.steps[0]) == 0 and int(sol.steps[1]) > 0
    for z in sol.trajectory:
        assert torch.equal(z[0], z0[0])
    assert torch.equal(sol.value[0], z0[0])


def test_converged_sample_keeps_its_value_when_others_fail():
    # sample 1 diverges (expanding map); sample 0 converges and is unaffected
    scale = torch.tensor([[0.5], [2.0]], dtype=D)
    sol = attractor.fixed_point(
        lambda z: scale * z + 1.0, torch.zeros(2, 3, dtype=D), solver="picard", on_failure="status"
    )
    torch.testing.assert_close(sol.value[0], torch.full((3,), 2.0, dtype=D), atol=1e-9, rtol=0)
    assert sol.status.tolist() == [int(attractor.Status.SUCCESS), int(attractor.Status.DIVERGED)]
