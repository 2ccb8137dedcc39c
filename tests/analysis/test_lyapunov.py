"""Lyapunov spectra: known values, exact sum rules, batching, failure modes."""

from __future__ import annotations

import math

import pytest
import torch

from attractor import ConvergenceError, Status
from attractor.analysis import kaplan_yorke_dimension, lyapunov_spectrum, max_lyapunov
from attractor.analysis.propagators import FlowPropagator
from attractor.systems import get, sample_on_attractor


def test_logistic_map_at_r4_is_ln2():
    res = lyapunov_spectrum(get("logistic"))
    assert res.exponents.shape == (1,)
    assert res.exponents[0].item() == pytest.approx(math.log(2), abs=1e-2)
    assert bool(res.ok)


def test_henon_map_exponents_and_area_contraction():
    res = lyapunov_spectrum(get("henon"))
    lam1, lam2 = res.exponents.tolist()
    assert lam1 == pytest.approx(0.419, abs=0.02)
    # |det J| = b everywhere, so λ1 + λ2 = ln b up to rounding, whatever the orbit
    assert lam1 + lam2 == pytest.approx(math.log(0.3), abs=1e-9)
    assert res.kaplan_yorke_dimension.item() == pytest.approx(1.258, abs=0.02)


@pytest.mark.parametrize(
    "name, exact",
    [
        ("tent", [math.log(1.9)]),
        ("chebyshev", [math.log(6.0)]),
        ("cat_map", [math.log((3 + 5**0.5) / 2), -math.log((3 + 5**0.5) / 2)]),
    ],
)
def test_maps_with_exact_exponents(name, exact):
    res = lyapunov_spectrum(get(name), max_time=2000)
    torch.testing.assert_close(res.exponents, torch.tensor(exact, dtype=torch.float64), atol=2e-3, rtol=0)


@pytest.mark.parametrize("name, log_det", [("ikeda", 2 * math.log(0.9)), ("duffing_map", math.log(0.2)), ("lozi", math.log(0.5))])
def test_sum_rule_for_maps_with_constant_jacobian_determinant(name, log_det):
    res = lyapunov_spectrum(get(name), tol=0.0, max_time=300, on_failure="status")
    assert res.sum.item() == pytest.approx(log_det, abs=1e-8)
    assert res.exponents[0] > 0


def test_lorenz_default_call():
    res = lyapunov_spectrum(get("lorenz"))  # no other arguments: must converge
    lam = res.exponents
    assert bool(res.ok) and res.status.shape == ()
    assert lam[0].item() == pytest.approx(0.906, abs=0.05)
    assert lam[1].item() == pytest.approx(0.0, abs=0.02)
    assert res.sum.item() == pytest.approx(-(10 + 1 + 8 / 3), abs=1e-2)
    assert res.kaplan_yorke_dimension.item() == pytest.approx(2.06, abs=0.03)
    assert (res.stderr <= 0.01 * lam.abs().clamp_min(lam[0].abs()) + 1e-12).all()
    assert res.members is not None and res.members.shape[1] == 3
    assert res.history.shape[-1] == 3


def test_rossler():
    res = lyapunov_spectrum(get("rossler"), tol=0.05)
    assert res.exponents[0].item() == pytest.approx(0.071, abs=0.01)
    assert res.exponents[2].item() == pytest.approx(-5.39, abs=0.1)


# The automatic re-orthonormalisation interval is chosen from the whole batch (one odeint
# call serves it), so bitwise batch == per-sample holds for a given `interval`.
def test_batch_equals_each_sample_alone():
    s = get("henon")
    y0 = sample_on_attractor(s, 3)
    kw = {"tol": 0.0, "max_time": 400, "interval": 4, "on_failure": "status"}
    batched = lyapunov_spectrum(s, y0, **kw)
    assert batched.exponents.shape == (3, 2) and batched.status.shape == (3,)
    for i in range(3):
        single = lyapunov_spectrum(s, y0[i], **kw)
        torch.testing.assert_close(batched.exponents[i], single.exponents, rtol=1e-10, atol=1e-12)


