"""cdeint: closed-form CDEs, agreement with torchcde, gradients and input errors."""

import pytest
import torch

import attractor
from attractor.cde import (
    HermiteCubic,
    LinearInterpolation,
    NaturalCubicSpline,
    RectilinearInterpolation,
    cdeint,
)

F64 = torch.float64


def data(batch=3, length=12, channels=2, seed=0):
    g = torch.Generator().manual_seed(seed)
    t = torch.sort(torch.rand(length, generator=g, dtype=F64)).values
    t = (t - t[0]) / (t[-1] - t[0])
    x = torch.cumsum(0.4 * torch.randn(batch, length, channels, generator=g, dtype=F64), 1)
    return x, t


@pytest.mark.parametrize("cls", [LinearInterpolation, NaturalCubicSpline, HermiteCubic,
                                 RectilinearInterpolation])
@pytest.mark.parametrize(("solver", "kw"), [("rk4", {"dt": 0.05}), ("tsit5", {})])
def test_constant_vector_field_integrates_the_path_exactly(cls, solver, kw):
    x, t = data()
    X = cls(x, t)
    A = torch.randn(4, X.channels, dtype=F64)
    z0 = torch.randn(3, 4, dtype=F64)
    # knot by knot the derivative is a polynomial of degree <= 2, integrated exactly
    sol = cdeint(lambda t, z: A.expand(3, 4, X.channels), X, z0, t[[0, 5, -1]], solver=solver,
                 piecewise=True, **kw)
    exact = z0.unsqueeze(1) + (X.evaluate(t[[0, 5, -1]]) - X.evaluate(t[0]).unsqueeze(1)) @ A.T
    assert torch.allclose(sol.ys.transpose(0, 1), exact, atol=1e-9)


@pytest.mark.parametrize("cls", [LinearInterpolation, NaturalCubicSpline, HermiteCubic])
def test_scalar_linear_cde_has_exponential_solution(cls):
    """dz = z dX in one dimension: z(T) = z0 exp(X(T) - X(0)) for any path."""
    x, t = data(channels=1)
    X = cls(x, t)
    z0 = torch.ones(3, 1, dtype=F64)
    sol = cdeint(lambda t, z: z.unsqueeze(-1), X, z0, t[[0, -1]], solver="dopri5", rtol=1e-10,
                 atol=1e-12)
    exact = torch.exp(X.evaluate(t[-1]) - X.evaluate(t[0]))
    assert torch.allclose(sol.ys[-1], exact, rtol=1e-8)


def test_piecewise_keeps_fixed_step_solvers_exact_at_kinks():
    x, t = data(channels=1, length=9)
    t = torch.linspace(0, 1, 9, dtype=F64)  # knots on the step grid
    X = LinearInterpolation(x, t)
    z0 = torch.ones(3, 1, dtype=F64)
    exact = torch.exp(X.evaluate(1.0) - X.evaluate(0.0))
    errors = {}
    for piecewise in (True, False):
        sol = cdeint(lambda t, z: z.unsqueeze(-1), X, z0, t[[0, -1]], solver="rk4", dt=0.125,
                     piecewise=piecewise)
        errors[piecewise] = float((sol.ys[-1] - exact).abs().max())
    assert errors[True] < 5e-3 and errors[False] > 20 * errors[True]


def test_agrees_with_torchcde():
    torchcde = pytest.importorskip("torchcde")
    x, t = data(batch=4, length=15, channels=3, seed=1)
    net = torch.nn.Sequential(torch.nn.Linear(5, 16), torch.nn.Tanh(), torch.nn.Linear(16, 15)).double()

    class Field(torch.nn.Module):
        def forward(self, t, z):
            return net(z).view(*z.shape[:-1], 5, 3)

    z0 = torch.randn(4, 5, dtype=F64)
    ours = cdeint(Field(), NaturalCubicSpline(x, t), z0, t[[0, -1]], solver="tsit5", rtol=1e-10,
                  atol=1e-10).ys[-1]
    spline = torchcde.CubicSpline(torchcde.natural_cubic_coeffs(x, t), t)
    theirs = torchcde.cdeint(spline, Field(), z0, t[[0, -1]], method="dopri5", rtol=1e-10,
                             atol=1e-10)[:, -1]
    assert torch.allclose(ours, theirs, atol=1e-7)


