"""Stiff benchmark problems: Robertson's kinetics and Van der Pol (mu = 1000).

The implicit solvers must finish them in a few hundred to a few thousand steps, agree with
scipy's Radau at tight tolerance and keep Robertson's mass y1 + y2 + y3 = 1, while an explicit
method exhausts a budget of many times as many steps without getting far.
"""

import numpy as np
import pytest
import torch

import attractor
from attractor import Status

STIFF = ["kvaerno3", "kvaerno5", "rodas5"]


def robertson(t, y):
    """Robertson (1966): y1' = -0.04 y1 + 1e4 y2 y3, y3' = 3e7 y2^2, y2 = the rest."""
    y1, y2, y3 = y[..., 0], y[..., 1], y[..., 2]
    a, b, c = 0.04 * y1, 1e4 * y2 * y3, 3e7 * y2 * y2
    return torch.stack([b - a, a - b - c, c], -1)


def van_der_pol(mu):
    def f(t, y):
        x, v = y[..., 0], y[..., 1]
        return torch.stack([v, mu * (1 - x * x) * v - x], -1)

    return f


ROBERTSON_T = torch.tensor([0.0, 1e-3, 1e-1, 1.0, 10.0, 1e2, 1e3, 1e4, 1e5], dtype=torch.float64)


@pytest.fixture(scope="module")
def robertson_reference():
    """scipy's Radau at rtol 1e-11 with the analytic Jacobian."""
    solve_ivp = pytest.importorskip("scipy.integrate").solve_ivp

    def f(t, y):
        return [-0.04 * y[0] + 1e4 * y[1] * y[2], 0.04 * y[0] - 1e4 * y[1] * y[2] - 3e7 * y[1] ** 2, 3e7 * y[1] ** 2]

    def jac(t, y):
        return [[-0.04, 1e4 * y[2], 1e4 * y[1]],
                [0.04, -1e4 * y[2] - 6e7 * y[1], -1e4 * y[1]],
                [0.0, 6e7 * y[1], 0.0]]

    ref = solve_ivp(f, (0.0, 1e5), [1.0, 0.0, 0.0], method="Radau", jac=jac, rtol=1e-11, atol=1e-16,
                    t_eval=ROBERTSON_T.numpy())
    assert ref.success
    return ref.y.T


@pytest.mark.parametrize("solver", STIFF)
def test_robertson_matches_radau_and_conserves_mass(solver, robertson_reference):
    y0 = torch.tensor([1.0, 0.0, 0.0], dtype=torch.float64)
    atol = torch.tensor([1e-10, 1e-14, 1e-10], dtype=torch.float64)
    sol = attractor.odeint(robertson, y0, ROBERTSON_T, solver=solver, rtol=1e-7, atol=atol)
    assert int(sol.status) == Status.SUCCESS
    steps = sol.stats["accepted"]
    assert 20 <= steps <= (3000 if solver == "kvaerno3" else 600), steps
    ys = sol.ys.numpy()
    # error relative to the tolerance scale of each component (y2 lives at 1e-5 .. 1e-11)
    scale = np.maximum(np.abs(robertson_reference), atol.numpy() / 1e-7)
    assert np.max(np.abs(ys - robertson_reference) / scale) < 100 * 1e-7 * 3
    # the method is linear-invariant: mass is conserved to the Newton tolerance / round-off
    assert np.max(np.abs(ys.sum(-1) - 1.0)) < 1e-9
    assert sol.stats["jacobians"] >= 1 and sol.stats["factorisations"] >= steps


