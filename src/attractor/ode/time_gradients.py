"""Gradients with respect to the output times, the same for every adjoint.

The solvers treat the step grid as constants (step sizes carry no gradient), so time gradients
come from the ODE itself:

.. math::
    \\frac{\\partial y(t_i)}{\\partial t_i} = f(t_i, y(t_i)), \\qquad
    \\frac{\\partial y(t_i)}{\\partial t_0} = -\\frac{\\partial y(t_i)}{\\partial y_0} f(t_0, y_0).

Both are attached with value-preserving shifts: the solve starts from
``y0 - (t0 - stop_grad(t0)) f(t0, y0)`` (so gradients reaching ``y0`` also reach ``t0``), and
each later output gets ``+ (t_i - stop_grad(t_i)) f(t_i, y_i)``. Values are unchanged; the
extra evaluations of ``f`` happen only when ``t`` requires grad.
"""

from __future__ import annotations

import torch


def shift_start(y0: torch.Tensor, t0: torch.Tensor, f0: torch.Tensor) -> torch.Tensor:
    """``y0 - (t0 - stop_grad(t0)) f0`` (``t0`` broadcastable against ``y0``)."""
    return y0 - (t0 - t0.detach()) * f0.detach()


def shift_outputs(field, ys: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """``ys[i] + (t_i - stop_grad(t_i)) f(t_i, ys[i])`` for ``i >= 1``; ``ys`` is ``(n, *shape)``.

    ``t`` is ``(n,)`` or ``(B, n)`` (per-sample times, reshaped to the time shape of ``f``).
    """
    rows = [ys[0]]
    for i in range(1, ys.shape[0]):
        ti = t[i] if t.dim() == 1 else t[:, i].reshape(field.time_shape)
        with torch.no_grad():
            slope = field(ti.detach(), ys[i].detach())
        rows.append(ys[i] + (ti - ti.detach()) * slope)
    return torch.stack(rows, 0)
