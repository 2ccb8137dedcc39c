"""Discrete-time chaotic maps ``y_{n+1} = F(y_n)``.

Each acts on the last dimension of a batched state. Several have exactly known Lyapunov
exponents, used as tests: the logistic map at r = 4 (ln 2), the tent map with slope 2μ
(ln 2μ), the Chebyshev map of integer degree a (ln a) and Arnold's cat map
(± ln((3 + √5)/2)); for the Hénon, Ikeda, Lozi and Duffing maps the exponents sum to the log
of the constant Jacobian determinant. Parameters follow the cited papers and the dysts
database (Gilpin, NeurIPS 2021).
"""

from __future__ import annotations

import math

import torch

from attractor.systems.flows._fields import stack
from attractor.systems.registry import discrete_map


@discrete_map(
    seed=(0.3,),
    settle=100,
    tangent=lambda y, v, r: (r * (1 - 2 * y)).unsqueeze(-1) * v,
    citation="May, R. M. (1976). Simple mathematical models with very complicated dynamics. "
    "Nature 261, 459-467.",
)
def logistic(y, r=4.0):
    """Logistic map x' = r x (1 - x); at r = 4, λ = ln 2."""
    return r * y * (1 - y)


@discrete_map(
    seed=(0.3,),
    settle=100,
    citation="Tent map; see e.g. Ott, E. (2002). Chaos in Dynamical Systems, 2nd ed. Cambridge.",
)
def tent(y, mu=0.95):
    """Tent map x' = μ(1 - 2|x - 1/2|) with slope ±2μ everywhere, so λ = ln 2μ."""
    return mu * (1 - 2 * (y - 0.5).abs())


def _henon_tangent(y, v, a, b):
    # J = [[-2ax, 1], [b, 0]]
    x = y[..., :1]
    vx, vy = v.unbind(-2)
    return torch.stack((-2 * a * x * vx + vy, b * vx), dim=-2)


@discrete_map(
    seed=(1.21674097, 0.03536533),
    tangent=_henon_tangent,
    citation="Hénon, M. (1976). A two-dimensional mapping with a strange attractor. "
    "Commun. Math. Phys. 50, 69-77.",
)
def henon(y, a=1.4, b=0.3):
    """Hénon map x' = 1 - a x² + y, y' = b x; λ1 + λ2 = ln b."""
    x, y_ = y.unbind(-1)
    return stack(1 - a * x * x + y_, b * x)


@discrete_map(
    seed=(0.1, 0.1),
    settle=1000,
    citation="Lozi, R. (1978). Un attracteur étrange (?) du type attracteur de Hénon. "
    "J. Phys. Colloq. 39, C5-9.",
)
def lozi(y, a=1.7, b=0.5):
    """Lozi map x' = 1 - a|x| + y, y' = b x (piecewise-linear Hénon); λ1 + λ2 = ln b."""
    x, y_ = y.unbind(-1)
    return stack(1 - a * x.abs() + y_, b * x)


@discrete_map(
    seed=(0.9, 0.55524451),
    settle=1000,
    citation="Ikeda, K. (1979). Multiple-valued stationary state and its instability of the "
    "transmitted light by a ring cavity system. Opt. Commun. 30, 257-261.",
)
def ikeda(y, u=0.9):
    """Ikeda laser-cavity map: a rotation by t = 0.4 - 6/(1 + x² + y²), scaled by u; λ1 + λ2 = 2 ln u."""
    x, y_ = y.unbind(-1)
    angle = 0.4 - 6 / (1 + x * x + y_ * y_)
    c, s = torch.cos(angle), torch.sin(angle)
    return stack(1 + u * (x * c - y_ * s), u * (x * s + y_ * c))


@discrete_map(
    seed=(0.13738266, -0.0308518),
    settle=1000,
    citation="Nusse, H. E., Yorke, J. A. (1994). Dynamics: Numerical Explorations. Springer "
    "(Tinkerbell map).",
)
def tinkerbell(y, a=0.9, b=-0.6013, c=2.0, d=0.5):
    """Tinkerbell map x' = x² - y² + ax + by, y' = 2xy + cx + dy."""
    x, y_ = y.unbind(-1)
    return stack(x * x - y_ * y_ + a * x + b * y_, 2 * x * y_ + c * x + d * y_)


