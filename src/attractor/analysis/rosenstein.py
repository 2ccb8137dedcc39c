"""Largest Lyapunov exponent from a time series (Rosenstein, Collins & De Luca, Physica D 65,
117, 1993).

Each reconstructed state ``y_j`` is paired with its nearest neighbour ``y_ĵ`` outside a
Theiler window; the pairs are followed forward and the mean log separation

.. math::  S(i) = \\langle \\ln \\| y_{j+i} - y_{ĵ+i} \\| \\rangle_j

grows like ``S(0) + λ_1 i Δt`` until it saturates at the attractor's size. ``λ_1`` is the
slope of a line fitted to the linear part of ``S``.
"""

from __future__ import annotations

import dataclasses

import torch

from attractor._core.validation import check_int, check_positive, check_tensor
from attractor.analysis._series import reject_constant
from attractor.analysis.embedding import autocorrelation_time, embed
from attractor.analysis.neighbors import nearest_neighbors


@dataclasses.dataclass
class Rosenstein:
    """Result of :func:`rosenstein`: the exponent, the divergence curve ``S`` at ``times``,
    the fitted index range and the embedding used."""

    exponent: torch.Tensor
    times: torch.Tensor
    divergence: torch.Tensor
    fit_range: tuple[int, int]
    dim: int
    delay: int


def rosenstein(
    x: torch.Tensor,
    *,
    dt: float = 1.0,
    dim: int | None = None,
    delay: int | None = None,
    theiler: int | None = None,
    horizon: int | None = None,
    fit_range: tuple[int, int] | None = None,
    max_points: int = 4000,
) -> Rosenstein:
    """Largest Lyapunov exponent of the series ``x`` sampled every ``dt``.

    Parameters
    ----------
    x: ``(T,)`` scalar observations, delay-embedded automatically (``dim``/``delay`` chosen
        by false nearest neighbours and mutual information unless given), or ``(T, d)``
        states used as they are when ``dim`` and ``delay`` are not given.
    theiler: neighbours closer than this many samples in time are excluded (default: the
        autocorrelation time, a proxy for the mean period, as Rosenstein et al. advise).
    horizon: how many samples the pairs are followed (default ``10 × theiler``).
    fit_range: ``(start, stop)`` indices of ``S`` to fit; default from where ``S`` has
        covered 20 % of its rise to the plateau (the separations have turned into the
        unstable direction) to where it has covered 70 % (before saturation).
    max_points: reference states used (evenly spaced), bounding the ``O(N²)`` search.
    """
    x = check_tensor("x", x, min_dim=1)
    check_positive("dt", dt)
    reject_constant(x, "x", "there is no divergence of neighbouring states to measure")
    if x.dim() == 1 or dim is not None or delay is not None:
        e = embed(x, dim, delay)
        states, dim_, delay_ = e.values, e.dim, e.delay
    else:
        states, dim_, delay_ = x, x.shape[-1], 0
    n = states.shape[0]
    if theiler is None:
        theiler = autocorrelation_time(states)
    theiler = check_int("theiler", theiler, minimum=0)
    horizon = min(10 * max(theiler, 1), n // 4) if horizon is None else check_int("horizon", horizon)
    if n - horizon < 50:
        raise ValueError(f"`x` is too short ({n} states) for a horizon of {horizon} samples.")
    m = n - horizon  # states that can be followed `horizon` steps
    refs = torch.arange(m, device=x.device)
    if m > max_points:
        refs = torch.linspace(0, m - 1, max_points, device=x.device).round().long()
    nn_idx, _ = nearest_neighbors(states, exclude=theiler, candidates=m, queries=refs)
    ok = nn_idx >= 0
    refs, nn_idx = refs[ok], nn_idx[ok]
    steps = torch.arange(horizon + 1, device=x.device)
    sep = (states[refs.unsqueeze(1) + steps] - states[nn_idx.unsqueeze(1) + steps]).norm(dim=-1)
    logs = sep.clamp_min(torch.finfo(x.dtype).tiny).log()
    valid = sep > 0
    curve = (logs * valid).sum(0) / valid.sum(0).clamp_min(1)
    times = steps.to(x.dtype) * dt
    if fit_range is None:
        # skip the first 20 % of the rise (separations still turning into the unstable
        # direction) and stop at 70 % (before saturation at the attractor's size)
        rise = curve - curve[0]
        top = rise.max()
        if float(top) > 0:
            start = int((rise >= 0.2 * top).nonzero()[0])
            stop = int((rise >= 0.7 * top).nonzero()[0])
        else:
            start, stop = 0, horizon
        fit_range = (min(start, max(stop - 2, 0)), max(stop, 2))
    a, b = fit_range
    tt, cc = times[a : b + 1], curve[a : b + 1]
    design = torch.stack([tt, torch.ones_like(tt)], -1)
    slope = torch.linalg.lstsq(design, cc.unsqueeze(-1)).solution[0, 0]
    return Rosenstein(slope, times, curve, (a, b), dim_, delay_)

