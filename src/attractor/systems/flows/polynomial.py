"""Further three-dimensional chaotic flows with polynomial (mostly quadratic) nonlinearities:
jerk-type oscillators (Arneodo, Coullet, Genesio–Tesi, Moore–Spiegel), Lorenz-like systems
(Shimizu–Morioka, Rucklidge, Burke–Shaw, Qi–Chen) and multi-wing / multi-scroll systems.

Parameters and reference states follow the dysts database (Gilpin, NeurIPS 2021), which
collects them from the cited papers.
"""

from __future__ import annotations

import torch

from attractor.systems.flows._fields import stack
from attractor.systems.registry import flow

_ACT = (
    "Arneodo, A., Coullet, P., Tresser, C. (1980). Occurrence of strange attractors in "
    "three-dimensional Volterra equations. Phys. Lett. A 79, 259-263."
)


def _jerk(x, y, z, a, b, c, d):
    # x''' = -a x - b x' - c x'' + d x^3 written as a first-order system
    return stack(y, z, -a * x - b * y - c * z + d * x**3)


@flow(seed=(-2.7515698, 0.19079818, 3.4703629), dt=0.02, citation=_ACT)
def arneodo(t, y, a=-5.5, b=4.5, c=1.0, d=-1.0):
    """Arneodo–Coullet–Tresser jerk flow: x''' = -ax - bx' - cx'' + dx³."""
    return _jerk(*y.unbind(-1), a, b, c, d)


@flow(seed=(0.34539837958549907, 0.4284701181998099, 0.086983698175975), dt=0.05, citation=_ACT)
def coullet(t, y, a=-0.8, b=1.1, c=0.45, d=-1.0):
    """Coullet's variant of the Arneodo jerk flow (different parameters)."""
    return _jerk(*y.unbind(-1), a, b, c, d)


@flow(
    seed=(-0.053772565, -0.26162564, 0.33501557),
    dt=0.05,
    citation="Genesio, R., Tesi, A. (1992). Harmonic balance methods for the analysis of chaotic "
    "dynamics in nonlinear systems. Automatica 28, 531-548.",
)
def genesio_tesi(t, y, a=0.44, b=1.1, c=1.0):
    """Genesio–Tesi feedback system: x''' = -ax'' - bx' - cx + x²."""
    x, y_, z = y.unbind(-1)
    return stack(y_, z, -c * x - b * y_ - a * z + x * x)


@flow(
    seed=(-3.4733266, 19.666962, -3.8262485),
    dt=0.005,
    citation="Moore, D. W., Spiegel, E. A. (1966). A thermally excited non-linear oscillator. "
    "Astrophys. J. 143, 871.",
)
def moore_spiegel(t, y, a=10.0, b=4.0, eps=9.0):
    """Moore–Spiegel thermo-mechanical oscillator."""
    x, y_, z = y.unbind(-1)
    return stack(y_, a * z, -z + eps * y_ - y_ * x * x - b * x)


@flow(
    seed=(0.016838697, 0.03489384, 0.35346848),
    dt=0.05,
    citation="Shimizu, T., Morioka, N. (1980). On the bifurcation of a symmetric limit cycle to an "
    "asymmetric one in a simple model. Phys. Lett. A 76, 201-204.",
)
def shimizu_morioka(t, y, a=0.85, b=0.5):
    """Shimizu–Morioka system: x' = y, y' = x - ay - xz, z' = -bz + x²."""
    x, y_, z = y.unbind(-1)
    return stack(y_, x - a * y_ - x * z, -b * z + x * x)


@flow(
    seed=(1.9257158, 3.1923835, 5.7829655),
    dt=0.05,
    citation="Rucklidge, A. M. (1992). Chaos in models of double convection. J. Fluid Mech. 237, 209-229.",
)
def rucklidge(t, y, a=2.0, b=6.7):
    """Rucklidge double-convection model: x' = -ax + by - yz, y' = x, z' = -z + y²."""
    x, y_, z = y.unbind(-1)
    return stack(-a * x + b * y_ - y_ * z, x, -z + y_ * y_)


