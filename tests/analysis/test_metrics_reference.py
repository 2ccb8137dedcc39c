"""D_stsp, D_H and MASE against independent NumPy re-derivations of the published formulas.

The reference conventions are those of the DurstewitzLab code behind Hess et al. (ICML 2023)
and Brenner et al. (NeurIPS 2024): ``src/measures/stsp_measure.jl`` and ``src/measures/pse.jl``
in github.com/DurstewitzLab/GTF-shPLRNN and github.com/DurstewitzLab/ALRNN-DSR, and the Python
tutorial's ``alrnn_python/metrics.py`` (ALRNN-DSR). The functions below are written from those
formulas with NumPy/SciPy only (no attractor helpers), so agreement checks the library's
implementation, not a copy of it.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy.ndimage import gaussian_filter1d
from scipy.spatial.distance import cdist

from attractor.analysis import (
    mase,
    normalized_spectrum,
    power_spectrum_distance,
    state_space_divergence,
)

# ---------------------------------------------------------------- reference formulas (NumPy)


def ref_dstsp_binning(x, y, bins=30, alpha=1e-5):
    """Box [min - 0.1 σ, max + 0.1 σ] of the true data per dimension (σ with ddof=1),
    points outside dropped, Laplace smoothing of the counts, KL(p_true || p_gen)."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    sd = x.std(0, ddof=1)
    lo, hi = x.min(0) - 0.1 * sd, x.max(0) + 0.1 * sd
    edges = [np.linspace(a, b, bins + 1) for a, b in zip(lo, hi)]
    ht, _ = np.histogramdd(x, bins=edges)
    hg, _ = np.histogramdd(y, bins=edges)
    if hg.sum() == 0:
        return math.nan
    p = (ht + alpha) / (ht.sum() + alpha * ht.size)
    q = (hg + alpha) / (hg.sum() + alpha * hg.size)
    return float(np.sum(p * np.log(p / q)))


def legacy_dstsp_binning(x, y, bins=30, eps=1e-7):
    """attractor's earlier binning: box widened by 5 % of the range, a probability floor eps,
    generated points outside the box counted in N but in no bin."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    lo, hi = x.min(0), x.max(0)
    pad = 0.05 * (hi - lo)
    edges = [np.linspace(a, b, bins + 1) for a, b in zip(lo - pad, hi + pad)]
    ht, _ = np.histogramdd(x, bins=edges)
    hg, _ = np.histogramdd(y, bins=edges)
    p = (ht / len(x) + eps) / (1 + eps * ht.size)
    q = (hg / len(y) + eps) / (1 + eps * hg.size)
    return float(np.sum(p * np.log(p / q)))


def torch_draws(n_centers, n_samples, d, seed):
    """The Monte-Carlo draws the library documents: a CPU generator seeded with ``seed``,
    component indices first, then standard normal noise."""
    g = torch.Generator().manual_seed(seed)
    index = torch.randint(n_centers, (n_samples,), generator=g).numpy()
    noise = torch.randn(n_samples, d, generator=g, dtype=torch.float64).numpy()
    return index, noise


def ref_dstsp_gmm(x, y, sigma2=1.0, max_t=10_000, mc_samples=1000, seed=0):
    """Mixtures of N(x_t, σ² I) over the first max_t states of each series; Monte-Carlo KL
    with samples from the true mixture; samples whose density underflows are dropped."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    t = min(len(x), max_t)
    mu_true, mu_gen = x[:t], y[:t]
    index, noise = torch_draws(t, mc_samples, x.shape[1], seed)
    sigma = math.sqrt(sigma2)
    samples = mu_true[index] + sigma * noise

    def likelihood(mu):
        e = cdist(samples, mu, "sqeuclidean") / sigma2
        return np.exp(-0.5 * e).sum(1) / len(mu) / sigma ** x.shape[1]

    p, q = likelihood(mu_true), likelihood(mu_gen)
    keep = (p > 0) & (q > 0)
    return float(np.mean(np.log(p[keep]) - np.log(q[keep])))


def ref_smooth(ps, sigma, boundary):
    """Gaussian kernel exp(-k²/2σ²), |k| ≤ ⌊4σ+½⌋, normalised; 'mirror' extends the spectrum
    without repeating the end bins (numpy 'reflect'), 'reflect' repeating them (numpy 'symmetric')."""
    r = int(4 * sigma + 0.5)
    k = np.arange(-r, r + 1)
    kernel = np.exp(-(k**2) / (2 * sigma**2))
    kernel /= kernel.sum()
    padded = np.pad(ps, r, mode="reflect" if boundary == "mirror" else "symmetric")
    return np.convolve(padded, kernel, mode="valid")


