"""trajectory / advance / sample_on_attractor: shapes, batching, transients, noise, errors."""

from __future__ import annotations

import pytest
import torch

import attractor
from attractor.systems import advance, get, sample_on_attractor, trajectory
from attractor.systems.checks import is_bounded


def test_default_lorenz_trajectory_is_time_first_and_on_the_attractor():
    ys = trajectory(get("lorenz"), 2000)
    assert ys.shape == (2000, 3) and ys.dtype == torch.float64
    assert torch.isfinite(ys).all()
    # the Lorenz attractor: |x|, |y| < 30, 0 < z < 55, and both wings visited
    assert ys[:, :2].abs().max() < 30 and ys[:, 2].min() > 0 and ys[:, 2].max() < 55
    assert (ys[:, 0] > 5).any() and (ys[:, 0] < -5).any()


def test_flow_trajectory_agrees_with_odeint_and_returns_times():
    s = get("rossler")
    times, ys = trajectory(s, 50, 0.1, return_times=True)
    torch.testing.assert_close(times, torch.arange(50, dtype=torch.float64) * 0.1)
    ref = attractor.odeint(s, s.y0, times, solver="dopri8", rtol=1e-11, atol=1e-12).ys
    torch.testing.assert_close(ys, ref, rtol=1e-6, atol=1e-6)


def test_map_trajectory_is_iteration():
    s = get("henon")
    ys = trajectory(s, 5)
    x = s.y0
    for i in range(5):
        torch.testing.assert_close(ys[i], x)
        x = s(x)
    with pytest.raises(ValueError, match="`dt`"):
        trajectory(s, 5, 0.5)


def test_batch_of_initial_states_equals_each_alone():
    s = get("lorenz")
    y0 = sample_on_attractor(s, 3)
    assert y0.shape == (3, 3)
    batched = trajectory(s, 20, y0=y0, solver="rk4")
    single = torch.stack([trajectory(s, 20, y0=y, solver="rk4") for y in y0], dim=1)
    torch.testing.assert_close(batched, single, rtol=1e-12, atol=1e-12)
    assert trajectory(s, 10, batch=4, solver="rk4").shape == (10, 4, 3)


def test_transient_shifts_the_start():
    s = get("henon")
    ys = trajectory(s, 3, transient=7)
    torch.testing.assert_close(ys[0], advance(s, s.y0, 7))
    torch.testing.assert_close(ys[0], trajectory(s, 8)[7])


def test_noise_is_relative_to_each_coordinate():
    s = get("lorenz")
    clean = trajectory(s, 1000)
    gen = torch.Generator().manual_seed(0)
    noisy = trajectory(s, 1000, noise=0.1, generator=gen)
    ratio = (noisy - clean).std(0) / clean.std(0)
    torch.testing.assert_close(ratio, torch.full((3,), 0.1, dtype=torch.float64), rtol=0.1, atol=0)


def test_dtype_and_device_follow_y0():
    s = get("lorenz")
    ys = trajectory(s, 10, y0=s.y0.float(), solver="rk4")
    assert ys.dtype == torch.float32
    assert trajectory(s, 10, dtype=torch.float32, solver="rk4").dtype == torch.float32


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n": 0}, "`n`"),
        ({"n": 10, "transient": -1.0}, "`transient`"),
        ({"n": 10, "noise": -0.1}, "`noise`"),
        ({"n": 10, "dt": 0.0}, "`dt`"),
        ({"n": 10, "y0": torch.zeros(2, dtype=torch.float64)}, "last dimension 3"),
        ({"n": 10, "y0": torch.zeros(3, dtype=torch.float64) + 1, "batch": 2}, "either `y0` or `batch`"),
    ],
)
def test_bad_arguments_raise(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        trajectory(get("lorenz"), **kwargs)


@pytest.mark.parametrize("name", ["lorenz", "rossler", "chua", "sprott_b", "hyper_lorenz", "henon", "ikeda"])
def test_fast_subset_stays_bounded(name):
    s = get(name)
    bounded, size = is_bounded(s, trajectory(s, 3000))
    assert bounded, (name, size)


def test_boundedness_check_detects_escape():
    s = get("logistic", r=4.5)  # leaves [0, 1] and diverges
    ys = trajectory(s, 60, y0=torch.tensor([0.3], dtype=torch.float64))
    assert not is_bounded(s, ys)[0]
