"""Evaluation as published: a perfect model scores as one, and the data pipeline does what it says."""

import math

import pytest
import torch

from attractor import dsr


class Henon(torch.nn.Module):
    def forward(self, z):
        return torch.stack([1 - 1.4 * z[..., 0] ** 2 + z[..., 1], 0.3 * z[..., 0]], -1)


def henon_data(n=6000):
    z = [torch.tensor([0.1, 0.1])]
    for _ in range(n + 500):
        z.append(Henon()(z[-1]))
    return torch.stack(z[501:])


def test_perfect_model_scores():
    m = dsr.MapModel(Henon(), 2, 2)
    x = henon_data()
    assert float(dsr.prediction_error(m, x, 20)) < 1e-20
    scores = dsr.evaluate(m, x, reference_lyapunov=0.41922)  # Hénon's λ1 (Sprott 2003)
    assert scores["D_stsp"] < 0.15 and scores["D_H"] < 0.1
    assert scores["lambda_1_error"] < 0.03
    assert scores["D_KY"] == pytest.approx(1.26, abs=0.02)


def test_wrong_model_scores_worse():
    class Shrunk(Henon):
        def forward(self, z):
            return 0.9 * super().forward(z)

    x = henon_data()
    good = dsr.evaluate(dsr.MapModel(Henon(), 2, 2), x, lyapunov=False)
    bad = dsr.evaluate(dsr.MapModel(Shrunk(), 2, 2), x, lyapunov=False)
    assert bad["D_stsp"] > 5 * good["D_stsp"] and bad["PE_20"] > 1e-3


def test_prediction_error_by_hand():
    # a model that predicts "no change": PE_1 = mean squared increment
    m = dsr.MapModel(torch.nn.Identity(), 2, 2)
    x = torch.randn(50, 2)
    torch.testing.assert_close(dsr.prediction_error(m, x, 1), (x[1:] - x[:-1]).pow(2).mean())


def test_summarize_median_and_quartiles():
    runs = [{"a": float(v), "b": 1.0} for v in [4, 1, 3, 2, math.nan]]
    s = dsr.summarize(runs)
    assert s["a"] == {"median": 2.5, "q25": 1.75, "q75": 3.25, "n": 4}
    with pytest.raises(ValueError, match="non-empty"):
        dsr.summarize([])


def test_observe_system_standardizes_and_splits():
    ds = dsr.observe_system("lorenz", 3000, 1000, noise=0.05, generator=torch.Generator().manual_seed(0))
    assert ds.train.shape == (3000, 3) and ds.test.shape == (1000, 3)
    torch.testing.assert_close(ds.train.mean(0), torch.zeros(3), rtol=0, atol=1e-10)
    torch.testing.assert_close(ds.train.std(0), torch.ones(3), rtol=0, atol=1e-10)
    assert ds.dt == 0.01 and ds.lyapunov == pytest.approx(0.9056, abs=0.01)
    clean = dsr.observe_system("lorenz", 3000, 1000, noise=0.0)
    # 5 % noise of each coordinate's std: the difference has std 0.05 in standardized units
    assert float((ds.train - clean.train).std()) == pytest.approx(0.05, rel=0.1)
    delayed = dsr.observe_system("lorenz", 2000, 500, observe=[0], delay_dim=3, delay=5, noise=0.0, standardize=False)
    assert delayed.train.shape == (2000, 3)
    torch.testing.assert_close(delayed.train[5:, 0], delayed.train[:-5, 1], rtol=0, atol=1e-12)
    per_period = dsr.observe_system("lorenz", 500, 100, points_per_period=50, noise=0.0)
    from attractor.systems import get

    assert per_period.dt == pytest.approx(get("lorenz").period / 50)
    with pytest.raises(ValueError, match="not both"):
        dsr.observe_system("lorenz", 100, 100, dt=0.01, points_per_period=50)
    with pytest.raises(ValueError, match="`observe`"):
        dsr.observe_system("lorenz", 100, 100, observe=[3])
    with pytest.raises(ValueError, match="one observed coordinate"):
        dsr.observe_system("lorenz", 100, 100, delay_dim=2)