def ref_spectrum(u, sigma=20.0, boundary="mirror", hann=False):
    u = np.asarray(u, dtype=np.float64)
    if hann:  # the earlier attractor convention: Hann window, one-sided doubling
        ps = np.abs(np.fft.rfft((u - u.mean()) * np.hanning(len(u)))) ** 2
        ps[1:] *= 2
    else:  # the reference: standardised series, |rfft|², no window
        ps = np.abs(np.fft.rfft((u - u.mean()) / u.std(ddof=1))) ** 2
    ps = ref_smooth(ps, sigma, boundary) if sigma > 0 else ps
    return ps / ps.sum()


def ref_dh(x, y, sigma=20.0, boundary="mirror", hann=False):
    """Mean over dimensions of the Hellinger distance sqrt(1 - Σ sqrt(p q))."""
    x, y = np.asarray(x), np.asarray(y)
    dists = []
    for i in range(x.shape[1]):
        p = ref_spectrum(x[:, i], sigma, boundary, hann)
        q = ref_spectrum(y[:, i], sigma, boundary, hann)
        dists.append(math.sqrt(max(0.0, 1 - np.sum(np.sqrt(p * q)))))
    return float(np.mean(dists))


# ---------------------------------------------------------------- synthetic data


def clouds(seed, n=5000, shift=0.0, d=3):
    rng = np.random.RandomState(seed)
    a = rng.standard_normal((n, d))
    a[:, 0] += 0.6 * a[:, 1] ** 2 + shift
    return torch.from_numpy(a * np.linspace(1.0, 2.0, d))


def oscillations(seed, n=3000, freqs=(0.05, 0.13, 0.021), noise=0.3):
    rng = np.random.RandomState(seed)
    t = np.arange(n, dtype=np.float64)
    cols = [np.sin(f * t + k) + 0.4 * np.sin(2.7 * f * t) for k, f in enumerate(freqs)]
    return torch.from_numpy(np.stack(cols, -1) + noise * rng.standard_normal((n, len(freqs))))


LEGACY_BINNING = {"eps": 1e-7, "padding": 0.05, "padding_unit": "range", "outside": "penalize"}


def legacy_gmm(d):
    return {"sigma": 0.25 * math.sqrt(d), "standardize": True, "centers": "spaced", "max_centers": 2000, "n_samples": 2000}


# ---------------------------------------------------------------- D_stsp, binning


def test_binning_default_is_the_reference(lorenz_series, lorenz_series_2, chen_series):
    for gen in (lorenz_series_2, chen_series, lorenz_series_2 + torch.tensor([8.0, 0.0, 0.0], dtype=torch.float64)):
        got = state_space_divergence(lorenz_series, gen).item()
        assert got == pytest.approx(ref_dstsp_binning(lorenz_series, gen), rel=1e-6, abs=1e-9)
    # the Chen orbit leaves the Lorenz box in part: dropping (reference) and penalising differ
    dropped = state_space_divergence(lorenz_series, chen_series).item()
    penalized = state_space_divergence(lorenz_series, chen_series, outside="penalize").item()
    assert penalized > dropped > 0
    assert state_space_divergence(lorenz_series, lorenz_series).item() == 0.0


def test_binning_reference_in_more_dimensions_and_bins():
    x, y = clouds(3, d=5), clouds(4, d=5, shift=0.5)
    # d = 5 < 6: 'auto' bins, as the reference
    got = state_space_divergence(x, y, bins=8).item()
    assert got == pytest.approx(ref_dstsp_binning(x, y, bins=8), rel=1e-6)
    got = state_space_divergence(x[:, :2], y[:, :2], bins=50, smoothing=1e-3).item()
    assert got == pytest.approx(ref_dstsp_binning(x[:, :2], y[:, :2], bins=50, alpha=1e-3), rel=1e-6)


