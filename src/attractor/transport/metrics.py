"""Distances between sample sets: exact W2 of small empirical measures, sliced Wasserstein, MMD."""

from __future__ import annotations

import math

import torch
from scipy.optimize import linear_sum_assignment

from attractor._core.validation import check_int, check_tensor
from attractor.transport import randomness


def _flat(name: str, x: torch.Tensor) -> torch.Tensor:
    x = check_tensor(name, x, min_dim=2)
    return x.reshape(x.shape[0], -1)


def wasserstein2(x: torch.Tensor, y: torch.Tensor) -> float:
    """The exact 2-Wasserstein distance between two empirical measures of equal size (the
    optimal matching by SciPy's ``linear_sum_assignment``; O(n^3), for n up to a few
    thousand)."""
    a, b = _flat("x", x), _flat("y", y)
    if a.shape != b.shape:
        raise ValueError(f"`x` and `y` must have the same shape; got {tuple(a.shape)} and {tuple(b.shape)}.")
    cost = torch.cdist(a.double(), b.double(), compute_mode="donot_use_mm_for_euclid_dist").pow(2).cpu().numpy()
    rows, cols = linear_sum_assignment(cost)
    return math.sqrt(float(cost[rows, cols].mean()))


def sliced_wasserstein(x: torch.Tensor, y: torch.Tensor, *, projections: int = 256, p: int = 2,
                       generator: torch.Generator | None = None) -> float:
    """``(E_theta W_p^p(theta^T x, theta^T y))^(1/p)`` over uniform directions on the sphere
    (Rabin et al. 2011), by sorting; ``x`` and ``y`` of equal size."""
    a, b = _flat("x", x), _flat("y", y)
    if a.shape != b.shape:
        raise ValueError(f"`x` and `y` must have the same shape; got {tuple(a.shape)} and {tuple(b.shape)}.")
    projections = check_int("projections", projections)
    theta = randomness.randn((a.shape[1], projections), dtype=a.dtype, device=a.device, generator=generator)
    theta = theta / theta.norm(dim=0, keepdim=True)
    pa, _ = torch.sort(a @ theta, 0)
    pb, _ = torch.sort(b @ theta, 0)
    return float((pa - pb).abs().pow(p).mean() ** (1.0 / p))


def mmd(x: torch.Tensor, y: torch.Tensor, *, bandwidths: tuple[float, ...] | None = None) -> float:
    """The unbiased squared maximum mean discrepancy (Gretton et al. 2012) with a sum of
    Gaussian kernels ``exp(-||u - v||^2 / (2 h^2))``; default bandwidths: the median pairwise
    distance times (0.5, 1, 2)."""
    a, b = _flat("x", x), _flat("y", y)
    if a.shape[1] != b.shape[1]:
        raise ValueError("`x` and `y` must have the same sample dimension.")
    n, m = a.shape[0], b.shape[0]
    if n < 2 or m < 2:
        raise ValueError("mmd needs at least two samples in each set.")
    d_aa, d_bb, d_ab = (torch.cdist(u, v).pow(2) for u, v in ((a, a), (b, b), (a, b)))
    if bandwidths is None:
        med = float(d_ab.sqrt().median())
        bandwidths = tuple(med * f for f in (0.5, 1.0, 2.0))

    def k(d):
        return sum(torch.exp(-d / (2 * h * h)) for h in bandwidths)
    k_aa, k_bb = k(d_aa), k(d_bb)
    term_aa = (k_aa.sum() - k_aa.diagonal().sum()) / (n * (n - 1))
    term_bb = (k_bb.sum() - k_bb.diagonal().sum()) / (m * (m - 1))
    return float(term_aa + term_bb - 2 * k(d_ab).mean())
