"""Reduced models from physics, chemistry, biology and economics: atmospheric circulation
(Lorenz-84, Hadley), dynamos, convection, El Niño, a laser, a neuron, a food web, a chemical
oscillator and a financial system.

Parameters and reference states follow the dysts database (Gilpin, NeurIPS 2021), which
collects them from the cited papers.
"""

from __future__ import annotations

from attractor.systems.flows._fields import stack
from attractor.systems.registry import flow


@flow(
    seed=(1.926479236120359, -0.13402110197257552, -1.72146730664761),
    dt=0.02,
    citation="Lorenz, E. N. (1984). Irregularity: a fundamental property of the atmosphere. "
    "Tellus A 36, 98-110.",
)
def lorenz84(t, y, a=1.32, b=7.91, f=4.83, g=4.194):
    """Lorenz-84 general circulation model: x' = -ax - y² - z² + af, y' = -y + xy - bxz + g, z' = -z + bxy + xz."""
    x, y_, z = y.unbind(-1)
    return stack(-a * x - y_**2 - z**2 + a * f, -y_ + x * y_ - b * x * z + g, -z + b * x * y_ + x * z)


@flow(
    seed=(1.3664423, 0.9309146, 0.64283417),
    dt=0.01,
    citation="Lorenz, E. N. (1984). Irregularity: a fundamental property of the atmosphere. "
    "Tellus A 36, 98-110 (model of the Hadley circulation); parameters from dysts.",
)
def hadley(t, y, a=0.2, b=4.0, f=9.0, g=1.0):
    """Hadley convective cell (Lorenz-84 form with other parameters)."""
    x, y_, z = y.unbind(-1)
    return stack(-y_**2 - z**2 - a * x + a * f, x * y_ - b * x * z - y_ + g, b * x * y_ + x * z - z)


@flow(
    seed=(-0.7791562791136255, -0.6302244598741468, 2.671200187214492),
    dt=0.05,
    aliases=("RikitakeDynamo",),
    citation="Rikitake, T. (1958). Oscillations of a system of disk dynamos. "
    "Math. Proc. Camb. Philos. Soc. 54, 89-105.",
)
def rikitake(t, y, a=1.0, mu=1.0):
    """Rikitake two-disk dynamo: x' = -μx + yz, y' = -μy - ax + xz, z' = 1 - xy."""
    x, y_, z = y.unbind(-1)
    return stack(-mu * x + y_ * z, -mu * y_ - a * x + x * z, 1 - x * y_)


@flow(
    seed=(-15.660582, -13.32018, 26.879362),
    dt=0.005,
    citation="Yanagita, T., Kaneko, K. (1995). Rayleigh-Bénard convection patterns, chaos, "
    "spatiotemporal chaos and turbulence. Physica D 82, 288-313.",
)
def rayleigh_benard(t, y, a=30.0, b=5.0, r=18.0):
    """Reduced Rayleigh–Bénard convection cell: x' = a(y - x), y' = ry - xz, z' = xy - bz."""
    x, y_, z = y.unbind(-1)
    return stack(a * (y_ - x), r * y_ - x * z, x * y_ - b * z)


@flow(
    seed=(-6.99286331487343, 0.023254276622294345, -0.1658177563067799),
    dt=0.01,
    citation="Vallis, G. K. (1988). Conceptual models of El Niño and the southern oscillation. "
    "J. Geophys. Res. 93, 13979-13991.",
)
def vallis_el_nino(t, y, b=102.0, c=3.0, p=0.0):
    """Vallis El Niño model: x' = by - c(x + p), y' = -y + xz, z' = -z - xy + 1."""
    x, y_, z = y.unbind(-1)
    return stack(b * y_ - c * (x + p), -y_ + x * z, -z - x * y_ + 1)


@flow(
    seed=(-0.51664739, -3.9568707, 0.0012893581),
    dt=0.05,
    citation="Cai, G., Huang, J. (2007). A new finance chaotic attractor. "
    "Int. J. Nonlinear Sci. 3, 213-220.",
)
def finance(t, y, a=0.001, b=0.2, c=1.1):
    """Finance system (interest rate, investment demand, price index)."""
    x, y_, z = y.unbind(-1)
    return stack((1 / b - a) * x + z + x * y_, -b * y_ - x * x, -x - c * z)


@flow(
    seed=(0.031111835, -0.021557059, 0.041475046),
    dt=0.005,
    citation="Hindmarsh, J. L., Rose, R. M. (1984). A model of neuronal bursting using three "
    "coupled first order differential equations. Proc. R. Soc. B 221, 87-102; "
    "parameters from Marhl, Perc (2005), Chaos Solitons Fractals.",
)
def hindmarsh_rose(t, y, a=0.49, b=1.0, c=0.0322, d=1.0, s=1.0, tx=0.03, tz=0.8):
    """Hindmarsh–Rose bursting neuron (rescaled time constants tx, tz)."""
    x, y_, z = y.unbind(-1)
    return stack(
        -x + (y_ - a * x**3 + b * x**2 + z) / tx,
        -a * x**3 - (d - b) * x**2 + z,
        (-s * x - z + c) / tz,
    )


@flow(
    seed=(0.73207001, 0.17549271, 9.9014657),
    dt=0.2,
    citation="Hastings, A., Powell, T. (1991). Chaos in a three-species food chain. "
    "Ecology 72, 896-903.",
)
def hastings_powell(t, y, a1=5.0, a2=0.1, b1=3.0, b2=2.0, d1=0.4, d2=0.01):
    """Hastings–Powell three-species food chain (teacup attractor)."""
    x, y_, z = y.unbind(-1)
    f1 = a1 * x / (1 + b1 * x)
    f2 = a2 * y_ / (1 + b2 * y_)
    return stack(x * (1 - x) - f1 * y_, f1 * y_ - f2 * z - d1 * y_, f2 * z - d2 * z)


@flow(
    seed=(-1.160501, 5.8636902, -1.2031947),
    dt=0.05,
    citation="Strizhak, P. E., Kawczynski, A. L. (1995). Regularities in complex transient "
    "oscillations in the Belousov-Zhabotinsky reaction. J. Phys. Chem. 99, 10830-10833.",
)
def kawczynski_strizhak(t, y, beta=-0.4, gamma=0.49, kappa=0.2, mu=2.1):
    """Kawczyński–Strizhak chemical oscillator with mixed-mode oscillations."""
    x, y_, z = y.unbind(-1)
    return stack(gamma * (y_ - x**3 + 3 * mu * x), -2 * mu * x - y_ - z + beta, kappa * (x - z))


@flow(
    seed=(-2.540801356216252, -1.940570579119389, -2.9680975444071955),
    dt=0.005,
    citation="Abooee, A., Yaghini-Bonabi, H. A., Jahed-Motlagh, M. R. (2013). Analysis and "
    "circuitry realization of a novel three-dimensional chaotic system. "
    "Commun. Nonlinear Sci. Numer. Simul. 18, 1235-1245.",
)
def laser(t, y, a=10.0, b=1.0, c=5.0, d=-1.0, h=-5.0, k=-6.0):
    """Semiconductor laser model with cubic coupling."""
    x, y_, z = y.unbind(-1)
    return stack(a * (y_ - x) + b * y_ * z**2, c * x + d * x * z**2, h * z + k * x**2)
