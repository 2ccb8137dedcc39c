"""Small two-dimensional data sets for flow-matching examples and benchmarks (generated)."""

from __future__ import annotations

import math

import torch

from attractor._core.validation import check_int, check_positive


def eight_gaussians(n: int, *, radius: float = 5.0, std: float = 0.1**0.25,
                    generator: torch.Generator | None = None, dtype=torch.float32) -> torch.Tensor:
    """``n`` points from 8 equal Gaussians on a circle of ``radius``; the defaults are
    torchcfm's ``sample_8gaussians`` (radius 5, covariance ``sqrt(0.1) I``)."""
    n = check_int("n", n)
    radius, std = check_positive("radius", radius), check_positive("std", std)
    k = torch.randint(0, 8, (n,), generator=generator)
    angle = k.to(dtype) * (math.pi / 4)
    centres = radius * torch.stack([torch.cos(angle), torch.sin(angle)], -1)
    return centres + std * torch.randn(n, 2, generator=generator, dtype=dtype)


def two_moons(n: int, *, noise: float = 0.2, generator: torch.Generator | None = None,
              dtype=torch.float32) -> torch.Tensor:
    """``n`` points of two interleaved half circles with Gaussian noise, scaled by 3 and shifted
    by -1 as in torchcfm's ``sample_moons``."""
    n = check_int("n", n)
    noise = check_positive("noise", noise, allow_zero=True)
    upper = torch.rand(n, generator=generator, dtype=dtype) < 0.5
    theta = math.pi * torch.rand(n, generator=generator, dtype=dtype)
    x = torch.where(upper, torch.cos(theta), 1 - torch.cos(theta))
    y = torch.where(upper, torch.sin(theta), 0.5 - torch.sin(theta))
    pts = torch.stack([x, y], -1) + noise * torch.randn(n, 2, generator=generator, dtype=dtype)
    return 3 * pts - 1
