"""Four-dimensional flows, mostly hyperchaotic (two positive Lyapunov exponents): Rössler's
hyperchaos and hyperchaotic extensions of the Lorenz, Lü, Chen, Yan, finance and Qi systems, and
the Lorenz–Stenflo acoustic-gravity-wave model.

Parameters and reference states follow the dysts database (Gilpin, NeurIPS 2021), which
collects them from the cited papers.
"""

from __future__ import annotations

from attractor.systems.flows._fields import stack
from attractor.systems.registry import flow

_MEIER = "Meier, J. (2003). Presentation of attractors with Cinema (www.3d-meier.de); via dysts."


@flow(
    seed=(-93.667697, 15.5078, 0.032086964, 43.792796),
    dt=0.005,
    citation="Rössler, O. E. (1979). An equation for hyperchaos. Phys. Lett. A 71, 155-157.",
)
def hyper_rossler(t, y, a=0.25, b=3.0, c=0.5, d=0.05):
    """Rössler hyperchaos: x' = -y - z, y' = x + ay + w, z' = b + xz, w' = -cz + dw."""
    x, y_, z, w = y.unbind(-1)
    return stack(-y_ - z, x + a * y_ + w, b + x * z, -c * z + d * w)


@flow(seed=(-9.186073735061425, -0.6744570634419695, 16.440536886214517, -145.0243848950473),
      dt=0.005, citation=_MEIER)
def hyper_lorenz(t, y, a=10.0, b=2.667, c=28.0, d=1.1):
    """Hyperchaotic Lorenz system with a fourth, feedback variable w."""
    x, y_, z, w = y.unbind(-1)
    return stack(a * (y_ - x) + w, -x * z + c * x - y_, -b * z + x * y_, d * w - x * z)


@flow(
    seed=(8.11348619, 10.55664382, 18.44590719, -28.38151717),
    dt=0.005,
    citation="Chen, A., Lu, J., Lü, J., Yu, S. (2006). Generating hyperchaotic Lü attractor via "
    "state feedback control. Physica A 364, 103-110.",
)
def hyper_lu(t, y, a=36.0, b=3.0, c=20.0, d=1.3):
    """Hyperchaotic Lü system: the Lü system with state feedback w' = dw + xz."""
    x, y_, z, w = y.unbind(-1)
    return stack(a * (y_ - x) + w, -x * z + c * y_, x * y_ - b * z, d * w + x * z)


@flow(seed=(13.76544888070825, 20.203791990082554, 32.08179795423583, -51.189321449994914),
      dt=0.005, citation=_MEIER)
def hyper_jha(t, y, a=10.0, b=28.0, c=2.667, d=1.3):
    """Jha's hyperchaotic Lorenz variant."""
    x, y_, z, w = y.unbind(-1)
    return stack(a * (y_ - x) + w, -x * z + b * x - y_, x * y_ - c * z, -x * z + d * w)


@flow(
    seed=(-10.691273602120157, -15.541159376570342, 18.388272900250726, -14.904493939514888),
    dt=0.005,
    citation="Cai, G., Huang, J. (2007). A new finance chaotic attractor. "
    "Int. J. Nonlinear Sci. 3, 213-220 (hyperchaotic variant); via dysts.",
)
def hyper_cai(t, y, a=27.5, b=3.0, c=19.3, d=2.9, e=3.3):
    """Cai's hyperchaotic system."""
    x, y_, z, w = y.unbind(-1)
    return stack(a * (y_ - x), b * x + c * y_ - x * z + w, -d * z + y_ * y_, -e * x)


@flow(
    seed=(9.271308063781017, 9.752247178805291, 23.919154915696105, -16.69675939965203),
    dt=0.005,
    citation="Bao, B., Liu, Z. (2008). A hyperchaotic attractor coined from the chaotic Lü "
    "system. Chin. Phys. Lett. 25, 2396-2399.",
)
def hyper_bao(t, y, a=36.0, b=3.0, c=20.0, d=0.1, e=21.0):
    """Bao–Liu hyperchaotic Lü system."""
    x, y_, z, w = y.unbind(-1)
    return stack(a * (y_ - x) + w, c * y_ - x * z, x * y_ - b * z, e * x + d * y_ * z)


@flow(
    seed=(8.40863585, 4.67210241, 27.91032548, -1.26300886),
    dt=0.005,
    citation="Pang, S., Liu, Y. (2011). A new hyperchaotic system from the Lü system and its "
    "control. J. Comput. Appl. Math. 235, 2775-2789.",
)
def hyper_pang(t, y, a=36.0, b=3.0, c=20.0, d=2.0):
    """Pang–Liu hyperchaotic system."""
    x, y_, z, w = y.unbind(-1)
    return stack(a * (y_ - x), -x * z + c * y_ + w, x * y_ - b * z, -d * (x + y_))


