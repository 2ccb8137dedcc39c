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


@pytest.mark.parametrize("path", [tr.VPPath(), tr.LinearPath(), tr.TrigonometricPath()], ids=repr)
def test_min_snr_weights_give_one_loss_for_every_prediction(path):
    """The weights are min(SNR, gamma)/SNR in noise units, carried to each prediction: an error
    eps_hat - eps = d costs the same weighted loss whichever parametrization expresses it."""
    t = torch.tensor([0.1, 0.5, 0.9])
    b, s, db, ds = path.scales(t)
    w = tr.MinSNRWeighting(5.0)
    snr = (b / s) ** 2
    torch.testing.assert_close(w(t, path, "noise"), torch.clamp(snr, max=5.0) / snr)
    d = torch.tensor([0.3, -0.7, 1.1])  # per-sample noise error
    errors = {"noise": d, "data": -s / b * d, "score": -d / s, "velocity": (ds - db * s / b) * d}
    losses = {k: w(t, path, k) * e**2 for k, e in errors.items()}
    for k in losses:
        torch.testing.assert_close(losses[k], losses["noise"], rtol=1e-9, atol=0)
    assert bool(torch.isfinite(w(torch.tensor([0.0, 1.0]), path, "noise")).all())  # snr 0 and inf
    with pytest.raises(ValueError, match="prediction"):
        w(t, path, "epsilon")


@pytest.mark.parametrize("path,kind,end", [
    (tr.StochasticInterpolant(epsilon=0.5), "velocity", 0.0),   # gamma' infinite at the ends
    (tr.VPPath(), "velocity", 1.0),                              # the noise scale's derivative
    (tr.LinearPath(), "score", 1.0),                             # -eps / s with s = 0
], ids=["bridge", "vp-velocity", "linear-score"])
def test_singular_ends_of_the_time_sampler_are_refused(path, kind, end):
    with pytest.raises(ValueError, match=f"singular at t={end:g}"):
        tr.TransportLoss(path, kind)
    tr.TransportLoss(path, kind, time=tr.UniformTime(1e-3, 1 - 1e-3))  # fine away from the ends
    tr.TransportLoss(path, kind, time=tr.LogitNormalTime())


def test_time_samplers():
    g = torch.Generator().manual_seed(0)
    u = tr.UniformTime(0.1, 0.3).sample(10_000, generator=g)
    assert float(u.min()) >= 0.1 and float(u.max()) <= 0.3
    ln = tr.LogitNormalTime(0.0, 1.0).sample(100_000, generator=g)
    assert abs(float(ln.median()) - 0.5) < 0.01
    assert abs(float(torch.logit(ln).std()) - 1.0) < 0.01


def test_loss_validation():
    with pytest.raises(ValueError, match="data source"):
        tr.TransportLoss(tr.StochasticInterpolant(gamma="constant", source="data"))(lambda x, t: x, torch.randn(4, 2))
    with pytest.raises(ValueError, match="'data' prediction"):
        tr.TransportLoss(tr.StochasticInterpolant(source="data"), "data")
    with pytest.raises(ValueError, match="expected a tensor of shape"):
        tr.TransportLoss(tr.LinearPath())(lambda x, t: x[:, 0], torch.randn(4, 2))
    with pytest.raises(TypeError, match="Coupling"):
        tr.TransportLoss(tr.LinearPath(), coupling="ot")
