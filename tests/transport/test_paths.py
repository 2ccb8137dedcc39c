"""Paths: exact time derivatives, closed-form inverses of the noise level, the Gaussian view."""

import math

import pytest
import torch

import attractor.transport as tr

from .problems import ALL_PATHS

TIMES = torch.linspace(0.03, 0.97, 11, dtype=torch.float64)


@pytest.mark.parametrize("path", ALL_PATHS, ids=repr)
def test_derivatives_are_the_time_derivatives_of_the_coefficients(path):
    t = TIMES.clone().requires_grad_()
    for c, d in zip(path.coefficients(t), path.derivatives(TIMES)):
        (g,) = torch.autograd.grad(c.sum(), t, allow_unused=True, retain_graph=True) if c.requires_grad else (None,)
        expected = torch.zeros_like(TIMES) if g is None else g
        torch.testing.assert_close(d, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("path", ALL_PATHS, ids=repr)
def test_velocity_target_is_the_derivative_of_the_interpolant(path):
    g = torch.Generator().manual_seed(0)
    x0, x1, z = (torch.randn(11, 3, generator=g) for _ in range(3))
    t = TIMES.clone().requires_grad_()
    xt = path.interpolate(x0, x1, t, z)
    jac = torch.stack([torch.autograd.grad(xt[:, j].sum(), t, retain_graph=True)[0] for j in range(3)], -1)
    torch.testing.assert_close(path.velocity_target(x0, x1, TIMES, z), jac, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("path", [p for p in ALL_PATHS if p.gaussian_source], ids=repr)
def test_noise_level_inverse(path):
    sigma = path.sigma(TIMES)
    torch.testing.assert_close(path.t_of_sigma(sigma), TIMES, rtol=1e-10, atol=1e-12)
    assert bool((sigma[1:] < sigma[:-1]).all()), "the noise level must decrease towards the data"


@pytest.mark.parametrize("path", [p for p in ALL_PATHS if p.gaussian_source], ids=repr)
def test_generic_bisection_inverse_agrees_with_closed_form(path):
    sigma = path.sigma(TIMES)
    torch.testing.assert_close(tr.Path.t_of_sigma(path, sigma), TIMES, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("path", [p for p in ALL_PATHS if p.gaussian_source], ids=repr)
def test_scales_derivatives(path):
    t = TIMES.clone().requires_grad_()
    b, s, _, _ = path.scales(t)
    _, _, db, ds = path.scales(TIMES)
    for c, d in ((b, db), (s, ds)):
        (g,) = torch.autograd.grad(c.sum(), t, allow_unused=True, retain_graph=True) if c.requires_grad else (None,)
        torch.testing.assert_close(d, torch.zeros_like(d) if g is None else g, rtol=1e-10, atol=1e-12)


def test_published_schedule_values():
    vp = tr.VPPath()
    # signal at the noise end: exp(-(beta_min + beta_max) / 4)
    assert math.isclose(float(vp.signal(0.0)), math.exp(-(0.1 + 20.0) / 4), rel_tol=1e-12)
    # the continuous limit of DDPM's 1000 linear betas 1e-4..0.02: abar at the end within 1 %
    betas = torch.linspace(1e-4, 0.02, 1000)
    abar = torch.cumprod(1 - betas, 0)
    assert math.isclose(float(vp.signal(0.5)) ** 2, float(abar[499]), rel_tol=1e-2)
    cos = tr.VPPath("cosine")
    assert float(cos.signal(0.0)) < 1e-15 and float(cos.noise(1.0)) == 0.0
    c = 0.008  # Nichol & Dhariwal's f(t)/f(0) at diffusion time 0.5
    f = lambda u: math.cos((u + c) / (1 + c) * math.pi / 2) ** 2
    assert math.isclose(float(cos.signal(0.5)) ** 2, f(0.5) / f(0.0), rel_tol=1e-12)
    edm = tr.EDMPath(sigma_min=0.002, sigma_max=80, rho=7)
    assert math.isclose(float(edm.noise(0.0)), 80.0) and math.isclose(float(edm.noise(1.0)), 0.002)
    assert float(tr.TrigonometricPath().noise(1.0)) == 0.0 and float(tr.LinearPath().signal(0.0)) == 0.0


def test_stochastic_interpolant_latent():
    p = tr.StochasticInterpolant(epsilon=0.3)
    t = torch.tensor([0.2, 0.5, 0.7])
    _, _, g = p.coefficients(t)
    torch.testing.assert_close(g**2, 0.3 * t * (1 - t))
    torch.testing.assert_close(p.gamma_dgamma(t), g * p.derivatives(t)[2])
    # s' is finite at the source end, where gamma' alone is infinite
    start = torch.tensor([0.0])
    assert bool(torch.isfinite(p.scales(start)[3]).all())
    assert not bool(torch.isfinite(p.derivatives(start)[2]).all())


def test_equivalent_state_preserves_the_noise_level_and_scaled_state():
    vp, lin = tr.VPPath(), tr.LinearPath()
    x = torch.randn(4, 2)
    y, s = tr.equivalent_state(x, 0.4, vp, lin)
    assert math.isclose(float(lin.sigma(s)), float(vp.sigma(0.4)), rel_tol=1e-12)
    torch.testing.assert_close(y / lin.signal(s), x / vp.signal(0.4))
    back, t = tr.equivalent_state(y, s, lin, vp)
    torch.testing.assert_close(back, x)
    assert math.isclose(float(t), 0.4, rel_tol=1e-10)


@pytest.mark.parametrize("bad,name", [
    (lambda: tr.LinearPath(sigma_min=1.0), "sigma_min"),
    (lambda: tr.VPPath("quadratic"), "schedule"),
    (lambda: tr.VPPath(beta_min=5.0, beta_max=1.0), "beta_max"),
    (lambda: tr.VEPath(sigma_min=2.0, sigma_max=1.0), "sigma_max"),
    (lambda: tr.EDMPath(rho=-1), "rho"),
    (lambda: tr.StochasticInterpolant(epsilon=-1.0), "epsilon"),
    (lambda: tr.StochasticInterpolant(gamma="brownian"), "gamma"),
    (lambda: tr.StochasticInterpolant(tr.StochasticInterpolant()), "base"),
])
def test_bad_path_arguments(bad, name):
    with pytest.raises((ValueError, TypeError), match=f"`{name}`"):
        bad()


def test_data_source_has_no_gaussian_view():
    p = tr.StochasticInterpolant(source="data")
    with pytest.raises(ValueError, match="non-Gaussian source"):
        p.scales(0.5)
    with pytest.raises(ValueError, match="non-Gaussian source"):
        p.prior((3, 2))


@pytest.mark.parametrize("path", [tr.VPPath(), tr.VPPath("cosine"), tr.TrigonometricPath()], ids=repr)
def test_float32_coefficients_are_accurate_at_both_ends(path):
    """No cancellation: the noise scale keeps its relative accuracy next to the data, and the
    ends are exact (the cosine schedule's angle rounds past pi/2 in float32)."""
    t = torch.tensor([0.0, 1e-7, 0.5, 1 - 1e-5, 1 - 1e-7, 1.0])
    for c32, c64 in zip(path.coefficients(t)[:2], path.coefficients(t.double())[:2]):
        assert bool(torch.isfinite(c32).all())
        rel = (c32.double() - c64).abs() / c64.abs().clamp(min=1e-300)
        assert float(rel[c64 != 0].max()) < 1e-5
        assert bool(((c32 == 0) == (c64 == 0)).all())
