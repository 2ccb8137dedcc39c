"""Brownian paths and trees: reproducibility in any query order, and the right law."""

import itertools
import math

import pytest
import torch

from attractor.sde import BrownianPath, BrownianTree, space_space_levy_area

F64 = torch.float64


def grid(n, t0=0.0, t1=1.0):
    return torch.linspace(t0, t1, n + 1, dtype=F64)


@pytest.mark.parametrize("levy", ["none", "space-time"])
def test_tree_same_increments_in_any_query_order(levy):
    ts = grid(40).tolist()
    first = BrownianTree(0.0, 1.0, (7, 3), seed=11, dtype=F64, levy_area=levy)
    forward = [first.increment(a, b) for a, b in itertools.pairwise(ts)]
    second = BrownianTree(0.0, 1.0, (7, 3), seed=11, dtype=F64, levy_area=levy, cache_size=4)
    order = torch.randperm(40).tolist()
    shuffled = {i: second.increment(ts[i], ts[i + 1]) for i in order}
    backward = [second.increment(a, b) for a, b in reversed(list(itertools.pairwise(ts)))][::-1]
    for i, inc in enumerate(forward):
        assert torch.equal(inc.dW, shuffled[i].dW) and torch.equal(inc.dW, backward[i].dW)
        if levy != "none":
            assert torch.equal(inc.H, shuffled[i].H) and torch.equal(inc.H, backward[i].H)


def test_tree_is_consistent_across_resolutions():
    tree = BrownianTree(0.0, 2.0, (5,), seed=3, dtype=F64, levy_area="space-time")
    coarse = tree.increment(0.3, 1.7)
    fine = tree.increments(torch.linspace(0.3, 1.7, 29, dtype=F64))
    assert torch.allclose(fine.dW.sum(0), coarse.dW, atol=1e-12)
    # the integral of W over [0.3, 1.7] assembled from the pieces equals the coarse one
    h = 1.4 / 28
    w_left = torch.cat([torch.zeros(1, 5, dtype=F64), fine.dW.cumsum(0)[:-1]])
    integral = (h * (w_left + fine.H + 0.5 * fine.dW)).sum(0)
    assert torch.allclose(integral, 1.4 * (coarse.H + 0.5 * coarse.dW), atol=1e-12)


def test_tree_different_seeds_differ_and_torchsde_style_call():
    a = BrownianTree(0.0, 1.0, (4,), seed=1, dtype=F64)
    b = BrownianTree(0.0, 1.0, (4,), seed=2, dtype=F64)
    assert not torch.equal(a(0.5), b(0.5))
    assert torch.equal(a(0.2, 0.7), a(0.7) - a(0.2))
    assert torch.equal(a(0.0), torch.zeros(4, dtype=F64))


@pytest.mark.parametrize("kind", ["tree", "path"])
def test_increments_mean_variance_and_levy_area(kind):
    n = 20000
    ts = torch.tensor([0.0, 0.1234, 0.3, 0.7771, 1.0], dtype=F64)
    if kind == "tree":
        bm = BrownianTree(0.0, 1.0, (n,), seed=5, dtype=F64, levy_area="space-time")
    else:
        bm = BrownianPath(0.0, (n,), seed=5, dtype=F64, levy_area="space-time")
        bm.increments(torch.tensor([0.0, 1.0], dtype=F64))  # then bridge the interior
    inc = bm.increments(ts)
    h = ts.diff().unsqueeze(-1)
    tol = 5 / math.sqrt(n)  # ~5 standard errors
    assert (inc.dW.mean(-1) / h.squeeze(-1).sqrt()).abs().max() < tol
    assert ((inc.dW.var(-1) / h.squeeze(-1)) - 1).abs().max() < 5 * math.sqrt(2 / n)
    assert ((inc.H.var(-1) * 12 / h.squeeze(-1)) - 1).abs().max() < 5 * math.sqrt(2 / n)
    corr = (inc.dW * inc.H).mean(-1) / (inc.dW.std(-1) * inc.H.std(-1))
    assert corr.abs().max() < tol
    # disjoint increments are uncorrelated
    c = (inc.dW[0] * inc.dW[1]).mean() / (inc.dW[0].std() * inc.dW[1].std())
    assert abs(float(c)) < tol


