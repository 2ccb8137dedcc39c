"""Monotone operator DEQ: monotonicity holds, the equilibrium is unique, both splittings find it."""

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.autograd import gradcheck

from attractor.nn import ForwardBackward, MonotoneCell, MonotoneDEQ, PeacemanRachford


def mondeq(**kwargs):
    kwargs.setdefault("m", 0.3)
    kwargs.setdefault("tol", 1e-11)
    return MonotoneDEQ(3, 6, init_scale=0.5, **kwargs).double()


@settings(max_examples=20, deadline=None)
@given(m=st.floats(0.01, 2.0), scale=st.floats(0.1, 30.0), seed=st.integers(0, 2**16))
def test_symmetric_part_of_i_minus_w_dominates_m(m, scale, seed):
    torch.manual_seed(seed)
    cell = MonotoneCell(2, 7, m=m, init_scale=scale).double()
    eye = torch.eye(7, dtype=torch.float64)
    k = eye - cell.weight().detach()
    lam = torch.linalg.eigvalsh(0.5 * (k + k.T)).min()
    assert float(lam) >= m - 1e-9 * (1 + scale**2)
    assert float(cell.monotonicity().detach()) == pytest.approx(float(lam))


@pytest.mark.parametrize("splitting", ["forward_backward", "peaceman_rachford"])
@pytest.mark.parametrize("solver", ["picard", "anderson"])
def test_unique_equilibrium_from_any_start(splitting, solver):
    torch.manual_seed(3)
    layer = mondeq(splitting=splitting, solver=solver, max_steps=5000)
    x = torch.randn(4, 3, dtype=torch.float64)
    with torch.no_grad():
        ref = layer(x).z
        residual = (layer.f(ref, x) - ref).abs().max()
        assert float(residual) < 1e-9  # z* = relu(W z* + U x + b)
        for _ in range(3):
            z0 = 10.0 * torch.randn(4, 6, dtype=torch.float64)
            # distance to z* <= residual / (1 - rate): the forward-backward rate is close to 1
            torch.testing.assert_close(layer(x, z0=z0).z, ref, atol=1e-8, rtol=0)


def test_both_splittings_agree_and_match_the_linear_closed_form():
    # identity activation: z* = W z* + U x + b  <=>  z* = (I - W)^{-1} (U x + b)
    torch.manual_seed(4)
    fb = mondeq(activation="identity", splitting="fb", max_steps=5000)
    pr = mondeq(activation="identity", splitting="pr")
    pr.load_state_dict(fb.state_dict())
    x = torch.randn(5, 3, dtype=torch.float64)
    cell = fb.f
    with torch.no_grad():
        k = torch.eye(6, dtype=torch.float64) - cell.weight()
        exact = torch.linalg.solve(k, cell.input(x).T).T
        torch.testing.assert_close(fb(x).z, exact, atol=1e-9, rtol=0)
        torch.testing.assert_close(pr(x).z, exact, atol=1e-9, rtol=0)


def test_without_bias_the_linear_equilibrium_is_linear_in_x():
    # bias=False: z* = (I - W)^{-1} U x, so z*(0) = 0 and z*(2x) = 2 z*(x)
    torch.manual_seed(5)
    layer = mondeq(activation="identity", bias=False)
    assert layer.f.input.bias is None
    x = torch.randn(3, 3, dtype=torch.float64)
    with torch.no_grad():
        torch.testing.assert_close(layer(torch.zeros_like(x)).z, torch.zeros(3, 6, dtype=torch.float64))
        torch.testing.assert_close(layer(2 * x).z, 2 * layer(x).z, atol=1e-9, rtol=0)


