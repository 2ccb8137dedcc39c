"""SA-Solver (Xue et al. 2023): stochastic Adams predictor-corrector in data prediction."""

from __future__ import annotations

import math

import numpy as np

from attractor._core.validation import check_int, check_positive
from attractor.transport.samplers.linear import (
    LinearMultistepSampler,
    Tables,
    step_ratio,
    usable_order,
)

_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(24)


def adams_weights(lam_end: float, h: float, nodes: list[float], c: float) -> list[float]:
    """``int_{-h}^{0} e^{c u} l_j(lam_end + u) du`` for the Lagrange basis ``l_j`` on ``nodes``
    (Gauss-Legendre with 24 points: exact to rounding for these smooth integrands)."""
    u = 0.5 * h * (_NODES - 1.0)  # [-h, 0]
    lam = lam_end + u
    kernel = np.exp(c * u) * _WEIGHTS * 0.5 * h
    out = []
    for j, nj in enumerate(nodes):
        basis = np.ones_like(lam)
        for i, ni in enumerate(nodes):
            if i != j:
                basis *= (lam - ni) / (nj - ni)
        out.append(float(kernel @ basis))
    return out


class SASolver(LinearMultistepSampler):
    r"""The stochastic Adams solver for the data-prediction diffusion SDE family.

    With noise-injection scale :math:`\tau` (constant on a step) and
    :math:`h = \lambda_{k+1} - \lambda_k`, the exact solution of Xue et al.'s SDE over a step is

    .. math:: x_{k+1} = \frac{s_{k+1}}{s_k} e^{-\tau^2 h} x_k + b_{k+1} (1 + \tau^2)
              \int_{-h}^{0} e^{(1+\tau^2) u} \hat x(\lambda_{k+1} + u)\, du
              + s_{k+1} \sqrt{1 - e^{-2\tau^2 h}}\; \xi_k ,

    and the Adams predictor (corrector) replaces :math:`\hat x` by the Lagrange polynomial
    through the last ``predictor_order`` model outputs (through ``corrector_order`` outputs
    including the new one), the predictor and corrector sharing :math:`\xi_k`. ``tau=0`` is a
    deterministic Adams exponential integrator (the probability-flow ODE); ``tau=1`` gives the
    reverse diffusion's variance (``tau=1``, predictor order 1: SDE-DPM-Solver++(1), i.e.
    DDPM). ``tau_interval=(sigma_lo, sigma_hi)`` injects noise only on steps whose start lies
    in that range of noise levels (the paper's setting; ``tau=0`` elsewhere). One evaluation
    per step; no corrector after the last step.
    """

    default_grid = "logsnr"

    def __init__(self, steps: int | None = None, grid=None, *, predictor_order: int = 3,
                 corrector_order: int = 4, tau: float = 1.0,
                 tau_interval: tuple[float, float] | None = None) -> None:
        self.predictor_order = check_int("predictor_order", predictor_order)
        self.corrector_order = check_int("corrector_order", corrector_order, minimum=0)
        if self.predictor_order > 4 or self.corrector_order > 4:
            raise ValueError("`predictor_order` and `corrector_order` must be at most 4; got "
                             f"{predictor_order} and {corrector_order}.")
        self.tau = check_positive("tau", tau, allow_zero=True)
        if tau_interval is not None and self.tau == 0:
            raise ValueError("`tau_interval` limits where noise is injected; with tau=0 it does not apply.")
        if tau_interval is not None:
            lo, hi = (check_positive("tau_interval", v, allow_zero=True) for v in tau_interval)
            if lo > hi:
                raise ValueError(f"`tau_interval` must be (low, high) with low <= high; got {tau_interval}.")
            tau_interval = (lo, hi)
        self.tau_interval = tau_interval
        super().__init__(steps, grid)

    @property
    def min_steps(self) -> int:
        return self.predictor_order

    @property
    def stochastic(self) -> bool:  # type: ignore[override]
        return self.tau > 0

    def _tau(self, levels, k: int) -> float:
        if self.tau_interval is None:
            return self.tau
        sigma = levels.s[k] / levels.b[k] if levels.b[k] > 0 else math.inf
        lo, hi = self.tau_interval
        return self.tau if lo <= sigma <= hi else 0.0

    def tables(self, levels):
        A, C, N, E = [], [], [], []
        n = len(levels.t) - 1
        for k in range(n):
            h, b1, ratio = step_ratio(levels, k)
            tau2 = self._tau(levels, k) ** 2
            c = 1.0 + tau2
            # (tau = 0 with an infinite step would read 0 * inf: the factors are then 1 and 0)
            A.append(ratio * (math.exp(-tau2 * h) if tau2 else 1.0))
            N.append(levels.s[k + 1] * math.sqrt(-math.expm1(-2.0 * tau2 * h)) if tau2 else 0.0)
            if not math.isfinite(h):  # first order: the integral of e^{cu} over (-inf, 0] or [-h, 0]
                C.append([b1 * -math.expm1(-c * h)])
                E.append([0.0])
                continue
            lam1 = levels.lam[k + 1]
            p = usable_order(levels, k, self.predictor_order)
            pred = adams_weights(lam1, h, [levels.lam[k - j] for j in range(p)], c)
            C.append([b1 * c * w for w in pred])
            q = min(self.corrector_order, usable_order(levels, k, self.corrector_order - 1) + 1) \
                if self.corrector_order else 0
            if q == 0:
                E.append([0.0])
                continue
            corr = adams_weights(lam1, h, [levels.lam[k + 1 - j] for j in range(q)], c)
            e = [b1 * c * w for w in corr] + [0.0] * max(0, p + 1 - q)
            for j, w in enumerate(C[-1]):  # subtract the predictor's terms (shifted by one)
                e[j + 1] -= w
            E.append(e)
        return Tables(A, C, N, E)
