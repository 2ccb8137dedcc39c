"""Attractor dimensions: Kaplan–Yorke (from a Lyapunov spectrum) and correlation dimension
(Grassberger–Procaccia, from samples of the attractor)."""

from __future__ import annotations

import dataclasses
import math

import torch

from attractor._core.validation import check_int, check_positive, check_tensor
from attractor.analysis.neighbors import pair_distance_counts


def kaplan_yorke_dimension(exponents: torch.Tensor) -> torch.Tensor:
    """Kaplan–Yorke (Lyapunov) dimension of a spectrum, batched over leading dimensions.

    .. math::  D_{KY} = j + \\frac{\\sum_{i \\le j} λ_i}{|λ_{j+1}|},

    with the exponents sorted decreasingly and ``j`` the largest index whose partial sum is
    non-negative (Kaplan & Yorke, Lecture Notes in Math. 730, 1979). ``0`` when ``λ_1 < 0``
    and ``k`` when every partial sum is non-negative; NaN when an exponent is NaN (a spectrum
    that could not be computed has no dimension).
    """
    exponents = check_tensor("exponents", exponents, min_dim=1, finite=False)
    lam = exponents.sort(dim=-1, descending=True).values
    k = lam.shape[-1]
    partial = lam.cumsum(-1)
    j = (partial >= 0).sum(-1)  # partial sums of a decreasing sequence: {≥ 0} is a prefix
    jj = j.clamp(1, k - 1 if k > 1 else 1).unsqueeze(-1)
    s_j = partial.gather(-1, jj - 1).squeeze(-1)
    nxt = lam.gather(-1, jj.clamp(max=k - 1)).squeeze(-1).abs()
    interior = j.to(lam.dtype) + s_j / nxt
    full = torch.full_like(interior, float(k))
    dim = torch.where(j == 0, torch.zeros_like(interior), torch.where(j >= k, full, interior))
    return dim.masked_fill(torch.isnan(exponents).any(-1), math.nan)


@dataclasses.dataclass
class CorrelationDimension:
    """Details of a Grassberger–Procaccia fit.

    ``radii`` and ``correlation_sum`` give the curve C(r); ``local_slopes`` its log–log
    derivative between consecutive radii; ``fit_range`` the radii bounding the scaling
    region used; ``dimension`` the fitted slope there and ``fit_rmse`` the residual of the
    fit (in log C).
    """

    dimension: torch.Tensor
    radii: torch.Tensor
    correlation_sum: torch.Tensor
    local_slopes: torch.Tensor
    fit_range: tuple[float, float]
    fit_rmse: float
    n_points: int


def correlation_sum(
    x: torch.Tensor,
    radii: torch.Tensor,
    *,
    theiler: int = 0,
    max_points: int = 4000,
) -> torch.Tensor:
    """Grassberger–Procaccia correlation sum ``C(r)``: the fraction of pairs of states
    closer than ``r`` (Euclidean), for each radius. Pairs less than ``theiler`` samples apart
    in time are excluded (Theiler, Phys. Rev. A 34, 1986), and at most ``max_points``
    evenly spaced samples are used."""
    x = _as_states(x, min_samples=2)
    idx = _subsample(x.shape[0], max_points, x.device)
    counts, total = pair_distance_counts(x[idx], radii, min_separation=_gap(theiler, idx))
    return counts.cumsum(0)[: len(radii)].to(x.dtype) / max(total, 1)


