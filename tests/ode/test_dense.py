"""Dense output (``sol.evaluate``) and the binomial checkpointing schedule."""

import math

import numpy as np
import pytest
import torch

import attractor
from attractor.ode.checkpointing import beta, reverse

from .problems import limit_cycle, limit_cycle_exact


@pytest.mark.parametrize("per_sample", [False, True])
@pytest.mark.parametrize("solver", ["bosh3", "dopri5", "tsit5", "dopri8"])
def test_evaluate_matches_exact_solution(solver, per_sample):
    y0 = torch.tensor([[0.5, 0.0], [0.3, 0.2]], dtype=torch.float64)
    t = torch.tensor([0.0, 2.0], dtype=torch.float64)
    rtol, err = (1e-8, 1e-5) if solver == "bosh3" else (1e-10, 1e-7)
    sol = attractor.odeint(limit_cycle, y0, t, solver=solver, rtol=rtol, atol=rtol * 1e-2, dense=True,
                           per_sample=per_sample)
    tq = torch.linspace(0, 2, 57, dtype=torch.float64)
    got = sol.evaluate(tq)
    assert got.shape == (57, 2, 2)
    want = np.stack([limit_cycle_exact(float(s), 0.5) for s in tq])
    np.testing.assert_allclose(got[:, 0].numpy(), want, atol=err)
    # at the step ends the dense output reproduces the solution; the output times agree
    assert torch.allclose(sol.evaluate(t)[-1], sol.ys[-1], atol=1e-14)
    # a scalar query drops the time dimension
    assert sol.evaluate(1.0).shape == (2, 2)


def test_evaluate_backwards_and_per_sample_queries():
    y0 = torch.tensor([[1.0], [2.0]], dtype=torch.float64)
    t = torch.tensor([1.0, 0.0], dtype=torch.float64)
    sol = attractor.odeint(lambda t, y: -y, y0, t, rtol=1e-10, atol=1e-12, dense=True)
    tq = torch.tensor([[0.5, 0.25], [0.1, 0.9]], dtype=torch.float64)
    got = sol.evaluate(tq)  # (k, B, 1)
    want = y0.T * torch.exp(1.0 - tq.T)
    assert torch.allclose(got[..., 0], want, rtol=1e-8)


def test_outputs_interpolated_inside_steps_match_step_ends():
    """Many output times inside few steps come from the interpolant, and agree with a solve
    that steps exactly to each output time."""
    y0 = torch.tensor([0.5, 0.0], dtype=torch.float64)
    t = torch.linspace(0, 3, 301, dtype=torch.float64)
    sol = attractor.odeint(limit_cycle, y0, t, solver="dopri8", rtol=1e-12, atol=1e-13)
    assert sol.stats["accepted"] < 100
    want = np.stack([limit_cycle_exact(float(s), 0.5) for s in t])
    np.testing.assert_allclose(sol.ys.numpy(), want, atol=1e-10)


@pytest.mark.parametrize("n, snapshots", [(1, 1), (7, 1), (20, 2), (50, 3), (64, 6), (10, 20)])
def test_binomial_reversal(n, snapshots):
    """Every step is back-propagated once, in reverse order, from the right state, while at
    most ``snapshots`` recomputed states are alive; recomputation stays within beta's bound."""
    alive = set()
    peak = [0]
    advanced = [0]
    order = []

    class State(int):
        pass

    def advance(state, i, j):
        assert int(state) == i
        advanced[0] += j - i
        new = State(j)
        alive.add(j)
        peak[0] = max(peak[0], len(alive))
        return new

    def backprop(j, state):
        assert int(state) == j
        order.append(j)
        alive.discard(j)

    reverse(n, snapshots, State(0), advance, backprop)
    assert order == list(range(n - 1, -1, -1))
    r = 0
    while beta(snapshots, r) < n:
        r += 1
    assert advanced[0] <= r * n
    assert peak[0] <= snapshots + 1


def test_checkpoint_memory_is_bounded():
    """The checkpoint adjoint's graph holds one step at a time: its backward works with a
    budget of two snapshots over many steps and agrees with direct."""
    w = torch.tensor([[-0.1, 1.0], [-1.0, -0.1]], dtype=torch.float64, requires_grad=True)
    y0 = torch.tensor([1.0, 0.0], dtype=torch.float64)
    t = torch.linspace(0, 8, 5, dtype=torch.float64)
    grads = []
    for adjoint, k in [("direct", None), ("checkpoint", 2)]:
        sol = attractor.odeint(lambda t, y: w @ y, y0, t, adjoint=adjoint, checkpoints=k,
                               rtol=1e-8, atol=1e-10)
        assert sol.stats["accepted"] > 30
        grads.append(torch.autograd.grad(sol.ys[-1].sum(), w)[0])
    assert torch.allclose(grads[0], grads[1], rtol=1e-12, atol=1e-14)
    assert math.isfinite(float(grads[1].sum()))


@pytest.mark.parametrize("solver", ["heun", "bosh3", "dopri5", "tsit5", "dopri8"])
def test_per_sample_horner_matches_the_weight_form(solver):
    """Per-sample output times use Horner's rule on C = Pᵀ Z; it is the same polynomial as the
    dense-output weights w(θ) applied to Z."""
    from attractor.ode.explicit_rk import SOLVERS
    from attractor.ode.interpolation import interpolate_per_sample, polynomial_per_sample, weights

    P = SOLVERS[solver]().dense_coefficients(torch.float64, "cpu")
    g = torch.Generator().manual_seed(0)
    B, D, k = 5, 3, 4
    y = torch.randn(B, D, dtype=torch.float64, generator=g)
    Z = 1e-2 * torch.randn(P.shape[0], B, D, dtype=torch.float64, generator=g)  # h-scaled stages
    theta = torch.rand(B, k, dtype=torch.float64, generator=g)
    want = interpolate_per_sample(y, Z, weights(theta, P))
    torch.testing.assert_close(polynomial_per_sample(y, Z, theta, P), want, rtol=0, atol=1e-14)
