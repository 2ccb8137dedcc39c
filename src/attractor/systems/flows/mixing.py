"""Chaotic advection: fluid particles in time-periodic two-dimensional flows (the double gyre,
blinking rotlets and vortices, a lid-driven cavity, a squirmer, an oscillating cellular flow)
and the Bickley jet.

The flows are non-autonomous; as in the dysts database (Gilpin, NeurIPS 2021) they are written
on the extended phase space, the last state coordinate being the forcing phase (θ' = ω) or the
time within the stirring protocol (s' = 1), registered as ``forcing_phase``. Parameters and
reference states follow dysts, which collects them from the cited papers.
"""

from __future__ import annotations

import math

import torch

from attractor.systems.flows._fields import param, stack, switch
from attractor.systems.registry import flow

_PI = math.pi


@flow(
    seed=(1.5327241, 0.99802126, math.remainder(3879.3323, 2 * _PI)),
    dt=0.1,
    forcing_phase=2,
    citation="Shadden, S. C., Lekien, F., Marsden, J. E. (2005). Definition and properties of "
    "Lagrangian coherent structures from finite-time Lyapunov exponents in two-dimensional "
    "aperiodic flows. Physica D 212, 271-304.",
)
def double_gyre(t, y, alpha=0.1, eps=0.1, omega=0.62832):
    """Periodically oscillating double gyre.

    Stream function ψ = α sin(πf(x, θ)) sin(πy), f = ε sin θ x² + (1 - 2ε sin θ) x, θ' = ω."""
    x, y_, th = y.unbind(-1)
    a = eps * torch.sin(th)
    b = 1 - 2 * a
    f = a * x * x + b * x
    return stack(
        -alpha * _PI * torch.sin(_PI * f) * torch.cos(_PI * y_),
        alpha * _PI * torch.cos(_PI * f) * torch.sin(_PI * y_) * (2 * a * x + b),
        omega,
    )


def _rotlet(r, th, a, b, bc):
    """Velocity (v_r, v_θ) of a rotlet at distance b from the centre of a cylinder of radius a
    (bc = 1: no-slip wall with its image system; bc = 0: the point vortex alone)."""
    cos = torch.cos(th)
    kappa = a * a + b * b * r * r / (a * a) - 2 * b * r * cos
    gamma = (1 - r * r / (a * a)) * (a * a - b * b * r * r / (a * a))
    iota = b * b * r / (a * a) - b * cos
    zeta = b * b + r * r - 2 * b * r * cos
    nu = a * a + b * b - 2 * b * b * r * r / (a * a)
    vr = b * torch.sin(th) * (-bc * gamma / kappa**2 - 1 / kappa + 1 / zeta)
    vth = bc * gamma * iota / kappa**2 + bc * r * nu / (a * a * kappa) + iota / kappa - (r - b * cos) / zeta
    return vr, vth


def _blinking(y, a, b, bc, sigma, tau):
    # the stirrer at +b turns for half the period, the one at -b for the other half
    r, th, s = y.unbind(-1)
    w = switch(s, tau)
    vr1, vth1 = _rotlet(r, th, a, b, bc)
    vr2, vth2 = _rotlet(r, th, a, -b, bc)
    return stack(sigma * (w * vr1 + (1 - w) * vr2), sigma * (w * vth1 + (1 - w) * vth2) / r, 1.0)


# the protocol switches within ~0.01 time units: steps must resolve it
@flow(
    seed=(-0.08541919, -0.05204435, 0.0),
    dt=0.005,
    forcing_phase=2,
    periodic=(1,),
    citation="Meleshko, V. V., Aref, H. (1996). A blinking rotlet model for chaotic advection. "
    "Phys. Fluids 8, 3215-3217.",
)
def blinking_rotlet(t, y, a=1.0, b=0.5298833894399929, bc=1.0, sigma=-1.0, tau=3.0):
    """Blinking rotlet: two rotlets inside a no-slip cylinder, turned on alternately.

    Polar coordinates r, θ; s is the time within the blinking protocol of period τ."""
    return _blinking(y, a, b, bc, sigma, tau)


@flow(
    seed=(-0.08541919, -0.05204435, 0.0),
    dt=0.005,
    forcing_phase=2,
    periodic=(1,),
    citation="Aref, H. (1984). Stirring by chaotic advection. J. Fluid Mech. 143, 1-21.",
)
def blinking_vortex(t, y, a=1.0, b=0.5, bc=0.0, sigma=-1.0, tau=3.0):
    """Aref's blinking vortex: two point vortices at ±b turned on alternately.

    Polar coordinates r, θ; s is the time within the protocol of period τ."""
    return _blinking(y, a, b, bc, sigma, tau)


def _cavity(x, y_, a, b, u1, u2):
    """Stokes flow in the cavity [0, a] × [-b, b] driven by the lids, as the sum of its first
    two modes with lid speeds u1 and u2 (Grover et al. 2012)."""
    def mode(j, u):
        q = j * _PI / a
        den = 2 * j * b * _PI + a * math.sinh(2 * j * _PI * b / a)
        sb, cb = math.sinh(q * b), math.cosh(q * b)
        vx = -j * b * _PI * sb * torch.sinh(q * y_) + cb * (j * _PI * y_ * torch.cosh(q * y_) + a * torch.sinh(q * y_))
        vy = b * sb * torch.cosh(q * y_) - cb * y_ * torch.sinh(q * y_)
        return 2 * u * torch.sin(q * x) / den * vx, 2 * j * _PI * u * torch.cos(q * x) / den * vy

    vx1, vy1 = mode(1, u1)
    vx2, vy2 = mode(2, u2)
    return vx1 + vx2, vy1 + vy2


