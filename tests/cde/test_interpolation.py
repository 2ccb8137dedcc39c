"""Interpolation facts: exactness, smoothness, agreement with scipy/torchcde, missing values."""

import numpy as np
import pytest
import torch

from attractor.cde import (
    HermiteCubic,
    LinearInterpolation,
    NaturalCubicSpline,
    RectilinearInterpolation,
    fill_missing,
    interpolate,
)

F64 = torch.float64
SMOOTH = [NaturalCubicSpline, HermiteCubic]
ALL = [LinearInterpolation, NaturalCubicSpline, HermiteCubic]


def irregular_times(n=15, seed=0):
    g = torch.Generator().manual_seed(seed)
    t = torch.sort(torch.rand(n, generator=g, dtype=F64)).values * 4
    return t - t[0]


@pytest.mark.parametrize("cls", ALL)
def test_interpolates_knots_and_is_exact_on_linear_data(cls):
    t = irregular_times()
    x = torch.stack([2 * t - 1, -0.5 * t + 3], -1).expand(3, -1, -1)
    X = cls(x, t)
    assert torch.allclose(X.evaluate(t), x, atol=1e-12)
    tq = torch.linspace(float(t[0]), float(t[-1]), 101, dtype=F64)
    assert torch.allclose(X.evaluate(tq), torch.stack([2 * tq - 1, -0.5 * tq + 3], -1).expand(3, -1, -1),
                          atol=1e-12)
    assert torch.allclose(X.derivative(tq), torch.tensor([2.0, -0.5], dtype=F64).expand(3, 101, 2),
                          atol=1e-10)


def test_natural_cubic_matches_scipy_and_is_c2_with_natural_ends():
    from scipy.interpolate import CubicSpline

    t = irregular_times(12)
    x = torch.stack([torch.sin(t), torch.cos(3 * t)], -1).unsqueeze(0)
    X = NaturalCubicSpline(x, t)
    ref = CubicSpline(t.numpy(), x[0].numpy(), bc_type="natural")
    tq = np.linspace(float(t[0]), float(t[-1]), 333)
    assert np.abs(X.evaluate(torch.tensor(tq))[0].numpy() - ref(tq)).max() < 1e-12
    assert np.abs(X.derivative(torch.tensor(tq))[0].numpy() - ref(tq, 1)).max() < 1e-11
    # second derivative continuous at the knots and zero at the ends: c = X''/2 per piece
    _, _, c, d = X.coeffs
    h = (t[1:] - t[:-1]).unsqueeze(-1)
    left = 2 * c[0, 1:]
    right = 2 * c[0, :-1] + 6 * d[0, :-1] * h[:-1]
    assert torch.allclose(left, right, atol=1e-10)
    assert torch.allclose(c[0, 0], torch.zeros(2, dtype=F64), atol=1e-14)
    assert torch.allclose(2 * c[0, -1] + 6 * d[0, -1] * h[-1], torch.zeros(2, dtype=F64), atol=1e-10)


def test_natural_cubic_reproduces_cubic_data_in_the_interior_to_fourth_order():
    """Natural end conditions only disturb a cubic near the ends; the interior error falls as h^4."""
    errors = []
    for n in (20, 40, 80):
        t = torch.linspace(0, 1, n + 1, dtype=F64)
        cubic = lambda s: s**3 - 2 * s**2 + s
        X = NaturalCubicSpline(cubic(t).reshape(1, -1, 1), t)
        tq = torch.linspace(0.4, 0.6, 41, dtype=F64)
        errors.append(float((X.evaluate(tq)[0, :, 0] - cubic(tq)).abs().max()))
    assert errors[-1] < 1e-9
    rates = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    assert (rates > 3.5).all(), errors


def test_hermite_is_c1_and_matches_torchcde():
    torchcde = pytest.importorskip("torchcde")
    t = irregular_times(14, seed=2)
    x = torch.randn(4, 14, 3, dtype=F64)
    X = HermiteCubic(x, t)
    ref = torchcde.CubicSpline(torchcde.hermite_cubic_coefficients_with_backward_differences(x, t), t)
    tq = torch.linspace(float(t[0]), float(t[-1]), 211, dtype=F64)
    assert torch.allclose(X.evaluate(tq), ref.evaluate(tq), atol=1e-12)
    assert torch.allclose(X.derivative(tq), ref.derivative(tq), atol=1e-10)
    # C1: the one-sided derivatives agree at the interior knots (and C0 for linear they do not)
    for k in range(1, 13):
        assert torch.allclose(X.derivative_on(k - 1, t[k]), X.derivative_on(k, t[k]), atol=1e-9)
    L = LinearInterpolation(x, t)
    assert not torch.allclose(L.derivative_on(4, t[5]), L.derivative_on(5, t[5]))


