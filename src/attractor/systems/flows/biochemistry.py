"""Chemical and biological oscillators: the Belousov–Zhabotinsky reaction, an isothermal
reaction with mixed-mode oscillations, glycolysis, intracellular calcium, the cell cycle, an
excitable cell, food webs and populations (Blasius, coevolving predator and prey, a tumour,
MacArthur's consumer–resource plankton model, the Salton Sea).

Parameters (with the papers' capitalised names where they have them) and reference states
follow the dysts database (Gilpin, NeurIPS 2021), which collects them from the cited papers.
"""

from __future__ import annotations

import torch

from attractor.systems.flows._fields import param, stack
from attractor.systems.registry import flow


@flow(
    seed=(0.023491701, 0.61703254, 0.84669066),
    # stiff without bound as x -> 0 (the √x term): RK4 at 2e-4 is stable but settles on a
    # spurious periodic orbit (λ1 ≈ 0); from 5e-5 down the orbit is chaotic (λ1 ≈ 25-35)
    dt=0.00005,
    citation="Györgyi, L., Field, R. J. (1992). A three-variable model of deterministic chaos in "
    "the Belousov-Zhabotinsky reaction. Nature 355, 808-810.",
)
def belousov_zhabotinsky(t, y, c1=-8.03474, c10=0.0223915, c11=7.53559e-05, c12=8.07384e-06,
                         c13=-0.000499825, c2=0.05408, c3=-0.0115886, c4=832.587, c5=-0.029155,
                         c6=0.00321617, c7=-0.01352, c8=-0.0831709, c9=-0.0199985, ci=0.000833,
                         kf=0.00035, t0=2308.62, y0=7.72571e-06, yb1=6.92813e-07, yb2=2.00869,
                         yb3=0.01352, z0=8.33e-06):
    """Györgyi–Field three-variable model of the Belousov–Zhabotinsky reaction.

    Scaled concentrations (x, z, v), bromide ȳ eliminated adiabatically; kf is the flow rate
    (chaotic at 3.5e-4)."""
    x, z, v = y.unbind(-1)
    ybar = yb1 * z * v / (y0 * (yb2 * x + yb3 + kf))
    xp = x.clamp_min(0)
    rf = (ci - z0 * z) * torch.sqrt(xp)
    return t0 * stack(
        c1 * xp * ybar + c2 * ybar + c3 * xp * xp + c4 * rf + c5 * xp * z - kf * xp,
        (c6 / z0) * rf + c7 * xp * z + c8 * z * v + c9 * z - kf * z,
        c10 * xp * ybar + c11 * ybar + c12 * xp * xp + c13 * z * v - kf * v,
    )


@flow(
    seed=(0.5141505602006595, 0.9984288208727641, 1.0061777118724),
    dt=0.005,
    citation="Petrov, V., Scott, S. K., Showalter, K. (1992). Mixed-mode oscillations in chemical "
    "systems. J. Chem. Phys. 97, 6191-6198.",
)
def isothermal_chemical(t, y, delta=1.0, kappa=2.5, mu=0.29786, sigma=0.013):
    """Autocatalator with a reservoir: α' = μ(κ + γ) - αβ² - α, σβ' = αβ² + α - β, δγ' = β - γ."""
    a, b, g = y.unbind(-1)
    return stack(mu * (kappa + g) - a * b * b - a, (a * b * b + a - b) / sigma, (b - g) / delta)


@flow(
    seed=(29.453349256846987, 130.19350141357407, 0.18407087674169492),
    dt=0.05,
    citation="Decroly, O., Goldbeter, A. (1982). Birhythmicity, chaos, and other patterns of "
    "temporal self-organization in a multiply regulated biochemical system. Proc. Natl. Acad. "
    "Sci. USA 79, 6917-6921.",
)
def glycolytic_oscillation(t, y, d=0.0, k=4.422, l1=5e8, l2=100.0, nu=1.0, q1=50.0, q2=0.02,
                           s1=22.2222, s2=22.2222):
    """Glycolytic oscillator: two allosteric enzymes in series (Decroly–Goldbeter).

    Monod–Wyman–Changeux rates φ and η; substrate a, intermediate b and product c."""
    a, b, c = y.unbind(-1)
    phi = a * (1 + a) * (1 + b) ** 2 / (l1 + (1 + a) ** 2 * (1 + b) ** 2)
    eta = b * (1 + d * b) * (1 + c) ** 2 / (l2 + (1 + d * b) ** 2 * (1 + c) ** 2)
    return stack(nu - s1 * phi, q1 * s1 * phi - s2 * eta, q2 * s2 * eta - k * c)


