"""Relatives of registered flows: the Lorenz system confined to a ball and two coupled Lorenz
systems, Thomas' labyrinth chaos, a multi-scroll Chua circuit, variants of the Sakarya,
Lü–Chen, Dequan Li, Bouali and Yu–Wang systems, and two of Sprott's later flows.

Where a system is another one at other parameters, its field is the same function.
Parameters and reference states follow the dysts database (Gilpin, NeurIPS 2021), which
collects them from the cited papers.
"""

from __future__ import annotations

import torch

from attractor.systems.flows._fields import param, stack
from attractor.systems.flows.classic import lorenz, thomas
from attractor.systems.flows.polynomial import bouali, dequan_li, sakarya
from attractor.systems.registry import flow


@flow(
    seed=(-13.284881, -12.444334, 34.188198),
    dt=0.01,
    citation="Sprott, J. C., Xiong, A. (2015). Classifying and quantifying basins of attraction. "
    "Chaos 25, 083101.",
)
def lorenz_bounded(t, y, beta=2.667, r=64.0, rho=28.0, sigma=10.0):
    """Lorenz system confined to a ball: the Lorenz field times (1 - |y|²/r²).

    The flow reverses outside the ball of radius r, so every orbit stays bounded."""
    return lorenz(t, y, sigma, rho, beta) * (1 - y.pow(2).sum(-1, keepdim=True) / r**2)


@flow(
    seed=(7.0921483, 10.117408, 25.708428, 2.1689893, 0.96121877, 0.89550187),
    dt=0.01,
    citation="Lorenz, E. N. (1963). J. Atmos. Sci. 20, 130-141; a chaotic Lorenz system (ρ1) "
    "driving a non-chaotic one (ρ2) through ε(x1 - x2), as in dysts.",
)
def lorenz_coupled(t, y, beta=2.667, eps=2.85, rho1=35.0, rho2=1.15, sigma=10.0):
    """Two Lorenz systems, the first driving the second's x through ε(x1 - x2).

    The divergence is constant, -(2σ + ε + 2 + 2β)."""
    first = lorenz(t, y[..., :3], sigma, rho1, beta)
    second = lorenz(t, y[..., 3:], sigma, rho2, beta)
    drive = eps * (y[..., :1] - y[..., 3:4])
    return torch.cat([first, second[..., :1] + drive, second[..., 1:]], dim=-1)


@flow(
    seed=(-4.9599545, 1.0302034, -4.6883893),
    dt=0.05,
    citation="Thomas, R. (1999). Deterministic chaos seen in terms of feedback circuits: analysis, "
    "synthesis, 'labyrinth chaos'. Int. J. Bifurc. Chaos 9, 1889-1905.",
)
def thomas_labyrinth(t, y, a=0.5, b=10.0):
    """Thomas' system at weak damping: chaotic walks through a lattice of cells."""
    return thomas(t, y, a, b)


@flow(
    seed=(-21.160123, 1.0322356, 27.405269),
    dt=0.02,
    citation="Yalçin, M. E., Suykens, J. A. K., Vandewalle, J. (2005). Cellular Neural Networks, "
    "Multi-Scroll Chaos and Synchronization. World Scientific.",
)
def multi_chua(t, y, a=9.0, b=14.286, c=(0.0, 1.0, 2.15, 3.6, 8.2, 13.0),
               m=(-0.14285714, 0.28571429, -0.57142857, 0.28571429, -0.57142857, 0.28571429)):
    """Multi-scroll Chua circuit: x' = a(y - g(x)), y' = x - y + z, z' = -by.

    g is piecewise linear with slopes m and breakpoints ±c."""
    x, y_, z = y.unbind(-1)
    mm, cc = param(m, y), param(c, y)
    xx = x.unsqueeze(-1)
    kinks = 0.5 * (mm[:-1] - mm[1:]) * ((xx + cc[1:]).abs() - (xx - cc[1:]).abs())
    g = mm[-1] * x + kinks.sum(-1)
    return stack(a * (y_ - g), x - y_ + z, -b * y_)


@flow(
    seed=(4.6722764, 5.2437205e-10, -6.4444208e-10),
    dt=0.02,
    citation="Liu, W., Chen, G. (2004). Can a three-dimensional smooth autonomous quadratic chaotic "
    "system generate a single four-scroll attractor? Int. J. Bifurc. Chaos 14, 1395-1403.",
)
def liu_chen(t, y, a=0.4, b=12.0, c=-5.0, h=0.0, p=0.0, q=-1.0, r=1.0, s=1.0):
    """Liu–Chen four-scroll system (the Sakarya form at other parameters)."""
    return sakarya(t, y, a, b, c, h, p, q, r, s)


