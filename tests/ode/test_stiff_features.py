"""The implicit steppers inside odeint's machinery: batching (batch == per-sample), backwards
time, dense output, events, Jacobians (autograd and finite differences), Newton failures,
statistics, dtypes and argument validation."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import attractor
from attractor.ode import Kvaerno3, Kvaerno5, Rodas5
from attractor.ode.field import VectorField
from attractor.ode.jacobian import JacobianEvaluator

STIFF = ["kvaerno3", "kvaerno5", "rodas5"]


def prothero_robinson(lam):
    """y' = lam (y - sin t) + cos t: y = sin t from y0 = 0 (lam per sample, broadcast)."""

    def f(t, y):
        return lam * (y - torch.sin(t)) + torch.cos(t)

    return f


@settings(max_examples=6, deadline=None)
@given(solver=st.sampled_from(STIFF), batch=st.integers(1, 3), seed=st.integers(0, 100))
def test_per_sample_equals_individual_solves(solver, batch, seed):
    """Every sample gets exactly the steps (and Newton iterates) it gets alone."""
    gen = torch.Generator().manual_seed(seed)
    lam = -(10 ** (torch.rand(batch, 1, generator=gen, dtype=torch.float64) * 4))  # -1 .. -1e4
    y0 = torch.rand(batch, 2, generator=gen, dtype=torch.float64)
    t = torch.linspace(0.0, 2.0, 5, dtype=torch.float64)
    sol = attractor.odeint(prothero_robinson(lam), y0, t, solver=solver, rtol=1e-6, atol=1e-8, per_sample=True)
    for b in range(batch):
        alone = attractor.odeint(prothero_robinson(lam[b]), y0[b], t, solver=solver, rtol=1e-6, atol=1e-8)
        # same steps; the batched LU/inverse rounds differently, amplified by stiffness up to 1e4
        assert torch.allclose(sol.ys[:, b], alone.ys, rtol=1e-8, atol=1e-10)
        assert int(sol.stats["accepted"][b]) == alone.stats["accepted"]
        assert int(sol.stats["rejected"][b]) == alone.stats["rejected"]


@pytest.mark.parametrize("solver", STIFF)
def test_shared_step_batch_meets_tolerance(solver):
    lam = torch.tensor([[-1.0], [-1e2], [-1e5]], dtype=torch.float64)
    t = torch.linspace(0.0, 3.0, 7, dtype=torch.float64)
    sol = attractor.odeint(prothero_robinson(lam), torch.zeros(3, 2, dtype=torch.float64), t, solver=solver,
                           rtol=1e-7, atol=1e-9)
    assert isinstance(sol.stats["accepted"], int)
    assert float((sol.ys - torch.sin(t)[:, None, None]).abs().max()) < 1e-5


@pytest.mark.parametrize("solver", STIFF)
def test_backwards_in_time(solver):
    """Integrating y' = -(y - sin t) + cos t from t = 3 down to 0 (a stable direction for this
    mild problem) recovers y = sin t."""
    t = torch.linspace(3.0, 0.0, 7, dtype=torch.float64)
    y0 = torch.sin(t[:1]).expand(2).clone()
    sol = attractor.odeint(prothero_robinson(-1.0), y0, t, solver=solver, rtol=1e-8, atol=1e-10)
    assert float((sol.ys - torch.sin(t)[:, None]).abs().max()) < 1e-6


@pytest.mark.parametrize("solver", STIFF)
def test_dense_output_and_events(solver):
    f = prothero_robinson(torch.tensor([[-1e3]], dtype=torch.float64))
    t = torch.tensor([0.0, 3.0], dtype=torch.float64)
    y0 = torch.zeros(1, 1, dtype=torch.float64)
    sol = attractor.odeint(f, y0, t, solver=solver, rtol=1e-8, atol=1e-10, dense=True)
    tq = torch.linspace(0.0, 3.0, 61, dtype=torch.float64)
    assert float((sol.evaluate(tq)[:, 0, 0] - torch.sin(tq)).abs().max()) < 1e-5
    # sin t crosses 1/2 at pi/6; terminal event stops the sample there
    ev = attractor.odeint(f, y0, t, solver=solver, rtol=1e-9, atol=1e-11, events=lambda t, y: y[..., 0] - 0.5)
    assert abs(float(ev.event_t[0]) - math.pi / 6) < 1e-6
    assert int(ev.status[0]) == int(attractor.Status.EVENT)


