"""Events located on the dense output: known crossing times, terminal stops, directions."""

import math

import pytest
import torch

import attractor
from attractor import Status
from attractor.ode import Event

G = 9.81


def falling(t, y):
    """Free fall: y = (height, velocity)."""
    return torch.stack([y[..., 1], torch.full_like(y[..., 1], -G)], -1)


def height(t, y):
    return y[..., 0]


@pytest.mark.parametrize("per_sample", [False, True])
@pytest.mark.parametrize("solver", ["bosh3", "dopri5", "tsit5", "dopri8"])
def test_ball_impact_time(solver, per_sample):
    h0 = torch.tensor([1.0, 2.0, 5.0], dtype=torch.float64)
    y0 = torch.stack([h0, torch.zeros_like(h0)], -1)
    t = torch.linspace(0, 2, 9, dtype=torch.float64)
    sol = attractor.odeint(falling, y0, t, solver=solver, events=height, rtol=1e-10, atol=1e-12,
                           per_sample=per_sample)
    exact = torch.sqrt(2 * h0 / G)
    assert torch.allclose(sol.event_t, exact, rtol=0, atol=1e-9)
    assert torch.allclose(sol.event_y[:, 0], torch.zeros(3, dtype=torch.float64), atol=1e-9)
    assert torch.allclose(sol.event_y[:, 1], -G * exact, atol=1e-8)
    assert (sol.status == Status.EVENT).all()
    # outputs after the impact hold the impact state; before it, the free-fall parabola
    for b in range(3):
        before = t <= exact[b]
        want = h0[b] - 0.5 * G * t[before] ** 2
        assert torch.allclose(sol.ys[before, b, 0], want, atol=1e-9)
        assert torch.allclose(sol.ys[~before, b], sol.event_y[b].expand(int((~before).sum()), 2))


def test_sine_zero_crossings_and_direction():
    y0 = torch.tensor([0.0, 1.0], dtype=torch.float64)  # y = (sin t, cos t)

    def rotate(t, y):
        return torch.stack([y[1], -y[0]])

    t = torch.linspace(0, 10, 11, dtype=torch.float64)
    falling_zero = Event(lambda t, y: y[0], terminal=False, direction=-1)
    rising_zero = Event(lambda t, y: y[0], terminal=False, direction=+1)
    sol = attractor.odeint(rotate, y0, t, events=[falling_zero, rising_zero], rtol=1e-11, atol=1e-12)
    assert abs(float(sol.event_t[0]) - math.pi) < 1e-9
    assert abs(float(sol.event_t[1]) - 2 * math.pi) < 1e-9
    assert int(sol.status) == Status.SUCCESS  # nothing terminal
    assert torch.allclose(sol.ys[-1], torch.tensor([math.sin(10), math.cos(10)], dtype=torch.float64), atol=1e-9)


def test_terminal_event_stops_only_its_sample():
    h0 = torch.tensor([1.0, 100.0], dtype=torch.float64)
    y0 = torch.stack([h0, torch.zeros_like(h0)], -1)
    t = torch.linspace(0, 1, 5, dtype=torch.float64)
    sol = attractor.odeint(falling, y0, t, events=height, rtol=1e-10, atol=1e-12, dense=True)
    assert sol.status.tolist() == [Status.EVENT, Status.SUCCESS]
    assert math.isnan(float(sol.event_t[1]))
    assert torch.allclose(sol.ys[-1, 1, 0], torch.tensor(100.0 - 0.5 * G, dtype=torch.float64), atol=1e-9)
    # dense output holds the event state after the event
    late = sol.evaluate(torch.tensor([0.9], dtype=torch.float64))
    assert torch.allclose(late[0, 0], sol.event_y[0])


def test_event_is_not_triggered_at_start():
    y0 = torch.tensor([[0.0, 1.0]], dtype=torch.float64)  # starts on g = 0, going up
    short = attractor.odeint(falling, y0, torch.tensor([0.0, 0.15], dtype=torch.float64), events=height)
    assert int(short.status[0]) == Status.SUCCESS and math.isnan(float(short.event_t[0]))
    # ... but the ball comes back down through 0 at t = 2 v0 / g
    full = attractor.odeint(falling, y0, torch.tensor([0.0, 0.3], dtype=torch.float64), events=height,
                            rtol=1e-10, atol=1e-12)
    assert int(full.status[0]) == Status.EVENT
    assert abs(float(full.event_t[0]) - 2 / G) < 1e-9


def test_events_reject_bad_functions():
    y0 = torch.tensor([[1.0, 0.0]], dtype=torch.float64)
    t = torch.linspace(0, 1, 3, dtype=torch.float64)
    with pytest.raises(ValueError, match="event function"):
        attractor.odeint(falling, y0, t, events=lambda t, y: y)
    with pytest.raises(ValueError, match="direction"):
        Event(height, direction=2)
    with pytest.raises(ValueError, match="adjoint='direct'"):
        attractor.odeint(falling, y0, t, events=height, adjoint="backsolve")


@pytest.mark.parametrize("per_sample", [False, True])
def test_bouncing_ball_impact_sequence(per_sample):
    """A ball dropped from h0 bouncing with restitution e: restart at each terminal impact with
    the velocity reflected. Impact k happens at t_k = T0 (1 + 2 e (1 - e^(k-1)) / (1 - e)),
    T0 = sqrt(2 h0 / g); every impact is located to 1e-9 on the dense output."""
    e = torch.tensor([0.8, 0.5], dtype=torch.float64)
    h0 = torch.tensor([1.0, 3.0], dtype=torch.float64)
    T0 = torch.sqrt(2 * h0 / G)
    y = torch.stack([h0, torch.zeros_like(h0)], -1)
    t_now = torch.zeros(2, dtype=torch.float64)
    falling_only = Event(height, direction=-1)  # the restart sits on g = 0 going up
    for k in range(1, 5):
        t = torch.stack([t_now, t_now + 5.0], -1)  # per-sample output times: each from its restart
        sol = attractor.odeint(falling, y, t, solver="tsit5", events=falling_only, rtol=1e-10,
                               atol=1e-12, per_sample=per_sample)
        assert (sol.status == Status.EVENT).all()
        exact = T0 * (1 + 2 * e * (1 - e ** (k - 1)) / (1 - e))
        assert torch.allclose(sol.event_t, exact, rtol=0, atol=1e-9), k
        assert torch.allclose(sol.event_y[:, 1], -G * T0 * e ** (k - 1), rtol=1e-9), k
        t_now = sol.event_t
        y = torch.stack([torch.zeros_like(h0), -e * sol.event_y[:, 1]], -1)