def test_flow_batch_equals_each_sample_alone():
    s = get("lorenz")
    y0 = sample_on_attractor(s, 2)
    kw = {"tol": 0.0, "max_time": 2.0, "transient": 1.0, "interval": 0.5, "on_failure": "status"}
    batched = lyapunov_spectrum(s, y0, **kw)
    for i in range(2):
        single = lyapunov_spectrum(s, y0[i], **kw)
        torch.testing.assert_close(batched.exponents[i], single.exponents, rtol=1e-9, atol=1e-10)


def test_samples_converge_and_stop_independently():
    s = get("logistic")
    y0 = torch.tensor([[0.2], [0.7]], dtype=torch.float64)
    res = lyapunov_spectrum(s, y0, tol=0.01, interval=10, max_time=20_000)
    assert res.ok.all() and res.time.shape == (2,)
    # each sample stops at its own check; its answer is the one it would get alone
    alone = lyapunov_spectrum(s, y0[1], tol=0.01, interval=10, max_time=20_000)
    torch.testing.assert_close(res.exponents[1], alone.exponents)
    assert res.time[1] == alone.time
    torch.testing.assert_close(res.exponents, torch.full((2, 1), math.log(2), dtype=torch.float64), atol=1e-2, rtol=0)


@pytest.mark.parametrize("mode", ["reverse", "forward", "vmap"])
def test_jacobian_modes_agree(mode):
    # the modes differ only in how J Q is formed: compare the propagated tangent frames of a
    # batch over a short span with the analytic tangent map's
    s = get("lorenz")
    y0 = sample_on_attractor(s, 2)
    gen = torch.Generator().manual_seed(0)
    q = torch.linalg.qr(torch.randn(2, 3, 3, generator=gen, dtype=torch.float64)).Q
    ref_y, ref_w = FlowPropagator(s, solver="rk4", dt=0.01, jvp_mode="analytic")(0.0, y0, q, 0.3)
    y, w = FlowPropagator(s, solver="rk4", dt=0.01, jvp_mode=mode)(0.0, y0, q, 0.3)
    torch.testing.assert_close(y, ref_y, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(w, ref_w, rtol=1e-10, atol=1e-10)
    assert (ref_w - q).abs().max() > 0.1  # the frame really moved


def test_autograd_and_analytic_spectra_agree():
    s = get("lorenz")
    kw = {"tol": 0.0, "max_time": 1.0, "transient": 0.5, "interval": 0.5, "on_failure": "status"}
    ref = lyapunov_spectrum(s, s.y0, jvp_mode="analytic", **kw)
    res = lyapunov_spectrum(s, s.y0, jvp_mode="reverse", **kw)
    torch.testing.assert_close(res.exponents, ref.exponents, rtol=1e-9, atol=1e-9)


def test_plain_function_flow_and_map():
    def lorenz(t, y):
        x, y_, z = y.unbind(-1)
        return torch.stack((10 * (y_ - x), x * (28 - z) - y_, x * y_ - 8 / 3 * z), -1)

    y0 = get("lorenz").y0
    res = lyapunov_spectrum(lorenz, y0, dt=0.01, tol=0.0, max_time=2.0, transient=1.0, on_failure="status")
    assert res.sum.item() == pytest.approx(-(10 + 1 + 8 / 3), abs=1e-2)
    with pytest.raises(ValueError, match="`dt` is required"):
        lyapunov_spectrum(lorenz, y0)
    with pytest.raises(ValueError, match="`y0` is required"):
        lyapunov_spectrum(lorenz)

    res = lyapunov_spectrum(lambda x: 4 * x * (1 - x), torch.tensor([0.3], dtype=torch.float64), discrete=True)
    assert res.exponents.item() == pytest.approx(math.log(2), abs=1e-2)


def test_adaptive_solver_gives_the_same_sum():
    s = get("lorenz")
    res = lyapunov_spectrum(
        s, s.y0, solver="tsit5", rtol=1e-7, atol=1e-9, tol=0.0, max_time=2.0, transient=0.5,
        interval=0.5, on_failure="status",
    )
    assert res.sum.item() == pytest.approx(-(10 + 1 + 8 / 3), abs=1e-3)


def test_leading_exponents_only():
    s = get("lorenz")
    kw = {"tol": 0.0, "max_time": 3.0, "transient": 1.0, "interval": 0.5, "on_failure": "status"}
    one = lyapunov_spectrum(s, s.y0, n_exponents=1, **kw)
    full = lyapunov_spectrum(s, s.y0, **kw)
    assert one.exponents.shape == (1,)
    # the leading direction does not depend on the others (Gram–Schmidt is triangular)
    torch.testing.assert_close(one.exponents[0], full.exponents[0], rtol=1e-9, atol=1e-10)


def test_max_lyapunov_from_a_model():
    lam = max_lyapunov(get("henon"), tol=0.02)
    assert lam.shape == () and lam.item() == pytest.approx(0.419, abs=0.02)


def test_float32_runs_and_follows_dtype():
    s = get("henon")
    res = lyapunov_spectrum(s, s.y0.float(), tol=0.0, max_time=500, on_failure="status")
    assert res.exponents.dtype == torch.float32
    assert res.exponents[0].item() == pytest.approx(0.419, abs=0.05)
    assert res.sum.item() == pytest.approx(math.log(0.3), abs=1e-4)


def test_not_converged_raises_with_diagnostics():
    s = get("henon")
    with pytest.raises(ConvergenceError, match="lyapunov_spectrum failed.*MAX_STEPS") as info:
        lyapunov_spectrum(s, s.y0, tol=1e-6, max_time=200)
    assert info.value.solution is not None
    res = lyapunov_spectrum(s, s.y0, tol=1e-6, max_time=200, on_failure="status")
    assert int(res.status) == int(Status.MAX_STEPS) and not bool(res.ok)


def test_blow_up_is_reported_not_hidden():
    s = get("logistic", r=4.5)
    y0 = torch.tensor([[0.3], [0.5]], dtype=torch.float64)
    res = lyapunov_spectrum(s, y0, tol=0.0, max_time=300, on_failure="status")
    assert (res.status == int(Status.NONFINITE)).all()
    with pytest.raises(ConvergenceError, match="NONFINITE"):
        lyapunov_spectrum(s, y0, tol=0.0, max_time=300)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"n_exponents": 3}, ValueError, "`n_exponents`"),
        ({"tol": -1.0}, ValueError, "`tol`"),
        ({"on_failure": "ignore"}, ValueError, "`on_failure`"),
        ({"jvp_mode": "magic"}, ValueError, "`jvp_mode`"),
        ({"y0": torch.zeros(2, 2, dtype=torch.float64), "ensemble": 4}, ValueError, "`ensemble`"),
        ({"discrete": False}, ValueError, "contradicts"),
        ({"y0": torch.zeros(3, dtype=torch.float64)}, ValueError, "has dimension 2"),
    ],
)
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        lyapunov_spectrum(get("henon"), **kwargs)


