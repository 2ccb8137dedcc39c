"""Spectral and weight normalization helpers."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from attractor.nn import SpectralNorm, add_spectral_norm, add_weight_norm, matrix_spectral_norm


@settings(max_examples=20, deadline=None)
@given(m=st.integers(1, 7), n=st.integers(1, 7), seed=st.integers(0, 2**16))
def test_matrix_spectral_norm_matches_torch(m, n, seed):
    torch.manual_seed(seed)
    # a separated top singular value, so that power iteration converges in the given steps
    u, _, vh = torch.linalg.svd(torch.randn(m, n, dtype=torch.float64), full_matrices=False)
    s = torch.linspace(3.0, 0.1, min(m, n), dtype=torch.float64)
    w = u @ torch.diag(s) @ vh
    torch.testing.assert_close(matrix_spectral_norm(w), torch.linalg.matrix_norm(w, ord=2))


def test_matrix_spectral_norm_batched_and_gradient():
    w = torch.randn(3, 6, 4, dtype=torch.float64, requires_grad=True)
    est = matrix_spectral_norm(w, n_iter=2000)
    exact = torch.linalg.matrix_norm(w, ord=2)
    torch.testing.assert_close(est, exact, rtol=1e-9, atol=0)
    (g_est,) = torch.autograd.grad(est.sum(), w)
    (g_exact,) = torch.autograd.grad(exact.sum(), w)
    torch.testing.assert_close(g_est, g_exact, rtol=1e-6, atol=1e-8)


def test_spectral_norm_clips_to_the_bound():
    lin = nn.Linear(6, 5).double()
    with torch.no_grad():
        lin.weight.mul_(10.0)
    add_spectral_norm(lin, bound=0.7, n_power_iterations=5)
    for _ in range(20):
        lin(torch.randn(2, 6, dtype=torch.float64))
    assert float(torch.linalg.matrix_norm(lin.weight.detach(), ord=2)) == pytest.approx(0.7, rel=1e-6)
    # the optimizer sees the unconstrained original, the module the constrained weight
    assert "parametrizations.weight.original" in dict(lin.named_parameters())


def test_spectral_norm_leaves_small_weights_alone_unless_not_clipping():
    lin = nn.Linear(4, 4, bias=False).double()
    with torch.no_grad():
        lin.weight.copy_(0.1 * torch.eye(4))
    before = lin.weight.detach().clone()
    add_spectral_norm(lin, bound=1.0)
    torch.testing.assert_close(lin.weight, before)
    scaled = add_spectral_norm(nn.Linear(4, 4, bias=False).double(), bound=2.0, clip=False)
    scaled.train()
    for _ in range(30):
        _ = scaled.weight
    assert float(torch.linalg.matrix_norm(scaled.weight.detach(), ord=2)) == pytest.approx(2.0, rel=1e-6)


def test_spectral_norm_of_a_convolution_bounds_the_reshaped_kernel():
    conv = add_spectral_norm(nn.Conv2d(3, 4, 3).double(), bound=0.5, n_power_iterations=10)
    for _ in range(10):
        _ = conv.weight
    assert float(torch.linalg.matrix_norm(conv.weight.detach().reshape(4, -1), ord=2)) <= 0.5 + 1e-9


def test_spectral_norm_does_not_update_in_eval_mode():
    lin = add_spectral_norm(nn.Linear(4, 4).double())
    sn: SpectralNorm = lin.parametrizations.weight[0]
    lin.eval()
    u = sn._u.clone()
    _ = lin.weight
    assert torch.equal(u, sn._u)


def test_weight_norm_keeps_the_weight_and_separates_scale():
    lin = nn.Linear(5, 3).double()
    before = lin.weight.detach().clone()
    add_weight_norm(lin)
    torch.testing.assert_close(lin.weight, before)
    direction = lin.parametrizations.weight.original0
    magnitude = lin.parametrizations.weight.original1
    assert magnitude.shape == (3, 1)
    with torch.no_grad():
        magnitude.fill_(2.0)
        direction.mul_(7.0)  # the direction's scale does not matter
    torch.testing.assert_close(lin.weight.norm(dim=1), torch.full((3,), 2.0, dtype=torch.float64))
    lin(torch.randn(2, 5, dtype=torch.float64)).sum().backward()
    assert direction.grad is not None and magnitude.grad is not None


def test_weight_norm_other_dim():
    conv = add_weight_norm(nn.Conv1d(2, 3, 4).double(), dim=1)
    torch.testing.assert_close(
        conv.weight.norm(dim=(0, 2)), conv.parametrizations.weight.original1.reshape(-1)
    )


def test_helpers_reject_bad_input():
    with pytest.raises(TypeError, match="module"):
        add_spectral_norm(torch.randn(3, 3))
    with pytest.raises(ValueError, match="bias"):
        add_spectral_norm(nn.Linear(3, 3), "bias")
    with pytest.raises(ValueError, match="kernel"):
        add_weight_norm(nn.Linear(3, 3), "kernel")
    with pytest.raises(ValueError, match="dim"):
        add_weight_norm(nn.Linear(3, 3), dim=2)
    with pytest.raises(ValueError, match="bound"):
        add_spectral_norm(nn.Linear(3, 3), bound=0.0)
    with pytest.raises(ValueError, match="n_power_iterations"):
        add_spectral_norm(nn.Linear(3, 3), n_power_iterations=0)
    with pytest.raises(ValueError, match="matrix"):
        matrix_spectral_norm(torch.randn(3))
