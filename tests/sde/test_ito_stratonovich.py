"""The same process in Ito and Stratonovich form (with the drift correction) agrees in law."""

import math

import pytest
import torch

import attractor
from attractor.sde import ito_to_stratonovich, stratonovich_to_ito

F64 = torch.float64
T = torch.tensor([0.0, 1.0], dtype=F64)


def _moments(y):
    return y.mean(0), y.var(0)


def _assert_same_law(a, b, n):
    """Means within 5 standard errors; variances within 5 standard errors of the variance."""
    (ma, va), (mb, vb) = _moments(a), _moments(b)
    se_mean = torch.sqrt((va + vb) / n)
    assert bool(((ma - mb).abs() < 5 * se_mean).all()), (ma, mb)
    kurt = ((a - ma) ** 4).mean(0) / va**2
    se_var = torch.sqrt((kurt - 1) * (va**2 + vb**2) / n)
    assert bool(((va - vb).abs() < 5 * se_var).all()), (va, vb)


def test_gbm_ito_and_stratonovich_forms_agree():
    n, mu, sigma = 20000, 0.3, 0.6
    y0 = torch.ones(n, 1, dtype=F64)

    def f(t, y):
        return mu * y

    def g(t, y):
        return sigma * y

    ito = attractor.sdeint(f, g, y0, T, dt=0.01, solver="milstein", seed=1).ys[-1]
    strat = attractor.sdeint(ito_to_stratonovich(f, g), g, y0, T, dt=0.01, solver="heun",
                             sde_type="stratonovich", seed=2).ys[-1]
    _assert_same_law(ito, strat, n)
    # and both match the exact moments: E = e^{mu}, Var = e^{2 mu}(e^{sigma^2} - 1)
    exact_mean = math.exp(mu)
    exact_var = math.exp(2 * mu) * (math.exp(sigma**2) - 1)
    assert abs(float(ito.mean()) - exact_mean) < 5 * math.sqrt(exact_var / n)
    assert abs(float(strat.var()) - exact_var) < 0.05 * exact_var


@pytest.mark.parametrize("noise", ["scalar", "general"])
def test_multidimensional_conversion_agrees(noise):
    n = 20000
    y0 = torch.tensor([[1.0, 0.5]], dtype=F64).expand(n, 2)

    def f(t, y):
        return torch.stack([-y[..., 1], y[..., 0]], -1) * 0.5

    if noise == "scalar":
        def g(t, y):
            return 0.4 * torch.stack([torch.sin(y[..., 1]), y[..., 0]], -1)
    else:
        def g(t, y):
            return 0.3 * torch.stack([
                torch.stack([y[..., 0], torch.cos(y[..., 1])], -1),
                torch.stack([torch.sin(y[..., 0]), y[..., 1]], -1),
            ], -2)

    ito = attractor.sdeint(f, g, y0, T, dt=0.01, noise=noise, solver="euler", seed=3).ys[-1]
    strat = attractor.sdeint(ito_to_stratonovich(f, g, noise), g, y0, T, dt=0.01, noise=noise,
                             solver="midpoint", sde_type="stratonovich", seed=4).ys[-1]
    _assert_same_law(ito, strat, n)
    # converting back gives the original drift
    back = stratonovich_to_ito(ito_to_stratonovich(f, g, noise), g, noise)
    y = torch.randn(5, 2, dtype=F64)
    assert torch.allclose(back(T[0], y), f(T[0], y), atol=1e-12)


def test_additive_noise_needs_no_correction():
    def f(t, y):
        return -y

    def g(t, y):
        return torch.ones_like(y)

    y = torch.randn(4, 3, dtype=F64)
    assert torch.equal(ito_to_stratonovich(f, g, "additive")(T[0], y), f(T[0], y))
