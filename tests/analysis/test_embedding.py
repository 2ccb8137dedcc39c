"""Delay embedding, mutual information, autocorrelation, false nearest neighbours."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from attractor.analysis import (
    autocorrelation,
    choose_delay,
    choose_dimension,
    delay_embed,
    embed,
    false_nearest_neighbors,
    mutual_information,
)


def test_delay_embed_layout():
    x = torch.arange(10, dtype=torch.float64)
    e = delay_embed(x, dim=3, delay=2)
    assert e.shape == (6, 3)
    torch.testing.assert_close(e[0], torch.tensor([0.0, 2.0, 4.0], dtype=torch.float64))
    torch.testing.assert_close(e[-1], torch.tensor([5.0, 7.0, 9.0], dtype=torch.float64))
    two = torch.stack([x, -x], -1)
    e2 = delay_embed(two, dim=2, delay=1)
    torch.testing.assert_close(e2[0], torch.tensor([0.0, -0.0, 1.0, -1.0], dtype=torch.float64))


@settings(max_examples=40, deadline=None)
@given(n=st.integers(5, 60), dim=st.integers(1, 5), delay=st.integers(1, 6))
def test_delay_embed_property(n, dim, delay):
    x = torch.randn(n, dtype=torch.float64)
    if n - (dim - 1) * delay < 1:
        with pytest.raises(ValueError, match="too short"):
            delay_embed(x, dim, delay)
        return
    e = delay_embed(x, dim, delay)
    assert e.shape == (n - (dim - 1) * delay, dim)
    for k in range(dim):
        torch.testing.assert_close(e[:, k], x[k * delay : k * delay + e.shape[0]])


def test_autocorrelation_of_a_sine_is_a_cosine():
    t = torch.arange(4000, dtype=torch.float64) * 0.01
    x = torch.sin(2 * math.pi * t)
    acf = autocorrelation(x, 200)[:, 0]
    assert acf[0].item() == pytest.approx(1.0)
    # finite-sample estimate: (1 - k/n) cos(2π k dt)
    k = torch.arange(201, dtype=torch.float64)
    expected = (1 - k / 4000) * torch.cos(2 * math.pi * k * 0.01)
    torch.testing.assert_close(acf, expected, atol=0.01, rtol=0)
    assert choose_delay(x, method="acf") in (25, 26)  # first zero crossing: a quarter period


def test_mutual_information_properties():
    t = torch.arange(5000, dtype=torch.float64) * 0.01
    x = torch.sin(2 * math.pi * t * 0.7) + 0.5 * torch.sin(2 * math.pi * t * 1.9)
    mi = mutual_information(x, 60, bins=16)
    # lag 0: the entropy of the binned signal, the maximum
    assert mi[0] == mi.max() and (mi >= -1e-12).all()
    g = torch.Generator().manual_seed(0)
    noise = torch.randn(20000, generator=g, dtype=torch.float64)
    assert mutual_information(noise, 5)[1:].max() < 0.02  # independent samples


def test_lorenz_delay_and_dimension(lorenz_series):
    x = lorenz_series[:3000, 0]
    delay = choose_delay(x)  # first minimum of the mutual information
    assert 0.1 <= delay * 0.02 <= 0.3  # about 0.16-0.2 time units for Lorenz x
    fnn = false_nearest_neighbors(x, delay, max_dim=5)
    assert fnn[0] > 0.5 and fnn[2] < 0.02  # a line is folded; three dimensions unfold it
    assert choose_dimension(x, delay, max_dim=5) == 3
    e = embed(x)
    assert (e.dim, e.delay) == (3, delay) and e.values.shape == (3000 - 2 * delay, 3)


def test_a_circle_needs_two_dimensions():
    t = torch.arange(2000, dtype=torch.float64) * 0.05
    x = torch.sin(t)
    delay = choose_delay(x, method="acf")
    assert choose_dimension(x, delay, max_dim=4) == 2


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: delay_embed(torch.zeros(10), 0, 1), "`dim`"),
        (lambda: delay_embed(torch.zeros(10), 2, 0), "`delay`"),
        (lambda: delay_embed(torch.zeros(2, 2, 2), 2, 1), "shape"),
        (lambda: mutual_information(torch.zeros(10), 20), "`max_lag`"),
        (lambda: choose_delay(torch.zeros(100), method="fft"), "`method`"),
        (lambda: choose_delay(torch.zeros(100)), "constant"),
        (lambda: false_nearest_neighbors(torch.randn(30), 5, max_dim=5), "too short"),
    ],
)
def test_bad_arguments(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()
