"""Power spectra, D_H, D_stsp, valid prediction time, sMAPE, Rosenstein."""

from __future__ import annotations

import math

import pytest
import torch

from attractor.analysis import (
    max_lyapunov,
    power_spectrum,
    power_spectrum_distance,
    rosenstein,
    smape,
    state_space_divergence,
    valid_prediction_time,
)


def test_power_spectrum_peak_and_parseval():
    dt = 0.01
    t = torch.arange(8192, dtype=torch.float64) * dt
    x = torch.stack([3 * torch.sin(2 * math.pi * 5.0 * t), torch.cos(2 * math.pi * 12.5 * t)], -1)
    freqs, psd = power_spectrum(x, dt)
    assert psd.shape == (freqs.numel(), 2)
    peaks = freqs[psd.argmax(0)]
    torch.testing.assert_close(peaks, torch.tensor([5.0, 12.5], dtype=torch.float64), atol=0.02, rtol=0)
    # one-sided PSD integrates to the variance (no window: exact Parseval)
    _, raw = power_spectrum(x, dt, window=False)
    df = float(freqs[1] - freqs[0])
    torch.testing.assert_close(raw.sum(0) * df, x.var(0, unbiased=False), rtol=0.01, atol=0)
    _, welch = power_spectrum(x, dt, segments=8)
    assert welch.shape[0] < psd.shape[0]


def test_power_spectrum_distance(lorenz_series, lorenz_series_2, chen_series):
    assert power_spectrum_distance(lorenz_series, lorenz_series).item() == 0.0
    same = power_spectrum_distance(lorenz_series, lorenz_series_2).item()
    other = power_spectrum_distance(lorenz_series, chen_series).item()
    assert 0 < same < 0.1 and other > 0.3 and other > 5 * same
    assert power_spectrum_distance(lorenz_series, lorenz_series_2) == power_spectrum_distance(lorenz_series_2, lorenz_series)


def test_state_space_divergence(lorenz_series, lorenz_series_2, chen_series):
    for method in ("binning", "gmm"):
        assert state_space_divergence(lorenz_series, lorenz_series, method=method).item() == 0.0
        same = state_space_divergence(lorenz_series, lorenz_series_2, method=method).item()
        other = state_space_divergence(lorenz_series, chen_series, method=method).item()
        assert 0 < same and other > 3 * same, (method, same, other)
    # a generated orbit that leaves the true box: undefined by default (the reference drops
    # points outside, leaving none), penalised on request (all mass escaped:
    # KL = log((N + αB) / α) - H(p_true), about 20 - 6.5 nats here)
    far = lorenz_series_2 + 1000.0
    assert math.isnan(state_space_divergence(lorenz_series, far).item())
    escaped = state_space_divergence(lorenz_series, far, outside="penalize").item()
    near = state_space_divergence(lorenz_series, lorenz_series_2, outside="penalize").item()
    assert escaped > 10 and escaped > 3 * near


def test_state_space_divergence_of_known_histograms():
    # true: all mass in one cell; generated: half of it there: KL ≈ ln 2 (up to the ε floor)
    x = torch.zeros(100, 1, dtype=torch.float64)
    x[1:] = 1.0
    y = x.clone()
    y[::2] = 0.0
    p_cell = torch.tensor([1 / 100, 99 / 100], dtype=torch.float64)
    q_cell = torch.tensor([50 / 100, 50 / 100], dtype=torch.float64)
    expected = (p_cell * (p_cell / q_cell).log()).sum().item()
    assert state_space_divergence(x, y, bins=2, eps=1e-12).item() == pytest.approx(expected, rel=1e-6)


def test_valid_prediction_time():
    t = torch.arange(100, dtype=torch.float64)
    true = torch.stack([torch.sin(0.1 * t), torch.cos(0.1 * t)], -1)
    assert valid_prediction_time(true, true, dt=0.5).item() == 50.0  # never fails: the horizon
    pred = true.clone()
    pred[40:] += 10.0
    assert valid_prediction_time(true, pred, dt=0.5).item() == 20.0
    assert valid_prediction_time(true, pred, dt=0.5, lyapunov=0.9).item() == pytest.approx(18.0)
    batch = torch.stack([true, pred], 1)  # (T, 2, d)
    torch.testing.assert_close(
        valid_prediction_time(torch.stack([true, true], 1), batch, dt=0.5),
        torch.tensor([50.0, 20.0], dtype=torch.float64),
    )
    nan = true.clone()
    nan[10:] = float("nan")
    assert valid_prediction_time(true, nan).item() == 10.0


def test_smape_known_values():
    x = torch.ones(10, 2, dtype=torch.float64)
    assert smape(x, x).item() == 0.0
    assert smape(x, 2 * x).item() == pytest.approx(100 * 2 / 3)
    assert smape(x, -x).item() == pytest.approx(200.0)
    assert smape(torch.zeros(5, 1), torch.zeros(5, 1)).item() == 0.0
    batched = smape(torch.stack([x, x], 1), torch.stack([x, 2 * x], 1))
    torch.testing.assert_close(batched, torch.tensor([0.0, 200 / 3], dtype=torch.float64))


def test_rosenstein_henon(henon_series):
    res = rosenstein(henon_series[:3000, 0])
    assert res.exponent.item() == pytest.approx(0.419, abs=0.04)
    assert (res.dim, res.delay) == (2, 1)  # Hénon's x alone, delay-embedded in 2-D


def test_rosenstein_lorenz(lorenz_series):
    lam = max_lyapunov(lorenz_series, dt=0.02)  # states used as they are
    assert lam.item() == pytest.approx(0.906, rel=0.15)
    res = rosenstein(lorenz_series[:4000, 0], dt=0.02)  # scalar series, embedded automatically
    assert res.exponent.item() == pytest.approx(0.906, rel=0.2)
    assert res.divergence.shape == res.times.shape


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: valid_prediction_time(torch.zeros(5, 2), torch.zeros(4, 2)), "shape"),
        (lambda: smape(torch.zeros(5, 2), torch.zeros(5, 3)), "shape"),
        (lambda: state_space_divergence(torch.zeros(5, 2), torch.zeros(5, 3)), "same dimension"),
        (lambda: state_space_divergence(torch.zeros(5, 2), torch.zeros(5, 2), method="x"), "`method`"),
        (lambda: power_spectrum_distance(torch.zeros(50, 2), torch.zeros(50, 3)), "same channels"),
        (lambda: power_spectrum(torch.zeros(2, 2)), "at least 4"),
        (lambda: rosenstein(torch.arange(40.0), dim=2, delay=1), "too short"),
        (lambda: rosenstein(torch.zeros(500), dim=2, delay=1), "constant"),
    ],
)
def test_bad_arguments(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()