def test_kaplan_yorke_of_result_matches_function():
    res = lyapunov_spectrum(get("henon"), get("henon").y0, tol=0.0, max_time=200, on_failure="status")
    torch.testing.assert_close(res.kaplan_yorke_dimension, kaplan_yorke_dimension(res.exponents))


# -- input validation and failure reporting (issue 12) -------------------------------------------
@pytest.mark.parametrize(
    "y0, match",
    [(torch.zeros(0, dtype=torch.float64), r"`y0`.*shape \(0,\)"),
     (torch.zeros(3, 0, dtype=torch.float64), r"`y0`.*shape \(3, 0\)"),
     (torch.zeros(0, 2, dtype=torch.float64), r"`y0`.*shape \(0, 2\)")],
)
def test_empty_initial_state_is_named(y0, match):
    with pytest.raises(ValueError, match=match):
        lyapunov_spectrum(lambda t, y: -y, y0, dt=0.1)


@pytest.mark.parametrize(
    "field, error, match",
    [
        (lambda t, y: y[..., :1], ValueError, r"returned shape \(1,\); expected \(2,\)"),
        (lambda t, y: None, TypeError, "must return a torch.Tensor; got NoneType"),
        (lambda t, y: y.float(), TypeError, "returned dtype torch.float32; expected torch.float64"),
    ],
)
def test_a_bad_field_is_named_before_integration(field, error, match):
    with pytest.raises(error, match=match):
        lyapunov_spectrum(field, torch.ones(2, dtype=torch.float64), dt=0.01)
    with pytest.raises(error, match="map"):
        lyapunov_spectrum(lambda y: field(0.0, y), torch.ones(2, dtype=torch.float64), discrete=True)


