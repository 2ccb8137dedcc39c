"""Periodically forced (non-autonomous) oscillators: Duffing, van der Pol, Brusselator,
FitzHugh–Nagumo, a stick–slip oscillator, a droplet on a soap film, a forced food web, the
Drosophila circadian clock under a light cycle and the Arnold web.

Each is written on the extended phase space, as in the dysts database (Gilpin, NeurIPS
2021): the forcing phase θ is the last state coordinate with θ' = ω, the field ignores
``t`` and the system is registered with ``forcing_phase`` (see :class:`~attractor.systems.
System`). Parameters, reference states (phases reduced modulo 2π) and reference values
follow dysts, which collects them from the cited papers.
"""

from __future__ import annotations

import math

import torch

from attractor.systems.flows._fields import stack
from attractor.systems.registry import flow

_TWO_PI = 2 * math.pi


@flow(
    seed=(-1.1635382, -0.5092374, 0.0),
    dt=0.05,
    forcing_phase=2,
    citation="Duffing, G. (1918). Erzwungene Schwingungen bei veränderlicher Eigenfrequenz und "
    "ihre technische Bedeutung. Vieweg, Braunschweig.",
)
def duffing(t, y, alpha=1.0, beta=-1.0, delta=0.1, gamma=0.35, omega=1.4):
    """Forced Duffing oscillator: x'' + δx' + βx + αx³ = γ cos θ, θ' = ω (two-well at β < 0)."""
    x, v, th = y.unbind(-1)
    return stack(v, -delta * v - beta * x - alpha * x**3 + gamma * torch.cos(th), omega)


@flow(
    seed=(-1.520504, 0.19640249, math.remainder(687.39073, _TWO_PI)),
    # relaxation oscillations (μ = 8.53): the jumps need ~100 steps per forcing period
    dt=0.01,
    forcing_phase=2,
    citation="van der Pol, B. (1920). A theory of the amplitude of free and forced triode "
    "vibrations. Radio Review 1, 701-710.",
)
def forced_van_der_pol(t, y, a=1.2, mu=8.53, w=0.63):
    """Forced van der Pol oscillator: x'' - μ(1 - x²)x' + x = a sin θ, θ' = w."""
    x, v, th = y.unbind(-1)
    return stack(v, mu * (1 - x * x) * v - x + a * torch.sin(th), w)


@flow(
    seed=(0.40635464, 1.8192295, math.remainder(6381.6484, _TWO_PI)),
    dt=0.1,
    forcing_phase=2,
    citation="Prigogine, I., Lefever, R. (1968). Symmetry breaking instabilities in dissipative "
    "systems II. J. Chem. Phys. 48, 1695-1700; forced: Prigogine, I. (1980). From Being to "
    "Becoming. Freeman.",
)
def forced_brusselator(t, y, a=0.4, b=1.2, f=0.05, w=0.81):
    """Forced Brusselator: x' = a + x²y - (b + 1)x + f cos θ, y' = bx - x²y, θ' = w."""
    x, y_, th = y.unbind(-1)
    return stack(a + x * x * y_ - (b + 1) * x + f * torch.cos(th), b * x - x * x * y_, w)


@flow(
    seed=(-1.2155252, -0.046470891, 0.0),
    dt=0.1,
    forcing_phase=2,
    citation="FitzHugh, R. (1961). Impulses and physiological states in theoretical models of "
    "nerve membrane. Biophys. J. 1, 445-466.",
)
def forced_fitzhugh_nagumo(t, y, a=0.7, b=0.8, curr=0.965, f=0.4008225, gamma=0.08,
                           omega=0.043650793650793655):
    """Forced FitzHugh–Nagumo neuron: v' = v - v³/3 - w + I + f sin θ, w' = γ(v + a - bw), θ' = ω."""
    v, w, th = y.unbind(-1)
    return stack(v - v**3 / 3 - w + curr + f * torch.sin(th), gamma * (v + a - b * w), omega)


@flow(
    seed=(0.85539847, -0.39125834, 0.0),
    # the friction law switches sign at v = vs: small steps keep the kink resolved
    dt=0.01,
    forcing_phase=2,
    citation="Awrejcewicz, J., Holicke, M. M. (1999). Melnikov's method and stick-slip chaotic "
    "oscillations in very weakly forced mechanical systems. Int. J. Bifurc. Chaos 9, 505-518.",
)
def stick_slip_oscillator(t, y, a=1.0, alpha=0.3, b=1.0, beta=0.3, eps=0.05, gamma=1.0,
                          t0=0.3, vs=0.4, w=2.0):
    """Weakly forced stick–slip oscillator with a velocity-dependent friction law.

    x'' = ax - bx³ + ε(γ cos θ - T), T = t0 sgn(v - vs) - αv + β(v - vs)³, θ' = w."""
    x, v, th = y.unbind(-1)
    friction = t0 * torch.sign(v - vs) - alpha * v + beta * (v - vs) ** 3
    return stack(v, eps * (gamma * torch.cos(th) - friction) + a * x - b * x**3, w)


