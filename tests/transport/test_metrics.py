"""Sample distances."""

import math

import torch

import attractor.transport as tr


def test_wasserstein2_of_a_shift_is_the_shift():
    x = torch.randn(300, 2, generator=torch.Generator().manual_seed(0))
    c = torch.tensor([0.5, -1.0])
    assert abs(tr.wasserstein2(x, x + c) - float(c.norm())) < 1e-9
    assert tr.wasserstein2(x, x[torch.randperm(300)]) < 1e-12


def test_sliced_wasserstein_of_a_shift():
    """For a shift c, the projected W2^2 is (theta . c)^2, whose mean over the sphere is |c|^2 / d."""
    x = torch.randn(200, 3, generator=torch.Generator().manual_seed(0))
    c = torch.tensor([1.0, 2.0, -2.0])
    sw = tr.sliced_wasserstein(x, x + c, projections=20_000, generator=torch.Generator().manual_seed(1))
    assert abs(sw - float(c.norm()) / math.sqrt(3)) < 0.02


def test_mmd_separates_distributions():
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(500, 2, generator=g), torch.randn(500, 2, generator=g)
    same = tr.mmd(a, b)
    diff = tr.mmd(a, b + 1.0)
    assert abs(same) < 0.01 < diff