def test_linear_matches_torchcde_with_missing_values():
    torchcde = pytest.importorskip("torchcde")
    t = irregular_times(12, seed=3)
    x = torch.randn(3, 12, 2, dtype=F64)
    x[0, 3, 1] = x[1, 0, 0] = x[2, -2:, 0] = float("nan")
    X = LinearInterpolation(x, t)
    ref = torchcde.LinearInterpolation(torchcde.linear_interpolation_coeffs(x, t), t)
    tq = torch.linspace(float(t[0]), float(t[-1]), 97, dtype=F64)
    assert torch.allclose(X.evaluate(tq), ref.evaluate(tq), atol=1e-12)


def test_natural_cubic_with_gaps_is_the_spline_through_each_channels_observations():
    from scipy.interpolate import CubicSpline

    t = irregular_times(16, seed=4)
    x = torch.stack([torch.sin(t), torch.cos(2 * t)], -1).unsqueeze(0).clone()
    x[0, [3, 7, 8], 0] = float("nan")
    x[0, [5], 1] = float("nan")
    X = NaturalCubicSpline(x, t)
    tq = torch.linspace(float(t[0]), float(t[-1]), 257, dtype=F64)
    for ch in range(2):
        seen = ~torch.isnan(x[0, :, ch])
        ref = CubicSpline(t[seen].numpy(), x[0, seen, ch].numpy(), bc_type="natural")
        assert np.abs(X.evaluate(tq)[0, :, ch].numpy() - ref(tq.numpy())).max() < 1e-12
        assert np.abs(X.derivative(tq)[0, :, ch].numpy() - ref(tq.numpy(), 1)).max() < 1e-10


def test_natural_cubic_matches_torchcde_with_interior_gaps():
    torchcde = pytest.importorskip("torchcde")
    t = irregular_times(15, seed=5)
    x = torch.randn(3, 15, 2, dtype=F64)
    x[0, 4, 0] = x[1, [2, 3, 9], 1] = x[2, 7, 0] = float("nan")
    X = NaturalCubicSpline(x, t)
    ref = torchcde.CubicSpline(torchcde.natural_cubic_coeffs(x, t), t)
    tq = torch.linspace(float(t[0]), float(t[-1]), 301, dtype=F64)
    assert torch.allclose(X.evaluate(tq), ref.evaluate(tq), atol=1e-12)
    assert torch.allclose(X.derivative(tq), ref.derivative(tq), atol=1e-10)


def test_natural_cubic_holds_constant_outside_each_channels_observed_span():
    from scipy.interpolate import CubicSpline

    t = irregular_times(14, seed=6)
    x = torch.stack([torch.sin(t), torch.cos(t)], -1).unsqueeze(0).clone()
    x[0, :3, 0] = x[0, -2:, 1] = x[0, 6, 1] = float("nan")
    X = NaturalCubicSpline(x, t)
    tq = torch.linspace(float(t[0]), float(t[-1]), 401, dtype=F64)
    for ch, (first, last) in enumerate([(3, 13), (0, 11)]):
        seen = ~torch.isnan(x[0, :, ch])
        ref = CubicSpline(t[seen].numpy(), x[0, seen, ch].numpy(), bc_type="natural")
        inside = (tq >= t[first]) & (tq <= t[last])
        got = X.evaluate(tq)[0, :, ch]
        assert np.abs(got[inside].numpy() - ref(tq[inside].numpy())).max() < 1e-12
        assert torch.all(got[tq < t[first]] == x[0, first, ch])
        assert torch.all(got[tq > t[last]] == x[0, last, ch])
        assert torch.all(X.derivative(tq)[0, ~inside, ch] == 0)


def test_mask_is_equivalent_to_nan():
    t = irregular_times(10)
    x = torch.randn(2, 10, 3, dtype=F64)
    mask = torch.rand(2, 10, 3) > 0.3
    mask[:, 0] = True
    with_nan = torch.where(mask, x, torch.full_like(x, float("nan")))
    for cls in ALL:
        a = cls(x, t, mask=mask)
        b = cls(with_nan, t)
        assert all(torch.allclose(p, q, atol=1e-13) for p, q in zip(a.coeffs, b.coeffs))
    assert torch.equal(x, x.clone())  # inputs untouched


def test_fill_missing_linear_and_forward():
    t = torch.tensor([0.0, 1.0, 3.0, 4.0, 6.0], dtype=F64)
    x = torch.tensor([[float("nan")], [1.0], [float("nan")], [4.0], [float("nan")]], dtype=F64)
    lin = fill_missing(x, t, "linear")
    assert torch.allclose(lin[:, 0], torch.tensor([1.0, 1.0, 3.0, 4.0, 4.0], dtype=F64))
    fwd = fill_missing(x, t, "forward")
    assert torch.allclose(fwd[:, 0], torch.tensor([1.0, 1.0, 1.0, 4.0, 4.0], dtype=F64))


