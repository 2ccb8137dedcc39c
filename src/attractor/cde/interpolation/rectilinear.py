"""Rectilinear interpolation: time moves first, then the values jump (causal and online)."""

from __future__ import annotations

import torch

from attractor.cde.interpolation.base import AbstractInterpolation
from attractor.cde.interpolation.prepare import differences


class RectilinearInterpolation(AbstractInterpolation):
    """A path that, between observations ``k`` and ``k+1``, first advances the time channel
    from ``t_k`` to ``t_{k+1}`` with the values held at ``x_k``, then moves the values to
    ``x_{k+1}`` with time held (Morrill, Kidger, Yang & Lyons 2021, sec. 3).

    The path is parametrised by ``s \\in [t_0, t_{L-1}]``: the first half of
    ``[t_k, t_{k+1}]`` is the time leg (the time channel runs at twice the speed), the second
    half the value leg, so ``X(t_k) = (t_k, x_k)`` at every observation time and the CDE's
    state at ``t_k`` has seen exactly the observations up to ``t_k``. Missing values are
    filled by carrying the last observation forward. Channel 0 of the path is time.
    Parameters: see :class:`AbstractInterpolation` (``time_channel`` is implied).
    """

    smooth = False
    fill = "forward"

    def __init__(self, x, t=None, *, mask=None, observation_channels: bool = False,
                 fill_value=None):
        super().__init__(x, t, mask=mask, time_channel=True,
                         observation_channels=observation_channels, fill_value=fill_value)

    def _coefficients(self, values, knots):
        mids = 0.5 * (knots[..., 1:] + knots[..., :-1])
        s = torch.stack([knots[..., :-1], mids], dim=-1).flatten(-2)
        s = torch.cat([s, knots[..., -1:]], dim=-1)  # t0, m0, t1, m1, ..., t_{L-1}
        # at the midpoint m_k: time already t_{k+1}, values still x_k
        corner = torch.cat([values[..., 1:, :1], values[..., :-1, 1:]], dim=-1)
        path = torch.stack([values[..., :-1, :], corner], dim=-2).flatten(-3, -2)
        path = torch.cat([path, values[..., -1:, :]], dim=-2)
        dx, h = differences(path, s)
        return s, (path[..., :-1, :], dx / h)