def test_binning_legacy_options_reproduce_the_old_numbers():
    x, y = clouds(3), clouds(4, shift=0.5)
    got = state_space_divergence(x, y, **LEGACY_BINNING).item()
    assert got == pytest.approx(legacy_dstsp_binning(x, y), rel=1e-9)
    assert got == pytest.approx(1.750435150552487, rel=1e-9)  # the previous default's value
    assert state_space_divergence(x, y).item() == pytest.approx(ref_dstsp_binning(x, y), rel=1e-6)


def test_binning_known_histogram_with_laplace_smoothing():
    # true: 1 point in the lower cell, 99 in the upper; generated: 50/50
    x = torch.ones(100, 1, dtype=torch.float64)
    x[0] = 0.0
    y = x.clone()
    y[::2] = 0.0
    a = 1e-5
    p = np.array([1 + a, 99 + a]) / (100 + 2 * a)
    q = np.array([50 + a, 50 + a]) / (100 + 2 * a)
    expected = float(np.sum(p * np.log(p / q)))
    assert state_space_divergence(x, y, bins=2).item() == pytest.approx(expected, rel=1e-12)
    # ten generated points far outside: dropped by default, in N under 'penalize'
    z = torch.cat([y, torch.full((10, 1), 50.0, dtype=torch.float64)])
    assert state_space_divergence(x, z, bins=2).item() == pytest.approx(expected, rel=1e-12)
    q_pen = np.array([50 + a, 50 + a]) / (110 + 2 * a)
    expected_pen = float(np.sum(p * np.log(p / q_pen)))
    assert state_space_divergence(x, z, bins=2, outside="penalize").item() == pytest.approx(expected_pen, rel=1e-12)


def test_binning_all_generated_points_outside():
    x = clouds(3)
    far = x + 1000.0
    assert math.isnan(state_space_divergence(x, far).item())  # the reference: undefined
    assert math.isnan(ref_dstsp_binning(x, far))
    # penalised: q is α / (N + α B) in every cell, so D = -H(p) - log(α / (N + α B))
    penalized = state_space_divergence(x, far, outside="penalize").item()
    sd = x.std(0).numpy()
    edges = [np.linspace(a - 0.1 * s, b + 0.1 * s, 31) for a, b, s in zip(x.min(0).values.numpy(), x.max(0).values.numpy(), sd)]
    h, _ = np.histogramdd(x.numpy(), bins=edges)
    p = (h + 1e-5) / (h.sum() + 1e-5 * h.size)
    expected = float(np.sum(p * np.log(p)) - math.log(1e-5 / (len(x) + 1e-5 * h.size)))
    assert penalized == pytest.approx(expected, rel=1e-9)


# ---------------------------------------------------------------- D_stsp, Gaussian mixtures


def test_gmm_default_is_the_reference(lorenz_series, lorenz_series_2):
    got = state_space_divergence(lorenz_series, lorenz_series_2, method="gmm").item()
    assert got == pytest.approx(ref_dstsp_gmm(lorenz_series, lorenz_series_2), rel=1e-6)
    assert state_space_divergence(lorenz_series, lorenz_series, method="gmm").item() == 0.0


def test_gmm_reference_in_six_dimensions():
    x, y = clouds(5, n=3000, d=6), clouds(6, n=3000, d=6, shift=0.3)
    # d = 6: 'auto' switches to the mixture, as the reference (binning below 6 dimensions)
    assert state_space_divergence(x, y).item() == pytest.approx(ref_dstsp_gmm(x, y), rel=1e-6)
    # the first max_centers states are the centres; sigma is the standard deviation (σ² = 0.3)
    got = state_space_divergence(x, y, sigma=math.sqrt(0.3), max_centers=1500, n_samples=500, seed=4).item()
    expected = ref_dstsp_gmm(x, y, sigma2=0.3, max_t=1500, mc_samples=500, seed=4)
    assert got == pytest.approx(expected, rel=1e-6)


def test_gmm_legacy_options_reproduce_the_old_numbers():
    x, y = clouds(3), clouds(4, shift=0.5)
    z, w = clouds(5, d=6), clouds(6, d=6, shift=0.3)
    # the previous defaults' values (σ = 0.25 √d on standardised data, 2000 evenly spaced centres)
    assert state_space_divergence(x, y, method="gmm", **legacy_gmm(3)).item() == pytest.approx(0.12054295410592958, rel=1e-9)
    assert state_space_divergence(z, w, method="gmm", **legacy_gmm(6)).item() == pytest.approx(0.18573903577218395, rel=1e-9)
    # and the previous switch (mixture from d = 4 on)
    assert state_space_divergence(z[:, :4], w[:, :4], binning_below=4, **legacy_gmm(4)).item() == pytest.approx(
        state_space_divergence(z[:, :4], w[:, :4], method="gmm", **legacy_gmm(4)).item(), rel=1e-12
    )