def _calcium(y, K2, K5, Ka, Kd, Ky, Kz, V0, V1, V4, Vm2, Vm3, Vm5, beta, eps, k, kf, m, n, p):
    # cytosolic Ca²⁺ z, stored Ca²⁺ y and IP3 a: pumping V2, release V3, IP3 degradation V5
    z, y_, a = y.unbind(-1)
    v2 = Vm2 * z * z / (K2**2 + z * z)
    v3 = Vm3 * z**m / (Kz**m + z**m) * y_ * y_ / (Ky**2 + y_ * y_) * a**4 / (Ka**4 + a**4)
    v5 = Vm5 * a**p / (K5**p + a**p) * z**n / (Kd**n + z**n)
    return stack(V0 + V1 * beta - v2 + v3 + kf * y_ - k * z, v2 - v3 - kf * y_, beta * V4 - v5 - eps * a)


_HOUART = ("Houart, G., Dupont, G., Goldbeter, A. (1999). Bursting, chaos and birhythmicity "
           "originating from self-modulation of the inositol 1,4,5-trisphosphate signal in a model "
           "for intracellular Ca2+ oscillations. Bull. Math. Biol. 61, 507-530.")


@flow(seed=(0.26162904, 1.0055612, 0.14407867), dt=0.01, citation=_HOUART)
def ca_two_plus(t, y, K2=0.1, K5=0.3194, Ka=0.1, Kd=1.0, Ky=0.3, Kz=0.6, V0=2.0, V1=2.0, V4=3.0,
                Vm2=6.0, Vm3=30.0, Vm5=50.0, beta=0.65, eps=13.0, k=10.0, kf=1.0, m=2.0, n=4.0,
                p=1.0):
    """Intracellular Ca²⁺ oscillations with IP3 self-modulation (chaotic parameter set)."""
    return _calcium(y, K2, K5, Ka, Kd, Ky, Kz, V0, V1, V4, Vm2, Vm3, Vm5, beta, eps, k, kf, m, n, p)


@flow(seed=(0.26321067, 0.87886607, 0.3148781), dt=0.005, citation=_HOUART)
def ca_two_plus_quasiperiodic(t, y, K2=0.1, K5=0.3, Ka=0.2, Kd=0.5, Ky=0.2, Kz=0.5, V0=2.0,
                              V1=2.0, V4=5.0, Vm2=6.0, Vm3=20.0, Vm5=30.0, beta=0.51, eps=0.1,
                              k=10.0, kf=1.0, m=2.0, n=4.0, p=2.0):
    """The Ca²⁺ model of :func:`ca_two_plus` at its quasi-periodic parameter set."""
    return _calcium(y, K2, K5, Ka, Kd, Ky, Kz, V0, V1, V4, Vm2, Vm3, Vm5, beta, eps, k, kf, m, n, p)


def _switch(v, x, K, w):
    # Goldbeter–Koshland covalent modification: activation v at rate (1 - x), inactivation w
    return v * (1 - x) / (K + 1 - x) - w * x / (K + x)


@flow(
    seed=(0.71565329, 0.9489355, 0.98910371, 0.72138631, 0.94987035, 0.98912572),
    dt=0.2,
    citation="Romond, P.-C., Rustici, M., Gonze, D., Goldbeter, A. (1999). Alternating oscillations "
    "and chaos in a model of two coupled biochemical oscillators driving successive phases of the "
    "cell cycle. Ann. N. Y. Acad. Sci. 879, 180-193.",
)
def cell_cycle(t, y, K=0.01, Kc=0.5, Kd1=0.02, Kim=0.65, V2=0.15, V4=0.05, Vm1=0.3, Vm3=0.1,
               kd1=0.001, vd=0.025, vi=0.05):
    """Two mutually inhibiting cyclin–kinase oscillators (cyclin c, kinase m, protease x each)."""
    c1, m1, x1, c2, m2, x2 = y.unbind(-1)
    v1, u1 = Vm1 * c1 / (Kc + c1), Vm1 * c2 / (Kc + c2)
    return stack(
        vi * Kim / (Kim + m2) - vd * x1 * c1 / (Kd1 + c1) - kd1 * c1,
        _switch(v1, m1, K, V2),
        _switch(m1 * Vm3, x1, K, V4),
        vi * Kim / (Kim + m1) - vd * x2 * c2 / (Kd1 + c2) - kd1 * c2,
        _switch(u1, m2, K, V2),
        _switch(m2 * Vm3, x2, K, V4),
    )


