"""A fixed-step explicit solve costs exactly stages x steps evaluations: the closing slope
f(t1, y1) of the last step is only computed when something reads it."""

import pytest
import torch

import attractor

STAGES = {"euler": 1, "midpoint": 2, "heun": 2, "ralston": 2, "rk4": 4}


@pytest.mark.parametrize("solver", sorted(STAGES))
def test_fixed_steps_cost_stages_times_steps(solver):
    y0 = torch.tensor([1.0, -0.5], dtype=torch.float64)
    t = torch.tensor([0.0, 1.0], dtype=torch.float64)
    f = lambda t, y: torch.stack([y[1], -y[0]])  # noqa: E731
    lean = attractor.odeint(f, y0, t, solver=solver, dt=0.1)
    assert lean.stats["nfe"] == STAGES[solver] * 10
    # dense output needs the end-point slope: one more evaluation, the same solution
    full = attractor.odeint(f, y0, t, solver=solver, dt=0.1, dense=True)
    assert full.stats["nfe"] == STAGES[solver] * 10 + 1
    torch.testing.assert_close(lean.ys, full.ys, rtol=0, atol=0)
    # and with gradients (the functional path)
    y1 = y0.clone().requires_grad_()
    out = attractor.odeint(f, y1, t, solver=solver, dt=0.1)
    assert out.stats["nfe"] == STAGES[solver] * 10
    (g,) = torch.autograd.grad(out.ys[-1].sum(), y1)
    assert torch.isfinite(g).all()
    torch.testing.assert_close(out.ys, lean.ys)


def test_outputs_inside_the_last_step_still_get_the_slope():
    y0 = torch.tensor([1.0], dtype=torch.float64)
    t = torch.tensor([0.0, 0.95, 1.0], dtype=torch.float64)  # 0.95 lies inside the last step
    out = attractor.odeint(lambda t, y: -y, y0, t, solver="rk4", dt=0.1)
    assert out.stats["nfe"] == 4 * 10 + 1
    torch.testing.assert_close(out.ys[1], torch.exp(-t[1:2]), rtol=1e-5, atol=0)