# ---------------------------------------------------------------- D_H


def test_power_spectrum_distance_default_is_the_reference(lorenz_series, lorenz_series_2, chen_series):
    for gen in (lorenz_series_2, chen_series):
        got = power_spectrum_distance(lorenz_series, gen).item()
        assert got == pytest.approx(ref_dh(lorenz_series, gen), rel=1e-6)
    a, b = oscillations(5), oscillations(6, freqs=(0.05, 0.12, 0.025))
    assert power_spectrum_distance(a, b).item() == pytest.approx(ref_dh(a, b), rel=1e-6)
    got = power_spectrum_distance(a, b, smoothing=3.5).item()
    assert got == pytest.approx(ref_dh(a, b, sigma=3.5), rel=1e-6)
    assert power_spectrum_distance(a, b, smoothing=0.0).item() == pytest.approx(ref_dh(a, b, sigma=0.0), rel=1e-6)
    assert power_spectrum_distance(a, a).item() == 0.0


def test_smoothing_boundaries_match_scipy():
    u = oscillations(7)[:, 0].numpy()
    ps = np.abs(np.fft.rfft(u - u.mean())) ** 2
    x = torch.from_numpy(u).unsqueeze(-1)
    for boundary, mode in (("mirror", "mirror"), ("reflect", "reflect")):
        for sigma in (20.0, 2.5):
            expected = gaussian_filter1d(ps, sigma, mode=mode, truncate=4.0)
            expected /= expected.sum()
            got = normalized_spectrum(x, smoothing=sigma, boundary=boundary)[:, 0].numpy()
            np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-12)
            np.testing.assert_allclose(ref_spectrum(u, sigma, boundary), expected, rtol=1e-6, atol=1e-12)
    # a spectrum shorter than the kernel radius (repeated reflections)
    short = torch.from_numpy(u[:40]).unsqueeze(-1)
    ps = np.abs(np.fft.rfft(u[:40] - u[:40].mean())) ** 2
    for boundary in ("mirror", "reflect"):
        expected = gaussian_filter1d(ps, 20.0, mode=boundary)
        got = normalized_spectrum(short, boundary=boundary)[:, 0].numpy()
        np.testing.assert_allclose(got, expected / expected.sum(), rtol=1e-6, atol=1e-12)


def test_hann_window_is_an_option_not_the_default(lorenz_series, lorenz_series_2):
    default = power_spectrum_distance(lorenz_series, lorenz_series_2).item()
    hann = power_spectrum_distance(lorenz_series, lorenz_series_2, window="hann").item()
    assert hann == pytest.approx(ref_dh(lorenz_series, lorenz_series_2, hann=True), rel=1e-6)
    assert default == pytest.approx(ref_dh(lorenz_series, lorenz_series_2), rel=1e-6)
    # the window changes D_H (here it more than doubles it), and the default applies none
    assert hann > 1.5 * default
    assert abs(default - ref_dh(lorenz_series, lorenz_series_2, hann=True)) > 0.01
    assert power_spectrum_distance(lorenz_series, lorenz_series, window="hann").item() == 0.0


def test_power_spectrum_distance_legacy_reproduces_the_old_numbers():
    a, b = oscillations(5), oscillations(6, freqs=(0.05, 0.12, 0.025))
    # the previous defaults' values (Hann window, fixed)
    assert power_spectrum_distance(a, b, window="hann").item() == pytest.approx(0.05494582747550839, rel=1e-9)
    got = power_spectrum_distance(a, b, window="hann", smoothing=5.0, cutoff=400).item()
    assert got == pytest.approx(0.1873589934572855, rel=1e-9)
    assert power_spectrum_distance(a, b, window="hann").item() == pytest.approx(ref_dh(a, b, hann=True), rel=1e-6)
    # the scipy boundary (the Python tutorial code) is an option too
    got = power_spectrum_distance(a, b, boundary="reflect").item()
    assert got == pytest.approx(ref_dh(a, b, boundary="reflect"), rel=1e-6)


# ---------------------------------------------------------------- MASE


