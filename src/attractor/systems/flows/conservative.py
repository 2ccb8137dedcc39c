"""Conservative (Hamiltonian or time-reversible) chaotic flows: Hénon–Heiles, the double
pendulum, the swinging Atwood machine, the nuclear quadrupole model and the Nosé–Hoover thermostat.

Their Lyapunov spectra come in ± pairs, and chaos depends on the energy of the initial state;
the reference states (from the dysts database, Gilpin, NeurIPS 2021) lie in chaotic regions.
Each Hamiltonian system also exposes its energy function (``*_energy``) so conservation can
be checked.
"""

from __future__ import annotations

import math

import torch

from attractor.systems.flows._fields import stack
from attractor.systems.registry import flow


@flow(
    seed=(-0.29707259, -0.0031367513, 0.42548865, 0.071905482),
    dt=0.05,
    citation="Hénon, M., Heiles, C. (1964). The applicability of the third integral of motion: "
    "some numerical experiments. Astron. J. 69, 73-79.",
)
def henon_heiles(t, y, lam=1.0):
    """Hénon–Heiles star in a galactic potential V = (x² + y²)/2 + λ(x²y - y³/3)."""
    x, y_, px, py = y.unbind(-1)
    return stack(px, py, -x - 2 * lam * x * y_, -y_ - lam * (x * x - y_ * y_))


def henon_heiles_energy(y: torch.Tensor, lam: float = 1.0) -> torch.Tensor:
    """Hamiltonian of :func:`henon_heiles` (conserved along trajectories)."""
    x, y_, px, py = y.unbind(-1)
    return 0.5 * (px**2 + py**2 + x**2 + y_**2) + lam * (x * x * y_ - y_**3 / 3)


def _double_pendulum_terms(y, g, l1, l2, m1, m2):
    th1, th2, p1, p2 = y.unbind(-1)
    delta = th1 - th2
    cos_d, sin_d = torch.cos(delta), torch.sin(delta)
    den = m1 + m2 * sin_d**2
    return th1, th2, p1, p2, delta, cos_d, sin_d, den


@flow(
    seed=(math.remainder(-44.334542, 2 * math.pi), math.remainder(223.53554, 2 * math.pi),
          -1.2249799, 2.535486),
    dt=0.01,
    citation="Double pendulum in canonical coordinates; see e.g. Marion, J. B., Thornton, S. T., "
    "Classical Dynamics of Particles and Systems.",
    periodic=(0, 1),
)
def double_pendulum(t, y, g=9.81, l1=1.0, l2=1.0, m1=1.0, m2=1.0):
    """Frictionless double pendulum: angles θ1, θ2 and their canonical momenta p1, p2."""
    th1, th2, p1, p2, delta, cos_d, sin_d, den = _double_pendulum_terms(y, g, l1, l2, m1, m2)
    dth1 = (l2 * p1 - l1 * p2 * cos_d) / (l1**2 * l2 * den)
    dth2 = ((m1 + m2) * l1 * p2 - m2 * l2 * p1 * cos_d) / (m2 * l1 * l2**2 * den)
    c1 = p1 * p2 * sin_d / (l1 * l2 * den)
    kin = m2 * l2**2 * p1**2 + (m1 + m2) * l1**2 * p2**2 - 2 * m2 * l1 * l2 * p1 * p2 * cos_d
    c2 = kin * torch.sin(2 * delta) / (2 * l1**2 * l2**2 * den**2)
    return stack(
        dth1,
        dth2,
        -(m1 + m2) * g * l1 * torch.sin(th1) - c1 + c2,
        -m2 * g * l2 * torch.sin(th2) + c1 - c2,
    )


