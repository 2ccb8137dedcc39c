"""Adaptive stepping: tolerance proportionality, accuracy against closed forms and peers,
backwards integration, failures and non-finite trial steps."""

import math

import numpy as np
import pytest
import torch

import attractor
from attractor import Status

from .problems import limit_cycle, limit_cycle_exact, riccati, riccati_exact

ADAPTIVE = ["heun", "midpoint", "ralston", "bosh3", "dopri5", "tsit5", "dopri8"]


def _error(solver, rtol, T=3.0):
    y0 = torch.tensor([0.5, 0.0], dtype=torch.float64)
    t = torch.linspace(0.0, T, 7, dtype=torch.float64)
    sol = attractor.odeint(limit_cycle, y0, t, solver=solver, rtol=rtol, atol=rtol)
    want = np.stack([limit_cycle_exact(float(s), 0.5) for s in t])
    return np.abs(sol.ys.numpy() - want).max(), sol


@pytest.mark.parametrize("solver", ["bosh3", "dopri5", "tsit5", "dopri8"])
def test_tolerance_proportionality(solver):
    """Global error ~ C * tol (local extrapolation with an error estimate of order q = p - 1)."""
    tols = [1e-7, 1e-8, 1e-9, 1e-10] if solver != "bosh3" else [1e-5, 1e-6, 1e-7, 1e-8]
    errs = [_error(solver, tol)[0] for tol in tols]
    slope = np.polyfit(np.log(tols), np.log(errs), 1)[0]
    assert 0.75 <= slope <= 1.25, (solver, errs)
    # and within a small multiple of the tolerance
    assert max(e / t for e, t in zip(errs, tols)) < 30, (solver, errs)


@pytest.mark.parametrize("solver", ADAPTIVE)
def test_closed_form_within_tolerance(solver):
    rtol = 1e-6 if solver not in ("heun", "midpoint", "ralston") else 1e-4
    err, sol = _error(solver, rtol)
    assert err < 30 * rtol
    assert sol.stats["accepted"] > 0 and bool(sol.ok)


@pytest.mark.parametrize("solver", ["dopri5", "tsit5", "dopri8"])
def test_non_autonomous_riccati(solver):
    y0 = torch.tensor([1.0], dtype=torch.float64)
    t = torch.linspace(0, 4, 9, dtype=torch.float64)
    sol = attractor.odeint(riccati, y0, t, solver=solver, rtol=1e-9, atol=1e-12)
    assert torch.allclose(sol.ys[:, 0], riccati_exact(t), rtol=0, atol=1e-8)


def _van_der_pol(mu):
    def f(t, y):
        return torch.stack([y[..., 1], mu * (1 - y[..., 0] ** 2) * y[..., 1] - y[..., 0]], -1)

    def g(t, y):
        return [y[1], mu * (1 - y[0] ** 2) * y[1] - y[0]]

    return f, g


def test_agrees_with_scipy_dop853():
    from scipy.integrate import solve_ivp

    f, g = _van_der_pol(2.0)
    t = np.linspace(0, 10, 21)
    ref = solve_ivp(g, (0, 10), [2.0, 0.0], method="DOP853", t_eval=t, rtol=1e-13, atol=1e-13)
    for solver, rtol, agree in [("dopri8", 1e-11, 1e-8), ("dopri5", 1e-9, 1e-6), ("tsit5", 1e-9, 1e-6)]:
        sol = attractor.odeint(
            f, torch.tensor([2.0, 0.0], dtype=torch.float64), torch.from_numpy(t), solver=solver,
            rtol=rtol, atol=rtol, max_steps=100_000,
        )
        np.testing.assert_allclose(sol.ys.numpy(), ref.y.T, atol=agree)


def test_agrees_with_torchdiffeq():
    torchdiffeq = pytest.importorskip("torchdiffeq")
    f, _ = _van_der_pol(1.0)
    y0 = torch.tensor([[2.0, 0.0], [1.0, 1.0]], dtype=torch.float64)
    t = torch.linspace(0, 5, 11, dtype=torch.float64)
    theirs = torchdiffeq.odeint(f, y0, t, method="dopri5", rtol=1e-10, atol=1e-12)
    ours = attractor.odeint(f, y0, t, solver="dopri5", rtol=1e-10, atol=1e-12, batch_error="rms")
    assert torch.allclose(ours.ys, theirs, atol=1e-8)


@pytest.mark.parametrize("per_sample", [False, True])
def test_backwards_in_time(per_sample):
    y0 = torch.tensor([[0.5, 0.0], [0.3, 0.1]], dtype=torch.float64)
    t = torch.linspace(0, 2, 5, dtype=torch.float64)
    fwd = attractor.odeint(limit_cycle, y0, t, rtol=1e-10, atol=1e-12, per_sample=per_sample)
    back = attractor.odeint(limit_cycle, fwd.ys[-1], t.flip(0), rtol=1e-10, atol=1e-12, per_sample=per_sample)
    assert torch.allclose(back.ys.flip(0), fwd.ys, atol=1e-8)
    # the exact solution backwards from t = 2
    exact = limit_cycle_exact(2.0, 0.5)
    start = torch.tensor(exact, dtype=torch.float64)
    sol = attractor.odeint(limit_cycle, start, torch.tensor([2.0, 0.0], dtype=torch.float64), rtol=1e-10, atol=1e-12)
    assert torch.allclose(sol.ys[-1], torch.tensor([0.5, 0.0], dtype=torch.float64), atol=1e-8)


