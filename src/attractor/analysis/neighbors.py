"""Neighbour searches: pairwise-distance histograms (brute force on the data's device, in row
chunks so memory stays ``O(chunk × N)``) for correlation sums, and nearest neighbours with a
Theiler window (a KD-tree, or brute force on a GPU) for Rosenstein's method and false
nearest neighbours."""

from __future__ import annotations

import numpy as np
import torch
from scipy.spatial import cKDTree

from attractor._core.validation import check_choice

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
    method: str = "auto",
):
    """Index and distance of each query point's nearest neighbour among points more than
    ``exclude`` samples away in time (a Theiler window; 0 excludes only the point itself).

    ``queries`` are indices into ``x`` (default: every point); ``candidates`` limits the
    neighbours to the first ``candidates`` points (so that a neighbour can be followed
    forward in time). Returns ``(index, distance)`` of the queries' shape; a query without
    admissible neighbour gets index -1 and distance inf.

    ``method``: ``"kdtree"`` (SciPy's ``cKDTree``, O(N log N); the states are copied to the
    host for the search), ``"brute"`` (all pairwise distances in row chunks on the data's
    device, O(N²)) or ``"auto"``: the KD-tree for CPU tensors, brute force elsewhere (a GPU
    does the pairwise work quickly, and nothing is moved off it). Both give the same
    neighbours; distances are recomputed from the chosen pairs in ``x``'s dtype, so they are
    the same too and carry gradients.
    """
    method = check_choice("method", method, ["auto", "kdtree", "brute"])
    if method == "auto":
        method = "kdtree" if x.device.type == "cpu" else "brute"
    m = x.shape[0] if candidates is None else candidates
    queries = torch.arange(x.shape[0], device=x.device) if queries is None else queries
    search = _kdtree_nearest if method == "kdtree" else _brute_nearest
    idx = search(x.detach(), m, queries, exclude)
    found = idx >= 0
    dist = (x[queries] - x[idx.clamp_min(0)]).norm(dim=-1)
    return idx, torch.where(found, dist, torch.full_like(dist, float("inf")))


def _brute_nearest(x: torch.Tensor, m: int, queries: torch.Tensor, exclude: int) -> torch.Tensor:
    cols = torch.arange(m, device=x.device)
    idx = torch.empty(queries.numel(), dtype=torch.long, device=x.device)
    for start in range(0, queries.numel(), _CHUNK):
        rows = queries[start : start + _CHUNK]
        d = torch.cdist(x[rows], x[:m])
        band = (cols.unsqueeze(0) - rows.unsqueeze(1)).abs() <= exclude
        best, arg = d.masked_fill(band, float("inf")).min(dim=1)
        idx[start : start + rows.numel()] = torch.where(torch.isfinite(best), arg, torch.full_like(arg, -1))
    return idx


def _kdtree_nearest(x: torch.Tensor, m: int, queries: torch.Tensor, exclude: int) -> torch.Tensor:
    """The nearest admissible neighbour from a KD-tree: ask for the k nearest points and take
    the first outside the Theiler window; queries whose k nearest all lie inside it ask again
    with k doubled, until k exceeds the window (2·exclude + 1 points), which guarantees an
    admissible neighbour if one exists."""
    pts = x[:m].to(torch.float64).cpu().numpy()
    q = queries.cpu().numpy()
    if m == 0:
        return torch.full(queries.shape, -1, dtype=torch.long, device=queries.device)
    qpts = x[queries].to(torch.float64).cpu().numpy()
    tree = cKDTree(pts)
    out = np.full(q.shape[0], -1, dtype=np.int64)
    todo = np.arange(q.shape[0])
    k, k_max = min(m, 8), min(m, 2 * exclude + 2)
    while todo.size:
        _, nn = tree.query(qpts[todo], k=k, workers=torch.get_num_threads())
        nn = nn.reshape(todo.size, -1)  # k = 1 gives a flat array
        ok = (np.abs(nn - q[todo, None]) > exclude) & (nn < m)  # nn == m: fewer than k points
        hit = ok.any(1)
        out[todo[hit]] = nn[hit, ok[hit].argmax(1)]
        if k >= k_max:
            break
        todo, k = todo[~hit], min(2 * k, k_max)
    return torch.from_numpy(out).to(queries.device)
