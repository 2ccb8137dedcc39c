"""Milstein's scheme: strong order 1 for commutative noise, Ito or Stratonovich."""

from __future__ import annotations

import math

import torch

from attractor._core.validation import check_choice
from attractor.sde.derivatives import (
    diffusion_and_diag_derivative,
    diffusion_and_jvp,
    milstein_directions,
)
from attractor.sde.solvers.base import AbstractSDESolver


class Milstein(AbstractSDESolver):
    """Milstein's method.

    .. math:: y_{n+1} = y_n + f h + g\\,\\Delta W + \\sum_{j_1, j_2} (L^{j_1} g_{j_2})\\, I_{j_1 j_2},
              \\qquad L^{j} = \\textstyle\\sum_k g_{k j}\\,\\partial_{y_k}

    with the iterated integrals ``I_{jj} = (\\Delta W_j^2 - h)/2`` (Ito) or ``\\Delta W_j^2/2``
    (Stratonovich); for ``j_1 \\ne j_2``, ``I_{j_1 j_2} = \\Delta W_{j_1}\\Delta W_{j_2}/2 + A_{j_1 j_2}``
    with the Levy area ``A``. Diagonal noise needs only ``g_i \\partial_i g_i`` (one
    vector-Jacobian product); scalar noise one Jacobian-vector product; general noise ``m`` of
    them. Additive noise reduces it to Euler--Maruyama (strong order 1).

    ``derivative_free=True`` replaces ``L^j g_j`` by the finite difference
    ``(g(\\bar y) - g(y_n)) / \\sqrt h`` with ``\\bar y = y_n + f h + g\\sqrt h`` (Ito) or
    ``y_n + g\\sqrt h`` (Stratonovich) -- the Runge--Kutta--Milstein scheme of Kloeden & Platen,
    "Numerical Solution of SDEs", 1992, eq. (11.1.7) -- for diagonal and scalar noise.

    ``levy_area`` (general noise only): ``"commutative"`` (assume commutative noise, drop
    ``A``: strong order 1 when that holds), or ``"davie"`` / ``"foster"`` Gaussian
    approximations of ``A`` from the space-time Levy area (see
    :func:`attractor.sde.brownian.space_space_levy_area`).

    Strong order 1 for diagonal, scalar and additive noise (Milstein, "Approximate integration
    of stochastic differential equations", Theory Probab. Appl. 19, 1974).
    """

    name = "milstein"
    strong_order = 1.0
    weak_order = 1.0

    def __init__(self, derivative_free: bool = False, levy_area: str = "commutative"):
        self.derivative_free = bool(derivative_free)
        self.area = check_choice("levy_area", levy_area, ("commutative", "davie", "foster"))
        self.levy_area = "none" if self.area == "commutative" else "space-time"

    def check(self, terms) -> None:
        super().check(terms)
        if self.derivative_free and terms.noise == "general":
            raise ValueError("Milstein(derivative_free=True) supports diagonal, scalar and additive "
                             "noise; for general noise use the derivative form.")

    def order(self, terms) -> float:
        return 0.5 if terms.noise == "general" and self.area != "commutative" else 1.0

    def step(self, terms, t0, t1, h, y0, inc, state):
        dW = inc.dW
        f = terms.f(t0, y0)
        ito = terms.sde_type == "ito"
        if terms.noise == "additive":
            return y0 + f * h + terms.g_prod(t0, y0, dW), None
        if terms.noise != "general" or not terms.matrix:
            g, lg = self._commutative_term(terms, t0, y0, f, h)
            dW2 = dW * dW - h if ito else dW * dW
            return y0 + f * h + terms.prod(g, dW) + 0.5 * terms.prod(lg, dW2), None
        g, L = milstein_directions(terms, t0, y0)
        iterated = 0.5 * dW.unsqueeze(-1) * dW.unsqueeze(-2)
        if ito:
            iterated = iterated - 0.5 * h * torch.eye(dW.shape[-1], dtype=dW.dtype, device=dW.device)
        if self.area != "commutative":
            iterated = iterated + inc.A
        correction = torch.einsum("...dab,...ab->...d", L, iterated)
        return y0 + f * h + terms.prod(g, dW) + correction, None

    def _commutative_term(self, terms, t0, y0, f, h):
        """``(g, L g)`` for a single noise direction per component (diagonal or scalar)."""
        if self.derivative_free:
            g = terms.g(t0, y0)
            sqrt_h = math.sqrt(h)
            col = g if not terms.matrix else g[..., 0]
            support = y0 + col * sqrt_h + (f * h if terms.sde_type == "ito" else 0.0)
            return g, (terms.g(t0, support) - g) / sqrt_h
        if terms.noise == "diagonal":
            g, dg = diffusion_and_diag_derivative(terms, t0, y0)
            return g, g * dg
        g = terms.g(t0, y0)  # scalar noise: one direction shared by all components
        col = g if not terms.matrix else g[..., 0]
        _, lg = diffusion_and_jvp(terms, t0, y0, col)
        return g, lg
