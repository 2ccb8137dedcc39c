"""Hermite cubic interpolation with backward differences."""

from __future__ import annotations

import torch

from attractor.cde.interpolation.base import AbstractInterpolation
from attractor.cde.interpolation.prepare import differences


class HermiteCubic(AbstractInterpolation):
    """C^1 piecewise cubic through the observations whose slope at knot ``k`` is the backward
    difference ``m_k = (x_k - x_{k-1}) / h_{k-1}`` (``m_0 = m_1``). On ``[t_k, t_{k+1}]``, with
    ``\\Delta_k = (x_{k+1} - x_k)/h_k = m_{k+1}``,

    .. math:: X(t_k + \\tau) = x_k + m_k\\tau + \\frac{2(\\Delta_k - m_k)}{h_k}\\tau^2
              + \\frac{m_k - \\Delta_k}{h_k^2}\\tau^3 .

    Each piece uses observations up to ``t_{k+1}`` only, like linear interpolation, but the
    path is smooth, so adaptive solvers need not stop at the knots (Morrill, Kidger, Yang &
    Lyons 2021, sec. 3). Missing values are first filled linearly. Parameters: see
    :class:`AbstractInterpolation`.
    """

    def _coefficients(self, values, knots):
        dx, h = differences(values, knots)
        delta = dx / h
        m = torch.cat([delta[..., :1, :], delta[..., :-1, :]], dim=-2)
        return knots, (values[..., :-1, :], m, 2.0 * (delta - m) / h, (m - delta) / (h * h))
