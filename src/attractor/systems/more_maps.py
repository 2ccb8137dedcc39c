"""Further discrete maps, those of the dysts collection (Gilpin, NeurIPS 2021) the registry
lacked: Bogdanov, the baker's map, the circle map, the Kaplan–Yorke and Zaslavskii maps,
Gumowski–Mira, Maynard Smith, and the Clifford-type "art" attractors of Pickover, Svensson,
Bedhead and Martin's hopalong.

Several have exact invariants, used as tests: the baker's map has λ = (ln 2, ln(a/2)) and
the Kaplan–Yorke map λ = (ln 2, ln α) (triangular Jacobians with constant diagonals); the
Jacobian determinant is constant for Zaslavskii (e^{-r}), Gumowski–Mira (b), Bogdanov at
ε = μ = 0 and the hopalong (1, area preserving), fixing λ1 + λ2. Parameters and reference
states follow dysts.
"""

from __future__ import annotations

import math

import torch

from attractor.systems.flows._fields import stack
from attractor.systems.registry import discrete_map

# x -> 2x mod 1 in binary floating point shifts one bit out per step and reaches 0 after ~53
# steps; reducing modulo a number just below 1 (not a power of two) keeps the orbit's digits
# from running out, as dysts does, without changing the slope 2.
_MOD = 1 - 5e-8


@discrete_map(
    seed=(0.51, 0.2),
    citation="Bogdanov, R. I. (1981). Bifurcations of a limit cycle for a family of vector fields "
    "on the plane. Selecta Math. Soviet. 1, 373-388; map form of Arrowsmith, D. K., Cartwright, "
    "J. H. E., Lansbury, A. N., Place, C. M. (1993). Int. J. Bifurc. Chaos 3, 803-842.",
)
def bogdanov(y, eps=0.0, k=1.2, mu=0.0):
    """Bogdanov map: y' = (1 + ε)y + kx(x - 1) + μxy, x' = x + y'; det J = 1 + ε + μx.

    At dysts's parameters (ε = μ = 0) it is area preserving and the reference orbit lies on
    an invariant circle about the elliptic point (0, 0), so λ1 = λ2 = 0; the chaotic layer at
    the separatrix of the saddle (1, 0) leaks to infinity."""
    x, y_ = y.unbind(-1)
    yn = (1 + eps) * y_ + k * x * (x - 1) + mu * x * y_
    return stack(x + yn, yn)


@discrete_map(
    seed=(0.04995935, 0.363224),
    settle=100,
    citation="Baker's map; see e.g. Ott, E. (2002). Chaos in Dynamical Systems, 2nd ed. Cambridge.",
)
def baker(y, a=1.0):
    """Generalised baker's map: x' = 2x mod 1, y' = (ay + ⌊2x⌋)/2; λ = (ln 2, ln(a/2)) exactly."""
    x, y_ = y.unbind(-1)
    fold = torch.floor(2 * x / _MOD)
    return stack(2 * x - _MOD * fold, (a * y_ + fold) / 2)


@discrete_map(
    seed=(0.0,),
    settle=100,
    aliases=("circle",),
    citation="Arnold, V. I. (1965). Small denominators I: mappings of the circumference onto itself. "
    "AMS Transl. 46, 213-284.",
)
def circle_map(y, k=5.7, omega=0.333):
    """Sine circle map θ' = θ + Ω + (K/2π) sin 2πθ (mod 1); non-invertible and chaotic for K > 1."""
    return torch.remainder(y + omega + k / (2 * math.pi) * torch.sin(2 * math.pi * y), 1.0)


@discrete_map(
    seed=(0.2, 0.2),
    settle=100,
    aliases=("KaplanYorke",),
    citation="Kaplan, J. L., Yorke, J. A. (1979). Chaotic behavior of multidimensional difference "
    "equations. Lecture Notes in Math. 730, 204-227.",
)
def kaplan_yorke_map(y, alpha=0.2):
    """Kaplan–Yorke map: x' = 2x mod 1, y' = αy + cos 4πx; λ = (ln 2, ln α) exactly.

    Hence D_KY = 1 + ln 2/|ln α|."""
    x, y_ = y.unbind(-1)
    return stack(torch.remainder(2 * x, _MOD), alpha * y_ + torch.cos(4 * math.pi * x))


