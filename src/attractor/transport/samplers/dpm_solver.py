"""DPM-Solver++ multistep (Lu et al. 2022b), data prediction."""

from __future__ import annotations

import math

from attractor._core.validation import check_int
from attractor.transport.samplers.linear import (
    LinearMultistepSampler,
    Tables,
    neg_expm1,
    step_ratio,
    usable_order,
)


def _phi2_minus_half(h: float) -> float:
    """``(e^{-h} - 1 + h) / h^2 - 1/2`` without cancellation for small ``h``."""
    if abs(h) < 1e-2:
        # (e^{-h} - 1 + h)/h^2 = 1/2 - h/6 + h^2/24 - h^3/120 + ...
        return -h / 6.0 + h * h / 24.0 - h**3 / 120.0 + h**4 / 720.0
    return (math.expm1(-h) + h) / (h * h) - 0.5


def _phi1_complement(h: float) -> float:
    """``1 - (1 - e^{-h}) / h`` (``= (e^{-h} - 1)/h + 1``) without cancellation for small ``h``."""
    if abs(h) < 1e-2:
        return h / 2.0 - h * h / 6.0 + h**3 / 24.0 - h**4 / 120.0
    return 1.0 - neg_expm1(h) / h


class DPMSolverPP(LinearMultistepSampler):
    r"""DPM-Solver++ (2M, 3M): multistep exponential integrator in data prediction.

    With :math:`h = \lambda_{k+1} - \lambda_k`, :math:`\varphi_1 = 1 - e^{-h}` and
    :math:`m_j = \hat x(x_j, t_j)`,

    .. math:: x_{k+1} = \frac{s_{k+1}}{s_k} x_k + b_{k+1} \varphi_1 \Big[(1 + \tfrac{1}{2r})
              m_k - \tfrac{1}{2r} m_{k-1}\Big], \qquad r = h_{k-1}/h \quad \text{(2M)},

    and the third-order update (3M) built on the divided differences of
    :math:`m_k, m_{k-1}, m_{k-2}`: :math:`D_1 \approx h\,\hat x'`, :math:`D_2 \approx
    h^2 \hat x''/2` and :math:`x_{k+1} = \frac{s_{k+1}}{s_k} x_k + b_{k+1}[\varphi_1 m_k +
    (1 - \varphi_1/h) D_1 - 2 (\frac{e^{-h} - 1 + h}{h^2} - \frac12) D_2]`. The reference
    implementations weight :math:`D_2` by half of that, which makes their 3M second order; here
    it is third order (with exact start-up values; the first-order first step bounds the global
    order of every multistep start by 2, which UniPC's corrector lifts). The first steps use the orders their history allows, and a
    step to the data (``sigma = 0``) is first order (it is exactly ``x = b x_hat`` there).
    ``lower_order_final`` lowers the last two steps' orders on grids of fewer than 15 steps,
    as the reference implementation does for stability. ``order=1`` is DDIM. One evaluation
    per step.
    """

    default_grid = "logsnr"

    def __init__(self, steps: int | None = None, grid=None, *, order: int = 2,
                 lower_order_final: bool = True) -> None:
        self.order = check_int("order", order)
        self.lower_order_final = bool(lower_order_final)
        if self.order > 3:
            raise ValueError(f"`order` must be 1, 2 or 3; got {order}.")
        super().__init__(steps, grid)

    @property
    def min_steps(self) -> int:
        return self.order

    def tables(self, levels):
        A, C, N = [], [], []
        for k in range(len(levels.t) - 1):
            h, b1, ratio = step_ratio(levels, k)
            p = usable_order(levels, k, self.order, "dpm" if self.lower_order_final else None)
            phi1 = b1 * neg_expm1(h)
            A.append(ratio)
            N.append(0.0)
            if p == 1:
                C.append([phi1])
                continue
            r0 = (levels.lam[k] - levels.lam[k - 1]) / h
            if p == 2:
                C.append([phi1 * (1 + 0.5 / r0), -phi1 * 0.5 / r0])
                continue
            r1 = (levels.lam[k - 1] - levels.lam[k - 2]) / h
            # divided differences as coefficient vectors on (m_k, m_{k-1}, m_{k-2})
            d10 = [1 / r0, -1 / r0, 0.0]
            d11 = [0.0, 1 / r1, -1 / r1]
            diff = [u - v for u, v in zip(d10, d11)]
            D1 = [u + r0 / (r0 + r1) * w for u, w in zip(d10, diff)]
            D2 = [w / (r0 + r1) for w in diff]
            c1 = b1 * _phi1_complement(h)            # alpha_t ((e^{-h} - 1)/h + 1)
            # twice the reference code's D2 weight: D2 estimates h^2 x_hat''/2, and the Taylor term
            # of the step is h^2 x_hat'' (h - 1 + e^{-h} - h^2/2 ... ): with the reference weight
            # the update is second order (measured 2.2 vs 3.1 with an exact start-up)
            c2 = -2.0 * b1 * _phi2_minus_half(h)
            C.append([phi1 * (j == 0) + c1 * D1[j] + c2 * D2[j] for j in range(3)])
        return Tables(A, C, N)
