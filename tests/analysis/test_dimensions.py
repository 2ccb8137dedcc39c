"""Kaplan–Yorke and correlation dimensions."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from attractor.analysis import correlation_dimension, correlation_sum, kaplan_yorke_dimension


def test_kaplan_yorke_lorenz_reference_spectrum():
    lam = torch.tensor([0.9056, 0.0, -14.5723], dtype=torch.float64)
    assert kaplan_yorke_dimension(lam).item() == pytest.approx(2 + 0.9056 / 14.5723)


def test_kaplan_yorke_edge_cases_and_batching():
    spectra = torch.tensor(
        [
            [-0.1, -0.5, -1.0],  # stable fixed point: 0
            [0.5, 0.2, 0.1],  # every partial sum positive: k
            [1.0, -0.5, -2.0],  # j = 2, D = 2 + 0.5 / 2
            [-1.0, 1.0, 0.0],  # sorted first to (1, 0, -1); partial sums 1, 1, 0 >= 0: k
        ],
        dtype=torch.float64,
    )
    out = kaplan_yorke_dimension(spectra)
    torch.testing.assert_close(out, torch.tensor([0.0, 3.0, 2.25, 3.0], dtype=torch.float64))
    henon = torch.tensor([0.41922, -1.62319], dtype=torch.float64)
    assert kaplan_yorke_dimension(henon).item() == pytest.approx(1.25827, abs=1e-5)
    assert kaplan_yorke_dimension(torch.tensor([0.69], dtype=torch.float64)).item() == 1.0


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(-5, 5), min_size=1, max_size=6))
def test_kaplan_yorke_bounds_and_batch_property(values):
    lam = torch.tensor(values, dtype=torch.float64)
    d = kaplan_yorke_dimension(lam)
    assert 0.0 <= d.item() <= len(values)
    both = kaplan_yorke_dimension(torch.stack([lam, lam.flip(0)]))
    torch.testing.assert_close(both, torch.stack([d, d]))


def test_correlation_dimension_of_uniform_sets():
    g = torch.Generator().manual_seed(0)
    line = torch.rand(3000, 1, generator=g, dtype=torch.float64)
    square = torch.rand(3000, 2, generator=g, dtype=torch.float64)
    assert correlation_dimension(line, theiler=0).item() == pytest.approx(1.0, abs=0.07)
    assert correlation_dimension(square, theiler=0).item() == pytest.approx(2.0, abs=0.12)


def test_correlation_dimension_of_henon(henon_series):
    # Sprott (2003): D2 = 1.220 ± 0.036
    assert correlation_dimension(henon_series).item() == pytest.approx(1.22, abs=0.08)


def test_correlation_dimension_of_lorenz(lorenz_series):
    # Sprott (2003): D2 = 2.068 ± 0.086
    res = correlation_dimension(lorenz_series, max_points=3000, full_output=True)
    assert res.dimension.item() == pytest.approx(2.07, abs=0.15)
    lo, hi = res.fit_range
    assert hi / lo == pytest.approx(10.0, rel=0.2)  # one decade
    assert res.correlation_sum.diff().min() >= 0  # C(r) is non-decreasing


def test_correlation_sum_counts_pairs_exactly():
    x = torch.tensor([[0.0], [1.0], [3.0]], dtype=torch.float64)
    radii = torch.tensor([0.5, 1.5, 2.5, 3.5], dtype=torch.float64)
    # pair distances 1, 3, 2
    torch.testing.assert_close(
        correlation_sum(x, radii), torch.tensor([0.0, 1 / 3, 2 / 3, 1.0], dtype=torch.float64)
    )
    # a Theiler window of 1 drops the neighbouring pairs (0,1) and (1,2): only distance 3 is left
    torch.testing.assert_close(
        correlation_sum(x, radii, theiler=1), torch.tensor([0.0, 0.0, 0.0, 1.0], dtype=torch.float64)
    )


@pytest.mark.parametrize(
    "x, match",
    [
        (torch.zeros(5, 2, dtype=torch.float64), "at least 10"),
        (torch.zeros(20, 2, 2, dtype=torch.float64), "shape"),
        ([1.0, 2.0], "torch.Tensor"),
    ],
)
def test_bad_inputs(x, match):
    with pytest.raises((ValueError, TypeError), match=match):
        correlation_dimension(x)