@flow(
    seed=(3.966790341130254, 0.18425981346720144, 0.0),
    dt=0.005,
    forcing_phase=2,
    citation="Grover, P., Ross, S. D., Stremler, M. A., Kumar, P. (2012). Topological chaos, "
    "braiding and bifurcation of almost-cyclic sets. Chaos 22, 043135.",
)
def lid_driven_cavity_flow(t, y, a=6.0, b=1.0, tau=1.1, u1=9.92786, u2=8.34932):
    """Lid-driven cavity whose lids alternate direction every half period τ/2.

    s is the time within the protocol."""
    x, y_, s = y.unbind(-1)
    w = switch(s, tau)
    vx1, vy1 = _cavity(x, y_, a, b, u1, u2)
    vx2, vy2 = _cavity(x, y_, a, b, -u1, u2)
    return stack(w * vx1 + (1 - w) * vx2, w * vy1 + (1 - w) * vy2, 1.0)


@flow(
    seed=(0.1, 0.1, 0.1),
    dt=0.01,
    forcing_phase=2,
    periodic=(1,),
    citation="Blake, J. R. (1971). Self propulsion due to oscillations on the surface of a "
    "cylinder at low Reynolds number. Bull. Aust. Math. Soc. 5, 255-264.",
)
def interior_squirmer(t, y, a=(0.5, 0.5, 0.5, 0.5, 0.5), g=(0.5, 0.5, 0.5, 0.5, 0.5), tau=3.0):
    """Interior squirmer: Stokes flow in a cylinder driven by an alternating wall slip velocity.

    The slip has Fourier coefficients a_n (sine) and g_n (cosine), the two sets alternating
    with period τ; polar coordinates r, θ; s is the time within the protocol."""
    r, th, s = y.unbind(-1)
    w = switch(s, tau).unsqueeze(-1)
    an, gn = param(a, y) * w, param(g, y) * (1 - w)
    n = torch.arange(1, an.shape[-1] + 1, dtype=y.dtype, device=y.device)
    rr, tt = r.unsqueeze(-1), th.unsqueeze(-1)
    sin, cos, rn = torch.sin(n * tt), torch.cos(n * tt), rr**n
    vr = ((gn * cos + an * sin) * n * rn * (rr * rr - 1) / rr).sum(-1)
    vth = ((2 * rr + (rr * rr - 1) * n / rr) * (an * cos - gn * sin) * rn).sum(-1)
    return stack(vr, vth / r, 1.0)


@flow(
    seed=(math.pi, math.pi / 3, 0.4),
    dt=0.05,
    forcing_phase=2,
    periodic=(0,),
    citation="Solomon, T. H., Gollub, J. P. (1988). Chaotic particle transport in time-dependent "
    "Rayleigh-Bénard convection. Phys. Rev. A 38, 6280-6286.",
)
def oscillating_flow(t, y, b=0.48, k=1.0, omega=0.49, u=0.72):
    """Cellular convection rolls whose boundaries oscillate laterally.

    ψ = (u/k) sin(k(x + b sin θ)) sin(ky), θ' = ω."""
    x, y_, th = y.unbind(-1)
    f = x + b * torch.sin(th)
    return stack(u * torch.cos(k * y_) * torch.sin(k * f), -u * torch.sin(k * y_) * torch.cos(k * f), omega)


@flow(
    seed=(-0.4, 0.3, 0.0),
    dt=1000.0,
    forcing_phase=2,
    periodic=(1,),
    citation="Hadjighasem, A., Karrasch, D., Teramoto, H., Haller, G. (2016). Spectral-clustering "
    "approach to Lagrangian vortex detection. Phys. Rev. E 93, 063107; del-Castillo-Negrete, D., "
    "Morrison, P. J. (1993). Phys. Fluids A 5, 948.",
)
def bickley_jet(t, y, ell=1.77, eps=(0.0075, 0.15, 0.3), k=(0.313922, 0.627845, 0.941767),
                omega=1.0, sigma=(9.05854e-06, 1.28453e-05, 2.88863e-05), u=6.266e-05):
    """Bickley jet perturbed by three travelling Rossby waves.

    Mean zonal flow u sech²(y/ℓ) (units Mm and s), waves of amplitudes ε_n, wave numbers k_n
    and phase speeds σ_n; state (y, x, z) with x the zonal coordinate and z = ωt the time
    (quasi-periodic rather than periodic forcing)."""
    yy, x, z = y.unbind(-1)
    sech2 = 1 / torch.cosh(yy / ell) ** 2
    kk, ee, ss = param(k, y), param(eps, y), param(sigma, y)
    phase = kk * (x.unsqueeze(-1) - z.unsqueeze(-1) * ss)
    dx = u * sech2 * (-1 - 2 * (ee * torch.cos(phase)).sum(-1) * torch.tanh(yy / ell))
    dy = ell * u * sech2 * (ee * kk * torch.sin(phase)).sum(-1)
    return stack(dy, dx, omega)
