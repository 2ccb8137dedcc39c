"""Gradients: float64 gradcheck for the three adjoints with respect to y0, parameters and output
times; checkpoint == direct to round-off; backsolve ~ direct."""

import pytest
import torch

import attractor

ADJOINTS = ["direct", "checkpoint", "backsolve"]


def field(t, y, theta):
    """Nonlinear, non-autonomous, with parameters theta = (a, b)."""
    r2 = (y**2).sum(-1, keepdim=True)
    rot = torch.stack([-y[..., 1], y[..., 0]], -1)
    return theta[0] * y * (1 - r2) + 2.0 * rot + theta[1] * torch.sin(t)


def _inputs():
    y0 = torch.tensor([[0.5, 0.1], [0.2, -0.3]], dtype=torch.float64, requires_grad=True)
    theta = torch.tensor([1.0, 0.3], dtype=torch.float64, requires_grad=True)
    t = torch.tensor([0.0, 0.3, 0.7], dtype=torch.float64, requires_grad=True)
    return y0, theta, t


OPTS = {"rtol": 1e-10, "atol": 1e-12, "solver": "dopri8"}  # few steps at tight tolerance


@pytest.mark.parametrize("per_sample", [False, True])
@pytest.mark.parametrize("adjoint", ADJOINTS)
def test_gradcheck_adaptive(adjoint, per_sample):
    y0, theta, t = _inputs()

    def fn(y0, theta, t):
        return attractor.odeint(field, y0, t, args=(theta,), adjoint=adjoint, per_sample=per_sample, **OPTS).ys

    assert torch.autograd.gradcheck(fn, (y0, theta, t), atol=1e-6, rtol=1e-4, fast_mode=True)


@pytest.mark.parametrize("adjoint", ["direct", "checkpoint"])
@pytest.mark.parametrize("solver", ["rk4", "dopri8"])
def test_gradcheck_fixed_steps_is_exact(adjoint, solver):
    """With fixed steps the discrete solution is smooth: gradients are exact derivatives of it."""
    y0, theta, _ = _inputs()
    t = torch.tensor([0.0, 0.35, 1.0], dtype=torch.float64)

    def fn(y0, theta):
        return attractor.odeint(field, y0, t, args=(theta,), adjoint=adjoint, solver=solver, dt=0.1).ys

    assert torch.autograd.gradcheck(fn, (y0, theta), atol=1e-8, rtol=1e-6, fast_mode=True)


def test_gradcheck_backwards_in_time():
    y0, theta, t = _inputs()
    t_back = t.detach().flip(0).clone().requires_grad_()
    for adjoint in ADJOINTS:
        def fn(y0, theta, t, adjoint=adjoint):
            return attractor.odeint(field, y0, t, args=(theta,), adjoint=adjoint, **OPTS).ys

        assert torch.autograd.gradcheck(fn, (y0, theta, t_back), atol=1e-6, rtol=1e-4, fast_mode=True), adjoint


def test_gradcheck_per_sample_output_times():
    y0, theta, _ = _inputs()
    t = torch.tensor([[0.0, 0.3, 0.6], [0.2, 0.4, 0.9]], dtype=torch.float64, requires_grad=True)
    for adjoint in ADJOINTS:
        def fn(y0, theta, t, adjoint=adjoint):
            return attractor.odeint(field, y0, t, args=(theta,), adjoint=adjoint, **OPTS).ys

        assert torch.autograd.gradcheck(fn, (y0, theta, t), atol=1e-6, rtol=1e-4, fast_mode=True), adjoint


def _module_grads(adjoint, per_sample=False, solver="tsit5"):
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(3, 16), torch.nn.Tanh(), torch.nn.Linear(16, 3)).double()
    y0 = torch.randn(5, 3, dtype=torch.float64, requires_grad=True)
    t = torch.linspace(0, 1.5, 4, dtype=torch.float64)
    sol = attractor.odeint(lambda t, y: net(y), y0, t, adjoint=adjoint, per_sample=per_sample,
                           solver=solver, rtol=1e-9, atol=1e-11)
    loss = (sol.ys[1:] ** 2).sum() + sol.ys[-1, :, 0].sum()
    loss.backward()
    return sol, y0.grad, [p.grad for p in net.parameters()]


