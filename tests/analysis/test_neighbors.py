"""Nearest neighbours with a Theiler window: the KD-tree search equals brute force."""

from __future__ import annotations

import functools

import numpy as np
import pytest
import torch

from attractor.analysis import embedding, false_nearest_neighbors
from attractor.analysis.neighbors import nearest_neighbors


def _exact(x: np.ndarray, exclude: int, m: int, queries: np.ndarray):
    """The definition, by the full distance matrix in NumPy."""
    d = np.linalg.norm(x[queries, None, :] - x[None, :m, :], axis=-1)
    d[np.abs(np.arange(m)[None, :] - queries[:, None]) <= exclude] = np.inf
    idx = d.argmin(1)
    best = d[np.arange(len(queries)), idx]
    return np.where(np.isfinite(best), idx, -1), best


@pytest.mark.parametrize("exclude", [0, 1, 7, 40])
@pytest.mark.parametrize("dim", [1, 3])
def test_kdtree_equals_brute_force(exclude, dim):
    g = torch.Generator().manual_seed(exclude + dim)
    # a random walk: time neighbours are space neighbours, so the window matters
    x = torch.randn(300, dim, generator=g, dtype=torch.float64).cumsum(0) * 0.1
    queries = torch.arange(300)
    ref_idx, ref_dist = _exact(x.numpy(), exclude, 300, queries.numpy())
    for method in ("kdtree", "brute"):
        idx, dist = nearest_neighbors(x, exclude=exclude, method=method)
        np.testing.assert_array_equal(idx.numpy(), ref_idx)
        np.testing.assert_allclose(dist.numpy(), ref_dist, rtol=1e-12)


def test_candidates_queries_and_no_admissible_neighbour():
    g = torch.Generator().manual_seed(5)
    x = torch.randn(120, 2, generator=g, dtype=torch.float64)
    queries = torch.tensor([0, 5, 50, 99, 119])
    ref_idx, ref_dist = _exact(x.numpy(), 3, 80, queries.numpy())
    idx, dist = nearest_neighbors(x, exclude=3, candidates=80, queries=queries, method="kdtree")
    np.testing.assert_array_equal(idx.numpy(), ref_idx)
    np.testing.assert_allclose(dist.numpy(), ref_dist, rtol=1e-12)
    # a window covering every candidate leaves none: index -1, distance inf
    idx, dist = nearest_neighbors(x[:10], exclude=20, method="kdtree")
    assert (idx == -1).all() and torch.isinf(dist).all()


def test_false_nearest_neighbours_unchanged_by_the_search(lorenz_series, monkeypatch):
    x = lorenz_series[:2000, 0]
    fast = false_nearest_neighbors(x, 9, max_dim=4)
    brute = functools.partial(nearest_neighbors, method="brute")
    monkeypatch.setattr(embedding, "nearest_neighbors", brute)
    torch.testing.assert_close(false_nearest_neighbors(x, 9, max_dim=4), fast, rtol=0, atol=0)


def test_float32_and_gradients_follow_the_input():
    g = torch.Generator().manual_seed(1)
    x = torch.randn(50, 2, generator=g).requires_grad_(True)
    _, dist = nearest_neighbors(x, exclude=1)
    assert dist.dtype == torch.float32
    dist.sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()


def test_bad_method():
    with pytest.raises(ValueError, match="`method`"):
        nearest_neighbors(torch.zeros(5, 1), method="ball")