@flow(
    seed=(-5.5177615, 2.4990595, 10.461798),
    dt=0.01,
    citation="Lü, J., Chen, G., Cheng, D. (2004). A new chaotic system and beyond: the generalized "
    "Lorenz-like system. Int. J. Bifurc. Chaos 14, 1507-1537.",
)
def lu_chen_cheng(t, y, a=-10.0, b=-4.0, c=18.1):
    """Lü–Chen–Cheng four-scroll system: x' = -(ab/(a + b))x - yz + c, y' = ay + xz, z' = bz + xy."""
    x, y_, z = y.unbind(-1)
    return stack(-(a * b) / (a + b) * x - y_ * z + c, a * y_ + x * z, b * z + x * y_)


@flow(
    seed=(-3.03805747, -1.98052429, 14.65665869),
    dt=0.01,
    citation="Zhou, W., Xu, Y., Lu, H., Pan, L. (2008). On dynamics analysis of a new chaotic "
    "attractor. Phys. Lett. A 372, 5773-5777.",
)
def pan_xu_zhou(t, y, a=10.0, c=-2.6667, d=0.0, eps=0.0, f=0.0, k=16.0):
    """Pan–Xu–Zhou system (the Dequan Li form at other parameters)."""
    return dequan_li(t, y, a, c, d, eps, f, k)


@flow(
    seed=(1.2969944, 1.12138, 50.028988),
    dt=0.002,
    citation="Pan, L., Zhou, W., Fang, J., Li, D. (2010). Synchronization and anti-synchronization "
    "of new uncertain fractional-order modified unified chaotic systems via novel active pinning "
    "control. Commun. Nonlinear Sci. Numer. Simul. 15, 3754-3762 (TSUCS-2).",
)
def tsucs2(t, y, a=40.0, c=0.833, d=0.5, eps=0.65, f=20.0, k=0.0):
    """Three-scroll unified chaotic system TSUCS-2 (the Dequan Li form at other parameters)."""
    return dequan_li(t, y, a, c, d, eps, f, k)


@flow(
    seed=(-0.79392257, 1.3617589, -0.030578888),
    dt=0.05,
    citation="Bouali, S. (1999). Feedback loop in extended Van der Pol's equation applied to an "
    "economic model of cycles. Int. J. Bifurc. Chaos 9, 745-756 (second parameter set).",
)
def bouali2(t, y, a=3.0, b=2.2, bb=0.0, c=0.0, g=1.0, m=-0.0026667, y0=1.0):
    """Bouali's economic cycle at the parameters of his second attractor."""
    return bouali(t, y, a, b, bb, c, g, m, y0)


@flow(
    seed=(0.12581483, 1.2467348, 18.358568),
    dt=0.002,
    citation="Yu, F., Wang, C. (2012). A novel three dimension autonomous chaotic system with a "
    "quadratic exponential nonlinear term. Eng. Technol. Appl. Sci. Res. 2, 209-215 "
    "(hyperbolic-cosine variant).",
)
def yu_wang2(t, y, a=10.0, b=30.0, c=2.0, d=2.5):
    """Yu–Wang system with z' = cosh(xy) - dz."""
    x, y_, z = y.unbind(-1)
    return stack(a * (y_ - x), b * x - c * x * z, torch.cosh(x * y_) - d * z)


@flow(
    seed=(-1.3396906, -0.21238338, 0.32982163),
    dt=0.05,
    citation="Sprott, J. C. (2020). Do we need more chaos examples? Chaos Theory Appl. 2, 1-3.",
)
def sprott_more(t, y):
    """Sprott's nearly three-dimensional attractor: x' = y, y' = -x - sgn(z) y, z' = y² - exp(-x²)."""
    x, y_, z = y.unbind(-1)
    return stack(y_, -x - torch.sign(z) * y_, y_ * y_ - torch.exp(-x * x))


@flow(
    seed=(0.6883476, -0.18017646, 0.58539724),
    dt=0.05,
    citation="Sprott, J. C. (2014). A dynamical system with a strange attractor and invariant tori. "
    "Phys. Lett. A 378, 1361-1363.",
)
def sprott_torus(t, y):
    """Sprott's flow with coexisting invariant tori and a strange attractor.

    x' = y + 2xy + xz, y' = 1 - 2x² + yz, z' = x - x² - y²."""
    x, y_, z = y.unbind(-1)
    return stack(y_ + 2 * x * y_ + x * z, 1 - 2 * x * x + y_ * z, x - x * x - y_ * y_)