def test_mase_known_values():
    x = torch.tensor([1.0, 2.0, 4.0, 7.0], dtype=torch.float64)
    pred = torch.tensor([2.0, 2.0, 2.0, 9.0], dtype=torch.float64)
    # MAE = (1 + 0 + 2 + 2) / 4 = 1.25; naive 1-step in-sample MAE = (1 + 2 + 3) / 3 = 2
    assert mase(x, pred).item() == pytest.approx(0.625)
    # m = 2: (|4 - 1| + |7 - 2|) / 2 = 4
    assert mase(x, pred, m=2).item() == pytest.approx(0.3125)
    # scaled by a training series instead: |1-0|, |0-1|, |1-0| -> 1
    train = torch.tensor([0.0, 1.0, 0.0, 1.0], dtype=torch.float64)
    assert mase(x, pred, train=train).item() == pytest.approx(1.25)
    assert mase(x, x).item() == 0.0
    # each coordinate is scaled by its own naive error: channel 2 is channel 1 times 10
    x2 = torch.stack([x, 10 * x], -1)
    p2 = torch.stack([pred, 10 * pred], -1)
    assert mase(x2, p2).item() == pytest.approx(0.625)
    # the naive forecast judged on its own series scores exactly 1
    assert mase(x[1:], x[:-1], train=x).item() == pytest.approx(1.0)
    # (T, batch, d): one value per batch member; a (T', d) training series broadcasts
    batch = mase(torch.stack([x2, x2], 1), torch.stack([x2, p2], 1), train=x2)
    torch.testing.assert_close(batch, torch.tensor([0.0, 0.625], dtype=torch.float64))


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: state_space_divergence(torch.rand(50, 2), torch.rand(50, 2), smoothing=1e-5, eps=1e-7), "not both"),
        (lambda: state_space_divergence(torch.rand(50, 2), torch.rand(50, 2), outside="keep"), "`outside`"),
        (lambda: state_space_divergence(torch.rand(50, 2), torch.rand(50, 2), padding=-0.1), "`padding`"),
        (lambda: state_space_divergence(torch.rand(50, 2), torch.rand(50, 2), padding_unit="iqr"), "`padding_unit`"),
        (lambda: state_space_divergence(torch.rand(50, 2), torch.rand(50, 2), smoothing=0.0), "`smoothing`"),
        (lambda: state_space_divergence(torch.rand(50, 2), torch.rand(50, 2), bins=0), "`bins`"),
        (lambda: state_space_divergence(torch.rand(50, 2), torch.rand(50, 2), method="gmm", outside="penalize"), "does not apply"),
        (lambda: state_space_divergence(torch.rand(50, 2), torch.rand(50, 2), method="binning", sigma=0.5), "does not apply"),
        (lambda: state_space_divergence(torch.rand(50, 2), torch.rand(50, 2), method="gmm", binning_below=4), "`binning_below`"),
        (lambda: state_space_divergence(torch.rand(50, 2), torch.rand(50, 2), binning_below=0), "`binning_below`"),
        (lambda: state_space_divergence(torch.rand(50, 2), torch.rand(50, 2), centers="random"), "`centers`"),
        (lambda: state_space_divergence(torch.rand(50, 2), torch.rand(50, 2), standardize="yes"), "`standardize`"),
        (lambda: state_space_divergence(torch.ones(50, 2), torch.rand(50, 2)), "constant"),
        (lambda: power_spectrum_distance(torch.rand(50, 2), torch.rand(50, 2), window="hamming"), "`window`"),
        (lambda: power_spectrum_distance(torch.rand(50, 2), torch.rand(50, 2), boundary="wrap"), "`boundary`"),
        (lambda: power_spectrum_distance(torch.rand(50, 2), torch.rand(50, 2), smoothing=-1.0), "`smoothing`"),
        (lambda: mase(torch.rand(5, 2), torch.rand(4, 2)), "shape"),
        (lambda: mase(torch.rand(5, 2), torch.rand(5, 2), m=0), "`m`"),
        (lambda: mase(torch.rand(5, 2), torch.rand(5, 2), m=5), "more than m=5"),
        (lambda: mase(torch.rand(5, 2), torch.rand(5, 2), train=torch.ones(6, 2)), "undefined"),
        (lambda: mase(torch.rand(5, 2), torch.rand(5, 2), train=torch.rand(6, 3)), "`train`"),
    ],
)
def test_bad_arguments(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()