@discrete_map(
    seed=(0.51, 0.1),
    settle=100,
    citation="Zaslavsky, G. M. (1978). The simplest case of a strange attractor. Phys. Lett. A 69, "
    "145-147.",
)
def zaslavskii(y, eps=0.3, nu=400 / 3, r=3.0):
    """Zaslavskii map (a kicked damped rotator); λ1 + λ2 = -r.

    x' = x + ν(1 + μy) + εν μ cos 2πx (mod 1), y' = e^{-r}(y + ε cos 2πx),
    μ = (1 - e^{-r})/r. (dysts's ε = 5, ν = 0.2,
    r = 2 settle on a period-2 cycle; at these values the attractor is strange, λ1 ≈ 3.7.)"""
    x, y_ = y.unbind(-1)
    mu = (1 - math.exp(-r)) / r
    kick = eps * torch.cos(2 * math.pi * x)
    return stack(torch.remainder(x + nu * (1 + mu * y_) + nu * mu * kick, 1.0), math.exp(-r) * (y_ + kick))


def _gumowski_mira_f(x, a):
    return a * x + 2 * (1 - a) * x * x / (1 + x * x)


@discrete_map(
    seed=(0.1, 0.1),
    settle=1000,
    citation="Gumowski, I., Mira, C. (1980). Recurrences and Discrete Dynamic Systems. Lecture "
    "Notes in Math. 809, Springer.",
)
def gumowski_mira(y, a=-0.7, b=0.95):
    """Gumowski–Mira map: x' = by + f(x), y' = f(x') - x; λ1 + λ2 = ln|b|.

    f(x) = ax + 2(1 - a)x²/(1 + x²). (dysts's a = -1.1, b = -0.2 settle on a period-2 cycle; at these values
    orbits from the reference state are chaotic, λ1 ≈ 0.23.)"""
    x, y_ = y.unbind(-1)
    xn = b * y_ + _gumowski_mira_f(x, a)
    return stack(xn, _gumowski_mira_f(xn, a) - x)


@discrete_map(
    seed=(0.0, 0.1),
    settle=100,
    citation="Maynard Smith, J. (1968). Mathematical Ideas in Biology. Cambridge University Press.",
)
def maynard_smith(y, a=0.87, b=0.75):
    """Maynard Smith's delayed population model: x' = y, y' = ay + b - x²."""
    x, y_ = y.unbind(-1)
    return stack(y_, a * y_ + b - x * x)


@discrete_map(
    seed=(-0.97631884, -1.2040783),
    settle=100,
    citation="Pickover, C. A. (1990). Computers, Pattern, Chaos and Beauty. St. Martin's Press "
    "(the Clifford attractor).",
)
def pickover(y, a=-1.4, b=1.6, c=1.0, d=0.7):
    """Pickover (Clifford) attractor: x' = sin(ay) + c cos(ax), y' = sin(bx) + d cos(by)."""
    x, y_ = y.unbind(-1)
    return stack(torch.sin(a * y_) + c * torch.cos(a * x), torch.sin(b * x) + d * torch.cos(b * y_))


@discrete_map(
    seed=(0.5, 0.5),
    settle=100,
    citation="Svensson attractor, after Johnny Svensson; from Emrich, I., via dysts.",
)
def svensson(y, a=1.5, b=-1.8, c=1.6, d=0.9):
    """Svensson attractor: x' = d sin(ax) - sin(by), y' = c cos(ax) + cos(by)."""
    x, y_ = y.unbind(-1)
    return stack(d * torch.sin(a * x) - torch.sin(b * y_), c * torch.cos(a * x) + torch.cos(b * y_))


@discrete_map(
    seed=(0.5, 0.5),
    settle=100,
    citation="Bedhead attractor, after Ivan Emrich; via dysts.",
)
def bedhead(y, a=-0.67, b=0.83):
    """Bedhead attractor: x' = y sin(xy/b) + cos(ax - y), y' = x + sin(y)/b."""
    x, y_ = y.unbind(-1)
    return stack(y_ * torch.sin(x * y_ / b) + torch.cos(a * x - y_), x + torch.sin(y_) / b)


@discrete_map(
    seed=(0.1, 0.1),
    settle=100,
    citation="Martin, B. (1986), as presented by Dewdney, A. K. Computer recreations. Sci. Am. 255 "
    "(Sept.), 14-23 (the hopalong map).",
)
def hopalong(y, a=3.1, b=2.5, c=4.2):
    """Martin's hopalong: x' = y - 1 - sgn(x - 1)√|bx - 1 - c|, y' = a - x - 1; area preserving."""
    x, y_ = y.unbind(-1)
    return stack(y_ - 1 - torch.sqrt((b * x - 1 - c).abs()) * torch.sign(x - 1), a - x - 1)
