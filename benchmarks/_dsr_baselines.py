"""Baselines for the reconstruction benchmark, each returned as an ``attractor.dsr.MapModel``
(identity observation) so that every method is judged by the same ``dsr.evaluate``:

* ridge regression of a quadratic vector field on central differences (the project's
  ``examples/chaos_reconstruction.py``, a dense SINDy);
* SINDy (pysindy: polynomial library, STLSQ sparse regression; Brunton et al., PNAS 2016);
* a neural ODE trained by multiple shooting (segments of ``k`` sampling steps from every data
  point of a batch, fixed-step RK4 on ``attractor.odeint``).

A fitted vector field becomes a map by one RK4 step of the sampling interval.
"""

from __future__ import annotations

import itertools
import re

import torch

import attractor
from attractor import dsr


class RK4Map(torch.nn.Module):
    """``z -> z + RK4 step of dt`` of an autonomous vector field ``field(z)``."""

    def __init__(self, field, dt: float, substeps: int = 1) -> None:
        super().__init__()
        self.field, self.dt, self.substeps = field, dt, substeps

    def forward(self, z):
        h = self.dt / self.substeps
        for _ in range(self.substeps):
            k1 = self.field(z)
            k2 = self.field(z + 0.5 * h * k1)
            k3 = self.field(z + 0.5 * h * k2)
            k4 = self.field(z + h * k3)
            z = z + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        return z


class PolynomialField(torch.nn.Module):
    """``f(z) = Θ(z) Ξ`` with monomials given by an exponent matrix ``(F, d)``."""

    def __init__(self, exponents: torch.Tensor, coefficients: torch.Tensor) -> None:
        super().__init__()
        self.register_buffer("exponents", exponents)
        self.register_buffer("coefficients", coefficients)  # (F, d)

    def forward(self, z):
        theta = torch.prod(z.unsqueeze(-2) ** self.exponents.to(z.dtype), dim=-1)
        return theta @ self.coefficients.to(z.dtype)


def _monomials(d: int, degree: int) -> torch.Tensor:
    rows = [torch.zeros(d)]
    for k in range(1, degree + 1):
        for combo in itertools.combinations_with_replacement(range(d), k):
            e = torch.zeros(d)
            for i in combo:
                e[i] += 1
            rows.append(e)
    return torch.stack(rows)


def ridge_polynomial(x: torch.Tensor, dt: float, degree: int = 2, ridge: float = 1e-6) -> dsr.MapModel:
    x = x.double()
    dxdt = (x[2:] - x[:-2]) / (2 * dt)
    E = _monomials(x.shape[1], degree).double()
    field = PolynomialField(E, torch.zeros(E.shape[0], x.shape[1], dtype=torch.float64))
    theta = torch.prod(x[1:-1].unsqueeze(-2) ** E, dim=-1)
    a = theta.T @ theta + ridge * torch.eye(E.shape[0], dtype=torch.float64)
    field.coefficients = torch.linalg.solve(a, theta.T @ dxdt)
    return dsr.MapModel(RK4Map(field, dt), x.shape[1], x.shape[1])


def sindy(x: torch.Tensor, dt: float, degree: int = 2, threshold: float = 0.05) -> dsr.MapModel:
    import pysindy as ps

    model = ps.SINDy(optimizer=ps.STLSQ(threshold=threshold), feature_library=ps.PolynomialLibrary(degree=degree))
    model.fit(x.double().numpy(), t=dt)
    d = x.shape[1]
    names = model.get_feature_names()
    E = torch.zeros(len(names), d, dtype=torch.float64)
    for row, name in enumerate(names):
        for factor in name.split():
            if factor == "1":
                continue
            m = re.fullmatch(r"x(\d+)(?:\^(\d+))?", factor)
            if m is None:
                raise ValueError(f"unexpected SINDy feature {name!r}")
            E[row, int(m.group(1))] += int(m.group(2) or 1)
    coef = torch.as_tensor(model.coefficients(), dtype=torch.float64).T  # (F, d)
    return dsr.MapModel(RK4Map(PolynomialField(E, coef), dt), d, d)


def neural_ode_shooting(
    x: torch.Tensor, dt: float, *, width: int = 64, segment: int = 10, steps: int = 3000,
    batch: int = 64, lr: float = 3e-3, generator: torch.Generator | None = None,
) -> dsr.MapModel:
    """An MLP vector field fitted by multiple shooting: from ``batch`` random data points,
    integrate ``segment`` sampling steps (RK4) and match the data there (MSE)."""
    x = x.float()
    d = x.shape[1]
    field = torch.nn.Sequential(torch.nn.Linear(d, width), torch.nn.Tanh(), torch.nn.Linear(width, width),
                                torch.nn.Tanh(), torch.nn.Linear(width, d))
    step = RK4Map(field, dt)
    opt = torch.optim.Adam(field.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    for _ in range(steps):
        start = torch.randint(x.shape[0] - segment, (batch,), generator=generator)
        z = x[start]
        loss = 0.0
        for k in range(1, segment + 1):
            z = step(z)
            loss = loss + (z - x[start + k]).pow(2).mean()
        opt.zero_grad()
        (loss / segment).backward()
        opt.step()
        sched.step()
    return dsr.MapModel(step, d, d)


del attractor