def test_blow_up_in_the_transient_is_a_status_not_an_exception():
    # y' = y² leaves every bound at t = 1/y0, during the calibration and transient
    y0 = torch.tensor([[0.5, 0.5], [-1.0, -0.5]], dtype=torch.float64)
    res = lyapunov_spectrum(lambda t, y: y * y, y0, dt=0.01, max_time=5, on_failure="status")
    assert res.status[0] == int(Status.NONFINITE)
    with pytest.raises(ConvergenceError, match="NONFINITE"):
        lyapunov_spectrum(lambda t, y: y * y, y0[:1], dt=0.01, max_time=5)


def test_a_blown_up_sample_has_nan_exponents_and_dimension():
    s = get("logistic", r=4.5)
    y0 = torch.tensor([[0.3], [0.5]], dtype=torch.float64)
    res = lyapunov_spectrum(s, y0, tol=0.0, max_time=300, on_failure="status")
    assert (res.status == int(Status.NONFINITE)).all()
    assert torch.isnan(res.exponents).all() and torch.isnan(res.stderr).all()
    assert torch.isnan(res.kaplan_yorke_dimension).all()
    # a healthy sample beside it keeps its value
    mixed = lyapunov_spectrum(get("logistic"), torch.tensor([[0.3], [1.5]], dtype=torch.float64),
                              tol=0.0, max_time=300, on_failure="status")
    assert mixed.status.tolist() == [int(Status.MAX_STEPS), int(Status.NONFINITE)]
    assert mixed.exponents[0, 0].item() == pytest.approx(math.log(2), abs=0.02)
    assert torch.isnan(mixed.exponents[1]).all() and torch.isnan(mixed.kaplan_yorke_dimension[1])


def test_kaplan_yorke_dimension_of_an_unknown_spectrum_is_nan():
    d = kaplan_yorke_dimension(torch.tensor([[0.5, float("nan")], [0.5, -1.0]], dtype=torch.float64))
    assert torch.isnan(d[0]) and d[1].item() == pytest.approx(1.5)


def test_phase_coherent_flow_error_bar_covers_the_reference():
    """Sprott's jerk flow is phase coherent: ensemble members kicked apart spread over the
    attractor but keep a common phase, so over a short run their estimates share a
    fluctuation (here -0.0055) that the spread across members (±0.0009) does not see. The
    batch-means error of the ensemble average does; the reported error must cover the gap to
    Sprott's λ1 = 0.0550 (Phys. Lett. A 228, 1997)."""
    res = lyapunov_spectrum(get("sprott_jerk"), n_exponents=2, interval=3.65, tol=0.0, max_time=180,
                            on_failure="status")
    spread = res.members[:, 0].std() / math.sqrt(res.members.shape[0])
    gap = abs(res.exponents[0].item() - 0.0550)
    assert gap > 3 * spread  # the members alone would claim a precision the run lacks
    assert gap <= 2 * res.stderr[0].item()
    assert abs(res.exponents[1].item()) <= 2 * res.stderr[1].item()  # λ2 = 0 exactly
