"""Gradients through the implicit solvers (float64): gradcheck of the direct and checkpoint
adjoints (exact derivatives of the discrete solution with fixed steps), checkpoint == direct with
adaptive steps, and the backsolve adjoint (whose backward solve uses the same implicit stepper
with finite-difference Jacobians of the augmented system)."""

import pytest
import torch

import attractor

STIFF = ["kvaerno3", "kvaerno5", "rodas5"]


def field(t, y, k):
    """Nonlinear, non-autonomous, moderately stiff (eigenvalues ~ -k0 and ~ -30), parameters k."""
    a, b = y[..., 0], y[..., 1]
    return torch.stack([-k[0] * a + k[1] * b * b, k[0] * a - 30.0 * b + torch.sin(2 * t)], -1)


def _inputs():
    y0 = torch.tensor([[1.0, 0.5], [0.3, -0.2]], dtype=torch.float64, requires_grad=True)
    k = torch.tensor([2.0, 0.7], dtype=torch.float64, requires_grad=True)
    return y0, k


@pytest.mark.parametrize("adjoint", ["direct", "checkpoint"])
@pytest.mark.parametrize("solver", STIFF)
def test_gradcheck_fixed_steps(solver, adjoint):
    """With fixed steps the discrete solution is smooth; its gradient is exact up to the Newton
    tolerance (ESDIRK: iterates differentiated with the iteration matrix held constant;
    Rosenbrock: the Jacobian differentiated too, by double backward)."""
    y0, k = _inputs()
    t = torch.tensor([0.0, 0.35, 1.0], dtype=torch.float64)

    def fn(y0, k):
        return attractor.odeint(field, y0, t, args=(k,), solver=solver, dt=0.1, adjoint=adjoint,
                                rtol=1e-12, atol=1e-12).ys

    assert torch.autograd.gradcheck(fn, (y0, k), atol=1e-7, rtol=1e-5, fast_mode=True)


@pytest.mark.parametrize("solver", STIFF)
def test_checkpoint_equals_direct_adaptive(solver):
    """The checkpoint adjoint replays exactly the accepted steps (Jacobian reuse decisions
    included), so its gradients equal direct backpropagation to round-off."""
    y0, k = _inputs()
    t = torch.tensor([0.0, 0.5, 2.0], dtype=torch.float64)
    w = torch.randn(3, 2, 2, dtype=torch.float64)
    grads = {}
    for adjoint in ["direct", "checkpoint"]:
        ys = attractor.odeint(field, y0, t, args=(k,), solver=solver, rtol=1e-6, atol=1e-8, adjoint=adjoint).ys
        grads[adjoint] = torch.autograd.grad((ys * w).sum(), (y0, k))
    for a, b in zip(grads["direct"], grads["checkpoint"]):
        assert torch.allclose(a, b, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("solver", ["kvaerno5", "rodas5"])
def test_backsolve_matches_direct(solver):
    """The continuous adjoint solved backwards with the implicit stepper agrees with direct
    backpropagation to the integration tolerance (on this mildly stiff problem the backward
    reconstruction of y is still well conditioned)."""
    y0, k = _inputs()
    t = torch.tensor([0.0, 0.4, 1.0], dtype=torch.float64)
    grads = {}
    for adjoint in ["direct", "backsolve"]:
        ys = attractor.odeint(field, y0, t, args=(k,), solver=solver, rtol=1e-10, atol=1e-12, adjoint=adjoint).ys
        grads[adjoint] = torch.autograd.grad(ys[-1].square().sum() + ys[1].sum(), (y0, k))
    for a, b in zip(grads["direct"], grads["backsolve"]):
        assert torch.allclose(a, b, rtol=1e-5, atol=1e-7)


def test_gradcheck_backsolve_and_time_gradients():
    """Backsolve through Kvaerno5, with respect to y0, the parameters and the output times."""
    y0, k = _inputs()
    t = torch.tensor([0.0, 0.3, 0.8], dtype=torch.float64, requires_grad=True)

    def fn(y0, k, t):
        return attractor.odeint(field, y0, t, args=(k,), solver="kvaerno5", rtol=1e-11, atol=1e-12,
                                adjoint="backsolve").ys

    assert torch.autograd.gradcheck(fn, (y0, k, t), atol=1e-5, rtol=1e-4, fast_mode=True)
