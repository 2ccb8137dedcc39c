"""Agreement with the peers' implementations of the same formulas (skipped without them)."""

import math

import pytest
import torch

import attractor.transport as tr

TARGET = tr.GaussianMixture.random(3, 2, seed=5)
VP = tr.VPPath("cosine")  # variance preserving, and reaching every noise level the peers use


def _vp_grid(alpha_bars):
    """Our VP times at the peer's signal powers (a VP path's (b, s) depend on abar alone)."""
    vp = VP
    sig = torch.tensor([math.sqrt((1 - a) / a) if a < 1 else 0.0 for a in alpha_bars], dtype=torch.float64)
    t = vp.t_of_sigma(sig).tolist()
    if alpha_bars[-1] >= 1:
        t[-1] = 1.0
    return vp, t


def _run_scheduler(scheduler, x, sigma_of_step):
    """Drive a diffusers scheduler with the exact epsilon of the mixture at its own noise level."""
    f = tr.MixtureField(VP, TARGET)
    vp = f.path
    sample = x.clone()
    for i, t in enumerate(scheduler.timesteps):
        sigma = sigma_of_step(i, t)
        tt = float(vp.t_of_sigma(torch.tensor(sigma, dtype=torch.float64)))
        eps = f.noise(sample, tt)
        sample = scheduler.step(eps, t, sample).prev_sample
    return sample


def test_ddim_matches_diffusers():
    diffusers = pytest.importorskip("diffusers")
    s = diffusers.DDIMScheduler(clip_sample=False, set_alpha_to_one=True)  # "leading": prev = t - 83
    s.set_timesteps(12)
    abar = s.alphas_cumprod.double()
    steps = s.timesteps.tolist()
    x = torch.randn(64, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    theirs = _run_scheduler(s, x, lambda i, t: math.sqrt((1 - abar[t]) / abar[t]))
    path, grid = _vp_grid([float(abar[t]) for t in steps] + [1.0])
    ours = tr.sample(tr.MixtureField(path, TARGET), x, tr.DDIM(grid=grid), t_start=grid[0]).samples
    torch.testing.assert_close(ours, theirs, rtol=0, atol=2e-6)


@pytest.mark.parametrize("steps", [8, 20])
def test_dpm_solver_2m_matches_diffusers(steps):
    diffusers = pytest.importorskip("diffusers")
    s = diffusers.DPMSolverMultistepScheduler(solver_order=2, algorithm_type="dpmsolver++")
    s.set_timesteps(steps)
    sig = s.sigmas.double().tolist()  # the noise levels it steps on, ending at 0
    x = torch.randn(64, 2, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    theirs = _run_scheduler(s, x, lambda i, t: sig[i])
    path, grid = _vp_grid([1.0 / (1.0 + v * v) for v in sig])
    ours = tr.sample(tr.MixtureField(path, TARGET), x, tr.DPMSolverPP(grid=grid, order=2),
                     t_start=grid[0]).samples
    torch.testing.assert_close(ours, theirs, rtol=0, atol=1e-5)  # its schedule is float32


def test_unipc_matches_diffusers():
    diffusers = pytest.importorskip("diffusers")
    s = diffusers.UniPCMultistepScheduler(solver_order=2, solver_type="bh2")
    s.set_timesteps(20)  # from 15 steps on both lower only the final step's order (to the data)
    sig = s.sigmas.double().tolist()
    torch.set_default_dtype(torch.float32)  # its small solves mix the default dtype with float32
    x = torch.randn(64, 2, generator=torch.Generator().manual_seed(2))
    theirs = _run_scheduler(s, x, lambda i, t: sig[i])
    path, grid = _vp_grid([1.0 / (1.0 + v * v) for v in sig])
    ours = tr.sample(tr.MixtureField(path, TARGET), x.double(), tr.UniPC(grid=grid, order=2),
                     t_start=grid[0]).samples
    torch.testing.assert_close(ours, theirs.double(), rtol=0, atol=1e-4)


def test_heun_matches_diffusers():
    diffusers = pytest.importorskip("diffusers")
    s = diffusers.HeunDiscreteScheduler(beta_start=1e-4, beta_end=0.02)
    s.set_timesteps(10)
    sig = s.sigmas.double().tolist()
    levels = sig[::2] + [sig[-1]]  # each level is stored twice (one per Heun stage), then 0
    x = torch.randn(64, 2, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    f = tr.MixtureField(VP, TARGET)
    sample = x * s.init_noise_sigma
    for t in s.timesteps:
        sigma = float(s.sigmas[s.step_index if s.step_index is not None else 0])
        scaled = s.scale_model_input(sample, t)
        tt = float(f.path.t_of_sigma(torch.tensor(sigma, dtype=torch.float64)))
        sample = s.step(f.noise(scaled, tt), t, sample).prev_sample
    path, grid = _vp_grid([1.0 / (1.0 + v * v) for v in levels])
    ours = tr.sample(tr.MixtureField(path, TARGET), x * float(path.signal(grid[0])) * s.init_noise_sigma,
                     tr.EDMHeun(grid=grid), t_start=grid[0]).samples
    torch.testing.assert_close(ours, sample, rtol=0, atol=2e-5)


def test_ot_cfm_targets_match_torchcfm():
    torchcfm = pytest.importorskip("torchcfm")
    g = torch.Generator().manual_seed(4)
    x0, x1, eps = (torch.randn(16, 2, generator=g) for _ in range(3))
    t = torch.rand(16, generator=g)
    sigma = 0.1
    fm = torchcfm.ConditionalFlowMatcher(sigma=sigma)
    path = tr.StochasticInterpolant(epsilon=sigma**2, gamma="constant", source="data")
    torch.testing.assert_close(path.interpolate(x0, x1, t, eps), fm.sample_xt(x0, x1, t, eps))
    xt = fm.sample_xt(x0, x1, t, eps)
    torch.testing.assert_close(path.velocity_target(x0, x1, t, eps), fm.compute_conditional_flow(x0, x1, t, xt))
    sb = torchcfm.SchrodingerBridgeConditionalFlowMatcher(sigma=sigma)
    bridge = tr.StochasticInterpolant(epsilon=sigma**2, source="data")
    xt = sb.sample_xt(x0, x1, t, eps)
    torch.testing.assert_close(bridge.interpolate(x0, x1, t, eps), xt)
    torch.testing.assert_close(bridge.velocity_target(x0, x1, t, eps), sb.compute_conditional_flow(x0, x1, t, xt),
                               rtol=1e-5, atol=1e-5)
