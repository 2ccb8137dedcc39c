"""Batch semantics: per-sample stepping equals solving each sample alone; per-sample times."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import attractor

from .problems import limit_cycle


def _stiffish(t, y):
    # samples with very different time scales, so their step sizes differ a lot
    rate = torch.arange(1, y.shape[0] + 1, dtype=y.dtype).unsqueeze(1) ** 2 if y.dim() == 2 else 1.0
    return -rate * y + torch.sin(t)


@settings(max_examples=5, deadline=None)
@given(
    batch=st.integers(1, 4),
    solver=st.sampled_from(["bosh3", "dopri5", "tsit5", "dopri8"]),
    rtol=st.sampled_from([1e-4, 1e-6]),
    seed=st.integers(0, 1000),
)
def test_per_sample_equals_individual_solves(batch, solver, rtol, seed):
    gen = torch.Generator().manual_seed(seed)
    y0 = torch.rand(batch, 2, generator=gen, dtype=torch.float64) * 0.8 + 0.1
    scale = torch.rand(batch, 1, generator=gen, dtype=torch.float64) * 3 + 0.5

    def f(t, y):
        return scale[: y.shape[0]] * limit_cycle(t, y) if y.dim() == 2 else limit_cycle(t, y)

    t = torch.linspace(0, 2, 6, dtype=torch.float64)
    sol = attractor.odeint(f, y0, t, solver=solver, rtol=rtol, atol=rtol * 1e-2, per_sample=True)
    for b in range(batch):
        sb = scale[b]
        alone = attractor.odeint(lambda t, y, sb=sb: sb * limit_cycle(t, y), y0[b], t, solver=solver,
                                 rtol=rtol, atol=rtol * 1e-2)
        assert torch.allclose(sol.ys[:, b], alone.ys, rtol=1e-10, atol=1e-12)
        assert int(sol.stats["accepted"][b]) == alone.stats["accepted"]
        assert int(sol.stats["rejected"][b]) == alone.stats["rejected"]


def test_shared_step_meets_tolerance_for_every_sample():
    y0 = torch.tensor([[0.5, 0.0], [0.9, 0.1], [0.2, 0.3]], dtype=torch.float64)
    t = torch.linspace(0, 2, 5, dtype=torch.float64)
    shared = attractor.odeint(limit_cycle, y0, t, rtol=1e-8, atol=1e-10)
    alone = attractor.odeint(limit_cycle, y0, t, rtol=1e-8, atol=1e-10, per_sample=True)
    assert torch.allclose(shared.ys, alone.ys, atol=1e-6)
    assert isinstance(shared.stats["accepted"], int)
    assert alone.stats["accepted"].shape == (3,)


def test_per_sample_output_times():
    y0 = torch.tensor([[0.5, 0.0], [0.9, 0.1], [0.2, 0.3]], dtype=torch.float64)
    t = torch.stack([
        torch.linspace(0.0, 1.0, 4, dtype=torch.float64),
        torch.linspace(0.5, 3.0, 4, dtype=torch.float64),
        torch.linspace(2.0, -1.0, 4, dtype=torch.float64),  # backwards in time
    ])
    sol = attractor.odeint(limit_cycle, y0, t, rtol=1e-9, atol=1e-11)
    assert sol.ys.shape == (4, 3, 2)
    for b in range(3):
        alone = attractor.odeint(limit_cycle, y0[b], t[b], rtol=1e-9, atol=1e-11)
        assert torch.allclose(sol.ys[:, b], alone.ys, rtol=1e-10, atol=1e-12)
        assert torch.equal(sol.ys[0, b], y0[b])


def test_per_sample_times_with_shared_ends_use_shared_steps():
    y0 = torch.tensor([[0.5, 0.0], [0.9, 0.1]], dtype=torch.float64)
    t = torch.tensor([[0.0, 0.3, 0.9, 2.0], [0.0, 1.1, 1.5, 2.0]], dtype=torch.float64)
    sol = attractor.odeint(limit_cycle, y0, t, rtol=1e-9, atol=1e-11)
    assert isinstance(sol.stats["accepted"], int)  # shared steps
    for b in range(2):
        alone = attractor.odeint(limit_cycle, y0[b], t[b], rtol=1e-9, atol=1e-11)
        assert torch.allclose(sol.ys[:, b], alone.ys, atol=1e-8)


def test_multiple_batch_dims_and_unbatched():
    y0 = torch.rand(2, 3, 2, dtype=torch.float64)
    t = torch.linspace(0, 1, 3, dtype=torch.float64)
    sol = attractor.odeint(limit_cycle, y0, t, batch_ndim=2, per_sample=True, rtol=1e-9, atol=1e-11)
    assert sol.ys.shape == (3, 2, 3, 2) and sol.status.shape == (2, 3)
    single = attractor.odeint(limit_cycle, y0[1, 2], t, rtol=1e-9, atol=1e-11)
    assert sol.status[1, 2] == 0 and single.status.shape == ()
    assert torch.allclose(sol.ys[:, 1, 2], single.ys, atol=1e-12)


def test_finished_samples_stop_changing():
    """With per-sample end times, a finished sample's state stays put while others run."""
    y0 = torch.tensor([[1.0], [1.0]], dtype=torch.float64)
    t = torch.tensor([[0.0, 0.5], [0.0, 5.0]], dtype=torch.float64)
    sol = attractor.odeint(lambda t, y: -y, y0, t, rtol=1e-10, atol=1e-12, dense=True)
    late = sol.evaluate(torch.tensor([[0.5], [4.0]], dtype=torch.float64))
    assert torch.allclose(late[0, 0], torch.exp(torch.tensor(-0.5, dtype=torch.float64)), atol=1e-9)
    assert torch.allclose(sol.ys[-1, 1], torch.exp(torch.tensor(-5.0, dtype=torch.float64)), atol=1e-9)


@pytest.mark.parametrize("solver", ["euler", "rk4", "dopri5"])
def test_fixed_steps_per_sample_match_shared(solver):
    y0 = torch.rand(3, 2, dtype=torch.float64)
    t = torch.linspace(0, 1, 5, dtype=torch.float64)
    a = attractor.odeint(_stiffish, y0, t, solver=solver, dt=0.05)
    b = attractor.odeint(_stiffish, y0, t, solver=solver, dt=0.05, per_sample=True)
    assert torch.allclose(a.ys, b.ys, atol=1e-12)
    assert a.stats["accepted"] == 20 and (b.stats["accepted"] == 20).all()