def test_names_classes_and_objects_resolve():
    f = prothero_robinson(-10.0)
    y0 = torch.zeros(2, dtype=torch.float64)
    t = torch.tensor([0.0, 1.0], dtype=torch.float64)
    by_name = attractor.odeint(f, y0, t, solver="kvaerno5")
    by_class = attractor.odeint(f, y0, t, solver=Kvaerno5)
    by_object = attractor.odeint(f, y0, t, solver=Kvaerno5(newton_tol=0.01))
    assert torch.equal(by_name.ys, by_class.ys) and torch.equal(by_name.ys, by_object.ys)
    assert isinstance(by_name.solver, Kvaerno5)
    assert {"jacobians", "factorisations", "newton_iterations", "newton_failures"} <= set(by_name.stats)
    assert by_name.stats["jacobians"] >= 1


def test_float32():
    f = prothero_robinson(torch.tensor([[-1e4]]))
    t = torch.tensor([0.0, 2.0])
    for solver in STIFF:
        sol = attractor.odeint(f, torch.zeros(2, 3), t, solver=solver, rtol=1e-4, atol=1e-6)
        assert sol.ys.dtype == torch.float32 and sol.stats["accepted"] < 50
        assert float((sol.ys[-1] - math.sin(2.0)).abs().max()) < 1e-4


def _vdp_block(t, y):
    x, v = y[..., 0], y[..., 1]
    return torch.stack([v, 5.0 * (1 - x * x) * v - x + torch.sin(3 * t)], -1)


@pytest.mark.parametrize("batch_shape", [(), (3,), (2, 2)])
def test_jacobian_blocks_match_jacrev(batch_shape):
    y = torch.randn(batch_shape + (2,), dtype=torch.float64)
    B = max(1, math.prod(batch_shape))
    field = VectorField(_vdp_block, (), y.shape, len(batch_shape), torch.float64, y.device)
    J, ft = JacobianEvaluator(B, 2)(field, 0.7, y.reshape(-1), with_time=B == 1)
    flat = y.reshape(B, 2)
    for b in range(B):
        want = torch.func.jacrev(lambda v: _vdp_block(torch.tensor(0.7, dtype=torch.float64), v))(flat[b])
        assert torch.allclose(J[b], want, atol=1e-12)
    if B == 1:
        assert torch.allclose(ft, torch.tensor([0.0, 3 * math.cos(2.1)], dtype=torch.float64))
    fd, _ = JacobianEvaluator(B, 2, "finite_difference")(field, 0.7, y.reshape(-1))
    assert torch.allclose(fd, J, rtol=1e-6, atol=1e-6)


def test_field_opaque_to_autograd_uses_finite_differences():
    """A field computed outside torch (no graph) still gets a Jacobian: the solve succeeds."""

    def opaque(t, y):
        out = np.asarray(prothero_robinson(-1e4)(t.detach(), y.detach()))
        return torch.as_tensor(out)

    t = torch.tensor([0.0, 2.0], dtype=torch.float64)
    for solver in STIFF:
        sol = attractor.odeint(opaque, torch.zeros(2, dtype=torch.float64), t, solver=solver, rtol=1e-7, atol=1e-9)
        assert abs(float(sol.ys[-1, 0]) - math.sin(2.0)) < 1e-6


def test_newton_failure_is_rejected_and_recovered():
    """A first step far too large for Newton (dt0 = 10 on Van der Pol mu = 1000) fails, is
    rejected (inf error) and shrunk; the solve still succeeds and reports the failures."""

    def vdp(t, y):
        x, v = y[..., 0], y[..., 1]
        return torch.stack([v, 1000.0 * (1 - x * x) * v - x], -1)

    y0 = torch.tensor([2.0, 0.0], dtype=torch.float64)
    t = torch.tensor([0.0, 50.0], dtype=torch.float64)
    sol = attractor.odeint(vdp, y0, t, solver=Kvaerno5(jacobian_reuse=0.5), rtol=1e-6, atol=1e-6, dt0=400.0)
    assert int(sol.status) == 0 and sol.stats["rejected"] >= 1
    assert sol.stats["newton_failures"] >= 1


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: Kvaerno5(jacobian="magic"), "jacobian"),
        (lambda: Kvaerno5(newton_tol=0.0), "kappa"),
        (lambda: Kvaerno3(newton_max_iters=0), "max_iters"),
        (lambda: Kvaerno5(jacobian_reuse=1.5), "jacobian_reuse"),
        (lambda: Rodas5(jacobian="exact"), "jacobian"),
    ],
)
def test_bad_hyperparameters(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_unknown_solver_name_lists_stiff_ones():
    with pytest.raises(ValueError, match="kvaerno5"):
        attractor.odeint(lambda t, y: -y, torch.ones(1), torch.tensor([0.0, 1.0]), solver="radau5")