@flow(
    seed=(-0.79153188, 0.65244479, 0.22517831),
    dt=0.005,
    citation="Shaw, R. (1981). Strange attractors, chaotic behavior, and information flow. "
    "Z. Naturforsch. A 36, 80-112.",
)
def burke_shaw(t, y, e=13.0, n=10.0):
    """Burke–Shaw scroll attractor: x' = -n(x + y), y' = y - nxz, z' = nxy + e."""
    x, y_, z = y.unbind(-1)
    return stack(-n * (x + y_), y_ - n * x * z, n * x * y_ + e)


@flow(
    seed=(0.17177112, 0.10360479, 6.2553878),
    dt=0.02,
    citation="Chen, H. K., Lee, C. I. (2004). Anti-control of chaos in rigid body motion. "
    "Chaos Solitons Fractals 21, 957-965.",
)
def chen_lee(t, y, a=5.0, b=-10.0, c=-0.38):
    """Chen–Lee rigid body with feedback anti-control."""
    x, y_, z = y.unbind(-1)
    return stack(a * x - y_ * z, b * y_ + x * z, c * z + x * y_ / 3)


@flow(
    seed=(-2.8976045, 3.8877978, 3.07465),
    dt=0.02,
    citation="Li, C., Sprott, J. C., et al. (2015). A novel four-wing strange attractor born in "
    "bistability. IEICE Electron. Express 12, 20141116.",
)
def sakarya(t, y, a=-1.0, b=1.0, c=1.0, h=1.0, p=1.0, q=0.4, r=0.3, s=1.0):
    """Sakarya four-wing attractor: x' = ax + hy + syz, y' = -by - px + qxz, z' = cz - rxy."""
    x, y_, z = y.unbind(-1)
    return stack(a * x + h * y_ + s * y_ * z, -b * y_ - p * x + q * x * z, c * z - r * x * y_)


@flow(
    seed=(-0.54770787, 0.73876479, -0.0049284531),
    dt=0.05,
    citation="Wang, Z., Sun, Y., van Wyk, B. J., Qi, G., van Wyk, M. A. (2009). A 3-D four-wing "
    "attractor and its analysis. Braz. J. Phys. 39, 547-553.",
)
def wang_sun(t, y, a=0.2, b=-0.01, d=-0.4, e=-1.0, f=-1.0, q=1.0):
    """Wang–Sun four-wing attractor: x' = ax + qyz, y' = bx + dy - xz, z' = ez + fxy."""
    x, y_, z = y.unbind(-1)
    return stack(a * x + q * y_ * z, b * x + d * y_ - x * z, e * z + f * x * y_)


@flow(
    seed=(-0.60390203, 0.012111953, 0.00083277923),
    dt=0.0025,
    citation="Zhou, W., Chen, G. (2004). A simple smooth chaotic system with a 3-layer attractor. "
    "Int. J. Bifurc. Chaos 14, 1795-1799.",
)
def zhou_chen(t, y, a=2.97, b=0.15, c=-3.0, d=1.0, e=-8.78):
    """Zhou–Chen smooth three-layer attractor."""
    x, y_, z = y.unbind(-1)
    return stack(a * x + b * y_ + y_ * z, c * y_ - x * z + d * y_ * z, e * z - x * y_)


@flow(
    seed=(-11.395722, -104.12614, 202.46173),
    dt=0.002,
    citation="Li, D. (2008). A three-scroll chaotic attractor. Phys. Lett. A 372, 387-393.",
)
def dequan_li(t, y, a=40.0, c=1.833, d=0.16, eps=0.65, f=20.0, k=55.0):
    """Dequan Li three-scroll unified chaotic system (TSUCS-1)."""
    x, y_, z = y.unbind(-1)
    return stack(a * (y_ - x) + d * x * z, k * x + f * y_ - x * z, c * z + x * y_ - eps * x * x)


