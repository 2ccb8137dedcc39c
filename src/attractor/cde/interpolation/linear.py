"""Linear interpolation of observations."""

from __future__ import annotations

from attractor.cde.interpolation.base import AbstractInterpolation
from attractor.cde.interpolation.prepare import differences


class LinearInterpolation(AbstractInterpolation):
    """Piecewise-linear path through the observations:
    ``X(t) = x_k + (t - t_k)(x_{k+1} - x_k)/(t_{k+1} - t_k)`` on ``[t_k, t_{k+1}]``.

    Continuous, with a derivative that jumps at the knots (:func:`attractor.cdeint` then
    integrates knot interval by knot interval). Only depends on observations up to ``t_{k+1}``,
    so it is "online" up to one observation (Morrill, Kidger, Yang & Lyons, "Neural controlled
    differential equations for online prediction tasks", 2021). Missing values are filled
    linearly in time, which is exact for this path. Parameters: see
    :class:`AbstractInterpolation`.
    """

    smooth = False

    def _coefficients(self, values, knots):
        dx, h = differences(values, knots)
        return knots, (values[..., :-1, :], dx / h)