def test_time_and_observation_channels():
    t = torch.tensor([0.0, 0.5, 2.0, 3.0], dtype=F64)
    x = torch.tensor([[[1.0], [float("nan")], [2.0], [3.0]]], dtype=F64)
    X = LinearInterpolation(x, t, time_channel=True, observation_channels=True)
    values = X.evaluate(t)[0]
    assert torch.allclose(values[:, 0], t)  # time channel
    assert torch.allclose(values[:, 1], torch.tensor([1.0, 1.25, 2.0, 3.0], dtype=F64))
    assert torch.allclose(values[:, 2], torch.tensor([1, 1, 2, 3], dtype=F64) / 4)


def test_rectilinear_moves_time_then_values():
    t = torch.tensor([0.0, 1.0, 3.0], dtype=F64)
    x = torch.tensor([[[1.0], [float("nan")], [5.0]]], dtype=F64)
    X = RectilinearInterpolation(x, t)
    # at the observation times: (t_k, last observed value)
    assert torch.allclose(X.evaluate(t)[0], torch.tensor([[0.0, 1.0], [1.0, 1.0], [3.0, 5.0]],
                                                          dtype=F64))
    # first half of [1, 3]: time runs to 3 with the value held; second half: value jumps
    assert torch.allclose(X.evaluate(2.0)[0], torch.tensor([3.0, 1.0], dtype=F64))
    assert torch.allclose(X.evaluate(2.5)[0], torch.tensor([3.0, 3.0], dtype=F64))
    assert torch.allclose(X.derivative(1.5)[0], torch.tensor([2.0, 0.0], dtype=F64))
    assert not X.smooth


@pytest.mark.parametrize("cls", ALL)
def test_per_series_times_equal_separate_interpolations(cls):
    t = torch.stack([irregular_times(9, seed=s) for s in range(3)])
    x = torch.randn(3, 9, 2, dtype=F64)
    X = cls(x, t)
    for i in range(3):
        alone = cls(x[i:i + 1], t[i])
        tq = torch.linspace(float(t[i, 0]), float(t[i, -1]), 23, dtype=F64)
        assert torch.allclose(X.evaluate(tq)[i], alone.evaluate(tq)[0], atol=1e-12)
        assert torch.allclose(X.derivative(tq)[i], alone.derivative(tq)[0], atol=1e-10)
    # one query time per series
    q = t[:, 4] + 0.01
    per = X.evaluate(q, per_sample=True)
    assert torch.allclose(per, torch.stack([X.evaluate(q[i])[i] for i in range(3)]), atol=1e-12)


def test_batching_and_index_batch():
    t = irregular_times(8)
    x = torch.randn(5, 8, 2, dtype=F64)
    X = interpolate(x, t, "cubic")
    sub = X.index_batch(torch.tensor([1, 3]))
    alone = NaturalCubicSpline(x[[1, 3]], t)
    assert torch.allclose(sub.evaluate(1.3), alone.evaluate(1.3), atol=1e-12)
    assert X.evaluate(1.3).shape == (5, 2) and X.evaluate(t).shape == (5, 8, 2)
    assert torch.allclose(X.evaluate(t[3]), X.evaluate(t)[:, 3])


def test_bad_inputs():
    t = irregular_times(6)
    x = torch.randn(2, 6, 2, dtype=F64)
    with pytest.raises(ValueError, match="strictly increasing"):
        LinearInterpolation(x, t.flip(0))
    with pytest.raises(ValueError, match="`t` must have shape"):
        LinearInterpolation(x, t[:4])
    with pytest.raises(ValueError, match="length >= 2"):
        LinearInterpolation(x[:, :1], t[:1])
    with pytest.raises(ValueError, match="no observation"):
        LinearInterpolation(torch.full((1, 6, 1), float("nan"), dtype=F64), t)
    filled = LinearInterpolation(torch.full((1, 6, 1), float("nan"), dtype=F64), t, fill_value=0.5)
    assert torch.allclose(filled.evaluate(1.0), torch.tensor([[0.5]], dtype=F64))
    for cls in ALL:  # also on the natural spline's path for series with gaps
        bad = x.clone()
        bad[0, 1, 0], bad[1, 2, 1] = float("inf"), float("nan")
        with pytest.raises(ValueError, match="infinities"):
            cls(bad, t)
    with pytest.raises(ValueError, match="`method`"):
        interpolate(x, t, "quintic")
    with pytest.raises(ValueError, match="`mask`"):
        LinearInterpolation(x, t, mask=torch.ones(2, 6))