@flow(
    seed=(0.21665608, 0.86710502, 0.50627859),
    dt=0.02,
    citation="Pehlivan, I., Wei, Z. (2012). Analysis, nonlinear control, and chaos generator "
    "circuit of another strange chaotic system. Turk. J. Electr. Eng. Comput. Sci. 20, 1229-1239.",
)
def pehlivan_wei(t, y):
    """Pehlivan–Wei system: x' = y - yz, y' = y + yz - 2x, z' = 2 - xy - y²."""
    x, y_, z = y.unbind(-1)
    return stack(y_ - y_ * z, y_ + y_ * z - 2 * x, 2 - x * y_ - y_ * y_)


@flow(
    seed=(17.420882, 5.5459627, 78.89139),
    dt=0.002,
    citation="Qi, G., Chen, G., van Wyk, M. A., van Wyk, B. J., Zhang, Y. (2008). A four-wing "
    "chaotic attractor generated from a new 3-D quadratic autonomous system. "
    "Chaos Solitons Fractals 38, 705-721.",
)
def qi_chen(t, y, a=38.0, b=2.666, c=80.0):
    """Qi–Chen double-wing system: x' = a(y - x) + yz, y' = cx + y - xz, z' = xy - bz."""
    x, y_, z = y.unbind(-1)
    return stack(a * (y_ - x) + y_ * z, c * x + y_ - x * z, x * y_ - b * z)


@flow(
    seed=(1.0284085, -3.5348655, -0.72081646),
    dt=0.01,
    citation="Dadras, S., Momeni, H. R. (2009). A novel three-dimensional autonomous chaotic "
    "system generating two, three and four-scroll attractors. Phys. Lett. A 373, 3637-3642.",
)
def dadras(t, y, c=2.0, e=9.0, o=2.7, p=3.0, r=1.7):
    """Dadras multi-scroll system: x' = y - px + oyz, y' = ry - xz + z, z' = cxy - ez."""
    x, y_, z = y.unbind(-1)
    return stack(y_ - p * x + o * y_ * z, r * y_ - x * z + z, c * x * y_ - e * z)


@flow(
    seed=(0.29430753, 0.10649486, 0.29081125),
    dt=0.05,
    aliases=("NewtonLiepnik",),  # dysts's spelling
    citation="Leipnik, R. B., Newton, T. A. (1981). Double strange attractors in rigid body "
    "motion with linear feedback control. Phys. Lett. A 86, 63-67.",
)
def newton_leipnik(t, y, a=0.4, b=0.175):
    """Newton–Leipnik rigid body with linear feedback."""
    x, y_, z = y.unbind(-1)
    return stack(-a * x + y_ + 10 * y_ * z, -x - 0.4 * y_ + 5 * x * z, b * z - 5 * x * y_)


@flow(
    seed=(-0.21422356, -0.17935495, 14.105516),
    dt=0.002,
    citation="Yu, F., Wang, C. (2012). A novel three dimension autonomous chaotic system with a "
    "quadratic exponential nonlinear term. Eng. Technol. Appl. Sci. Res. 2, 209-215.",
)
def yu_wang(t, y, a=10.0, b=40.0, c=2.0, d=2.5):
    """Yu–Wang system with an exponential nonlinearity: z' = exp(xy) - dz."""
    x, y_, z = y.unbind(-1)
    return stack(a * (y_ - x), b * x - c * x * z, torch.exp(x * y_) - d * z)


@flow(
    seed=(0.38673159, 3.0544196, -0.0067836194),
    dt=0.02,
    citation="Bouali, S. (1999). Feedback loop in extended Van der Pol's equation applied to an "
    "economic model of cycles. Int. J. Bifurc. Chaos 9, 745-756.",
)
def bouali(t, y, a=1.0, b=-0.3, bb=1.0, c=0.05, g=1.0, m=1.0, y0=4.0):
    """Bouali economic-cycle model (extended Van der Pol oscillator with feedback)."""
    x, y_, z = y.unbind(-1)
    return stack(
        a * x * (y0 - y_) - b * z,
        g * y_ * (x * x - 1),
        -1.5 * m * x + m * bb * x * z - c * z,
    )