@pytest.mark.parametrize("per_sample", [False, True])
@pytest.mark.parametrize("solver", ["tsit5", "dopri8"])
def test_checkpoint_equals_direct(per_sample, solver):
    sd, gd, pd = _module_grads("direct", per_sample, solver)
    sc, gc, pc = _module_grads("checkpoint", per_sample, solver)
    assert torch.equal(sd.ys, sc.ys)
    assert torch.allclose(gd, gc, rtol=1e-12, atol=1e-13)
    for a, b in zip(pd, pc):
        assert torch.allclose(a, b, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("checkpoints", [1, 2, 100])
def test_checkpoint_budget_does_not_change_gradients(checkpoints):
    y0, theta, t = _inputs()
    grads = []
    for k in (checkpoints, None):
        y = y0.detach().clone().requires_grad_()
        sol = attractor.odeint(field, y, t.detach(), args=(theta,), adjoint="checkpoint", checkpoints=k,
                               rtol=1e-8, atol=1e-10)
        grads.append(torch.autograd.grad(sol.ys.square().sum(), y)[0])
    assert torch.equal(grads[0], grads[1])


@pytest.mark.parametrize("per_sample", [False, True])
def test_backsolve_matches_direct(per_sample):
    _, gd, pd = _module_grads("direct", per_sample)
    sol, gb, pb = _module_grads("backsolve", per_sample)
    assert torch.allclose(gd, gb, rtol=1e-6, atol=1e-8)
    for a, b in zip(pd, pb):
        assert torch.allclose(a, b, rtol=1e-6, atol=1e-8)
    assert sol.stats["nfe_backward"] > 0


def test_closed_over_tensors_get_gradients():
    """Adjoints find tensors that f closes over (no nn.Module, no args)."""
    w = torch.tensor([[-0.5, 1.0], [-1.0, -0.2]], dtype=torch.float64, requires_grad=True)
    y0 = torch.tensor([1.0, 0.0], dtype=torch.float64)
    t = torch.tensor([0.0, 1.0], dtype=torch.float64)
    grads = {}
    for adjoint in ADJOINTS:
        sol = attractor.odeint(lambda t, y: w @ y, y0, t, adjoint=adjoint, rtol=1e-10, atol=1e-12)
        grads[adjoint] = torch.autograd.grad(sol.ys[-1].sum(), w)[0]
    # d/dW of 1^T exp(W) y0: compare with autograd through matrix_exp
    ref = torch.autograd.grad((torch.linalg.matrix_exp(w) @ y0).sum(), w)[0]
    for g in grads.values():
        assert torch.allclose(g, ref, atol=1e-8)


def test_graph_walk_finds_every_closed_over_leaf():
    """The probe-graph walk reaches every parameter of a deep module closed over by a lambda
    (it once compared ids of short-lived node objects, and on torch 2.11 skipped branches)."""
    from attractor.ode.parameters import find_parameters

    layers = [torch.nn.Linear(4, 4).double() for _ in range(12)]
    net = torch.nn.Sequential(*[m for lin in layers for m in (lin, torch.nn.Tanh())])
    y0 = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
    f = lambda t, y: net(y) + 0.1 * net(2 * y)  # shared weights: a DAG, not a tree
    found = find_parameters(f, (), f(0.0, y0), y0)
    assert {id(p) for p in found} == {id(p) for p in net.parameters()}
    sol = attractor.odeint(f, y0, torch.tensor([0.0, 0.1], dtype=torch.float64), adjoint="backsolve")
    grads = torch.autograd.grad(sol.ys[-1].sum(), list(net.parameters()))
    assert all(g.abs().sum() > 0 for g in grads)


def test_time_gradients_formula():
    """dy(t1)/dt1 = f(t1, y(t1)); dy(t1)/dt0 = -J f(t0, y0) (linear case: -exp(A(t1-t0)) A y0)."""
    A = torch.tensor([[-0.3, 1.0], [-1.0, -0.3]], dtype=torch.float64)
    y0 = torch.tensor([1.0, 2.0], dtype=torch.float64)
    for adjoint in ADJOINTS:
        t = torch.tensor([0.5, 2.0], dtype=torch.float64, requires_grad=True)
        sol = attractor.odeint(lambda t, y: A @ y, y0, t, adjoint=adjoint, rtol=1e-11, atol=1e-12)
        g = torch.autograd.grad(sol.ys[-1].sum(), t)[0]
        E = torch.linalg.matrix_exp(A * 1.5)
        assert torch.allclose(g[1], (A @ E @ y0).sum(), atol=1e-8)
        assert torch.allclose(g[0], -(E @ A @ y0).sum(), atol=1e-8)


@pytest.mark.parametrize("kwargs", [{"adjoint": "checkpoint"}, {"adjoint": "backsolve"}, {"solver": "kvaerno5"}])
def test_second_order_gradients_are_exact_or_refused(kwargs):
    """Second derivatives: exact through adjoint='direct' with explicit and Rosenbrock solvers
    (gradgradcheck); the hand-written backward passes (checkpoint replay, backsolve, the ESDIRK
    stages' implicit derivative) are not differentiated, so create_graph=True through them
    raises instead of returning silently wrong second derivatives."""
    from torch.autograd import gradgradcheck

    W = torch.tensor([[-0.3, 0.2], [0.1, -0.4]], dtype=torch.float64, requires_grad=True)
    y0 = torch.tensor([[0.5, -0.2], [0.1, 0.3]], dtype=torch.float64, requires_grad=True)
    t = torch.tensor([0.0, 0.5], dtype=torch.float64)

    def solve(W, y0, **kw):
        return attractor.odeint(lambda t, y: torch.tanh(y @ W.T), y0, t, rtol=1e-10, atol=1e-12, **kw).ys[-1]

    for exact in ({"solver": "dopri5"}, {"solver": "rodas5"}):
        assert gradgradcheck(lambda W, y0, kw=exact: solve(W, y0, **kw), (W, y0), atol=1e-5)
    params = {"adjoint_params": (W,)} if "adjoint" in kwargs else {}
    (g,) = torch.autograd.grad(solve(W, y0, **kwargs, **params).sum(), W)  # first order: fine
    assert torch.isfinite(g).all()
    with pytest.raises(NotImplementedError, match="higher-order gradients"):
        torch.autograd.grad(solve(W, y0, **kwargs, **params).sum(), W, create_graph=True)
