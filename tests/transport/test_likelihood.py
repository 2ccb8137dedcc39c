"""Log-likelihoods by the instantaneous change of variables."""

import math

import pytest
import torch

import attractor.transport as tr


@pytest.mark.parametrize("path,t_end", [(tr.LinearPath(), 1.0), (tr.VPPath("cosine"), 0.99),
                                        (tr.StochasticInterpolant(epsilon=0.3), 0.98)], ids=repr)
def test_exact_field_gives_the_exact_log_density(path, t_end):
    target = tr.GaussianMixture.random(3, 3, seed=3)
    f = tr.MixtureField(path, target)
    x = f.sample_marginal(64, t_end, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        out = tr.log_likelihood(f, x, t_end=t_end, rtol=1e-9, atol=1e-9)
    torch.testing.assert_close(out.log_prob, f.log_prob(x, t_end), rtol=0, atol=1e-6)
    torch.testing.assert_close(out.bits_per_dim, -out.log_prob / (3 * math.log(2)))
    torch.testing.assert_close(out.z, f.exact_flow(x, t_end, 0.0), rtol=0, atol=1e-6)


def test_hutchinson_is_unbiased():
    target = tr.GaussianMixture.random(2, 4, seed=1)
    f = tr.MixtureField(tr.LinearPath(), target)
    x = target.sample(400, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        est = tr.log_likelihood(f, x, divergence="hutchinson", probes=4, rtol=1e-7, atol=1e-7,
                                generator=torch.Generator().manual_seed(1)).log_prob
    err = est - target.log_prob(x)
    assert abs(float(err.mean())) < 4 * float(err.std()) / math.sqrt(len(err))
    assert float(err.std()) > 1e-3  # it is an estimate, not the exact value


def test_gradient_of_a_linear_flow_matches_its_closed_form():
    """v = W x moves N(0, I) to N(0, e^W e^W^T): log p_1(x) = log N(e^{-W} x) - tr W."""
    W = torch.tensor([[0.3, -0.4], [0.2, -0.1]], requires_grad=True)
    x = torch.randn(5, 2, generator=torch.Generator().manual_seed(0))
    net = lambda y, t: y @ W.T
    out = tr.log_likelihood(net, x, path=tr.LinearPath(), rtol=1e-10, atol=1e-10)
    z = x @ torch.linalg.matrix_exp(-W).T
    exact = -0.5 * (z**2).sum(-1) - math.log(2 * math.pi) - torch.trace(W)
    torch.testing.assert_close(out.log_prob, exact, rtol=0, atol=1e-8)
    (g,) = torch.autograd.grad(out.log_prob.sum(), W)
    (g_exact,) = torch.autograd.grad(exact.sum(), W)
    torch.testing.assert_close(g, g_exact, rtol=1e-6, atol=1e-7)


def test_likelihood_refusals():
    f = tr.MixtureField(tr.VPPath(), tr.GaussianMixture.random(2, 2, seed=0))
    x = torch.randn(3, 2)
    with pytest.raises(ValueError, match="singular"):
        tr.log_likelihood(f, x)
    with pytest.raises(ValueError, match="probes"):
        tr.log_likelihood(f, x, t_end=0.9, probes=3)
    with pytest.raises(ValueError, match="divergence"):
        tr.log_likelihood(f, x, t_end=0.9, divergence="trace")
