"""The exact Gaussian-mixture field: every prediction against an independent derivation."""

import math

import pytest
import torch

import attractor.transport as tr

from .problems import ALL_PATHS

KINDS = ("velocity", "score", "noise", "data")


def _field(path, mixture):
    if path.gaussian_source:
        return tr.MixtureField(path, mixture)
    return tr.MixtureField(path, mixture, source=tr.GaussianMixture.ring(4, 2.0, 0.6))


SOURCE_PATHS = [*ALL_PATHS, tr.StochasticInterpolant(epsilon=0.4, source="data")]


@pytest.mark.parametrize("path", SOURCE_PATHS, ids=repr)
def test_score_is_the_gradient_of_the_log_density(path, mixture2d):
    f = _field(path, mixture2d)
    x = torch.randn(7, 2, generator=torch.Generator().manual_seed(1))
    t = torch.linspace(0.05, 0.95, 7)
    xx = x.clone().requires_grad_()
    (g,) = torch.autograd.grad(f.log_prob(xx, t).sum(), xx)
    torch.testing.assert_close(f.score(x, t), g, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("path", SOURCE_PATHS, ids=repr)
def test_velocity_solves_the_continuity_equation(path, mixture2d):
    """d/dt log p + v . grad log p + div v = 0: the velocity transports the exact marginals."""
    f = _field(path, mixture2d)
    x = torch.randn(7, 2, generator=torch.Generator().manual_seed(2))
    t = torch.linspace(0.05, 0.95, 7)
    tt, xx = t.clone().requires_grad_(), x.clone().requires_grad_()
    (dt,) = torch.autograd.grad(f.log_prob(x, tt).sum(), tt)
    v = f.velocity(xx, t)
    div = sum(torch.autograd.grad(v[:, i].sum(), xx, retain_graph=True)[0][:, i] for i in range(2))
    residual = dt + (v.detach() * f.score(x, t)).sum(-1) + div
    assert float(residual.abs().max()) < 1e-10


@pytest.mark.parametrize("path", [p for p in ALL_PATHS if p.gaussian_source], ids=repr)
def test_tweedie_identity_and_conversions(path, mixture2d):
    """x = s eps_hat + b x_hat, and each exact prediction converts into every other one."""
    f = tr.MixtureField(path, mixture2d)
    x = torch.randn(5, 2, generator=torch.Generator().manual_seed(3))
    t = 0.4
    b, s = path.scales(t)[:2]
    torch.testing.assert_close(s * f.noise(x, t) + b * f.data(x, t), x, rtol=1e-12, atol=1e-12)
    exact = {k: f.predict(k, x, t) for k in KINDS}
    for src in KINDS:
        for dst in KINDS:
            torch.testing.assert_close(tr.convert(path, exact[src], x, t, src, dst), exact[dst],
                                       rtol=1e-9, atol=1e-10)


def test_marginal_samples_follow_the_marginal_density(mixture2d):
    path = tr.StochasticInterpolant(epsilon=0.5)
    f = tr.MixtureField(path, mixture2d)
    g = torch.Generator().manual_seed(4)
    x = f.sample_marginal(200_000, 0.6, generator=g)
    # the mean and covariance of the mixture over pairs
    a, b, c = (float(v) for v in path.coefficients(0.6))
    mean = b * mixture2d.mean()
    cov = b * b * mixture2d.covariance() + (a * a + c * c) * torch.eye(2)
    torch.testing.assert_close(x.mean(0), mean, atol=0.02, rtol=0)
    torch.testing.assert_close(torch.cov(x.T), cov, atol=0.04, rtol=0)


def test_marginal_density_integrates_to_the_sample_frequencies():
    """In 1-D: the distribution function from the closed-form density (trapezoid on a fine
    grid) matches the empirical one of independent draws (Kolmogorov-Smirnov, 1 % level)."""
    target = tr.GaussianMixture(torch.tensor([0.4, 0.6]), torch.tensor([[-1.5], [2.0]]), torch.tensor([0.2, 0.6]))
    source = tr.GaussianMixture.ring(2, 1.0, 0.5, dim=2)
    source = tr.GaussianMixture(source.weights, source.means[:, :1], source.variances[:, :1])
    f = tr.MixtureField(tr.StochasticInterpolant(epsilon=0.3, source="data"), target, source=source)
    grid = torch.linspace(-8, 8, 20001)[:, None]
    density = f.log_prob(grid, 0.4).exp()
    cdf = torch.cat([torch.zeros(1), torch.cumulative_trapezoid(density, grid[:, 0])])
    assert abs(float(cdf[-1]) - 1.0) < 1e-6  # the density is normalized
    n = 20_000
    xs, _ = torch.sort(f.sample_marginal(n, 0.4, generator=torch.Generator().manual_seed(5))[:, 0])
    model_cdf = torch.from_numpy(__import__("numpy").interp(xs.numpy(), grid[:, 0].numpy(), cdf.numpy()))
    ecdf = torch.arange(1, n + 1, dtype=xs.dtype) / n
    assert float((ecdf - model_cdf).abs().max()) < 1.63 / math.sqrt(n)


def test_log_prob_at_the_data_is_the_target(mixture2d):
    f = tr.MixtureField(tr.LinearPath(), mixture2d)
    x = mixture2d.sample(50, generator=torch.Generator().manual_seed(5))
    torch.testing.assert_close(f.log_prob(x, 1.0), mixture2d.log_prob(x))
    torch.testing.assert_close(f.log_prob(x, 0.0), -0.5 * (x**2).sum(-1) - math.log(2 * math.pi))


def test_exact_flow_transports_noise_to_the_target():
    """In 1-D the flow map is monotone: it sends the noise quantiles to the target quantiles."""
    target = tr.GaussianMixture(torch.tensor([0.3, 0.7]), torch.tensor([[-2.0], [1.5]]), torch.tensor([0.3, 0.5]))
    f = tr.MixtureField(tr.LinearPath(), target)
    z = torch.linspace(-2.5, 2.5, 21)[:, None]
    x1 = f.exact_flow(z, 0.0, 1.0)
    u = 0.5 * torch.erfc(-z[:, 0] / math.sqrt(2))
    torch.testing.assert_close(target.cdf_1d(x1[:, 0]), u, rtol=0, atol=1e-8)


def test_exact_flow_is_the_same_on_equivalent_paths(mixture2d):
    """The VP flow computed directly on the VP path (to t < 1) equals the linear-path route."""
    vp = tr.VPPath("cosine")
    f = tr.MixtureField(vp, mixture2d)
    x = f.sample_marginal(20, 0.2, generator=torch.Generator().manual_seed(6))
    routed = f.exact_flow(x, 0.2, 0.9)
    direct = attractor_odeint(f, x, 0.2, 0.9)
    torch.testing.assert_close(routed, direct, rtol=0, atol=1e-7)


def attractor_odeint(f, x, t0, t1):
    from attractor.ode import odeint

    ts = torch.tensor([t0, t1])
    return odeint(lambda t, y: f.velocity(y, t), x, ts, solver="dopri8", rtol=1e-11, atol=1e-12).ys[-1]


def test_mixture_validation(mixture2d):
    with pytest.raises(ValueError, match="standard normal source"):
        tr.MixtureField(tr.LinearPath(), mixture2d, source=tr.GaussianMixture.ring(4, 2.0, 0.5))
    with pytest.raises(ValueError, match="variances"):
        tr.GaussianMixture(torch.ones(2), torch.zeros(2, 3), torch.tensor([1.0, -1.0]))
    with pytest.raises(ValueError, match="weights"):
        tr.GaussianMixture(torch.ones(3), torch.zeros(2, 3))
    f = tr.MixtureField(tr.LinearPath(), mixture2d)
    with pytest.raises(ValueError, match="last dimension 2"):
        f.velocity(torch.zeros(4, 3), 0.5)
    with pytest.raises(ValueError, match="unconditional"):
        f.predict("velocity", torch.zeros(4, 2), 0.5, cond=torch.zeros(4))
