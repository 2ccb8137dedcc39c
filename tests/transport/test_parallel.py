"""Parallel sampling: the chain as a fixed point equals sequential sampling, and differentiates."""

import pytest
import torch

import attractor
import attractor.transport as tr


@pytest.fixture(scope="module")
def field():
    return tr.MixtureField(tr.VPPath(), tr.GaussianMixture.random(4, 2, seed=3))


def _noise(n=32, seed=0):
    return torch.randn(n, 2, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


SAMPLERS = [
    lambda: tr.DDIM(60),
    lambda: tr.DDIM(40, eta=1.0),
    lambda: tr.DPMSolverPP(40, order=3),
    lambda: tr.SASolver(30, corrector_order=0, tau=0.7),
    lambda: tr.EDMHeun(15),
    lambda: tr.EDMHeun(15, churn=10),
]


@pytest.mark.parametrize("make", SAMPLERS, ids=["ddim", "ddpm", "dpm3m", "sa-pred", "edm", "edm-churn"])
@pytest.mark.parametrize("window,solver", [(None, "picard"), (7, "picard"), (None, "anderson")])
def test_parallel_equals_sequential(field, make, window, solver):
    x = _noise()
    seq = tr.sample(field, x, make(), generator=torch.Generator().manual_seed(5))
    par = tr.parallel_sample(field, x, make(), window=window, solver=solver, tol=1e-11,
                             generator=torch.Generator().manual_seed(5))
    torch.testing.assert_close(par.samples, seq.samples, rtol=0, atol=1e-7)
    assert par.status.eq(0).all()


def test_parallel_depth_is_small_for_long_chains(field):
    x = _noise()
    out = tr.parallel_sample(field, x, tr.DDIM(500), tol=1e-8)
    seq = tr.sample(field, x, tr.DDIM(500))
    torch.testing.assert_close(out.samples, seq.samples, rtol=0, atol=1e-6)
    assert seq.stats["calls"] == 500
    assert out.stats["calls"] < 40


def test_trajectory_matches(field):
    x = _noise(8)
    seq = tr.sample(field, x, tr.DPMSolverPP(20), trajectory=True)
    par = tr.parallel_sample(field, x, tr.DPMSolverPP(20), window=6, tol=1e-12, trajectory=True)
    torch.testing.assert_close(par.trajectory, seq.trajectory, rtol=0, atol=1e-8)


@pytest.mark.parametrize("backward", ["implicit", "unroll"])
def test_noise_gradient_equals_sequential_autograd(field, backward):
    x = _noise(4).requires_grad_()
    w = torch.randn(4, 2, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    seq = tr.sample(field, x, tr.DPMSolverPP(12))
    (g_seq,) = torch.autograd.grad((seq.samples * w).sum(), x)
    par = tr.parallel_sample(field, x, tr.DPMSolverPP(12), window=5, tol=1e-12, backward=backward)
    (g_par,) = torch.autograd.grad((par.samples * w).sum(), x)
    torch.testing.assert_close(g_par, g_seq, rtol=1e-6, atol=1e-8)


def test_gradcheck_implicit_noise_gradient(field):
    x = _noise(2).requires_grad_()

    def f(x):
        return tr.parallel_sample(field, x, tr.DDIM(8), window=3, tol=1e-13).samples
    assert torch.autograd.gradcheck(f, (x,), eps=1e-6, atol=1e-6)


def test_refusals(field):
    x = _noise(4)
    with pytest.raises(ValueError, match="corrector"):
        tr.parallel_sample(field, x, tr.UniPC(10))
    with pytest.raises(TypeError, match="supports"):
        tr.parallel_sample(field, x, tr.ProbabilityFlowODE())
    with pytest.raises(attractor.ConvergenceError, match="MAX_STEPS"):
        tr.parallel_sample(field, x, tr.DDIM(50), max_steps=2)