@flow(
    seed=(-44.57779976420271, 0.13121643614884418, 0.4658533583951385),
    # conductances of ~2000: RK4 needs steps of ~1e-3 to stay stable
    dt=0.0005,
    citation="Chay, T. R. (1985). Chaos in a three-variable model of an excitable cell. Physica D "
    "16, 233-242.",
)
def excitable_cell(t, y, aho=2.5, ahr=0.05, ahs=0.07, ams=0.1, amvb=25.0, amvo=2.5, ans=0.01,
                   anvb=20.0, anvo=2.0, ar=0.1, bho=2.0, bhr=0.1, bmo=2.7777777777777777,
                   bmr=0.05555555555555555, bms=4.0, bno=0.375, bnr=0.0125, bns=0.125, gi=1800.0,
                   gkc=11.0, gkv=1700.0, gl=7.0, kc=0.183333, rho=0.27, tscl=230.0, vc=100.0,
                   vi=100.0, vk=-75.0, vl=-40.0):
    """Chay's reduced Hodgkin–Huxley model of an excitable cell.

    Voltage v, K⁺ activation n and intracellular Ca²⁺ c; gkc sets the onset of chaos."""
    v, n, c = y.unbind(-1)
    am = ams * (amvb + v) / (1 - torch.exp(-ar * v - amvo))
    bm = bms * torch.exp(-bmr * v - bmo)
    ah = ahs * torch.exp(-ahr * v - aho)
    bh = 1 / (1 + torch.exp(-bhr * v - bho))
    an = ans * (anvb + v) / (1 - torch.exp(-ar * v - anvo))
    bn = bns * torch.exp(-bnr * v - bno)
    minf, hinf, ninf = am / (am + bm), ah / (ah + bh), an / (an + bn)
    gate = minf**3 * hinf
    return stack(
        gi * gate * (vi - v) + gkv * n**4 * (vk - v) + gkc * c / (1 + c) * (vk - v) + gl * (vl - v),
        (ninf - n) * tscl * (an + bn),
        rho * (gate * (vc - v) - kc * c),
    )


@flow(
    seed=(4.031713, 5.1113788, 0.016508812),
    dt=0.02,
    citation="Blasius, B., Huppert, A., Stone, L. (1999). Complex dynamics and phase synchronization "
    "in spatially extended ecological systems. Nature 399, 354-359.",
)
def blasius(t, y, a=1.0, alpha1=0.2, alpha2=1.0, b=1.0, c=10.0, k1=0.05, k2=0.0, zs=0.006):
    """Blasius food chain: vegetation x, herbivores y and predators z (Holling type II)."""
    x, y_, z = y.unbind(-1)
    eat1 = alpha1 * x * y_ / (1 + k1 * x)
    eat2 = alpha2 * y_ * z / (1 + k2 * y_)
    return stack(a * x - eat1, -b * y_ + eat1 - eat2, -c * (z - zs) + eat2)


@flow(
    seed=(0.10946017, 0.46664421, 0.66580212),
    dt=0.2,
    citation="Gilpin, W., Feldman, M. W. (2017). A phase transition induces chaos in a predator-prey "
    "ecosystem with a dynamic fitness landscape. PLoS Comput. Biol. 13, e1005644.",
)
def coevolving_predator_prey(t, y, a1=2.5, a2=0.05, a3=0.4, b1=6.0, b2=1.333, d1=0.16, d2=0.004,
                             delta=1.0, k1=6.0, k2=9.0, k4=9.0, vv=0.33333):
    """Predator–prey model with a coevolving prey trait α (gradient dynamics on its fitness)."""
    x, y_, al = y.unbind(-1)
    ad = al * delta
    growth = a1 * al * (1 - k1 * x * (ad - al)) / (1 + b1 * al)
    death = d1 * (1 - k2 * (ad**2 - al**2) + k4 * (ad**4 - al**4))
    return stack(
        x * (-a3 * y_ / (1 + b2 * x) + growth - death),
        (-d2 + a2 * x / (1 + b2 * x)) * y_,
        vv * (-a1 * k1 * x * ad / (1 + b1 * al) - d1 * (-2 * k2 * al * delta**2 + 4 * k4 * al**3 * delta**4)),
    )


