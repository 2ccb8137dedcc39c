"""Sprott's algebraically simplest chaotic flows, cases A–S (Sprott, "Some simple chaotic
flows", Phys. Rev. E 50, R647, 1994) and the simplest dissipative jerk flow (Sprott, Phys.
Lett. A 228, 271, 1997).

Each case has five (A–E) or six (F–S) terms and one or two quadratic nonlinearities.
Reference states on the attractor come from the dysts database (Gilpin, NeurIPS 2021).
"""

from __future__ import annotations

from attractor.systems.flows._fields import stack
from attractor.systems.registry import flow

_SPROTT94 = "Sprott, J. C. (1994). Some simple chaotic flows. Phys. Rev. E 50, R647-R650."


@flow(seed=(1.54131864, 1.43079727, -1.52555412), dt=0.05, citation=_SPROTT94)
def sprott_a(t, y):
    """Sprott case A (conservative; the Nosé–Hoover oscillator): x' = y, y' = -x + yz, z' = 1 - y²."""
    x, y_, z = y.unbind(-1)
    return stack(y_, -x + y_ * z, 1 - y_ * y_)


@flow(seed=(1.6878282, 1.4848132, -0.53706628), dt=0.05, citation=_SPROTT94)
def sprott_b(t, y):
    """Sprott case B: x' = yz, y' = x - y, z' = 1 - xy."""
    x, y_, z = y.unbind(-1)
    return stack(y_ * z, x - y_, 1 - x * y_)


@flow(seed=(-0.47199823, -0.27198066, 1.9418244), dt=0.05, citation=_SPROTT94)
def sprott_c(t, y):
    """Sprott case C: x' = yz, y' = x - y, z' = 1 - x²."""
    x, y_, z = y.unbind(-1)
    return stack(y_ * z, x - y_, 1 - x * x)


@flow(seed=(-1.3396906, -0.21238338, 0.32982163), dt=0.02, citation=_SPROTT94)
def sprott_d(t, y):
    """Sprott case D: x' = -y, y' = x + z, z' = xz + 3y²."""
    x, y_, z = y.unbind(-1)
    return stack(-y_, x + z, x * z + 3 * y_ * y_)


@flow(seed=(0.6173759, 0.66599285, -1.6575023), dt=0.05, citation=_SPROTT94)
def sprott_e(t, y):
    """Sprott case E: x' = yz, y' = x² - y, z' = 1 - 4x."""
    x, y_, z = y.unbind(-1)
    return stack(y_ * z, x * x - y_, 1 - 4 * x)


@flow(seed=(-0.98941275, -1.4191706, 0.85797204), dt=0.05, citation=_SPROTT94)
def sprott_f(t, y, a=0.5):
    """Sprott case F: x' = y + z, y' = -x + ay, z' = x² - z."""
    x, y_, z = y.unbind(-1)
    return stack(y_ + z, -x + a * y_, x * x - z)


@flow(seed=(-0.77182478, -0.74756595, 1.3073285), dt=0.05, citation=_SPROTT94)
def sprott_g(t, y, a=0.4):
    """Sprott case G: x' = ax + z, y' = xz - y, z' = -x + y."""
    x, y_, z = y.unbind(-1)
    return stack(a * x + z, x * z - y_, -x + y_)


@flow(seed=(-1.360042, 0.62585352, -1.2788196), dt=0.05, citation=_SPROTT94)
def sprott_h(t, y, a=0.5):
    """Sprott case H: x' = -y + z², y' = x + ay, z' = x - z."""
    x, y_, z = y.unbind(-1)
    return stack(-y_ + z * z, x + a * y_, x - z)


@flow(seed=(-0.060099389, -0.49558355, 0.023159035), dt=0.05, citation=_SPROTT94)
def sprott_i(t, y, a=0.2):
    """Sprott case I: x' = -ay, y' = x + z, z' = x + y² - z."""
    x, y_, z = y.unbind(-1)
    return stack(-a * y_, x + z, x + y_ * y_ - z)


