"""Batch == per-sample on a fixed path, and clear errors for bad input."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import attractor
from attractor.sde import BrownianPath, BrownianTree

F64 = torch.float64
T = torch.tensor([0.0, 0.5, 1.0], dtype=F64)


def drift(t, y):
    return -y + torch.sin(t) * y.flip(-1)


def diagonal(t, y):
    return 0.5 * torch.cos(y)


def general(t, y):
    return 0.3 * torch.stack([torch.sin(y), torch.cos(y), y * 0 + 1.0], dim=-1)


@settings(max_examples=12, deadline=None)
@given(
    solver=st.sampled_from(["euler", "milstein", "platen", "heun", "reversible_heun", "rk4"]),
    batch=st.integers(1, 4),
    seed=st.integers(0, 2**16),
)
def test_batch_equals_per_sample(solver, batch, seed):
    sde_type = "ito" if solver in ("euler", "milstein", "platen") else "stratonovich"
    y0 = torch.randn(batch, 2, dtype=F64, generator=torch.Generator().manual_seed(seed))
    grid = torch.linspace(0, 1, 21, dtype=F64)
    bm = BrownianPath(0.0, (batch, 2), seed=seed, dtype=F64)
    dW = bm.increments(grid).dW
    whole = attractor.sdeint(drift, diagonal, y0, T, dt=0.05, solver=solver, sde_type=sde_type,
                             bm=bm).ys
    for i in range(batch):
        single = BrownianPath.from_increments(grid, dW[:, i:i + 1])
        alone = attractor.sdeint(drift, diagonal, y0[i:i + 1], T, dt=0.05, solver=solver,
                                 sde_type=sde_type, bm=single).ys
        assert torch.allclose(alone[:, 0], whole[:, i], rtol=1e-12, atol=1e-12)


def test_general_noise_batch_equals_per_sample():
    y0 = torch.randn(3, 2, dtype=F64)
    grid = torch.linspace(0, 1, 11, dtype=F64)
    dW = torch.randn(10, 3, 3, dtype=F64) * 0.3
    bm = BrownianPath.from_increments(grid, dW)
    whole = attractor.sdeint(drift, general, y0, T, dt=0.1, noise="general", bm=bm).ys
    for i in range(3):
        alone = attractor.sdeint(drift, general, y0[i:i + 1], T, dt=0.1, noise="general",
                                 bm=BrownianPath.from_increments(grid, dW[:, i:i + 1])).ys
        assert torch.allclose(alone[:, 0], whole[:, i], atol=1e-13)


@pytest.mark.parametrize(
    ("noise", "diffusion", "match"),
    [
        ("diagonal", general, r"shape \(4, 2, 3\), inconsistent with noise='diagonal'"),
        ("general", diagonal, r"inconsistent with noise='general'"),
        ("scalar", general, r"inconsistent with noise='scalar'"),
        ("diagonal", lambda t, y: y[..., :1], "expected"),
    ],
)
def test_diffusion_shape_inconsistent_with_noise(noise, diffusion, match):
    with pytest.raises(ValueError, match=match):
        attractor.sdeint(drift, diffusion, torch.zeros(4, 2), T, dt=0.1, noise=noise)


@pytest.mark.parametrize("t", [[0.0, 0.5, 0.5], [1.0, 0.0], [0.0], [[0.0, 1.0]]])
def test_non_increasing_or_bad_times(t):
    with pytest.raises(ValueError, match="`t`"):
        attractor.sdeint(drift, diagonal, torch.zeros(2, 2), torch.tensor(t), dt=0.1)


@pytest.mark.parametrize("dt", [0.0, -0.1, float("nan")])
def test_bad_dt(dt):
    with pytest.raises(ValueError, match="`dt`"):
        attractor.sdeint(drift, diagonal, torch.zeros(2, 2), T, dt=dt)


def test_missing_dt_and_other_arguments():
    y0 = torch.zeros(2, 2)
    with pytest.raises(ValueError, match="`dt` is required"):
        attractor.sdeint(drift, diagonal, y0, T)
    with pytest.raises(ValueError, match="`noise`"):
        attractor.sdeint(drift, diagonal, y0, T, dt=0.1, noise="multiplicative")
    with pytest.raises(ValueError, match="`sde_type`"):
        attractor.sdeint(drift, diagonal, y0, T, dt=0.1, sde_type="ito-strat")
    with pytest.raises(ValueError, match="`solver` must be one of"):
        attractor.sdeint(drift, diagonal, y0, T, dt=0.1, solver="nope")
    with pytest.raises(ValueError, match="solves stratonovich SDEs"):
        attractor.sdeint(drift, diagonal, y0, T, dt=0.1, solver="heun", sde_type="ito")
    with pytest.raises(ValueError, match="solves ito SDEs"):
        attractor.sdeint(drift, diagonal, y0, T, dt=0.1, solver="euler", sde_type="stratonovich")
    with pytest.raises(ValueError, match="noise types"):
        attractor.sdeint(drift, diagonal, y0, T, dt=0.1, solver="srk")
    with pytest.raises(ValueError, match="reversible_heun"):
        attractor.sdeint(drift, diagonal, y0, T, dt=0.1, adjoint="reversible", solver="heun",
                         sde_type="stratonovich")
    with pytest.raises(ValueError, match="`y0` must be finite"):
        attractor.sdeint(drift, diagonal, torch.full((2, 2), float("nan")), T, dt=0.1)
    with pytest.raises(TypeError, match="`drift` must be callable"):
        attractor.sdeint(3, diagonal, y0, T, dt=0.1)


def test_brownian_motion_checks():
    y0 = torch.zeros(2, 2, dtype=F64)
    with pytest.raises(ValueError, match=r"`bm` has shape \(2, 3\)"):
        attractor.sdeint(drift, diagonal, y0, T, dt=0.1, bm=BrownianTree(0.0, 1.0, (2, 3)))
    with pytest.raises(ValueError, match="does not cover"):
        attractor.sdeint(drift, diagonal, y0, T, dt=0.1, bm=BrownianTree(0.0, 0.5, (2, 2)))
    with pytest.raises(ValueError, match="space-time Levy area"):
        attractor.sdeint(drift, lambda t, y: torch.ones_like(y), y0, T, dt=0.1, solver="srk",
                         noise="additive", bm=BrownianTree(0.0, 1.0, (2, 2)))
    with pytest.raises(TypeError, match="`bm` must be"):
        attractor.sdeint(drift, diagonal, y0, T, dt=0.1, bm=torch.zeros(2, 2))


def test_nonfinite_solution_raises_or_reports_status():
    def explode(t, y):
        return y**4

    y0 = torch.tensor([[0.1], [5.0]], dtype=F64)
    with pytest.raises(attractor.ConvergenceError, match="NONFINITE"):
        attractor.sdeint(explode, lambda t, y: 0.1 * torch.ones_like(y), y0, T, dt=0.1, seed=0)
    sol = attractor.sdeint(explode, lambda t, y: 0.1 * torch.ones_like(y), y0, T, dt=0.1,
                           seed=0, on_failure="status")
    assert sol.status.tolist() == [int(attractor.Status.SUCCESS), int(attractor.Status.NONFINITE)]
    assert sol.ok.tolist() == [True, False]


def test_inputs_are_not_mutated_and_dtype_device_follow():
    y0 = torch.randn(3, 2, dtype=F64)
    copy = y0.clone()
    sol = attractor.sdeint(drift, diagonal, y0, T, dt=0.1, seed=0)
    assert torch.equal(y0, copy)
    assert sol.ys.dtype == F64 and sol.ys.shape == (3, 3, 2)
    y32 = attractor.sdeint(drift, diagonal, y0.float(), T.float(), dt=0.1, seed=0).ys
    assert y32.dtype == torch.float32


def test_seed_makes_solves_repeatable():
    y0 = torch.randn(3, 2, dtype=F64)
    a = attractor.sdeint(drift, diagonal, y0, T, dt=0.1, seed=7).ys
    b = attractor.sdeint(drift, diagonal, y0, T, dt=0.1, seed=7).ys
    c = attractor.sdeint(drift, diagonal, y0, T, dt=0.1, seed=8).ys
    assert torch.equal(a, b) and not torch.equal(a, c)


@pytest.mark.parametrize("module", ["attractor.sde", "attractor.cde", "attractor.cde.interpolation"])
def test_public_names_exist(module):
    import importlib

    mod = importlib.import_module(module)
    assert [name for name in mod.__all__ if not hasattr(mod, name)] == []