@flow(
    seed=(0.051730215, 0.87071642, 0.015926427),
    dt=0.1,
    citation="Itik, M., Banks, S. P. (2010). Chaos in a three-dimensional cancer model. Int. J. "
    "Bifurc. Chaos 20, 71-79.",
)
def itik_banks_tumor(t, y, a12=1.0, a13=2.5, a21=1.5, a31=0.2, d3=0.5, k3=1.0, r2=0.6, r3=4.5):
    """Itik–Banks cancer model: tumour cells x, healthy cells y and immune cells z."""
    x, y_, z = y.unbind(-1)
    return stack(
        x * (1 - x) - a12 * x * y_ - a13 * x * z,
        r2 * y_ * (1 - y_) - a21 * x * y_,
        r3 * x * z / (x + k3) - a31 * x * z - d3 * z,
    )


@flow(
    seed=(9.4323333, 18.838654, 34.37572, 15.08545, 42.228427, 0.17030505, 0.10144427, 0.3148045,
          0.21253581, 0.22598604),
    dt=0.05,
    citation="MacArthur, R. (1969). Species packing, and what competition minimizes. Proc. Natl. "
    "Acad. Sci. USA 64, 1369-1371; parameters of Huisman, J., Weissing, F. J. (1999). Biodiversity "
    "of plankton by species oscillations and chaos. Nature 402, 407-410.",
)
def mac_arthur(t, y, c=((0.04, 0.04, 0.07, 0.04, 0.04), (0.08, 0.08, 0.08, 0.1, 0.08),
                        (0.1, 0.1, 0.1, 0.1, 0.14), (0.05, 0.03, 0.03, 0.03, 0.03),
                        (0.07, 0.09, 0.07, 0.07, 0.07)),
               d=0.25,
               k=((0.39, 0.34, 0.3, 0.24, 0.23), (0.22, 0.39, 0.34, 0.3, 0.27),
                  (0.27, 0.22, 0.39, 0.34, 0.3), (0.3, 0.24, 0.22, 0.39, 0.34),
                  (0.34, 0.3, 0.22, 0.2, 0.39)),
               m=0.25, r=1.0, s=(6.0, 10.0, 14.0, 4.0, 9.0)):
    """MacArthur consumer–resource model: five plankton species competing for five resources.

    Growth by Liebig's law of the minimum, μ_i = r min_j R_j/(K_ji + R_j);
    N_i' = N_i(μ_i - m), R_j' = d(S_j - R_j) - Σ_i C_ji μ_i N_i."""
    n, res = y[..., :5], y[..., 5:]
    kk, cc = param(k, y), param(c, y)
    mu = r * (res.unsqueeze(-1) / (kk + res.unsqueeze(-1))).amin(-2)  # [.., j, i] -> min over j
    return torch.cat([n * (mu - m), d * (param(s, y) - res) - (mu * n) @ cc.T], dim=-1)


@flow(
    seed=(231.92548, 89.511944, 56.753804),
    dt=0.005,
    citation="Upadhyay, R. K., Bairagi, N., Kundu, K., Chattopadhyay, J. (2008). Chaos in "
    "eco-epidemiological problem of the Salton Sea and its possible control. Appl. Math. Comput. "
    "196, 392-401.",
)
def salton_sea(t, y, a=15.0, d=8.3, k=400.0, lam=0.06, m=15.5, mu=3.4, r=22.0, th=10.0):
    """Salton Sea eco-epidemiology: healthy fish x, infected fish y and pelicans z."""
    x, y_, z = y.unbind(-1)
    return stack(
        r * x * (1 - (x + y_) / k) - lam * x * y_,
        lam * x * y_ - m * y_ * z / (y_ + a) - mu * y_,
        th * y_ * z / (y_ + a) - d * z,
    )