def double_pendulum_energy(y, g=9.81, l1=1.0, l2=1.0, m1=1.0, m2=1.0):
    """Hamiltonian of :func:`double_pendulum` (conserved along trajectories)."""
    th1, th2, p1, p2, _, cos_d, _, den = _double_pendulum_terms(y, g, l1, l2, m1, m2)
    kin = m2 * l2**2 * p1**2 + (m1 + m2) * l1**2 * p2**2 - 2 * m2 * l1 * l2 * p1 * p2 * cos_d
    return kin / (2 * m2 * l1**2 * l2**2 * den) - (m1 + m2) * g * l1 * torch.cos(th1) - (
        m2 * g * l2 * torch.cos(th2)
    )


@flow(
    seed=(-0.85591178, 1.48078342, -0.85075322, 1.63576085),
    dt=0.05,
    citation="Baran, V., Raduta, A. A. (1998). Classical and quantal chaos described by a "
    "fourth order quadrupole boson Hamiltonian. Int. J. Mod. Phys. E 7, 527-551.",
)
def nuclear_quadrupole(t, y, a=1.0, b=0.55, d=0.4):
    """Quadrupole boson Hamiltonian: chaos by resonance overlap."""
    q1, q2, p1, p2 = y.unbind(-1)
    r2 = q1 * q1 + q2 * q2
    c = 3 * b / math.sqrt(2)
    return stack(
        a * p1,
        a * p2,
        -a * q1 + c * (q1 * q1 - q2 * q2) - d * q1 * r2,
        -a * q2 - 2 * c * q1 * q2 - d * q2 * r2,
    )


def nuclear_quadrupole_energy(y, a=1.0, b=0.55, d=0.4):
    """Hamiltonian of :func:`nuclear_quadrupole` (conserved along trajectories)."""
    q1, q2, p1, p2 = y.unbind(-1)
    r2 = q1 * q1 + q2 * q2
    cubic = (b / math.sqrt(2)) * (q1**3 - 3 * q1 * q2 * q2)
    return 0.5 * a * (p1**2 + p2**2 + r2) - cubic + 0.25 * d * r2**2


@flow(
    seed=(-1.9758582, 0.24647527, 0.79024299),
    dt=0.05,
    citation="Hoover, W. G. (1985). Canonical dynamics: equilibrium phase-space distributions. "
    "Phys. Rev. A 31, 1695-1697; Nosé, S. (1984). J. Chem. Phys. 81, 511.",
)
def nose_hoover(t, y, a=1.5):
    """Nosé–Hoover thermostatted oscillator: x' = y, y' = -x + yz, z' = a - y²."""
    x, y_, z = y.unbind(-1)
    return stack(y_, -x + y_ * z, a - y_ * y_)


@flow(
    seed=(0.113296, 1.5707963267948966, 0.10992, 0.17747),
    # the light mass swings close to the pulley (small r), where θ turns fast
    dt=0.001,
    periodic=(1,),
    citation="Tufillaro, N. B., Abbott, T. A., Griffiths, D. J. (1984). Swinging Atwood's machine. "
    "Am. J. Phys. 52, 895-903.",
)
def swinging_atwood(t, y, m1=1.0, m2=4.5, g=9.82):
    """Swinging Atwood's machine: a swinging mass m1 against a hanging mass m2.

    Length r and angle θ of m1 with canonical momenta p_r, p_θ (g = 9.82 as in dysts, whose
    reference values use it)."""
    r, th, pr, pth = y.unbind(-1)
    return stack(
        pr / (m1 + m2),
        pth / (m1 * r * r),
        pth * pth / (m1 * r**3) - m2 * g + m1 * g * torch.cos(th),
        -m1 * g * r * torch.sin(th),
    )


def swinging_atwood_energy(y, m1=1.0, m2=4.5, g=9.82):
    """Hamiltonian of :func:`swinging_atwood` (conserved along trajectories)."""
    r, th, pr, pth = y.unbind(-1)
    return pr**2 / (2 * (m1 + m2)) + pth**2 / (2 * m1 * r * r) + g * r * (m2 - m1 * torch.cos(th))