@flow(
    seed=(0.16824907, 0.16854103, 37.04033781, -15.29027381),
    dt=0.005,
    citation="Wang, Z., Sun, Y., van Wyk, B. J., Qi, G., van Wyk, M. A. (2009). A 3-D four-wing "
    "attractor and its analysis. Braz. J. Phys. 39 (hyperchaotic variant); via dysts.",
)
def hyper_wang(t, y, a=10.0, b=40.0, c=2.5, d=10.6, e=4.0):
    """Wang's hyperchaotic system."""
    x, y_, z, w = y.unbind(-1)
    return stack(a * (y_ - x), -x * z + b * x + w, -c * z + e * x * x, -d * x)


@flow(
    seed=(0.68944486, -0.60254126, -0.5814657, 0.26629277),
    dt=0.01,
    citation="Letellier, C., Rössler, O. E. (2007). Hyperchaos. Scholarpedia 2, 1936.",
)
def hyper_xu(t, y, a=10.0, b=40.0, c=2.5, d=2.0, e=16.0):
    """Xu's hyperchaotic system."""
    x, y_, z, w = y.unbind(-1)
    return stack(a * (y_ - x) + w, b * x + e * x * z, -c * z - x * y_, x * z - d * y_)


@flow(seed=(3.534464234888686, 4.82852516302869, 25.04917588890622, 17.118520274514353),
      dt=0.005, citation=_MEIER)
def hyper_yang_chen(t, y, a=30.0, b=3.0, c=35.0, d=8.0):
    """Yang–Chen hyperchaotic system."""
    x, y_, z, w = y.unbind(-1)
    return stack(a * (y_ - x), c * x - x * z + w, -b * z + x * y_, -d * x)


@flow(
    seed=(4.233438598886809, 9.08970605484108, 21.86662535600487, -1.4080695182833802),
    dt=0.02,
    citation="Stenflo, L. (1996). Generalized Lorenz equations for acoustic-gravity waves in "
    "the atmosphere. Phys. Scr. 53, 83-84.",
)
def lorenz_stenflo(t, y, a=2.0, b=0.7, c=26.0, d=1.5):
    """Lorenz–Stenflo acoustic-gravity waves (a rotating Lorenz system)."""
    x, y_, z, w = y.unbind(-1)
    return stack(a * (y_ - x) + d * w, c * x - x * z - y_, x * y_ - b * z, -x - a * w)


@flow(
    seed=(0.2562042648386667, 0.1956116640569919, 7.259823760387948, 1.3162558970131963),
    dt=0.002,
    citation="Qi, G., van Wyk, M. A., van Wyk, B. J., Chen, G. (2008). On a new hyperchaotic "
    "system. Phys. Lett. A 372, 124-136.",
)
def qi(t, y, a=45.0, b=10.0, c=1.0, d=10.0):
    """Qi's four-wing system with cubic cross-coupling."""
    x, y_, z, w = y.unbind(-1)
    return stack(
        a * (y_ - x) + y_ * z * w,
        b * (x + y_) - x * z * w,
        -c * z + x * y_ * w,
        -d * w + x * y_ * z,
    )


@flow(
    seed=(11.250900857894639, -3.647077762541555, 50.16987924937642, -168.2485185683687),
    dt=0.0005,
    citation="Qi, G., van Wyk, M. A., van Wyk, B. J., Chen, G. (2008). On a new hyperchaotic "
    "system. Phys. Lett. A 372, 124-136.",
)
def hyper_qi(t, y, a=50.0, b=24.0, c=13.0, d=8.0, e=33.0, f=30.0):
    """Qi's hyperchaotic system, of constant divergence -a + b - c - d.

    x' = a(y - x) + yz, y' = b(x + y) - xz, z' = -cz - ew + xy, w' = -dw + fz + xy."""
    x, y_, z, w = y.unbind(-1)
    return stack(a * (y_ - x) + y_ * z, b * (x + y_) - x * z, -c * z - e * w + x * y_, -d * w + f * z + x * y_)


@flow(
    seed=(-6.576620730899293, -4.617145437320736, 17.796515255115004, 0.8072357311545831),
    dt=0.005,
    citation=_MEIER,
)
def hyper_yan(t, y, a=37.0, b=3.0, c=26.0, d=38.0):
    """Yan's hyperchaotic Chen-type system with a fourth variable fed by yz - xz."""
    x, y_, z, w = y.unbind(-1)
    return stack(
        a * (y_ - x),
        (c - a) * x - x * z + c * y_,
        -b * z + x * y_ - y_ * z + x * z - w,
        -d * w + y_ * z - x * z,
    )
