"""Bad inputs give clear errors naming the argument, what was given and what was expected."""

import math
import warnings

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import attractor


def decay(t, y):
    return -y


Y0 = torch.tensor([[1.0, 2.0]], dtype=torch.float64)
T = torch.tensor([0.0, 0.5, 1.0], dtype=torch.float64)


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"t": torch.tensor([0.0, 1.0, 0.5])}, ValueError, "strictly increasing or strictly decreasing"),
        ({"t": torch.tensor([0.0, 0.0, 1.0])}, ValueError, "strictly"),
        ({"t": torch.tensor([[0.0, 1.0], [0.0, 1.0], [0.0, 1.0]])}, ValueError, "batch_shape"),
        ({"t": torch.tensor(1.0)}, ValueError, "at least one time"),
        ({"t": torch.tensor([0.0, math.nan])}, ValueError, "finite"),
        ({"t": "soon"}, TypeError, "`t`"),
        ({"y0": torch.tensor([[math.nan, 1.0]])}, ValueError, "`y0` must be finite"),
        ({"y0": torch.tensor([[1, 2]])}, ValueError, "floating-point"),
        ({"y0": [1.0, 2.0]}, TypeError, "`y0` must be a torch.Tensor"),
        ({"solver": "rk45"}, ValueError, "`solver` must be one of"),
        ({"solver": 3}, TypeError, "`solver`"),
        ({"solver": "rk4"}, ValueError, "dt="),
        ({"rtol": -1.0}, ValueError, "`rtol`"),
        ({"rtol": 0.0, "atol": 0.0}, ValueError, "cannot both be zero"),
        ({"atol": torch.ones(5)}, ValueError, "`atol` has shape"),
        ({"adjoint": "magic"}, ValueError, "`adjoint` must be one of"),
        ({"on_failure": "ignore"}, ValueError, "`on_failure`"),
        ({"max_steps": 0}, ValueError, "`max_steps`"),
        ({"dt": -0.1}, ValueError, "`dt`"),
        ({"dt": 0.1, "adaptive": True}, ValueError, "fixed steps"),
        ({"adaptive": False}, ValueError, "needs a step size"),
        ({"batch_ndim": 3}, ValueError, "`batch_ndim`"),
        ({"batch_error": "mean"}, ValueError, "`batch_error`"),
        ({"f": lambda t, y: y.sum(-1)}, ValueError, r"`f` returned shape \(1,\); expected \(1, 2\)"),
        ({"f": lambda t, y: y.float()}, TypeError, "dtype"),
        ({"f": lambda t, y: 1.0}, TypeError, "must return a torch.Tensor"),
        ({"f": 3}, TypeError, "`f` must be callable"),
        ({"events": 3}, TypeError, "`events`"),
    ],
)
def test_bad_inputs(kwargs, exc, match):
    args = {"f": decay, "y0": Y0, "t": T}
    args.update(kwargs)
    f, y0, t = args.pop("f"), args.pop("y0"), args.pop("t")
    with pytest.raises(exc, match=match):
        attractor.odeint(f, y0, t, **args)


def test_inputs_are_not_mutated():
    y0 = Y0.clone()
    t = T.clone()
    attractor.odeint(decay, y0, t)
    attractor.odeint(decay, y0, t, per_sample=True)
    assert torch.equal(y0, Y0) and torch.equal(t, T)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-5, 5, allow_nan=False), min_size=2, max_size=6))
def test_time_monotonicity_property(values):
    t = torch.tensor(values, dtype=torch.float64)
    d = t[1:] - t[:-1]
    monotone = bool((d > 0).all() or (d < 0).all())
    if monotone:
        sol = attractor.odeint(decay, Y0, t, rtol=1e-6)
        expected = Y0 * torch.exp(-(t - t[0])).reshape(-1, 1, 1)
        assert torch.allclose(sol.ys, expected, rtol=1e-4)
    else:
        with pytest.raises(ValueError, match="strictly"):
            attractor.odeint(decay, Y0, t)


@settings(max_examples=20, deadline=None)
@given(
    shape=st.lists(st.integers(1, 3), min_size=1, max_size=3),
    wrong=st.integers(1, 4),
)
def test_wrong_output_shape_property(shape, wrong):
    y0 = torch.ones(shape, dtype=torch.float64)
    out_shape = list(shape)
    out_shape[-1] = out_shape[-1] + wrong
    with pytest.raises(ValueError, match="expected"):
        attractor.odeint(lambda t, y: torch.zeros(out_shape, dtype=torch.float64), y0, T)


def test_evaluate_needs_dense():
    sol = attractor.odeint(decay, Y0, T)
    with pytest.raises(ValueError, match="dense=True"):
        sol.evaluate(torch.tensor([0.2]))


def test_rtol_below_dtype_resolution_warns():
    """rtol under the dtype's eps cannot be met (round-off alone exceeds it): say so up front."""
    y0, t = torch.ones(2, 1), torch.tensor([0.0, 1.0])
    with pytest.warns(UserWarning, match="below the resolution of torch.float32"):
        sol = attractor.odeint(lambda t, y: -y, y0, t, rtol=1e-14, atol=1e-16, on_failure="status")
    assert (sol.status == attractor.Status.STEP_SIZE_TOO_SMALL).all()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        attractor.odeint(lambda t, y: -y, y0.double(), t.double(), rtol=1e-14, atol=1e-16)
        attractor.odeint(lambda t, y: -y, y0, t, rtol=1e-14, dt=0.1)  # fixed steps: no tolerance
