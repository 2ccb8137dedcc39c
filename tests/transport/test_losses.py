"""Training objectives: their minimizers are the exact marginal fields."""

import pytest
import torch

import attractor.transport as tr

CASES = [
    (tr.LinearPath(), "velocity"),
    (tr.VPPath(), "noise"),
    (tr.VPPath("cosine"), "data"),
    (tr.TrigonometricPath(), "score"),
    (tr.StochasticInterpolant(epsilon=0.5), "velocity"),
    (tr.StochasticInterpolant(epsilon=0.5), "noise"),
]


@pytest.mark.parametrize("path,kind", CASES, ids=lambda v: repr(v) if not isinstance(v, str) else v)
def test_exact_field_minimizes_the_loss(path, kind):
    """E||f* + d - target||^2 = E||f* - target||^2 + ||d||^2 when f* is the conditional expectation
    of the target (the cross term vanishes), so shifting the exact field by d costs exactly |d|^2."""
    target = tr.GaussianMixture.random(2, 2, seed=4)
    f = tr.MixtureField(path, target)
    loss = tr.TransportLoss(path, kind, time=tr.UniformTime(0.2, 0.8))
    shift = torch.tensor([0.3, -0.2])

    def estimate(d, seed):
        g = torch.Generator().manual_seed(seed)
        x1 = target.sample(100_000, generator=g)
        return float(loss(lambda x, t: f.predict(kind, x, t) + d, x1, generator=g))
    gap = estimate(shift, 7) - estimate(torch.zeros(2), 7)  # common random numbers
    assert abs(gap - float(shift.pow(2).mean())) < 0.01 * float(shift.pow(2).mean()) + 2e-3


def test_min_snr_weights():
    path = tr.VPPath()
    t = torch.tensor([0.1, 0.5, 0.95])
    b, s = path.scales(t)[:2]
    snr = (b / s) ** 2
    w = tr.MinSNRWeighting(5.0)
    torch.testing.assert_close(w(t, path, "noise"), torch.clamp(snr, max=5.0) / snr)
    torch.testing.assert_close(w(t, path, "data"), torch.clamp(snr, max=5.0))


def test_time_samplers():
    g = torch.Generator().manual_seed(0)
    u = tr.UniformTime(0.1, 0.3).sample(10_000, generator=g)
    assert float(u.min()) >= 0.1 and float(u.max()) <= 0.3
    ln = tr.LogitNormalTime(0.0, 1.0).sample(100_000, generator=g)
    assert abs(float(ln.median()) - 0.5) < 0.01
    assert abs(float(torch.logit(ln).std()) - 1.0) < 0.01


def test_loss_validation():
    with pytest.raises(ValueError, match="data source"):
        tr.TransportLoss(tr.StochasticInterpolant(source="data"))(lambda x, t: x, torch.randn(4, 2))
    with pytest.raises(ValueError, match="'data' prediction"):
        tr.TransportLoss(tr.StochasticInterpolant(source="data"), "data")
    with pytest.raises(ValueError, match="expected a tensor of shape"):
        tr.TransportLoss(tr.LinearPath())(lambda x, t: x[:, 0], torch.randn(4, 2))
    with pytest.raises(TypeError, match="Coupling"):
        tr.TransportLoss(tr.LinearPath(), coupling="ot")