@flow(
    seed=(-0.65820064, -2.8807787, 0.1),
    # impacts on the film (x < 0) switch the force on and off
    dt=0.02,
    forcing_phase=2,
    citation="Gilet, T., Bush, J. W. M. (2009). The fluid trampoline: droplets bouncing on a soap "
    "film. J. Fluid Mech. 625, 167-203.",
)
def fluid_trampoline(t, y, gamma=1.82, psi=0.01019, w=1.21):
    """Droplet bouncing on a vibrated soap film: x'' = -1 + γ cos θ - H(-x)(x + ψx'|x'|), θ' = w."""
    x, v, th = y.unbind(-1)
    film = (x < 0).to(y.dtype) * (x + psi * v * v.abs())
    return stack(v, -1 - film + gamma * torch.cos(th), w)


@flow(
    seed=(0.018027788, 0.013649976, math.remainder(30363.85, _TWO_PI)),
    dt=0.01,
    forcing_phase=2,
    citation="Turchin, P., Hanski, I. (1997). An empirically based model for latitudinal gradient "
    "in vole population dynamics. Am. Nat. 149, 842-874; growth rate raised as in dysts.",
)
def turchin_hanski(t, y, a=8.0, d=0.04, e=0.5, g=0.1, h=0.8, lamb=1.0, r=8.12, s=1.25):
    """Seasonally forced vole–weasel model (Turchin–Hanski).

    Vole growth r(1 - e sin θ), generalist predation gn²/(n² + h²), weasel predation
    anp/(n + d) and a weasel carrying capacity ∝ n; θ' = 2πλ."""
    n, p, th = y.unbind(-1)
    season = 1 - e * torch.sin(th)
    return stack(
        r * season * n - r * n * n - g * n * n / (n * n + h * h) - a * n * p / (n + d),
        s * season * p - s * p * p / n,
        _TWO_PI * lamb,
    )


@flow(
    seed=(1.5401187, 5.3707921, 41.054266, 11.619073, math.remainder(2004.0233, _TWO_PI)),
    dt=0.1,
    forcing_phase=4,
    citation="Leloup, J.-C., Gonze, D., Goldbeter, A. (1999). Limit cycle models for circadian "
    "rhythms based on transcriptional regulation in Drosophila and Neurospora. J. Biol. Rhythms "
    "14, 433-448; Gonze, D., Leloup, J.-C., Goldbeter, A. (2000). C. R. Acad. Sci. III 323, 57-67.",
)
def circadian_rhythm(t, y, Ki=1.0, k=0.5, k1=0.3, k2=0.15, kd=1.4, kdn=0.4, km=0.4, ks=1.0,
                     n=4.0, ps=24.0, vc=2.5, vd=6.0, vdn=1.5, vm=0.7, vmax=4.7, vmin=1.0):
    """Drosophila PER circadian clock under a light–dark cycle of period ps.

    mRNA m, cytosolic (fc, fs) and nuclear fn protein; transcription repressed by fn with a
    light-modulated rate."""
    m, fc, fs, fn, th = y.unbind(-1)
    vs = vc * (0.5 + 0.5 * torch.cos(th) + vmin) * (vmax - vmin)
    return stack(
        vs * Ki**n / (Ki**n + fn**n) - vm * m / (km + m),
        ks * m - k1 * fc + k2 * fn - k * fc,
        k * fc - vd * fs / (kd + fs),
        k1 * fc - k2 * fn - vdn * fn / (kdn + fn),
        _TWO_PI / ps,
    )


@flow(
    seed=(0.10469507, 0.0892929984, math.remainder(11025.3686, _TWO_PI),
          math.remainder(6055.32273, _TWO_PI), 0.1),
    dt=0.05,
    forcing_phase=4,
    periodic=(2, 3),
    citation="Froeschlé, C., Guzzo, M., Lega, E. (2000). Graphical evolution of the Arnold web: "
    "from order to chaos. Science 289, 2108-2110.",
)
def arnold_web(t, y, mu=0.01, w=1.0):
    """Arnold web: a quasi-integrable Hamiltonian with a periodically forced perturbation.

    H = (p1² + p2²)/2 + μ/(4 + cos x1 + cos x2 + cos θ), θ' = w: slow diffusion along the
    web of resonances."""
    p1, p2, x1, x2, th = y.unbind(-1)
    den = 4 + torch.cos(th) + torch.cos(x1) + torch.cos(x2)
    return stack(-mu * torch.sin(x1) / den**2, -mu * torch.sin(x2) / den**2, p1, p2, w)
