"""Samplers on exact Gaussian-mixture fields: convergence orders, exact marginals, bookkeeping."""

import itertools
import math

import pytest
import torch

import attractor
import attractor.transport as tr

T0, T1 = 0.3, 0.9  # a span that ends short of the data, so every step runs at full order


@pytest.fixture(scope="module")
def problem():
    torch.set_default_dtype(torch.float64)
    target = tr.GaussianMixture.random(3, 2, seed=3, std=(0.5, 1.0))
    f = tr.MixtureField(tr.VPPath(), target)
    x = f.sample_marginal(300, T0, generator=torch.Generator().manual_seed(0))
    ref = f.exact_flow(x, T0, T1)
    torch.set_default_dtype(torch.float32)
    return f, x, ref


def _error(problem, sampler):
    f, x, ref = problem
    out = tr.sample(f, x, sampler, t_start=T0, t_end=T1)
    return float((out.samples - ref).norm(dim=-1).max())


def _order(problem, make, ns=(16, 32, 64)):
    errs = [_error(problem, make(n)) for n in ns]
    return [math.log2(a / b) for a, b in itertools.pairwise(errs)]


def _clean_start_grid(path, n):
    """logSNR-uniform steps with two tiny start-up steps, so that the low-order start of a
    multistep method does not bound the measured order."""
    l0, l1 = float(path.log_snr(T0)), float(path.log_snr(T1))
    h = (l1 - l0) / n
    lam = torch.tensor([l0, l0 + 1e-3 * h, l0 + 2e-3 * h] + [l0 + h * k for k in range(1, n + 1)])
    times = path.t_of_sigma(torch.exp(-lam)).tolist()
    times[0], times[-1] = T0, T1
    return times


@pytest.mark.parametrize("make,order", [
    (lambda n: tr.DDIM(n, "logsnr"), 1),
    (lambda n: tr.DPMSolverPP(n, order=1), 1),
    (lambda n: tr.DPMSolverPP(n, order=2), 2),
    (lambda n: tr.UniPC(n, order=1, lower_order_final=False), 2),
    (lambda n: tr.UniPC(n, order=2, lower_order_final=False), 3),
    (lambda n: tr.UniPC(n, order=2, variant="bh1", lower_order_final=False), 3),
    (lambda n: tr.UniPC(n, order=3, lower_order_final=False), 4),
    (lambda n: tr.SASolver(n, tau=0.0), 4),
    (lambda n: tr.SASolver(n, tau=0.0, predictor_order=1, corrector_order=0), 1),
    (lambda n: tr.EDMHeun(n, "logsnr"), 2),
    (lambda n: tr.ProbabilityFlowODE("euler", steps=n), 1),
    (lambda n: tr.ProbabilityFlowODE("heun", steps=n), 2),
], ids=["ddim", "dpm1", "dpm2", "unipc1", "unipc2", "unipc2-bh1", "unipc3", "sa3-4", "sa1-0", "edm",
        "euler", "heun"])
def test_convergence_order(problem, make, order):
    slopes = _order(problem, make)
    assert slopes[-1] > order - 0.25, slopes


def test_dpm_solver_3m_is_third_order(problem):
    path = problem[0].path
    slopes = _order(problem, lambda n: tr.DPMSolverPP(grid=_clean_start_grid(path, n), order=3))
    assert slopes[-1] > 2.8, slopes


def test_equivalent_first_order_samplers(problem):
    f, x, _ = problem
    run = lambda s: tr.sample(f, x, s, t_start=T0, t_end=T1).samples
    ddim = run(tr.DDIM(12, "logsnr"))
    torch.testing.assert_close(run(tr.DPMSolverPP(12, order=1)), ddim)
    torch.testing.assert_close(run(tr.SASolver(12, tau=0.0, predictor_order=1, corrector_order=0)), ddim)
    # stochastic: SA-Solver of order 1 with tau = 1 is DDPM's ancestral step (DDIM, eta = 1)
    g1, g2 = torch.Generator().manual_seed(9), torch.Generator().manual_seed(9)
    sa = tr.sample(f, x, tr.SASolver(12, tau=1.0, predictor_order=1, corrector_order=0), t_start=T0, t_end=T1, generator=g1)
    dd = tr.sample(f, x, tr.DDIM(12, "logsnr", eta=1.0), t_start=T0, t_end=T1, generator=g2)
    torch.testing.assert_close(sa.samples, dd.samples)


