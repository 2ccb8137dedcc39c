"""Couplings: exact minibatch OT, entropic OT by Sinkhorn on the fixed-point core."""

import itertools

import pytest
import torch

import attractor.transport as tr


def test_exact_ot_is_the_optimal_permutation():
    g = torch.Generator().manual_seed(0)
    x0, x1 = torch.randn(7, 2, generator=g), torch.randn(7, 2, generator=g)
    labels = torch.arange(7)
    a, b, c = tr.ExactOTCoupling()(x0, x1, labels)
    assert a is x0
    cost = ((a - b) ** 2).sum()
    brute = min(((x0 - x1[list(p)]) ** 2).sum() for p in itertools.permutations(range(7)))
    assert abs(float(cost - brute)) < 1e-12
    torch.testing.assert_close(x1[c], b)  # labels travel with their samples


def test_pot_backend_finds_the_same_matching():
    pytest.importorskip("ot")
    g = torch.Generator().manual_seed(5)
    x0, x1 = torch.randn(64, 2, generator=g), torch.randn(64, 2, generator=g)
    _, a, _ = tr.ExactOTCoupling()(x0, x1)
    _, b, _ = tr.ExactOTCoupling(backend="pot")(x0, x1)
    torch.testing.assert_close(((x0 - a) ** 2).sum(), ((x0 - b) ** 2).sum())


def test_sinkhorn_marginals_batch_and_limit():
    g = torch.Generator().manual_seed(1)
    x, y = torch.randn(3, 20, 2, generator=g), torch.randn(3, 20, 2, generator=g) + 1
    C = torch.cdist(x, y) ** 2
    out = tr.sinkhorn(C, 0.2)
    torch.testing.assert_close(out.plan.sum(-1), torch.full((3, 20), 1 / 20), rtol=0, atol=1e-7)
    torch.testing.assert_close(out.plan.sum(-2), torch.full((3, 20), 1 / 20), rtol=0, atol=1e-7)
    alone = tr.sinkhorn(C[1], 0.2)
    torch.testing.assert_close(alone.plan, out.plan[1], rtol=0, atol=1e-8)
    # as reg -> 0 the cost approaches the exact OT cost (20 x 20 assignment)
    from scipy.optimize import linear_sum_assignment
    r, c = linear_sum_assignment(C[0].numpy())
    exact = float(C[0][r, c].mean())
    costs = [float((tr.sinkhorn(C[0], reg, max_steps=5000).plan * C[0]).sum()) for reg in (0.5, 0.1, 0.02)]
    assert costs[0] > costs[1] > costs[2] > exact - 1e-9 and costs[2] - exact < 0.02 * exact


def test_sinkhorn_matches_pot():
    ot = pytest.importorskip("ot")
    g = torch.Generator().manual_seed(2)
    C = torch.cdist(torch.randn(15, 3, generator=g), torch.randn(12, 3, generator=g)) ** 2
    a = torch.rand(15, generator=g) + 0.5
    b = torch.rand(12, generator=g) + 0.5
    ours = tr.sinkhorn(C, 0.3, a, b, tol=1e-12).plan
    theirs = ot.sinkhorn((a / a.sum()).numpy(), (b / b.sum()).numpy(), C.numpy(), 0.3, numItermax=100_000,
                         stopThr=1e-14)
    torch.testing.assert_close(ours, torch.as_tensor(theirs), rtol=1e-6, atol=1e-10)


def test_sinkhorn_coupling_draws_from_the_plan():
    g = torch.Generator().manual_seed(3)
    x0 = torch.randn(64, 2, generator=g)
    x1 = x0 + 0.01 * torch.randn(64, 2, generator=g)  # a near-identity optimal plan
    _, b, _ = tr.SinkhornCoupling(reg=1e-3)(x0, x1, generator=g)
    assert float((b - x1).abs().max()) < 1e-12  # small reg: each x0 meets its own partner
    _, b2, _ = tr.SinkhornCoupling(reg=100.0)(x0, x1, generator=g)
    assert int((b2 == x1).all(-1).sum()) < 20  # large reg: nearly independent


def test_data_dependent_coupling():
    x1 = torch.randn(5, 3)
    mask = torch.tensor([1.0, 0.0, 1.0])
    noise = torch.randn(5, 3)
    x0, y1, cond = tr.DataDependentCoupling(lambda x: x * mask, noise=0.1)(noise, x1)
    torch.testing.assert_close(x0, x1 * mask + 0.1 * noise)
    torch.testing.assert_close(cond, x1 * mask)
    assert y1 is x1
    with pytest.raises(ValueError, match="shaped like x1"):
        tr.DataDependentCoupling(lambda x: x[:, :1])(noise, x1)