@discrete_map(
    seed=(0.1, 0.1),
    citation="Chirikov, B. V. (1979). A universal instability of many-dimensional oscillator "
    "systems. Phys. Rep. 52, 263-379.",
)
def standard_map(y, k=5.0):
    """Chirikov standard map on the torus: p' = p + k sin x, x' = x + p' (both mod 2π); area preserving."""
    p, x = y.unbind(-1)
    p_new = p + k * torch.sin(x)
    two_pi = 2 * math.pi
    return stack(torch.remainder(p_new, two_pi), torch.remainder(x + p_new, two_pi))


@discrete_map(
    seed=(-0.1, 0.0),
    settle=1000,
    citation="Devaney, R. L. (1984). A piecewise linear model for the zones of instability of an "
    "area-preserving map. Physica D 10, 387-393.",
)
def gingerbreadman(y):
    """Gingerbreadman map x' = 1 - y + |x|, y' = x; area preserving (λ1 + λ2 = 0), chaotic in
    the outer region where the reference state lies, regular in the hexagonal islands."""
    x, y_ = y.unbind(-1)
    return stack(1 - y_ + x.abs(), x)


@discrete_map(
    seed=(0.51, 0.1),
    settle=1000,
    citation="Holmes, P. J. (1979). A nonlinear oscillator with a strange attractor. "
    "Philos. Trans. R. Soc. A 292, 419-448.",
)
def duffing_map(y, a=2.75, b=0.2):
    """Holmes' Duffing map x' = y, y' = -bx + ay - y³; λ1 + λ2 = ln b."""
    x, y_ = y.unbind(-1)
    return stack(y_, -b * x + a * y_ - y_**3)


@discrete_map(
    seed=(0.51,),
    settle=100,
    citation="Chebyshev polynomial map; see e.g. Geisel, T., Fairen, V. (1984). Statistical "
    "properties of chaos in Chebyshev maps. Phys. Lett. A 105, 263-266.",
)
def chebyshev(y, a=6.0):
    """Chebyshev map x' = cos(a arccos x); for integer a, λ = ln a."""
    return torch.cos(a * torch.arccos(y))


@discrete_map(
    seed=(0.51,),
    settle=100,
    citation="Ricker, W. E. (1954). Stock and recruitment. J. Fish. Res. Board Can. 11, 559-623.",
)
def ricker(y, a=3.3):
    """Ricker population model x' = x exp(a - x)."""
    return y * torch.exp(a - y)


@discrete_map(
    seed=(0.5,),
    settle=100,
    citation="Gauss (mouse) map; see e.g. Hilborn, R. C. (2000). Chaos and Nonlinear Dynamics. Oxford.",
)
def gauss_map(y, a=4.9, b=-0.5):
    """Gauss (mouse) map x' = exp(-a x²) + b."""
    return torch.exp(-a * y * y) + b


@discrete_map(
    seed=(1.78166133, -1.15791549),
    settle=1000,
    citation="Peter de Jong attractor; Pickover, C. A. (1987), via dysts.",
)
def de_jong(y, a=1.641, b=1.902, c=0.316, d=1.525):
    """Peter de Jong map x' = sin(ay) - cos(bx), y' = sin(cx) - cos(dy)."""
    x, y_ = y.unbind(-1)
    return stack(torch.sin(a * y_) - torch.cos(b * x), torch.sin(c * x) - torch.cos(d * y_))


@discrete_map(
    seed=(0.1234, 0.5678),
    citation="Arnold, V. I., Avez, A. (1968). Ergodic Problems of Classical Mechanics. Benjamin.",
)
def cat_map(y):
    """Arnold's cat map (x, y) -> (2x + y, x + y) mod 1; λ = ± ln((3 + √5)/2) exactly."""
    x, y_ = y.unbind(-1)
    return stack(torch.remainder(2 * x + y_, 1.0), torch.remainder(x + y_, 1.0))

