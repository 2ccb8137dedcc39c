"""Jacobian penalty (Hutchinson estimator) and fixed-point correction loss."""

import math

import pytest
import torch

from attractor.nn import fixed_point_correction_loss, jacobian_frobenius
from attractor.nn.correction import sample_indices


def _map(z, w, b):
    return torch.tanh(z @ w.T + b)


@pytest.mark.parametrize("distribution", ["rademacher", "normal"])
def test_hutchinson_is_unbiased(distribution):
    torch.manual_seed(1)
    d = 5
    w = torch.randn(d, d, dtype=torch.float64)
    b = torch.randn(d, dtype=torch.float64)
    z = torch.randn(d, dtype=torch.float64)
    jac = torch.autograd.functional.jacobian(lambda u: _map(u, w, b), z)
    exact = float(jac.pow(2).sum())
    # 20000 copies of the same point: the per-sample estimates are i.i.d. draws of the estimator
    n = 20000
    draws = jacobian_frobenius(_map, z.expand(n, d), (w, b), distribution=distribution, create_graph=False)
    mean, stderr = float(draws.mean()), float(draws.std() / math.sqrt(n))
    assert abs(mean - exact) < 4 * stderr
    # and the spread is the one theory predicts for each probe distribution
    a = jac @ jac.T
    var = 2 * (a.pow(2).sum() - a.diagonal().pow(2).sum()) if distribution == "rademacher" else 2 * a.pow(2).sum()
    assert float(draws.var()) == pytest.approx(float(var), rel=0.1)


def test_rademacher_estimate_is_exact_for_a_diagonal_jacobian_and_differentiable():
    # ||v^T D||^2 = sum_i v_i^2 d_i^2 = ||D||_F^2 for any ±1 probe
    diag = torch.tensor([0.5, -2.0, 3.0], dtype=torch.float64, requires_grad=True)
    z = torch.randn(4, 3, dtype=torch.float64)
    est = jacobian_frobenius(lambda u: u * diag, z, samples=3)
    torch.testing.assert_close(est, torch.full((4,), 13.25, dtype=torch.float64))
    (grad,) = torch.autograd.grad(est.sum(), diag)
    torch.testing.assert_close(grad, 4 * 2 * diag.detach())


def test_normalize_divides_by_state_size_and_batch_dims_are_respected():
    z = torch.randn(2, 3, 4, dtype=torch.float64)
    f = lambda u: 2.0 * u
    est = jacobian_frobenius(f, z)
    torch.testing.assert_close(est, torch.full((2,), 48.0, dtype=torch.float64))
    torch.testing.assert_close(jacobian_frobenius(f, z, normalize=True), torch.full((2,), 4.0, dtype=torch.float64))
    per_pair = jacobian_frobenius(f, z, batch_ndim=2)
    torch.testing.assert_close(per_pair, torch.full((2, 3), 16.0, dtype=torch.float64))
    unbatched = jacobian_frobenius(f, z[0, 0])
    assert unbatched.shape == () and float(unbatched) == pytest.approx(16.0)


def test_jacobian_frobenius_rejects_bad_input():
    z = torch.randn(2, 3)
    with pytest.raises(TypeError, match="`f`"):
        jacobian_frobenius(3.0, z)
    with pytest.raises(ValueError, match="samples"):
        jacobian_frobenius(torch.tanh, z, samples=0)
    with pytest.raises(ValueError, match="distribution"):
        jacobian_frobenius(torch.tanh, z, distribution="uniform")
    with pytest.raises(ValueError, match="batch shape"):
        jacobian_frobenius(lambda u: u.sum(), z)
    with pytest.raises(ValueError, match="`z`"):
        jacobian_frobenius(torch.tanh, torch.tensor([1.0, float("nan")]))


def test_correction_loss_weights_states_geometrically():
    states = [torch.tensor(1.0), torch.tensor(2.0), torch.tensor(4.0)]
    loss = fixed_point_correction_loss(lambda s: s, states, gamma=0.5)
    assert float(loss) == pytest.approx(0.25 * 1 + 0.5 * 2 + 4)
    assert float(fixed_point_correction_loss(lambda s: s, states[-1:], gamma=0.5)) == 4.0
    with pytest.raises(ValueError, match="states"):
        fixed_point_correction_loss(lambda s: s, [])
    with pytest.raises(ValueError, match="gamma"):
        fixed_point_correction_loss(lambda s: s, states, gamma=1.5)


def test_sample_indices_are_evenly_spread_and_in_range():
    assert sample_indices(10, 1) == [5]
    assert sample_indices(9, 2) == [3, 6]
    assert sample_indices(2, 5) == [0, 1]
    assert sample_indices(0, 3) == []
    for length in range(1, 30):
        for n in range(1, 6):
            idx = sample_indices(length, n)
            assert idx == sorted(set(idx)) and all(0 <= i < length for i in idx)
            assert len(idx) == min(n, length) or length < n
