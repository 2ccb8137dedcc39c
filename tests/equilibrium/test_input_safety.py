"""The caller's tensors never change, coupled batches are detected, odd dtypes solve."""

import pytest
import torch

import attractor


def test_an_in_place_f_is_refused_and_z0_is_untouched():
    z0 = torch.ones(3, 2)
    with pytest.raises(ValueError, match="modified its input in place"):
        attractor.fixed_point(lambda q: q.mul_(0.5), z0)
    assert torch.equal(z0, torch.ones(3, 2))
    z1 = torch.ones(3, 2, requires_grad=True)
    with pytest.raises(ValueError, match="in place"):
        attractor.fixed_point(lambda q: q.mul_(0.5), z1)


def test_the_solution_does_not_share_storage_with_z0():
    z0 = torch.zeros(4, 3)
    sol = attractor.fixed_point(torch.cos, z0, tol=1e-8)
    sol.value.add_(1.0)
    assert torch.equal(z0, torch.zeros(4, 3))


def test_coupled_batches_are_detected():
    """Row 0 copies half of row 1, which converges slowly: row 0 'converges' early and is frozen,
    then row 1 keeps moving, and the frozen row 0 is no longer a fixed point."""
    x = torch.tensor([[1.0], [1.0]], dtype=torch.float64)

    def f(z):
        return torch.cat([x[:1] + 0.5 * z[1:], x[1:] + 0.95 * z[1:]])
    with pytest.raises(ValueError, match="batch_ndim=0"):
        attractor.fixed_point(f, torch.zeros(2, 1, dtype=torch.float64), solver="picard", tol=1e-8,
                              max_steps=2000)
    sol = attractor.fixed_point(f, torch.zeros(2, 1, dtype=torch.float64), solver="picard", tol=1e-8,
                                max_steps=2000, batch_ndim=0)
    torch.testing.assert_close(sol.value, torch.tensor([[11.0], [20.0]], dtype=torch.float64))


def test_uncoupled_staggered_batches_pass_the_check():
    a = torch.tensor([[0.1], [0.9]], dtype=torch.float64)  # contract at very different rates
    sol = attractor.fixed_point(lambda z: a * z + 1.0, torch.zeros(2, 1, dtype=torch.float64),
                                solver="picard", tol=1e-10, max_steps=1000)
    assert int(sol.steps[0]) < int(sol.steps[1])
    torch.testing.assert_close(sol.value, 1.0 / (1.0 - a))


@pytest.mark.parametrize("dtype", [torch.complex64, torch.float16, torch.bfloat16])
def test_newton_on_a_scalar_state_of_any_dtype(dtype):
    z0 = torch.tensor(0.3, dtype=dtype)
    sol = attractor.fixed_point(lambda z: 0.5 * z + 0.1, z0, solver="newton")
    assert sol.value.dtype == dtype and sol.value.shape == ()
    torch.testing.assert_close(sol.value, torch.tensor(0.2, dtype=dtype), rtol=1e-2, atol=1e-2)
