"""Empirical strong and weak orders on problems with exact solutions."""

import math

import pytest
import torch

import attractor
from attractor.sde import ito_to_stratonovich

from .helpers import (
    F64,
    MU,
    SIGMA,
    gbm_diffusion,
    gbm_drift,
    gbm_exact,
    gbm_tree,
    one_step_moments,
    strong_errors,
    strong_slope,
)

FAST_KS = [4, 5, 6, 7]


def _gbm_case(n, seed=1):
    bm = gbm_tree(n, seed)
    y0 = torch.ones(n, 1, dtype=F64)
    return y0, gbm_exact(y0, bm(1.0)), bm


@pytest.mark.parametrize(
    ("solver", "sde_type", "order"),
    [
        ("euler", "ito", 0.5),
        ("milstein", "ito", 1.0),
        (attractor.sde.Milstein(derivative_free=True), "ito", 1.0),
        ("milstein", "stratonovich", 1.0),
        ("heun", "stratonovich", 1.0),
        ("midpoint", "stratonovich", 1.0),
        ("euler_heun", "stratonovich", 1.0),
        ("reversible_heun", "stratonovich", 1.0),
    ],
)
def test_strong_order_gbm(solver, sde_type, order):
    y0, exact, bm = _gbm_case(3000)
    drift = gbm_drift if sde_type == "ito" else ito_to_stratonovich(gbm_drift, gbm_diffusion)
    errors = strong_errors(drift, gbm_diffusion, y0, exact, bm, solver, FAST_KS,
                           sde_type=sde_type)
    slope = strong_slope(errors, [2.0**-k for k in FAST_KS])
    assert abs(slope - order) < 0.15, (errors, slope)


def _additive_drift(t, y):
    return torch.sin(2 * y)


def _additive_diffusion(t, y):
    return torch.ones_like(y)


def test_strong_order_srk_additive_noise():
    """Rossler's SRA1 has strong order 1.5 for additive noise (reference: SRA1 at dt = 2^-12)."""
    n = 1500
    bm = gbm_tree(n, seed=2, levy="space-time")
    y0 = torch.full((n, 1), 0.3, dtype=F64)
    t = torch.tensor([0.0, 1.0], dtype=F64)
    ref = attractor.sdeint(_additive_drift, _additive_diffusion, y0, t, dt=2.0**-12, solver="srk",
                           bm=bm, noise="additive").ys[-1]
    ks = [3, 4, 5, 6, 7]
    errors = strong_errors(_additive_drift, _additive_diffusion, y0, ref, bm, "srk", ks,
                           noise="additive")
    slope = strong_slope(errors, [2.0**-k for k in ks])
    assert abs(slope - 1.5) < 0.15, (errors, slope)
    # Euler--Maruyama on the same problem: strong order 1 (additive noise)
    em = strong_errors(_additive_drift, _additive_diffusion, y0, ref, bm, "euler", ks,
                       noise="additive")
    assert abs(strong_slope(em, [2.0**-k for k in ks]) - 1.0) < 0.15
    assert errors[-1] < 0.1 * em[-1]


@pytest.mark.slow
@pytest.mark.parametrize(("solver", "order"), [("euler", 0.5), ("milstein", 1.0)])
def test_strong_order_gbm_many_paths(solver, order):
    y0, exact, bm = _gbm_case(20000, seed=3)
    ks = [3, 4, 5, 6, 7, 8, 9]
    errors = strong_errors(gbm_drift, gbm_diffusion, y0, exact, bm, solver, ks)
    assert abs(strong_slope(errors, [2.0**-k for k in ks]) - order) < 0.1


def _weak_error(solver, h, T=1.0):
    """Error of E[y_T] and E[y_T^2] for Ito GBM, computed exactly from the one-step map."""
    m1, m2 = one_step_moments(gbm_drift, gbm_diffusion, solver, h)
    n = round(T / h)
    exact1 = math.exp(MU * T)
    exact2 = math.exp((2 * MU + SIGMA**2) * T)
    return abs(m1**n - exact1) + abs(m2**n - exact2)


@pytest.mark.parametrize(("solver", "order"), [("euler", 1.0), ("milstein", 1.0), ("platen", 2.0)])
def test_weak_order_gbm_exact_expectations(solver, order):
    """Weak order from exact expectations (Gauss--Hermite over dW): no Monte Carlo noise."""
    hs = [2.0**-k for k in range(3, 8)]
    errors = [_weak_error(solver, h) for h in hs]
    assert abs(strong_slope(errors, hs) - order) < 0.15, errors


def test_weak_order_platen_monte_carlo_ou():
    """Monte Carlo check on OU (exact mean and variance): Platen's scheme beats Euler in E[y^2]."""
    theta, mu, sigma, n = 2.0, 1.0, 0.6, 400000
    y0 = torch.zeros(n, 1, dtype=F64)
    t = torch.tensor([0.0, 1.0], dtype=F64)
    exact2 = mu**2 * (1 - math.exp(-theta)) ** 2 + sigma**2 * (1 - math.exp(-2 * theta)) / (2 * theta)
    errs = {}
    for solver in ("euler", "platen"):
        y = attractor.sdeint(lambda t, y: theta * (mu - y), lambda t, y: torch.full_like(y, sigma),
                             y0, t, dt=0.25, solver=solver, noise="additive", seed=0).ys[-1]
        errs[solver] = abs(float((y**2).mean()) - exact2)
    assert errs["platen"] < 0.3 * errs["euler"]


def test_milstein_general_commutative_noise_strong_order_one():
    """Two independent GBMs written with a general (d x m) diffusion: the JVP-based general
    Milstein path converges with strong order 1."""
    n = 2000
    s = torch.tensor([0.6, 0.9], dtype=F64)
    bm = attractor.sde.BrownianTree(0.0, 1.0, (n, 2), seed=7, dtype=F64)
    y0 = torch.ones(n, 2, dtype=F64)
    exact = torch.exp((MU - 0.5 * s**2) + s * bm(1.0))

    def diffusion(t, y):
        return torch.diag_embed(s * y)

    errors = strong_errors(gbm_drift, diffusion, y0, exact, bm, "milstein", FAST_KS,
                           noise="general")
    assert abs(strong_slope(errors, [2.0**-k for k in FAST_KS]) - 1.0) < 0.15, errors


@pytest.mark.parametrize("area", ["davie", "foster"])
def test_milstein_with_levy_area_approximation_runs_on_noncommutative_noise(area):
    n = 4000

    def diffusion(t, y):
        return 0.3 * torch.stack([torch.stack([torch.ones_like(y[..., 0]), y[..., 0]], -1),
                                  torch.stack([torch.sin(y[..., 1]), torch.ones_like(y[..., 1])],
                                              -1)], -2)

    y0 = torch.full((n, 2), 0.5, dtype=F64)
    t = torch.tensor([0.0, 1.0], dtype=F64)
    solver = attractor.sde.Milstein(levy_area=area)
    sol = attractor.sdeint(lambda t, y: -y, diffusion, y0, t, dt=0.05, noise="general",
                           solver=solver, seed=0)
    ref = attractor.sdeint(lambda t, y: -y, diffusion, y0, t, dt=0.01, noise="general",
                           solver="euler", seed=1).ys[-1]
    # same law as a fine Euler solve: first two moments within Monte Carlo error
    y = sol.ys[-1]
    assert torch.allclose(y.mean(0), ref.mean(0), atol=5 * float(ref.std(0).max()) / n**0.5)
    assert torch.allclose(y.var(0), ref.var(0), rtol=0.1)
    assert sol.bm.levy_area == "space-time"
