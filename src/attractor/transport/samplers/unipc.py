"""UniPC (Zhao et al. 2023): a unified predictor-corrector in data prediction."""

from __future__ import annotations

import math

import numpy as np

from attractor._core.validation import check_choice, check_int
from attractor.transport.samplers.linear import (
    LinearMultistepSampler,
    Tables,
    step_ratio,
    usable_order,
)


class UniPC(LinearMultistepSampler):
    r"""UniPC in data prediction, with ``B(h) = -h`` (``variant="bh1"``) or
    ``B(h) = e^{-h} - 1`` (``"bh2"``, the recommended one).

    With :math:`h = \lambda_{k+1} - \lambda_k`, :math:`m_j = \hat x(x_j, t_j)`, the ratios
    :math:`r_i = (\lambda_{k-i} - \lambda_k)/h` and differences :math:`D_i = (m_{k-i} - m_k)/r_i`,

    .. math:: x^{p}_{k+1} = \frac{s_{k+1}}{s_k} x_k - b_{k+1}(e^{-h} - 1)\, m_k
              - b_{k+1} B(h) \sum_{i=1}^{p-1} \rho^p_i D_i ,

    the predictor UniP-p, and the corrector UniC, which after evaluating
    :math:`m_{k+1} = \hat x(x^p_{k+1})` replaces the sum by
    :math:`\sum_i \rho^c_i D_i + \rho^c_p (m_{k+1} - m_k)`. The weights solve
    :math:`R \rho = g` with :math:`R_{ij} = r_j^{\,i-1}` (and :math:`r_p = 1`) and
    :math:`g_i = i!\, h\varphi_{i+1}(h) / B(h)` from the exponential-integrator functions
    (Zhao et al., Algorithms 1-2); the reference implementation's fixed weights
    :math:`\rho^p = 1/2` for ``order=2`` and :math:`\rho^c = 1/2` for first-order steps are
    kept. The corrector raises the order by one at no extra evaluation (none after the last
    step). ``order`` is the predictor's order, 1 to 3 here as in the paper's experiments.
    """

    default_grid = "logsnr"

    def __init__(self, steps: int | None = None, grid=None, *, order: int = 2,
                 variant: str = "bh2", lower_order_final: bool = True) -> None:
        self.order = check_int("order", order)
        self.lower_order_final = bool(lower_order_final)
        if self.order > 3:
            raise ValueError(f"`order` must be 1, 2 or 3; got {order}.")
        self.variant = check_choice("variant", variant, ("bh1", "bh2"))
        super().__init__(steps, grid)

    @property
    def min_steps(self) -> int:
        return self.order

    def _weights(self, h: float, rks: list[float], p: int):
        """``(rho_p, rho_c, B)`` for a step of order ``p`` with ratios ``rks`` (length p-1)."""
        hh = -h
        phi_k = math.expm1(hh) / hh - 1.0
        B = hh if self.variant == "bh1" else math.expm1(hh)
        r = np.array([*rks, 1.0])
        R = np.stack([r**i for i in range(p)])
        g = np.empty(p)
        factorial = 1.0
        for i in range(1, p + 1):
            g[i - 1] = phi_k * factorial / B
            factorial *= i + 1
            phi_k = phi_k / hh - 1.0 / factorial
        if p == 1:
            rho_p = np.zeros(0)
        elif p == 2:
            rho_p = np.array([0.5])
        else:
            rho_p = np.linalg.solve(R[:-1, :-1], g[:-1])
        rho_c = np.array([0.5]) if p == 1 else np.linalg.solve(R, g)
        return rho_p, rho_c, B

    def tables(self, levels):
        A, C, N, E = [], [], [], []
        n = len(levels.t) - 1
        for k in range(n):
            h, b1, ratio = step_ratio(levels, k)
            A.append(ratio)
            N.append(0.0)
            base = -b1 * math.expm1(-h)  # the DDIM part, on m_k
            if not math.isfinite(h):     # a step to the data (or from pure noise): x' = DDIM
                C.append([base])
                E.append([0.0])
                continue
            p = usable_order(levels, k, self.order, "unipc" if self.lower_order_final else None)
            rks = [(levels.lam[k - i] - levels.lam[k]) / h for i in range(1, p)]
            rho_p, rho_c, B = self._weights(h, rks, p)
            scale = -b1 * B
            # predictor on (m_k, m_{k-1}, ..., m_{k-p+1}); D_i = (m_{k-i} - m_k) / r_i
            c = [base] + [0.0] * (p - 1)
            for i, (rho, rk) in enumerate(zip(rho_p, rks), start=1):
                c[i] += scale * rho / rk
                c[0] -= scale * rho / rk
            C.append(c)
            # corrector minus predictor, on (m_{k+1}, m_k, ..., m_{k-p+1})
            e = [0.0] * (p + 1)
            e[0] += scale * rho_c[-1]
            e[1] -= scale * rho_c[-1]
            for i, rk in enumerate(rks, start=1):
                delta = rho_c[i - 1] - (rho_p[i - 1] if i - 1 < len(rho_p) else 0.0)
                e[i + 1] += scale * delta / rk
                e[1] -= scale * delta / rk
            E.append(e)
        return Tables(A, C, N, E)
