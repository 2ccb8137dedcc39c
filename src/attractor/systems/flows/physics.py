"""Further models from physics: atmospheric regime transitions, the solar-wind-driven
magnetosphere (WINDMI), the Arnold–Beltrami–Childress flow, the Guckenheimer–Holmes
oscillator and a quasi-periodic flow on a torus.

Parameters and reference states follow the dysts database (Gilpin, NeurIPS 2021), which
collects them from the cited papers, except where a docstring says otherwise.
"""

from __future__ import annotations

import math

import torch

from attractor.systems.flows._fields import stack
from attractor.systems.registry import flow


@flow(
    seed=(0.026544189906947246, 0.20580772677536016, 0.43758119702219506),
    # not period/100: the fast pair (y, z) turns at ω = 3
    dt=0.05,
    citation="Tuwankotta, J. M. (2006). Chaos in a coupled oscillators system with widely spaced "
    "frequencies and energy-preserving non-linearity. Int. J. Non-Linear Mech. 41, 180-191.",
)
def atmospheric_regime(t, y, alpha=-2.0, beta=-5.0, mu1=0.05, mu2=-0.01, omega=3.0, sigma=1.1):
    """Slow mode x coupled to a fast oscillator (y, z) by an energy-preserving quadratic term."""
    x, y_, z = y.unbind(-1)
    return stack(
        mu1 * x + sigma * x * y_,
        mu2 * y_ + omega * z + alpha * y_ * z + beta * z * z - sigma * x * x,
        mu2 * z - omega * y_ - alpha * y_ * y_ - beta * y_ * z,
    )


@flow(
    seed=(0.93337506, 6.2678923, 41.969547),
    # tanh(d1 (i - 1)) switches within ~1e-3 in i: small steps keep the switch resolved
    dt=0.005,
    citation="Smith, J. P., Thiffeault, J.-L., Horton, W. (2000). Dynamical range of the WINDMI "
    "model. J. Geophys. Res. 105, 12983-12996; Horton, W., Weigel, R. S., Sprott, J. C. (2001). "
    "Chaos 11, 350.",
)
def windmi_reduced(t, y, a1=0.247, b1=10.8, b2=0.0752, b3=1.06, d1=2200.0, vsw=5.0):
    """Reduced WINDMI model of solar-wind energy transfer into the magnetosphere.

    Current i, voltage v and plasma pressure p; unloading switches on when i exceeds 1."""
    i, v, p = y.unbind(-1)
    unload = p.clamp_min(0) ** 1.25 * vsw**0.5 * (1 + torch.tanh(d1 * (i - 1))) / 2
    return stack(a1 * (vsw - v), b1 * i - b2 * p / 2 - b3 * v, vsw**2 - unload)


@flow(
    seed=(math.remainder(147.91266, 2 * math.pi), math.remainder(-1762.805, 2 * math.pi),
          math.remainder(-647.37622, 2 * math.pi)),
    dt=0.02,
    periodic=(0, 1, 2),
    citation="Arnold, V. I. (1965). Sur la topologie des écoulements stationnaires des fluides "
    "parfaits. C. R. Acad. Sci. Paris 261, 17-20; Dombre, T., et al. (1986). Chaotic streamlines "
    "in the ABC flows. J. Fluid Mech. 167, 353-391.",
)
def arnold_beltrami_childress(t, y, a=1.73205, b=1.41421, c=1.0):
    """Arnold–Beltrami–Childress (ABC) flow on the 3-torus, divergence-free.

    x' = a sin z + c cos y, y' = b sin x + a cos z, z' = c sin y + b cos x; the exponents sum
    to zero."""
    x, y_, z = y.unbind(-1)
    return stack(
        a * torch.sin(z) + c * torch.cos(y_),
        b * torch.sin(x) + a * torch.cos(z),
        c * torch.sin(y_) + b * torch.cos(x),
    )


@flow(
    seed=(-0.55582369, 0.05181624, 0.37766104),
    dt=0.003,
    citation="Guckenheimer, J., Holmes, P. (1983). Nonlinear Oscillations, Dynamical Systems, and "
    "Bifurcations of Vector Fields. Springer.",
)
def guckenheimer_holmes(t, y, a=0.4, b=20.25, c=3.0, d=1.6, e=1.7, f=0.44):
    """Guckenheimer–Holmes oscillator: a fast rotation (b) about z with a cubic radial coupling."""
    x, y_, z = y.unbind(-1)
    r2 = x * x + y_ * y_
    return stack(
        a * x - b * y_ + c * z * x + d * z * r2,
        a * y_ + b * x + c * z * y_,
        e - z * z - f * r2 - a * z**3,
    )


@flow(
    seed=lambda p: (float(p["r"]) + float(p["a"]), 0.0, 0.0),
    dt=0.01,  # 40 steps per turn around the tube
    citation="Quasi-periodic motion on a 2-torus; see e.g. Strogatz, S. H. (1994). Nonlinear "
    "Dynamics and Chaos. Addison-Wesley.",
)
def torus(t, y, a=0.5, n=15.3, r=1.0):
    """Quasi-periodic linear flow on nested tori; every exponent is zero.

    The tori surround the circle of radius r in the (x, y) plane: one turn around the z axis
    per 2π, n turns around the tube; with ρ = √(x² + y²):
    x' = -y - nz x/ρ, y' = x - nz y/ρ, z' = n(ρ - r).

    dysts writes the same orbit as an explicit function of time; this autonomous form has it
    as the orbit of the state (r + a, 0, 0), the tube radius a setting only that state.
    """
    x, y_, z = y.unbind(-1)
    rho = torch.sqrt(x * x + y_ * y_)
    return stack(-y_ - n * z * x / rho, x - n * z * y_ / rho, n * (rho - r))
