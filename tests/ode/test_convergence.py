"""Empirical orders of convergence (fixed steps) on a nonlinear problem with a closed form."""

import numpy as np
import pytest
import torch

import attractor
from attractor.ode.tableaus import TABLEAUS

from .problems import limit_cycle, limit_cycle_exact

T = 3.0
R = 0.5  # start inside the limit cycle: strongly nonlinear
# step counts in each method's asymptotic range with errors well above round-off; the 5th-order
# pairs start at radius 0.3 (at 0.5 dopri5's leading error term nearly cancels: slope ~5.5)
STEPS = {
    "euler": [200, 400, 800, 1600],
    "midpoint": [100, 200, 400, 800],
    "heun": [100, 200, 400, 800],
    "ralston": [100, 200, 400, 800],
    "rk4": [60, 120, 240, 480],
    "bosh3": [50, 100, 200, 400],
    "dopri5": [60, 120, 240, 480],
    "tsit5": [60, 120, 240, 480],
    "dopri8": [8, 12, 16, 24],
}
RADIUS = {"dopri5": 0.3, "tsit5": 0.3}


def fitted_order(hs, errs) -> float:
    return float(np.polyfit(np.log(hs), np.log(errs), 1)[0])


@pytest.mark.parametrize("solver", sorted(STEPS))
def test_order_of_convergence(solver):
    """Max global error over the step points against h: slope = the method's order."""
    r = RADIUS.get(solver, R)
    y0 = torch.tensor([r, 0.0], dtype=torch.float64)
    hs, errs = [], []
    for n in STEPS[solver]:
        t = torch.linspace(0.0, T, n + 1, dtype=torch.float64)
        sol = attractor.odeint(limit_cycle, y0, t, solver=solver, dt=T / n)
        want = np.stack([limit_cycle_exact(float(s), r) for s in t])
        hs.append(T / n)
        errs.append(np.abs(sol.ys.numpy() - want).max())
    order = TABLEAUS[solver].order
    assert abs(fitted_order(hs, errs) - order) <= 0.3, (solver, errs)


@pytest.mark.parametrize("solver", sorted(STEPS))
def test_dense_output_order(solver):
    """Max error of the continuous extension between steps: order min(p, q + 1)."""
    y0 = torch.tensor([R, 0.0], dtype=torch.float64)
    T_dense = 1.5
    hs, errs = [], []
    probe = torch.linspace(0.0, T_dense, 301, dtype=torch.float64)[1:-1]
    for n in STEPS[solver][:3]:
        n = n // 2
        sol = attractor.odeint(
            limit_cycle, y0, torch.tensor([0.0, T_dense], dtype=torch.float64), solver=solver,
            dt=T_dense / n, dense=True,
        )
        got = sol.evaluate(probe).numpy()
        want = np.stack([limit_cycle_exact(float(s), R) for s in probe])
        hs.append(T_dense / n)
        errs.append(np.abs(got - want).max())
    tab = TABLEAUS[solver]
    expected = min(tab.order, tab.dense_order + 1)
    assert abs(fitted_order(hs, errs) - expected) <= 0.4, (solver, errs)


def test_tableau_order_conditions():
    """Classical order conditions up to order 4 for every tableau (bushy/tall trees)."""
    for name, tab in TABLEAUS.items():
        s = tab.stages
        A = np.zeros((s, s))
        for i, row in enumerate(tab.a):
            A[i, : len(row)] = row
        b, c = np.array(tab.b), np.array(tab.c)
        assert np.allclose(A.sum(1), c), name
        conds = [(b.sum(), 1.0), (b @ c, 1 / 2), (b @ c**2, 1 / 3), (b @ A @ c, 1 / 6),
                 (b @ c**3, 1 / 4), (b @ (c * (A @ c)), 1 / 8), (b @ A @ c**2, 1 / 12),
                 (b @ A @ A @ c, 1 / 24)]
        needed = {1: 1, 2: 2, 3: 4, 4: 8}[min(tab.order, 4)]
        for got, want in conds[:needed]:
            assert abs(got - want) < 1e-12, name
        for row in tab.error:
            assert abs(sum(row)) < 1e-12, name  # b and b_hat both sum to one