def test_ddim_on_the_linear_path_is_euler_in_time():
    target = tr.GaussianMixture.random(2, 2, seed=1)
    f = tr.MixtureField(tr.LinearPath(), target)
    x = torch.randn(50, 2, dtype=torch.float64)
    a = tr.sample(f, x, tr.DDIM(10)).samples
    b = tr.sample(f, x, tr.ProbabilityFlowODE("euler", steps=10)).samples
    torch.testing.assert_close(a, b)


def _ks(samples, target):
    xs, _ = torch.sort(samples[:, 0])
    F = target.cdf_1d(xs)
    n = len(xs)
    i = torch.arange(1, n + 1, dtype=xs.dtype) / n
    return float(torch.maximum((i - F).abs(), (F - i + 1 / n).abs()).max())


STOCHASTIC = [
    (tr.VPPath(), 0.0, lambda: tr.DDIM(200, eta=1.0)),
    (tr.VPPath(), 0.0, lambda: tr.SASolver(50, tau=1.0)),
    (tr.VPPath(), 0.0, lambda: tr.SDESampler(300)),
    (tr.LinearPath(), 1e-3, lambda: tr.SDESampler(300, epsilon=0.5)),
    (tr.LinearPath(), 1e-3, lambda: tr.SDESampler(300, epsilon=lambda t: 0.5 * (1 - t))),
    (tr.VPPath(), 0.0, lambda: tr.EDMHeun(40, churn=30)),
]


@pytest.mark.parametrize("path,t0,make", STOCHASTIC, ids=["ddpm", "sa-solver", "sde-natural", "sde-const",
                                                          "sde-callable", "edm-churn"])
def test_stochastic_samplers_reproduce_the_target(path, t0, make):
    """Kolmogorov-Smirnov distance to the exact 1-D target below its 1 % critical value plus a
    small allowance for the discretization."""
    target = tr.GaussianMixture(torch.tensor([0.3, 0.7]), torch.tensor([[-2.0], [1.5]]), torch.tensor([0.3, 0.5]))
    f = tr.MixtureField(path, target)
    g = torch.Generator().manual_seed(1)
    n = 20_000
    x = path.prior((n, 1), t0, generator=g, dtype=torch.float64)
    out = tr.sample(f, x, make(), t_start=t0, generator=g)
    assert _ks(out.samples, target) < 1.63 / math.sqrt(n) + 0.004


def test_batch_equals_samples_alone(problem):
    f, x, _ = problem
    for s in (tr.UniPC(8, order=3), tr.EDMHeun(5, "logsnr"), tr.ProbabilityFlowODE(rtol=1e-8, atol=1e-8)):
        whole = tr.sample(f, x[:4], s, t_start=T0, t_end=T1).samples
        alone = torch.cat([tr.sample(f, x[i:i + 1], s, t_start=T0, t_end=T1).samples for i in range(4)])
        tol = 1e-6 if isinstance(s, tr.ProbabilityFlowODE) else 1e-12  # adaptive steps differ per batch
        torch.testing.assert_close(whole, alone, rtol=0, atol=tol)


def test_nfe_and_trajectory(problem):
    f, x, _ = problem
    out = tr.sample(f, x, tr.DPMSolverPP(7), t_start=T0, t_end=T1, trajectory=True)
    assert out.nfe == 7 and out.stats["calls"] == 7 and len(out.ts) == 8
    assert out.trajectory.shape == (8, *x.shape)
    torch.testing.assert_close(out.trajectory[-1], out.samples)
    torch.testing.assert_close(out.trajectory[0], x)
    edm = tr.sample(f, x, tr.EDMHeun(6), t_start=T0)  # ends at the data: the last step is Euler
    assert edm.nfe == 11 == tr.EDMHeun(6).nfe
    assert tr.sample(f, x, tr.EDMHeun(6), t_start=T0, t_end=T1).nfe == 12  # ends at sigma > 0
    ode = tr.sample(f, x, tr.ProbabilityFlowODE("rk4", steps=5), t_start=T0, t_end=T1)
    assert ode.nfe == 20 == tr.ProbabilityFlowODE("rk4", steps=5).nfe


