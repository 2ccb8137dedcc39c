"""Natural cubic spline interpolation (through each channel's own observations)."""

from __future__ import annotations

import torch

from attractor.cde.interpolation.base import AbstractInterpolation
from attractor.cde.interpolation.prepare import reject_infinities
from attractor.cde.observations import add_channels, apply_mask, check_series, fill_missing


def _solve_tridiagonal(lower, diag, upper, rhs):
    """Thomas algorithm along the last dim; ``lower[..., 0]`` and ``upper[..., -1]`` unused.

    The spline systems are diagonally dominant, so no pivoting is needed.
    """
    n = diag.shape[-1]
    c, d = [None] * n, [None] * n
    c[0] = upper[..., 0] / diag[..., 0]
    d[0] = rhs[..., 0] / diag[..., 0]
    for i in range(1, n):
        denom = diag[..., i] - lower[..., i] * c[i - 1]
        c[i] = upper[..., i] / denom
        d[i] = (rhs[..., i] - lower[..., i] * d[i - 1]) / denom
    out = [None] * n
    out[-1] = d[-1]
    for i in range(n - 2, -1, -1):
        out[i] = d[i] - c[i] * out[i + 1]
    return torch.stack(out, dim=-1)


def _natural_spline(t, x, n_obs):
    """Pieces of the natural spline through the first ``n_obs`` points of each row.

    ``t, x``: (..., L) with rows sorted; points past ``n_obs`` are padding. Returns the
    per-piece coefficients ``(a, b, c, d)`` in ``tau = t - t_j``, each (..., L - 1).
    """
    h = t[..., 1:] - t[..., :-1]
    slope = (x[..., 1:] - x[..., :-1]) / h
    L = t.shape[-1]
    j = torch.arange(L, device=t.device)
    interior = (j >= 1) & (j <= n_obs.unsqueeze(-1) - 2)
    zero = torch.zeros_like(t)
    h_prev = torch.cat([zero[..., :1], h], dim=-1)
    h_next = torch.cat([h, zero[..., :1]], dim=-1)
    s_prev = torch.cat([zero[..., :1], slope], dim=-1)
    s_next = torch.cat([slope, zero[..., :1]], dim=-1)
    lower = torch.where(interior, h_prev, zero)
    upper = torch.where(interior, h_next, zero)
    diag = torch.where(interior, 2.0 * (h_prev + h_next), torch.ones_like(t))
    rhs = torch.where(interior, 6.0 * (s_next - s_prev), zero)
    m = _solve_tridiagonal(lower, diag, upper, rhs) if L > 2 else zero
    m0, m1 = m[..., :-1], m[..., 1:]
    return x[..., :-1], slope - h * (2.0 * m0 + m1) / 6.0, 0.5 * m0, (m1 - m0) / (6.0 * h)


class NaturalCubicSpline(AbstractInterpolation):
    """The C^2 piecewise cubic through the observations with zero second derivative at both
    ends. With ``M_k = X''(t_k)``, ``h_k = t_{k+1} - t_k``, the interior conditions are

    .. math:: h_{k-1} M_{k-1} + 2(h_{k-1} + h_k) M_k + h_k M_{k+1}
              = 6\\Big(\\frac{x_{k+1} - x_k}{h_k} - \\frac{x_k - x_{k-1}}{h_{k-1}}\\Big),
              \\quad M_0 = M_{L-1} = 0,

    solved by the Thomas algorithm (de Boor, "A Practical Guide to Splines", 1978, ch. IV).
    With missing values each channel of each series gets the natural spline through its own
    observations (held constant before the first and after the last), re-expanded on the
    common knots; the systems of different lengths are solved together by padding with
    identity rows. Between a channel's first and last observation the path is C^2, so adaptive
    solvers step freely (the constant holds outside that span join it with a kink; torchcde
    instead back/forward-fills those values and fits the spline through the repeated points,
    so the two agree wherever a channel is observed at both ends). Each piece depends on all
    observations (not causal). Parameters: see :class:`AbstractInterpolation`.
    """

    def __init__(self, x, t=None, *, mask=None, time_channel: bool = False,
                 observation_channels: bool = False, fill_value=None):
        t = check_series(x, t)
        raw = add_channels(apply_mask(x, mask), t, time_channel=time_channel,
                           observation_channels=observation_channels)
        if not bool(torch.isnan(raw).any()):
            super().__init__(x, t, mask=mask, time_channel=time_channel,
                             observation_channels=observation_channels, fill_value=fill_value)
            return
        reject_infinities(raw)
        filled = fill_missing(raw, t, "linear", fill_value)  # validates never-observed channels
        self.knots = t
        self.coeffs = tuple(c.transpose(-1, -2) for c in self._with_gaps(raw, filled, t))

    def _coefficients(self, values, knots):
        tt = knots.unsqueeze(-2) if knots.dim() > 1 else knots
        n = torch.full(values.shape[:-2] + values.shape[-1:], values.shape[-2],
                       device=values.device)
        pieces = _natural_spline(tt.expand(*values.shape[:-2], values.shape[-1], -1),
                                 values.transpose(-1, -2), n)
        return knots, tuple(c.transpose(-1, -2) for c in pieces)

    @staticmethod
    def _with_gaps(raw, filled, t):
        xs = raw.transpose(-1, -2)  # (..., C, L)
        L = xs.shape[-1]
        observed = ~torch.isnan(xs)
        never = ~observed.any(-1, keepdim=True)
        xs = torch.where(never, filled.transpose(-1, -2), xs)  # fill_value channels: constant
        observed = observed | never
        tt = t.unsqueeze(-2) if t.dim() > 1 else t
        tt = tt.expand_as(xs)
        order = torch.argsort((~observed).to(torch.int8), dim=-1, stable=True)
        n_obs = observed.sum(-1)
        tc = tt.gather(-1, order)
        xc = torch.nan_to_num(xs.gather(-1, order))
        pos = torch.arange(L, device=xs.device)
        valid = pos < n_obs.unsqueeze(-1)
        last_t = tc.gather(-1, (n_obs - 1).clamp(min=0).unsqueeze(-1))
        tc = torch.where(valid, tc, last_t + (pos - n_obs.unsqueeze(-1) + 1).to(tc.dtype))
        last_x = xc.gather(-1, (n_obs - 1).clamp(min=0).unsqueeze(-1))
        xc = torch.where(valid, xc, last_x)
        a, b, c, d = _natural_spline(tc, xc, n_obs)
        # re-expand on the common knots: Taylor coefficients at each knot's left end
        left = tt[..., :-1].contiguous()
        piece = torch.searchsorted(tc.contiguous(), left, right=True) - 1
        piece = torch.minimum(piece.clamp(min=0), (n_obs - 2).clamp(min=0).unsqueeze(-1))
        a, b, c, d = (z.gather(-1, piece) for z in (a, b, c, d))
        tau = left - tc.gather(-1, piece)
        first_t, first_x = tc[..., :1], xc[..., :1]
        const = (left < first_t) | (left >= last_t) | (n_obs < 2).unsqueeze(-1)
        value = torch.where(left < first_t, first_x, last_x)
        zero = torch.zeros_like(tau)
        return (
            torch.where(const, value, a + tau * (b + tau * (c + tau * d))),
            torch.where(const, zero, b + tau * (2.0 * c + 3.0 * tau * d)),
            torch.where(const, zero, c + 3.0 * tau * d),
            torch.where(const, zero, d.expand_as(tau)),
        )