def test_gradcheck_through_path_and_vector_field():
    x, t = data(batch=2, length=6, channels=2)

    def solve(x, z0, w):
        X = NaturalCubicSpline(x, t)
        return cdeint(lambda t, z: torch.tanh(z.unsqueeze(-1) * w), X, z0, t[[0, 3, -1]],
                      solver="rk4", dt=0.1).ys

    inputs = (x.clone().requires_grad_(), torch.randn(2, 3, dtype=F64, requires_grad=True),
              torch.randn(3, 2, dtype=F64, requires_grad=True))
    assert torch.autograd.gradcheck(solve, inputs)


@pytest.mark.parametrize("cls", [LinearInterpolation, NaturalCubicSpline])
def test_adjoints_agree_with_direct(cls):
    x, t = data(batch=3, length=8, channels=2, seed=2)
    t = torch.linspace(0, 1, 8, dtype=F64)
    X = cls(x, t)
    w = torch.randn(3, 2, dtype=F64, requires_grad=True)
    z0 = torch.randn(3, 3, dtype=F64, requires_grad=True)
    grads = {}
    for adjoint in ("direct", "checkpoint", "backsolve"):
        sol = cdeint(lambda t, z: torch.tanh(z.unsqueeze(-1) * w), X, z0, t[[0, 4, -1]],
                     solver="tsit5", rtol=1e-9, atol=1e-9, adjoint=adjoint)
        grads[adjoint] = torch.autograd.grad((sol.ys**2).sum(), (z0, w))
    for adjoint in ("checkpoint", "backsolve"):
        for a, b in zip(grads[adjoint], grads["direct"]):
            assert torch.allclose(a, b, rtol=1e-5, atol=1e-7)


def test_batch_equals_per_sample_and_per_sample_stepping():
    x, t = data(batch=4, length=10, channels=2, seed=3)
    X = NaturalCubicSpline(x, t)
    z0 = torch.randn(4, 3, dtype=F64)
    w = torch.randn(3, 2, dtype=F64)

    def f(t, z):
        return torch.sin(z.unsqueeze(-1) * w)

    whole = cdeint(f, X, z0, t[[0, -1]], solver="rk4", dt=0.02).ys
    for i in range(4):
        alone = cdeint(f, X.index_batch(torch.tensor([i])), z0[i:i + 1], t[[0, -1]], solver="rk4",
                       dt=0.02).ys
        assert torch.allclose(alone[:, 0], whole[:, i], atol=1e-13)
    shared, per_sample = (cdeint(f, X, z0, t[[0, -1]], solver="tsit5", rtol=1e-10, atol=1e-10,
                                 per_sample=flag).ys for flag in (False, True))
    assert torch.allclose(per_sample, shared, atol=1e-7)


def test_bad_inputs():
    x, t = data()
    X = NaturalCubicSpline(x, t)
    z0 = torch.zeros(3, 4, dtype=F64)

    def f(t, z):
        return torch.zeros(3, 4, 2, dtype=F64)

    with pytest.raises(TypeError, match="`X` must be a control path"):
        cdeint(f, x, z0, t)
    broken = NaturalCubicSpline(x, t)
    broken.coeffs = (broken.coeffs[0] * float("nan"),) + broken.coeffs[1:]
    with pytest.raises(ValueError, match="NaN/inf"):
        cdeint(f, broken, z0, t)
    with pytest.raises(ValueError, match="batch shape"):
        cdeint(f, X, torch.zeros(2, 4, dtype=F64), t)
    with pytest.raises(ValueError, match=r"expected a tensor of shape \(3, 4, 2\)"):
        cdeint(lambda t, z: torch.zeros(3, 4, dtype=F64), X, z0, t)
    with pytest.raises(ValueError, match="strictly increasing"):
        cdeint(f, X, z0, t.flip(0))
    with pytest.raises(ValueError, match="`z0` must be finite"):
        cdeint(f, X, torch.full((3, 4), float("nan"), dtype=F64), t)
    with pytest.raises(ValueError, match="beyond the knots of `X`"):
        cdeint(f, X, z0, torch.tensor([float(t[0]), float(t[-1]) + 1.0], dtype=F64))


def test_default_output_times_are_the_ends():
    x, t = data()
    X = HermiteCubic(x, t)
    sol = attractor.cdeint(lambda t, z: torch.zeros(3, 2, 2, dtype=F64), X, torch.ones(3, 2, dtype=F64))
    assert sol.ys.shape == (2, 3, 2) and torch.equal(sol.ys[-1], torch.ones(3, 2, dtype=F64))
