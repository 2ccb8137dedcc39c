"""Conversions between the velocity, score, noise and denoiser parametrizations."""

import pytest
import torch

import attractor.transport as tr

from .problems import ALL_PATHS

KINDS = ("velocity", "score", "noise", "data")


@pytest.mark.parametrize("path", [p for p in ALL_PATHS if p.gaussian_source], ids=repr)
def test_round_trips(path):
    g = torch.Generator().manual_seed(0)
    x, p = torch.randn(6, 3, generator=g), torch.randn(6, 3, generator=g)
    t = torch.linspace(0.1, 0.8, 6)  # (EDM with sigma_min=0 has noise 8e-6 at t=0.9: 1/s^2 ill-conditioned)
    for a in KINDS:
        for b in KINDS:
            there = tr.convert(path, p, x, t, a, b)
            torch.testing.assert_close(tr.convert(path, there, x, t, b, a), p, rtol=1e-9, atol=1e-9)


def test_model_wrapper_converts_and_caches():
    path = tr.VPPath()
    net = torch.nn.Linear(2, 2)
    model = tr.TransportModel(lambda x, t: net(x), path, "noise")
    x = torch.randn(4, 2)
    expected = tr.convert(path, net(x), x, torch.full((4,), 0.3), "noise", "data")
    torch.testing.assert_close(model.data(x, 0.3), expected)
    torch.testing.assert_close(model.data(x, torch.full((4,), 0.3)), expected)
    assert (0.3, "data") in model._coefficients
    assert list(model.parameters()) == []  # a lambda has none; an nn.Module net registers its own
    assert len(list(tr.TransportModel(net, path).parameters())) == 2


def test_singular_conversion_names_t():
    with pytest.raises(ValueError, match="t=0"):
        tr.conversion_coefficients(tr.LinearPath(), 0.0, "noise", "data")
    with pytest.raises(ValueError, match="t=1"):
        tr.conversion_coefficients(tr.LinearPath(), 1.0, "data", "score")


def test_data_source_pairs_cannot_convert():
    p = tr.StochasticInterpolant(source="data")
    with pytest.raises(ValueError, match="independent fields"):
        tr.conversion_coefficients(p, 0.5, "velocity", "score")
    c_x, c_p = tr.conversion_coefficients(p, 0.5, "noise", "score")
    g = float(p.coefficients(0.5)[2])
    assert float(c_x) == 0.0 and abs(float(c_p) + 1 / g) < 1e-12


def test_bad_prediction_name():
    with pytest.raises(ValueError, match="prediction"):
        tr.TransportModel(torch.nn.Identity(), tr.LinearPath(), "epsilon")
    with pytest.raises(ValueError, match="source"):
        tr.convert(tr.LinearPath(), torch.zeros(2, 1), torch.zeros(2, 1), 0.5, "eps", "eps")


def test_wrong_output_shape_is_named():
    model = tr.TransportModel(lambda x, t: x[:, :1], tr.LinearPath())
    with pytest.raises(ValueError, match="shaped like `x`"):
        model.velocity(torch.zeros(3, 2), 0.5)