@pytest.mark.parametrize("solver", STIFF)
def test_van_der_pol_mu_1000(solver):
    """Two relaxation oscillations (period ~ (3 - 2 ln 2) mu ~ 1614) in hundreds of steps."""
    pytest.importorskip("scipy")
    from scipy.integrate import solve_ivp

    mu, T = 1000.0, 2000.0
    t = torch.linspace(0.0, T, 9, dtype=torch.float64)
    y0 = torch.tensor([2.0, 0.0], dtype=torch.float64)
    sol = attractor.odeint(van_der_pol(mu), y0, t, solver=solver, rtol=1e-6, atol=1e-6)
    assert int(sol.status) == Status.SUCCESS
    assert 100 <= sol.stats["accepted"] <= 5000, sol.stats

    def f(t, y):
        return [y[1], mu * (1 - y[0] ** 2) * y[1] - y[0]]

    def jac(t, y):
        return [[0.0, 1.0], [-2 * mu * y[0] * y[1] - 1.0, mu * (1 - y[0] ** 2)]]

    ref = solve_ivp(f, (0.0, T), [2.0, 0.0], method="Radau", jac=jac, rtol=1e-10, atol=1e-10, t_eval=t.numpy())
    # x is O(1) between the jumps; outputs avoid the jumps' steep parts for this mu and T
    assert np.max(np.abs(sol.ys[:, 0].numpy() - ref.y[0])) < 1e-3


def test_explicit_method_cannot_do_it():
    """tsit5 with 10x the implicit method's steps runs out of budget early in both problems."""
    y0 = torch.tensor([2.0, 0.0], dtype=torch.float64)
    t = torch.tensor([0.0, 2000.0], dtype=torch.float64)
    implicit = attractor.odeint(van_der_pol(1000.0), y0, t, solver="rodas5", rtol=1e-6, atol=1e-6)
    budget = 10 * implicit.stats["accepted"]
    explicit = attractor.odeint(van_der_pol(1000.0), y0, t, solver="tsit5", rtol=1e-6, atol=1e-6,
                                max_steps=budget, on_failure="status")
    assert int(explicit.status) == Status.MAX_STEPS
    assert explicit.stats["accepted"] == budget
    assert bool(torch.isnan(explicit.ys[-1]).all())  # the end time was never reached

    y0 = torch.tensor([1.0, 0.0, 0.0], dtype=torch.float64)
    t = torch.tensor([0.0, 1e5], dtype=torch.float64)
    implicit = attractor.odeint(robertson, y0, t, solver="kvaerno5", rtol=1e-6, atol=1e-10)
    budget = 10 * implicit.stats["accepted"]
    explicit = attractor.odeint(robertson, y0, t, solver="tsit5", rtol=1e-6, atol=1e-10,
                                max_steps=budget, on_failure="status")
    assert int(explicit.status) == Status.MAX_STEPS
    with pytest.raises(attractor.ConvergenceError, match="MAX_STEPS"):
        attractor.odeint(robertson, y0, t, solver="tsit5", rtol=1e-6, atol=1e-10, max_steps=budget)


@pytest.mark.slow
@pytest.mark.parametrize("solver", STIFF)
def test_robertson_to_1e11_slow(solver):
    """Hairer's test-set horizon: the solution still sums to one and y1 -> 0 at t = 1e11."""
    y0 = torch.tensor([1.0, 0.0, 0.0], dtype=torch.float64)
    t = torch.tensor([0.0, 1e11], dtype=torch.float64)
    atol = torch.tensor([1e-10, 1e-14, 1e-10], dtype=torch.float64)
    # the default step floor, 10 eps max(|t0|, |t1|) = 2e-4, is above the first steps (~1e-7)
    sol = attractor.odeint(robertson, y0, t, solver=solver, rtol=1e-6, atol=atol, min_dt=1e-14)
    y = sol.ys[-1]
    assert abs(float(y.sum()) - 1.0) < 1e-8
    # reference values at t = 1e11 (Hairer & Wanner's stiff test set)
    ref = torch.tensor([0.2083340149701255e-07, 0.8333360770334713e-13, 0.9999999791665050], dtype=torch.float64)
    assert bool(((y - ref).abs() <= 10 * (atol + 1e-6 * ref.abs())).all()), (y, ref)