def test_explicit_grid(problem):
    f, x, _ = problem
    grid = [T0, 0.5, 0.7, 0.8, T1]
    out = tr.sample(f, x, tr.UniPC(grid=grid), t_start=T0, t_end=T1)
    assert out.ts == grid and out.nfe == 4
    with pytest.raises(ValueError, match="explicit grid spans"):
        tr.sample(f, x, tr.UniPC(grid=grid))
    with pytest.raises(ValueError, match="strictly increasing"):
        tr.DDIM(grid=[0.1, 0.1, 0.5])


def test_grids():
    path = tr.VPPath()
    for grid in (tr.UniformGrid(), tr.QuadraticGrid(), tr.KarrasGrid(), tr.LogSNRGrid()):
        t = grid.times(path, 10, 0.0, 1.0)
        assert len(t) == 11 and t[0] == 0.0 and t[-1] == 1.0 and all(b > a for a, b in itertools.pairwise(t))
    sig = path.sigma(torch.tensor(tr.KarrasGrid(rho=7).times(path, 10, 0.0, 1.0)))
    hi, lo = float(sig[0]) ** (1 / 7), 0.002 ** (1 / 7)
    expected = [(hi + (lo - hi) * k / 9) ** 7 for k in range(10)]
    torch.testing.assert_close(sig[:-1], torch.tensor(expected), rtol=1e-9, atol=0)
    lam = path.log_snr(torch.tensor(tr.LogSNRGrid().times(path, 5, 0.2, 0.8)))
    torch.testing.assert_close(lam.diff(), torch.full((5,), float(lam[1] - lam[0])), rtol=1e-9, atol=0)
    with pytest.raises(ValueError, match="sigma_min"):
        tr.KarrasGrid(sigma_min=0.01).times(path, 5, 0.2, 0.8)
    with pytest.raises(ValueError, match="finite noise level"):
        tr.LogSNRGrid().times(tr.LinearPath(), 5, 0.0, 1.0)


@pytest.mark.parametrize("call,match", [
    (lambda f, x: tr.sample(f, x, tr.DPMSolverPP(2, order=3)), "at least 3 steps"),
    (lambda f, x: tr.sample(f, x, tr.UniPC(2, order=3)), "at least 3 steps"),
    (lambda f, x: tr.sample(f, x, tr.DDIM(5), t_start=-0.1), "t_start"),
    (lambda f, x: tr.sample(f, x, tr.DDIM(5), t_end=1.5), "t_end"),
    (lambda f, x: tr.sample(f, x, tr.DDIM(5), t_start=0.6, t_end=0.5), "below `t_end`"),
    (lambda f, x: tr.sample(f, x, tr.ProbabilityFlowODE()), "singular"),
    (lambda f, x: tr.sample(f, x, "ddim"), "Sampler"),
    (lambda f, x: tr.sample(f, x, tr.DDIM(5), t_start=1.0, t_end=1.0), "below"),
])
def test_bad_input(problem, call, match):
    f, x, _ = problem
    with pytest.raises((ValueError, TypeError), match=match):
        call(f, x)


def test_wrong_model_output_is_named():
    net = lambda x, t: x.sum(-1)
    with pytest.raises(ValueError, match="shaped like `x`"):
        tr.sample(net, torch.randn(4, 2), tr.DDIM(3), path=tr.VPPath(), prediction="noise")
    with pytest.raises(TypeError, match="path="):
        tr.sample(net, torch.randn(4, 2), tr.DDIM(3))


def test_natural_sde_refuses_pure_noise_start():
    f = tr.MixtureField(tr.LinearPath(), tr.GaussianMixture.random(2, 2, seed=0))
    with pytest.raises(ValueError, match="diffusion epsilon"):
        tr.sample(f, torch.randn(4, 2, dtype=torch.float64), tr.SDESampler(10))