def test_max_steps_reported():
    y0 = torch.tensor([0.5, 0.0], dtype=torch.float64)
    t = torch.tensor([0.0, 10.0], dtype=torch.float64)
    with pytest.raises(attractor.ConvergenceError) as info:
        attractor.odeint(limit_cycle, y0, t, rtol=1e-10, atol=1e-10, max_steps=5)
    assert "MAX_STEPS" in str(info.value)
    sol = attractor.odeint(limit_cycle, y0, t, rtol=1e-10, atol=1e-10, max_steps=5, on_failure="status")
    assert int(sol.status) == Status.MAX_STEPS
    assert sol.stats["accepted"] == 5
    assert torch.isnan(sol.ys[-1]).all()


def test_blow_up_reports_failure():
    """y' = y^2 from y(0) = 1 blows up at t = 1."""
    y0 = torch.tensor([1.0], dtype=torch.float64)
    t = torch.tensor([0.0, 2.0], dtype=torch.float64)
    sol = attractor.odeint(lambda t, y: y**2, y0, t, on_failure="status", max_steps=100_000)
    assert int(sol.status) in (Status.STEP_SIZE_TOO_SMALL, Status.NONFINITE)
    with pytest.raises(attractor.ConvergenceError):
        attractor.odeint(lambda t, y: y**2, y0, t, max_steps=100_000)


@pytest.mark.parametrize("solver", ["bosh3", "dopri5", "tsit5", "dopri8", "kvaerno5", "rodas5"])
@pytest.mark.parametrize("per_sample", [False, True])
def test_non_finite_trial_steps_are_rejected(per_sample, solver):
    """A field that is NaN outside |y| < 1.5: large trial steps leave the region and must be
    rejected and shrunk; the solution y = sin(t) never leaves it. (DOP853's combined error
    ratio once turned a NaN estimate into 0, accepting the NaN step.)"""

    def f(t, y):  # y' = cos t - (y - sin t): solution sin t, which attracts (J = -1)
        inside = torch.cos(t) - (y - torch.sin(t))
        return torch.where(y.abs() < 1.5, inside, torch.full_like(y, math.nan))

    y0 = torch.zeros(3, 1, dtype=torch.float64)
    t = torch.linspace(0, 10, 11, dtype=torch.float64)
    sol = attractor.odeint(f, y0, t, dt0=5.0, rtol=1e-8, atol=1e-10, per_sample=per_sample, solver=solver)
    rejected = sol.stats["rejected"]
    assert (rejected >= 1).all() if per_sample else rejected >= 1
    assert torch.allclose(sol.ys[..., 0], torch.sin(t).unsqueeze(1).expand(-1, 3), atol=1e-7)


@pytest.mark.parametrize("solver", ["dopri5", "dopri8", "kvaerno5", "rodas5"])
@pytest.mark.parametrize("per_sample", [False, True])
def test_non_finite_start_stops_with_status(per_sample, solver):
    """f(t0, y0) NaN makes Hairer's initial step NaN: the solve must stop with NONFINITE (it
    once rejected NaN-sized steps forever); with a step per sample only the bad sample fails."""

    def f(t, y):
        out = -y.clone()
        out[1] = math.nan
        return out

    y0 = torch.ones(3, 2, dtype=torch.float64)
    t = torch.tensor([0.0, 1.0], dtype=torch.float64)
    sol = attractor.odeint(f, y0, t, solver=solver, per_sample=per_sample, on_failure="status")
    expected = [0, 3, 0] if per_sample else [3, 3, 3]
    assert sol.status.tolist() == expected
    if per_sample:
        assert torch.allclose(sol.ys[-1, [0, 2]], y0[[0, 2]] * math.exp(-1), rtol=1e-5)
    with pytest.raises(attractor.ConvergenceError, match="NONFINITE"):
        attractor.odeint(f, y0, t, solver=solver, per_sample=per_sample)


def test_fixed_step_nan_reported():
    y0 = torch.tensor([1.0], dtype=torch.float64)
    t = torch.tensor([0.0, 2.0], dtype=torch.float64)
    sol = attractor.odeint(lambda t, y: y**2, y0, t, solver="rk4", dt=0.25, on_failure="status")
    assert int(sol.status) == Status.NONFINITE


def test_max_dt_respected():
    y0 = torch.tensor([1.0], dtype=torch.float64)
    t = torch.tensor([0.0, 1.0], dtype=torch.float64)
    sol = attractor.odeint(lambda t, y: -y, y0, t, max_dt=0.01, rtol=1e-3, atol=1e-3)
    assert sol.stats["accepted"] >= 100


