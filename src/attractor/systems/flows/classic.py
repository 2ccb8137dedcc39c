"""The classic three-dimensional chaotic flows: Lorenz, Rössler, Chen, Lü, Chua, Thomas,
Aizawa, Halvorsen, Rabinovich–Fabrikant.

Equations and parameter values follow the cited papers; reference states on the attractor
come from the dysts database (Gilpin, "Chaos as an interpretable benchmark for forecasting
and data-driven modelling", NeurIPS Datasets and Benchmarks 2021).
"""

from __future__ import annotations

import torch

from attractor.systems.flows._fields import stack
from attractor.systems.registry import flow


def _lorenz_tangent(t, y, v, sigma, rho, beta):
    # J = [[-σ, σ, 0], [ρ - z, -1, -x], [y, x, -β]] applied to the columns of v
    x, y_, z = (c.unsqueeze(-1) for c in y.unbind(-1))
    vx, vy, vz = v.unbind(-2)
    return torch.stack(
        (sigma * (vy - vx), (rho - z) * vx - vy - x * vz, y_ * vx + x * vy - beta * vz), dim=-2
    )


@flow(
    seed=(-9.7869288, -15.03852, 20.533978),
    dt=0.01,
    tangent=_lorenz_tangent,
    citation="Lorenz, E. N. (1963). Deterministic nonperiodic flow. J. Atmos. Sci. 20, 130-141.",
)
def lorenz(t, y, sigma=10.0, rho=28.0, beta=8.0 / 3.0):
    """Lorenz-63 convection model: x' = σ(y - x), y' = x(ρ - z) - y, z' = xy - βz."""
    x, y_, z = y.unbind(-1)
    return stack(sigma * (y_ - x), x * (rho - z) - y_, x * y_ - beta * z)


def _rossler_tangent(t, y, v, a, b, c):
    # J = [[0, -1, -1], [1, a, 0], [z, 0, x - c]]
    x, _, z = (comp.unsqueeze(-1) for comp in y.unbind(-1))
    vx, vy, vz = v.unbind(-2)
    return torch.stack((-vy - vz, vx + a * vy, z * vx + (x - c) * vz), dim=-2)


@flow(
    seed=(6.5134412, 0.4772013, 0.34164294),
    dt=0.05,
    tangent=_rossler_tangent,
    citation="Rössler, O. E. (1976). An equation for continuous chaos. Phys. Lett. A 57, 397-398.",
)
def rossler(t, y, a=0.2, b=0.2, c=5.7):
    """Rössler spiral chaos: x' = -y - z, y' = x + ay, z' = b + z(x - c)."""
    x, y_, z = y.unbind(-1)
    return stack(-y_ - z, x + a * y_, b + z * (x - c))


@flow(
    seed=(3.2689697, 5.2990458, 19.435349),
    dt=0.005,
    citation="Chen, G., Ueta, T. (1999). Yet another chaotic attractor. Int. J. Bifurc. Chaos 9, 1465-1466.",
)
def chen(t, y, a=35.0, b=3.0, c=28.0):
    """Chen system (anti-control of the Lorenz system): x' = a(y - x), y' = (c - a)x - xz + cy, z' = xy - bz."""
    x, y_, z = y.unbind(-1)
    return stack(a * (y_ - x), (c - a) * x - x * z + c * y_, x * y_ - b * z)


@flow(
    seed=(10.956479, 9.8813092, 22.676714),
    # not 0.01: with RK4 at 0.01 the Lyapunov run's λ1 comes out 12 % low (0.274 against
    # 0.310 at 0.0025 and 0.309 with adaptive Dopri5 at rtol 1e-9), the strong contraction
    # (λ3 ≈ -21) making the discrete map's invariant measure differ from the flow's
    dt=0.0025,
    citation="Lü, J., Chen, G. (2002). A new chaotic attractor coined. Int. J. Bifurc. Chaos 12, 659-661.",
)
def lu_chen(t, y, a=36.0, b=3.0, c=18.0):
    """Lü–Chen system, between Lorenz and Chen: x' = a(y - x), y' = -xz + cy, z' = xy - bz."""
    x, y_, z = y.unbind(-1)
    return stack(a * (y_ - x), -x * z + c * y_, x * y_ - b * z)