def test_nonfinite_samples_are_reported():
    path = tr.VPPath()
    net = lambda x, t: x * float("inf")
    with pytest.raises(attractor.ConvergenceError, match="NONFINITE"):
        tr.sample(net, torch.randn(3, 2), tr.DDIM(3), path=path, prediction="noise")
    out = tr.sample(net, torch.randn(3, 2), tr.DDIM(3), path=path, prediction="noise", on_failure="status")
    assert out.status.tolist() == [int(attractor.Status.NONFINITE)] * 3 and not bool(out.ok.any())


def test_conditioning_reaches_the_network():
    seen = []

    def net(x, t, cond):
        seen.append(cond)
        return x * 0 + cond[:, None]
    out = tr.sample(net, torch.zeros(3, 2), tr.DDIM(4), path=tr.LinearPath(), prediction="data",
                    cond=torch.tensor([1.0, 2.0, 3.0]))
    assert len(seen) == 4
    torch.testing.assert_close(out.samples[:, 0], torch.tensor([1.0, 2.0, 3.0]))


def test_data_source_flow_with_velocity_model():
    """A non-Gaussian source: the probability flow needs only the velocity."""
    source = tr.GaussianMixture.ring(4, 2.0, 0.5)
    target = tr.GaussianMixture.random(2, 2, seed=2)
    path = tr.StochasticInterpolant(epsilon=0.3, source="data")
    f = tr.MixtureField(path, target, source=source)
    x = source.sample(4000, generator=torch.Generator().manual_seed(0))
    out = tr.sample(f, x, tr.ProbabilityFlowODE(rtol=1e-7, atol=1e-7))
    torch.testing.assert_close(out.samples.mean(0), target.mean(), atol=0.08, rtol=0)
    with pytest.raises(ValueError, match="non-Gaussian source"):
        tr.sample(f, x, tr.DDIM(5))


def test_empty_batch():
    f = tr.MixtureField(tr.VPPath(), tr.GaussianMixture.random(2, 2, seed=0))
    for run in (tr.sample, tr.parallel_sample):
        out = run(f, torch.zeros(0, 2, dtype=torch.float64), tr.DDIM(5))
        assert out.samples.shape == (0, 2) and out.nfe == 0 and out.status.shape == (0,)


@pytest.mark.parametrize("make", [
    lambda: tr.ProbabilityFlowODE("euler", steps=5, rtol=1e-3),
    lambda: tr.SDESampler(5, epsilon=0.5, eta=2.0),
    lambda: tr.EDMHeun(5, noise_scale=1.01),
    lambda: tr.SASolver(5, tau=0.0, tau_interval=(0.1, 1.0)),
])
def test_options_that_do_not_apply_are_refused(make):
    with pytest.raises(ValueError, match="does not apply|do not apply"):
        make()


@pytest.mark.parametrize("solver", ["euler", "milstein", "euler_heun", "heun", "midpoint", "srk", "rk4", "platen"])
def test_sde_sampler_solvers(solver):
    """Every accepted sdeint solver samples the target's mean and variance (to its Monte Carlo
    error plus discretization), counting each drift evaluation."""
    target = tr.GaussianMixture(torch.tensor([0.3, 0.7]), torch.tensor([[-2.0], [1.5]]), torch.tensor([0.3, 0.5]))
    f = tr.MixtureField(tr.VPPath(), target)
    x = torch.randn(8000, 1, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    out = tr.sample(f, x, tr.SDESampler(60, solver=solver), t_end=0.999, generator=torch.Generator().manual_seed(1))
    assert abs(float(out.samples.mean()) - float(target.mean())) < 0.06
    assert abs(float(out.samples.std()) - float(target.covariance().sqrt())) < 0.04
    assert out.nfe >= 60


def test_sde_sampler_refusals():
    f = tr.MixtureField(tr.VPPath(), tr.GaussianMixture.random(2, 1, seed=0))
    x = torch.randn(10, 1, dtype=torch.float64)
    with pytest.raises(ValueError, match="not stable"):
        tr.sample(f, x, tr.SDESampler(10, solver="reversible_heun"), t_end=0.99)
    with pytest.raises(ValueError, match="t_end < 1"):
        tr.sample(f, x, tr.SDESampler(10, solver="platen"))  # evaluates the drift at the data