def test_peaceman_rachford_contracts_at_least_at_the_theoretical_rate():
    torch.manual_seed(5)
    layer = mondeq(splitting="pr", solver="picard", max_steps=2000)
    x = torch.randn(3, 3, dtype=torch.float64)
    with torch.no_grad():
        cell = layer.f
        k = torch.eye(6, dtype=torch.float64) - cell.weight()
        kappa = cell.m / float(torch.linalg.matrix_norm(k, ord=2))
        rate = math.sqrt((1 - kappa) / (1 + kappa))
        problem = layer.problem(x)
        u = torch.randn(3, 6, dtype=torch.float64)
        u_star = layer(x).solution.value
        for _ in range(10):
            u_next = problem.map(u, *problem.args)
            assert bool((torch.linalg.vector_norm(u_next - u_star, dim=-1)
                         <= rate * torch.linalg.vector_norm(u - u_star, dim=-1) + 1e-12).all())
            u = u_next


def test_default_step_sizes():
    torch.manual_seed(6)
    cell = MonotoneCell(3, 5, m=0.2).double()
    k = torch.eye(5, dtype=torch.float64) - cell.weight().detach()
    lip = float(torch.linalg.matrix_norm(k, ord=2))
    assert ForwardBackward().step_size(k, 0.2) == pytest.approx(0.2 / lip**2)
    assert PeacemanRachford().step_size(k, 0.2) == pytest.approx(1 / lip)
    assert PeacemanRachford(alpha=3.0).step_size(k, 0.2) == 3.0
    # any alpha in (0, 2m/L^2) makes the forward step a contraction
    assert ForwardBackward(alpha=1.9 * 0.2 / lip**2).step_size(k, 0.2) > 0


def test_forward_backward_rejects_a_step_size_without_contraction():
    layer = mondeq(splitting=ForwardBackward(alpha=50.0))
    with pytest.raises(ValueError, match="alpha"):
        layer(torch.randn(2, 3, dtype=torch.float64))


@pytest.mark.parametrize("splitting", ["forward_backward", "peaceman_rachford"])
def test_gradients_match_finite_differences(splitting):
    torch.manual_seed(7)
    layer = MonotoneDEQ(2, 3, m=0.5, init_scale=0.5, splitting=splitting, tol=1e-12, max_steps=3000).double()
    names = [n for n, _ in layer.named_parameters()]
    params = tuple(p.detach().clone().requires_grad_() for _, p in layer.named_parameters())
    x = torch.randn(2, 2, dtype=torch.float64, requires_grad=True)

    def fn(x_, *ps):
        return torch.func.functional_call(layer, dict(zip(names, ps)), (x_,)).z

    assert gradcheck(fn, (x, *params), atol=1e-6, rtol=1e-5)


def test_peaceman_rachford_warm_start_from_the_equilibrium_is_immediate():
    layer = mondeq(splitting="pr")
    x = torch.randn(4, 3, dtype=torch.float64)
    with torch.no_grad():
        out = layer(x)
        again = layer(x, z0=out.z)
    assert int(again.steps.max()) <= 1 < int(out.steps.min())


def test_custom_prox_and_hardtanh():
    torch.manual_seed(8)
    x = torch.randn(3, 3, dtype=torch.float64)
    for act in ("hardtanh", lambda v, alpha: v.clamp(-0.5, 0.5)):
        layer = mondeq(activation=act)
        with torch.no_grad():
            z = layer(x).z
            torch.testing.assert_close(layer.f(z, x), z, atol=1e-9, rtol=0)


def test_bad_arguments():
    with pytest.raises(ValueError, match="`m`"):
        MonotoneDEQ(3, 4, m=0.0)
    with pytest.raises(ValueError, match="activation"):
        MonotoneDEQ(3, 4, activation="tanh")
    with pytest.raises(ValueError, match="splitting"):
        MonotoneDEQ(3, 4, splitting="douglas")
    with pytest.raises(TypeError, match="splitting"):
        MonotoneDEQ(3, 4, splitting=1.0)
    with pytest.raises(ValueError, match="alpha"):
        ForwardBackward(alpha=-1.0)
    with pytest.raises(TypeError, match="x"):
        MonotoneDEQ(3, 4)((torch.randn(2, 3),))
