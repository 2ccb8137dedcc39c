"""Shared problems with exact solutions for the SDE tests."""

import math

import numpy as np
import torch

import attractor
from attractor.sde import BrownianPath, BrownianTree

F64 = torch.float64
MU, SIGMA = 0.5, 0.8


def gbm_drift(t, y):
    return MU * y


def gbm_diffusion(t, y):
    return SIGMA * y


def gbm_exact(y0, w_t, t=1.0):
    """Ito GBM ``dy = mu y dt + sigma y dW``: ``y0 exp((mu - sigma^2/2) t + sigma W_t)``."""
    return y0 * torch.exp((MU - 0.5 * SIGMA**2) * t + SIGMA * w_t)


def strong_slope(errors, dts) -> float:
    return float(np.polyfit(np.log(dts), np.log(errors), 1)[0])


def strong_errors(drift, diffusion, y0, exact, bm, solver, ks, **kw):
    t = torch.tensor([0.0, 1.0], dtype=F64)
    errors = []
    for k in ks:
        sol = attractor.sdeint(drift, diffusion, y0, t, dt=2.0**-k, solver=solver, bm=bm, **kw)
        errors.append(float((sol.ys[-1] - exact).abs().mean()))
    return errors


def gbm_tree(n, seed=1, levy="none"):
    return BrownianTree(0.0, 1.0, (n, 1), seed=seed, dtype=F64, levy_area=levy)


def gauss_hermite(n=24):
    """Nodes and weights of E[phi(Z)], Z ~ N(0, 1) (exact for polynomials of degree < 2n)."""
    x, w = np.polynomial.hermite_e.hermegauss(n)
    return torch.tensor(x, dtype=F64), torch.tensor(w / math.sqrt(2 * math.pi), dtype=F64)


def one_step_moments(drift, diffusion, solver, h, noise="diagonal", sde_type="ito"):
    """``E[R]`` and ``E[R^2]`` of a solver's one-step map ``y1 = R y0`` on a linear SDE, exactly
    (Gauss--Hermite over the Brownian increment)."""
    x, w = gauss_hermite()
    y0 = torch.ones(len(x), 1, dtype=F64)
    bm = BrownianPath.from_increments([0.0, h], (math.sqrt(h) * x).reshape(1, -1, 1))
    t = torch.tensor([0.0, h], dtype=F64)
    r = attractor.sdeint(drift, diffusion, y0, t, dt=h, solver=solver, bm=bm, noise=noise,
                         sde_type=sde_type).ys[-1, :, 0]
    return float((w * r).sum()), float((w * r * r).sum())
