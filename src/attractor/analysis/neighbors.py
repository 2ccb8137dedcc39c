"""Brute-force neighbour searches on the device of the data, in row chunks so memory stays
``O(chunk × N)``; used by correlation sums, Rosenstein's method and false nearest neighbours."""

from __future__ import annotations

import torch

_CHUNK = 1024


def pair_distance_counts(
    x: torch.Tensor, radii: torch.Tensor, *, min_separation: int = 0
) -> tuple[torch.Tensor, int]:
    """Histogram of pairwise Euclidean distances over the pairs ``i < j`` with
    ``j - i > min_separation``.

    Returns ``(counts, total)``: ``counts`` has ``len(radii) + 1`` bins, bin ``b`` holding the
    pairs with ``radii[b-1] < dist <= radii[b]`` (so ``counts.cumsum(0)[b]`` counts the pairs
    within ``radii[b]``), and ``total`` is the number of pairs considered.
    """
    n = x.shape[0]
    radii = radii.to(device=x.device, dtype=x.dtype)
    counts = torch.zeros(len(radii) + 1, dtype=torch.long, device=x.device)
    cols = torch.arange(n, device=x.device)
    for start in range(0, n, _CHUNK):
        rows = cols[start : start + _CHUNK]
        dist = torch.cdist(x[rows], x)
        keep = cols.unsqueeze(0) - rows.unsqueeze(1) > min_separation
        bins = torch.bucketize(dist[keep], radii)
        counts += torch.bincount(bins, minlength=len(radii) + 1)
    m = n - min_separation - 1
    total = m * (m + 1) // 2 if m > 0 else 0
    return counts, total


def nearest_neighbors(
    x: torch.Tensor,
    *,
    exclude: int = 0,
    candidates: int | None = None,
    queries: torch.Tensor | None = None,
):
    """Index and distance of each query point's nearest neighbour among points more than
    ``exclude`` samples away in time (a Theiler window; 0 excludes only the point itself).

    ``queries`` are indices into ``x`` (default: every point); ``candidates`` limits the
    neighbours to the first ``candidates`` points (so that a neighbour can be followed
    forward in time). Returns ``(index, distance)`` of the queries' shape; a query without
    admissible neighbour gets index -1 and distance inf.
    """
    m = x.shape[0] if candidates is None else candidates
    queries = torch.arange(x.shape[0], device=x.device) if queries is None else queries
    cols = torch.arange(m, device=x.device)
    idx = torch.empty(queries.numel(), dtype=torch.long, device=x.device)
    dist = torch.empty(queries.numel(), dtype=x.dtype, device=x.device)
    for start in range(0, queries.numel(), _CHUNK):
        rows = queries[start : start + _CHUNK]
        d = torch.cdist(x[rows], x[:m])
        band = (cols.unsqueeze(0) - rows.unsqueeze(1)).abs() <= exclude
        best, arg = d.masked_fill(band, float("inf")).min(dim=1)
        idx[start : start + rows.numel()] = torch.where(torch.isfinite(best), arg, torch.full_like(arg, -1))
        dist[start : start + rows.numel()] = best
    return idx, dist