@flow(
    seed=(1.1262351, -0.11386474, -0.78324421),
    dt=0.01,
    citation="Chua, L. O., Komuro, M., Matsumoto, T. (1986). The double scroll family. "
    "IEEE Trans. Circuits Syst. 33, 1072-1118.",
)
def chua(t, y, alpha=15.6, beta=28.0, m0=-1.142857, m1=-0.71429):
    """Chua's circuit (double scroll) with a piecewise-linear diode: x' = α(y - x - g(x)), y' = x - y + z, z' = -βy."""
    x, y_, z = y.unbind(-1)
    diode = m1 * x + 0.5 * (m0 - m1) * ((x + 1).abs() - (x - 1).abs())
    return stack(alpha * (y_ - x - diode), x - y_ + z, -beta * y_)


@flow(
    seed=(2.199442, 2.3634225, 3.220197),
    dt=0.02,
    citation="Thomas, R. (1999). Deterministic chaos seen in terms of feedback circuits: analysis, "
    "synthesis, 'labyrinth chaos'. Int. J. Bifurc. Chaos 9, 1889-1905.",
)
def thomas(t, y, a=1.85, b=10.0):
    """Thomas' cyclically symmetric attractor: x' = -ax + b sin y (and cyclic permutations)."""
    x, y_, z = y.unbind(-1)
    return stack(-a * x + b * torch.sin(y_), -a * y_ + b * torch.sin(z), -a * z + b * torch.sin(x))


@flow(
    seed=(-0.78450179, -0.62887672, -0.17620268),
    dt=0.02,
    citation="Aizawa, Y., Uezu, T. (1982). Topological aspects in chaos and in 2^k-period doubling "
    "cascade. Prog. Theor. Phys. 67, 982-985; Langford, W. F. (1984).",
)
def aizawa(t, y, a=0.95, b=0.7, c=0.6, d=3.5, e=0.25, f=0.1):
    """Aizawa (Langford) torus-like attractor."""
    x, y_, z = y.unbind(-1)
    r2 = x * x + y_ * y_
    return stack(
        x * (z - b) - d * y_,
        d * x + y_ * (z - b),
        c + a * z - z**3 / 3 - r2 * (1 + e * z) + f * z * x**3,
    )


@flow(
    seed=(-8.6807408, -2.4741399, 0.070775762),
    dt=0.01,
    citation="Sprott, J. C. (2010). Elegant Chaos: Algebraically Simple Chaotic Flows. World Scientific.",
)
def halvorsen(t, y, a=1.4, b=4.0):
    """Halvorsen's cyclically symmetric flow: x' = -ax - b(y + z) - y² (and cyclic permutations)."""
    x, y_, z = y.unbind(-1)
    return stack(
        -a * x - b * (y_ + z) - y_**2,
        -a * y_ - b * (z + x) - z**2,
        -a * z - b * (x + y_) - x**2,
    )


@flow(
    seed=(-1.8207276, 0.83440917, 0.2078248),
    dt=0.01,
    citation="Rabinovich, M. I., Fabrikant, A. L. (1979). Stochastic self-modulation of waves in "
    "nonequilibrium media. Sov. Phys. JETP 50, 311.",
)
def rabinovich_fabrikant(t, y, a=1.1, g=0.87):
    """Rabinovich–Fabrikant wave self-modulation model."""
    x, y_, z = y.unbind(-1)
    return stack(
        y_ * (z - 1 + x * x) + g * x,
        x * (3 * z + 1 - x * x) + g * y_,
        -2 * z * (a + x * y_),
    )