def test_path_replays_stored_values_and_bridges_between():
    bm = BrownianPath(0.0, (3,), seed=0, dtype=F64)
    w1 = bm(1.0)
    w_half = bm(0.5)
    assert len(bm) == 3
    assert torch.equal(bm(1.0), w1) and torch.equal(bm(0.5), w_half)
    assert torch.equal(bm.increment(0.5, 1.0).dW, w1 - w_half)
    # reversed increments are the negatives
    assert torch.equal(bm.increment(1.0, 0.5).dW, -(w1 - w_half))


def test_path_grid_extension_is_one_draw_and_reproducible():
    ts = grid(100)
    a = BrownianPath(0.0, (8, 2), seed=9, dtype=F64).increments(ts).dW
    b = BrownianPath(0.0, (8, 2), seed=9, dtype=F64).increments(ts).dW
    assert a.shape == (100, 8, 2) and torch.equal(a, b)


def test_from_increments_reproduces_given_noise():
    ts = grid(10)
    dW = torch.randn(10, 4, dtype=F64)
    bm = BrownianPath.from_increments(ts, dW)
    assert torch.allclose(bm.increments(ts).dW, dW, atol=1e-14)
    with pytest.raises(ValueError, match="increments"):
        BrownianPath.from_increments(ts, dW[:5])


def test_bad_queries_raise():
    tree = BrownianTree(0.0, 1.0, (2,), seed=0)
    with pytest.raises(ValueError, match="outside its domain"):
        tree(1.5)
    with pytest.raises(ValueError, match="empty interval"):
        tree.increment(0.5, 0.5)
    with pytest.raises(ValueError, match="levy_area"):
        BrownianTree(0.0, 1.0, (2,), levy_area="full")
    with pytest.raises(ValueError, match="t1"):
        BrownianTree(1.0, 0.0, (2,))


def _fine_areas(n_paths, n_steps, gen):
    dt = 1.0 / n_steps
    dW = torch.randn(n_paths, n_steps, 2, dtype=F64, generator=gen) * math.sqrt(dt)
    W = dW.cumsum(1)
    W_prev = W - dW
    mid = W_prev + 0.5 * dW
    A = 0.5 * ((mid[..., 0] * dW[..., 1]).sum(1) - (mid[..., 1] * dW[..., 0]).sum(1))
    H = (0.5 * (W_prev + W)).sum(1) * dt - 0.5 * W[:, -1]
    return W[:, -1], H, A


@pytest.mark.parametrize("kind", ["davie", "foster"])
def test_levy_area_approximations_match_mean_and_variance(kind):
    gen = torch.Generator().manual_seed(0)
    W, H, A = _fine_areas(20000, 200, gen)
    z = torch.randn(20000, 2, 2, dtype=F64, generator=gen)
    approx = space_space_levy_area(W, H, 1.0, z, kind)[:, 0, 1]
    assert torch.allclose(space_space_levy_area(W, H, 1.0, z, kind).transpose(-1, -2),
                          -space_space_levy_area(W, H, 1.0, z, kind))
    # variance of the true area is h^2/4; both approximations match it
    assert abs(float(A.var()) - 0.25) < 0.02
    assert abs(float(approx.var()) - 0.25) < 0.02
    # the conditional mean H_i W_j - W_i H_j explains the same part of A in both
    mean = H[:, 0] * W[:, 1] - W[:, 0] * H[:, 1]
    assert abs(float(((A - mean) ** 2).mean()) - 1 / 12) < 0.006


def test_foster_conditional_variance_formula():
    """E[(A - mean)^2 | H] = h^2/20 + (h/5)(H_i^2 + H_j^2) (Foster's thesis), checked by regression."""
    gen = torch.Generator().manual_seed(1)
    W, H, A = _fine_areas(40000, 200, gen)
    resid2 = (A - (H[:, 0] * W[:, 1] - W[:, 0] * H[:, 1])) ** 2
    X = torch.stack([torch.ones_like(A), H[:, 0] ** 2 + H[:, 1] ** 2], 1)
    coef = torch.linalg.lstsq(X, resid2.unsqueeze(-1)).solution.squeeze(-1)
    assert abs(float(coef[0]) - 1 / 20) < 0.006
    assert abs(float(coef[1]) - 1 / 5) < 0.03