@flow(seed=(4.4786928, 2.2977432, 6.5847115), dt=0.02, citation=_SPROTT94)
def sprott_j(t, y):
    """Sprott case J: x' = 2z, y' = -2y + z, z' = -x + y + y²."""
    x, y_, z = y.unbind(-1)
    return stack(2 * z, -2 * y_ + z, -x + y_ + y_ * y_)


@flow(seed=(-1.3165015, -1.5429951, 0.664053), dt=0.05, citation=_SPROTT94)
def sprott_k(t, y, a=0.3):
    """Sprott case K: x' = xy - z, y' = x - y, z' = x + az."""
    x, y_, z = y.unbind(-1)
    return stack(x * y_ - z, x - y_, x + a * z)


@flow(seed=(4.3611557, 13.705573, -2.6835659), dt=0.05, citation=_SPROTT94)
def sprott_l(t, y, a=0.9, b=3.9):
    """Sprott case L: x' = y + bz, y' = ax² - y, z' = 1 - x."""
    x, y_, z = y.unbind(-1)
    return stack(y_ + b * z, a * x * x - y_, 1 - x)


@flow(seed=(1.6024402, -1.5983203, -2.6236374), dt=0.05, citation=_SPROTT94)
def sprott_m(t, y, a=1.7):
    """Sprott case M: x' = -z, y' = -x² - y, z' = a(1 + x) + y."""
    x, y_, z = y.unbind(-1)
    return stack(-z, -x * x - y_, a * (1 + x) + y_)


@flow(seed=(-8.3258705, 7.3033716, 3.2798909), dt=0.02, citation=_SPROTT94)
def sprott_n(t, y):
    """Sprott case N: x' = -2y, y' = x + z², z' = 1 + y - 2z."""
    x, y_, z = y.unbind(-1)
    return stack(-2 * y_, x + z * z, 1 + y_ - 2 * z)


@flow(seed=(0.20549455, 0.022792985, 0.93636949), dt=0.05, citation=_SPROTT94)
def sprott_o(t, y, a=2.7):
    """Sprott case O: x' = y, y' = x - z, z' = x + xz + ay."""
    x, y_, z = y.unbind(-1)
    return stack(y_, x - z, x + x * z + a * y_)


@flow(seed=(0.83420675, 0.14915817, 0.44028635), dt=0.05, citation=_SPROTT94)
def sprott_p(t, y, a=2.7):
    """Sprott case P: x' = ay + z, y' = -x + y², z' = x + y."""
    x, y_, z = y.unbind(-1)
    return stack(a * y_ + z, -x + y_ * y_, x + y_)


@flow(seed=(2.978102, -0.065260683, -2.8031286), dt=0.02, citation=_SPROTT94)
def sprott_q(t, y, a=3.1, b=0.5):
    """Sprott case Q: x' = -z, y' = x - y, z' = ax + y² + bz."""
    x, y_, z = y.unbind(-1)
    return stack(-z, x - y_, a * x + y_ * y_ + b * z)


@flow(seed=(-1.6914909, -1.9783678, 1.9807775), dt=0.05, citation=_SPROTT94)
def sprott_r(t, y, a=0.9, b=0.4):
    """Sprott case R: x' = a - y, y' = b + z, z' = xy - z."""
    x, y_, z = y.unbind(-1)
    return stack(a - y_, b + z, x * y_ - z)


@flow(seed=(0.12635702, 0.12260693, 1.2215429), dt=0.02, citation=_SPROTT94)
def sprott_s(t, y):
    """Sprott case S: x' = -x - 4y, y' = x + z², z' = 1 + x."""
    x, y_, z = y.unbind(-1)
    return stack(-x - 4 * y_, x + z * z, 1 + x)


@flow(
    seed=(-0.54106056, 0.59383201, 0.45127217),
    dt=0.05,
    citation="Sprott, J. C. (1997). Simplest dissipative chaotic flow. Phys. Lett. A 228, 271-274.",
)
def sprott_jerk(t, y, mu=2.017):
    """Sprott's simplest dissipative jerk: x''' = -μx'' + x'² - x."""
    x, y_, z = y.unbind(-1)
    return stack(y_, z, -x + y_ * y_ - mu * z)