def correlation_dimension(
    x: torch.Tensor,
    *,
    theiler: int | None = None,
    max_points: int = 4000,
    n_radii: int = 40,
    scaling_decades: float = 1.0,
    min_pairs: int = 200,
    full_output: bool = False,
):
    """Correlation dimension ``D_2`` of samples ``x`` (shape ``(T, d)`` or ``(T,)``) by
    Grassberger–Procaccia (Physica D 9, 189, 1983) with an automatically fitted scaling region.

    ``C(r)`` is evaluated at ``n_radii`` log-spaced radii between the radius enclosing
    ``min_pairs`` pairs and the median pair distance (beyond which C saturates). The scaling
    region is the window spanning ``scaling_decades`` decades of ``r`` whose local slopes
    ``d log C / d log r`` vary least; ``D_2`` is the least-squares slope of ``log C`` against
    ``log r`` over that window. ``theiler`` (default: the first zero crossing of the
    autocorrelation, at least 1) excludes temporally close pairs. Returns a 0-dim tensor,
    or a :class:`CorrelationDimension` with the curve and fit when ``full_output``.
    """
    x = _as_states(x)
    check_int("max_points", max_points, minimum=10)
    check_int("n_radii", n_radii, minimum=4)
    check_positive("scaling_decades", scaling_decades)
    if theiler is None:
        from attractor.analysis.embedding import autocorrelation_time

        theiler = max(1, int(autocorrelation_time(x)))
    idx = _subsample(x.shape[0], max_points, x.device)
    pts = x[idx]
    gap = _gap(theiler, idx)
    # pair distances at fine resolution once, to place the radii where the pairs are
    probe = torch.logspace(-8, 1, 400, dtype=torch.float64, device=x.device) * _diameter(pts)
    counts, total = pair_distance_counts(pts, probe, min_separation=gap)
    cum = counts.cumsum(0)[: len(probe)]
    lo_i = int(torch.searchsorted(cum, torch.tensor(min_pairs, device=cum.device, dtype=cum.dtype)))
    hi_i = int(torch.searchsorted(cum, torch.tensor(total // 2, device=cum.device, dtype=cum.dtype)))
    if hi_i - lo_i < 8:
        raise ValueError(
            f"`x` has too few pairs to span a scaling region ({total} pairs, {min_pairs} needed "
            "at the smallest radius); pass more samples or a smaller `min_pairs`."
        )
    r_lo, r_hi = float(probe[lo_i]), float(probe[hi_i])
    radii = torch.logspace(math.log10(r_lo), math.log10(r_hi), n_radii, dtype=torch.float64, device=x.device)
    counts, total = pair_distance_counts(pts, radii, min_separation=gap)
    c = counts.cumsum(0)[:n_radii].to(torch.float64) / total
    log_r, log_c = radii.log(), c.clamp_min(1e-300).log()
    slopes = (log_c[1:] - log_c[:-1]) / (log_r[1:] - log_r[:-1])

    per_decade = (n_radii - 1) / math.log10(r_hi / r_lo)
    width = max(3, min(n_radii - 1, round(scaling_decades * per_decade)))
    windows = slopes.unfold(0, width, 1)  # (n_windows, width)
    best = int(windows.std(-1).argmin())
    sel = slice(best, best + width + 1)
    lr, lc = log_r[sel], log_c[sel]
    a = torch.stack([lr, torch.ones_like(lr)], -1)
    coef = torch.linalg.lstsq(a, lc.unsqueeze(-1)).solution.squeeze(-1)
    rmse = float((a @ coef - lc).pow(2).mean().sqrt())
    dim = coef[0].to(x.dtype)
    if not full_output:
        return dim
    return CorrelationDimension(
        dimension=dim,
        radii=radii.to(x.dtype),
        correlation_sum=c.to(x.dtype),
        local_slopes=slopes.to(x.dtype),
        fit_range=(float(radii[best]), float(radii[best + width])),
        fit_rmse=rmse,
        n_points=int(pts.shape[0]),
    )


def _as_states(x: torch.Tensor, min_samples: int = 10) -> torch.Tensor:
    x = check_tensor("x", x, min_dim=1)
    if x.dim() == 1:
        x = x.unsqueeze(-1)
    if x.dim() != 2:
        raise ValueError(f"`x` must have shape (T, d) or (T,); got {tuple(x.shape)}.")
    if x.shape[0] < min_samples:
        raise ValueError(f"`x` needs at least {min_samples} samples; got {x.shape[0]}.")
    return x


def _subsample(n: int, max_points: int, device) -> torch.Tensor:
    if n <= max_points:
        return torch.arange(n, device=device)
    return torch.linspace(0, n - 1, max_points, device=device).round().long()


def _gap(theiler: int, idx: torch.Tensor) -> int:
    """Theiler window in units of the subsampled index."""
    if theiler <= 0 or idx.numel() < 2:
        return 0
    stride = float(idx[1] - idx[0])
    return int(theiler // stride)


def _diameter(x: torch.Tensor) -> float:
    return float((x.amax(0) - x.amin(0)).norm()) or 1.0