def test_float32_and_zero_length_interval():
    y0 = torch.tensor([[1.0, 0.5]])
    sol = attractor.odeint(lambda t, y: -y, y0, torch.tensor([0.0, 1.0]))
    assert sol.ys.dtype == torch.float32
    assert torch.allclose(sol.ys[-1], y0 * math.exp(-1), rtol=1e-5)
    same = attractor.odeint(lambda t, y: -y, y0, torch.tensor([0.5]))
    assert torch.equal(same.ys[0], y0)


def _hairer_initial_step(f, y0, rtol, atol, order):
    """HNW I, II.4 (HINIT) for one shared step, written out with numpy as the reference."""
    y = y0.numpy()
    f0 = f(0.0, y0).numpy()
    sc = atol + rtol * np.abs(y)
    rms = lambda v: np.sqrt(np.mean((v / sc) ** 2, axis=-1))  # noqa: E731
    d0, d1 = rms(y), rms(f0)
    h0 = np.where((d0 < 1e-5) | (d1 < 1e-5), 1e-6, 0.01 * d0 / np.where(d1 > 0, d1, 1.0)).min()
    f1 = f(h0, torch.from_numpy(y + h0 * f0)).numpy()
    dmax = np.maximum(d1, rms(f1 - f0) / h0)
    h1 = np.where(dmax <= 1e-15, max(1e-6, h0 * 1e-3), (0.01 / np.maximum(dmax, 1e-300)) ** (1 / (order + 1)))
    return min(100 * h0, h1.min())


@pytest.mark.parametrize("case", ["generic", "one_sample_at_rest", "all_at_rest"])
def test_shared_initial_step_is_hairers(case):
    """The shared initial step (host-side reductions) equals Hairer's formula taken per sample
    and minimised over the batch, including samples where y0 or f0 vanish."""
    from attractor.ode import initial_step_size
    from attractor.ode.field import VectorField

    g = torch.Generator().manual_seed(3)
    y0 = torch.randn(5, 4, generator=g, dtype=torch.float64)
    scale = torch.linspace(0.1, 3.0, 5, dtype=torch.float64)[:, None]
    f = lambda t, y: -scale * y + 0.5 * torch.sin(y)  # noqa: E731
    if case == "one_sample_at_rest":
        y0[2] = 0.0  # d0 = d1 = 0 for that sample: h0 = 1e-6
    elif case == "all_at_rest":
        y0.zero_()  # every d = 0: the degenerate branch of h1 too
    field = VectorField(f, (), y0.shape, 1, y0.dtype, y0.device)
    atol = torch.tensor(1e-9, dtype=torch.float64)
    for order in (4, 7):
        h = initial_step_size(field, 0.0, y0.reshape(-1), f(0.0, y0), 1.0, order, 1e-6, atol, 5)
        assert isinstance(h, float)
        assert h == pytest.approx(_hairer_initial_step(f, y0, 1e-6, 1e-9, order), rel=1e-12)


def test_pi_controller_parameters():
    ctrl = attractor.ode.PIController(beta=0.0, safety=0.8, factor_max=5.0)
    y0 = torch.tensor([0.5, 0.0], dtype=torch.float64)
    sol = attractor.odeint(limit_cycle, y0, torch.tensor([0.0, 3.0], dtype=torch.float64), controller=ctrl)
    assert bool(sol.ok)
    with pytest.raises(ValueError):
        attractor.ode.PIController(safety=1.5)
    with pytest.raises(ValueError):
        attractor.ode.PIController(factor_max=0.5)


@pytest.mark.slow
def test_compiled_steps_match_eager():
    """compile=True fuses each trial step with torch.compile: same steps, same answer."""
    y0 = torch.tensor([[0.5, 0.0], [0.3, 0.2]], dtype=torch.float64)
    t = torch.linspace(0, 3, 31, dtype=torch.float64)
    for solver in ("tsit5", "dopri8"):
        eager = attractor.odeint(limit_cycle, y0, t, solver=solver, rtol=1e-8, atol=1e-10)
        fused = attractor.odeint(limit_cycle, y0, t, solver=solver, rtol=1e-8, atol=1e-10, compile=True)
        # (compiled dopri8 also evaluates its dense stages in rejected steps: nfe may differ)
        assert (fused.stats["accepted"], fused.stats["rejected"]) == (eager.stats["accepted"], eager.stats["rejected"])
        assert torch.allclose(fused.ys, eager.ys, rtol=1e-10, atol=1e-12)


def test_compile_rejects_per_sample_steps():
    y0 = torch.tensor([[0.5, 0.0]], dtype=torch.float64)
    with pytest.raises(ValueError, match="compile=True"):
        attractor.odeint(limit_cycle, y0, torch.tensor([0.0, 1.0], dtype=torch.float64), compile=True,
                         per_sample=True)
    with pytest.raises(TypeError, match="`compile`"):
        attractor.odeint(limit_cycle, y0, torch.tensor([0.0, 1.0], dtype=torch.float64), compile=3)
