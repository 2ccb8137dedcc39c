"""Adaptive step-doubling on a Brownian tree: error control works and rejections reuse the path."""

import pytest
import torch

import attractor

from .helpers import F64, gbm_diffusion, gbm_drift, gbm_exact, gbm_tree

T = torch.tensor([0.0, 0.5, 1.0], dtype=F64)


@pytest.mark.parametrize("solver", ["euler", "milstein"])
def test_adaptive_error_decreases_with_tolerance(solver):
    n = 200
    bm = gbm_tree(n, seed=5)
    bm.tol = 2.0**-20
    y0 = torch.ones(n, 1, dtype=F64)
    exact = gbm_exact(y0, bm(1.0))
    errors, steps = [], []
    for tol in (1e-2, 1e-3):
        sol = attractor.sdeint(gbm_drift, gbm_diffusion, y0, T, adaptive=True, rtol=tol, atol=tol,
                               solver=solver, bm=bm, dt=0.1)
        errors.append(float((sol.ys[-1] - exact).abs().mean()))
        steps.append(sol.stats["accepted"])
        assert sol.stats["rejected"] > 0  # the controller did reject and retry
    assert errors[1] < 0.6 * errors[0]
    assert steps[1] > steps[0]


def test_adaptive_matches_fixed_on_same_tree():
    """A tight adaptive solve lands near a fine fixed-step solve driven by the same tree."""
    n = 50
    bm = gbm_tree(n, seed=6)
    y0 = torch.ones(n, 1, dtype=F64)
    fine = attractor.sdeint(gbm_drift, gbm_diffusion, y0, T, dt=2.0**-10, solver="milstein",
                            bm=bm).ys
    loose, tight = (attractor.sdeint(gbm_drift, gbm_diffusion, y0, T, adaptive=True, rtol=tol,
                                     atol=tol, solver="milstein", bm=bm).ys for tol in (1e-2, 1e-4))
    assert float((tight - fine).abs().mean()) < 2e-3
    assert float((tight - fine).abs().mean()) < 0.2 * float((loose - fine).abs().mean())


def test_adaptive_reports_too_small_steps():
    def stiff(t, y):
        return -1e6 * y**3

    with pytest.raises(attractor.ConvergenceError):
        attractor.sdeint(stiff, lambda t, y: torch.ones_like(y), torch.ones(2, 1, dtype=F64), T,
                         adaptive=True, rtol=1e-8, atol=1e-8, dt_min=1e-4, seed=0)


def test_adaptive_rejects_reversible_adjoint():
    with pytest.raises(ValueError, match="adaptive"):
        attractor.sdeint(gbm_drift, gbm_diffusion, torch.ones(2, 1), T, adaptive=True,
                         adjoint="reversible", sde_type="stratonovich")


def test_adaptive_backsolve_adjoint_matches_direct_backprop():
    """The stochastic adjoint retraces the accepted half-step grid: its gradients approach
    those of backpropagating through the adaptive solve as the tolerance tightens."""
    from attractor.sde import BrownianTree

    g = torch.Generator().manual_seed(1)
    w = (0.5 * torch.randn(2, 2, dtype=F64, generator=g)).requires_grad_()
    c = torch.randn(2, dtype=F64, generator=g).requires_grad_()
    y0 = torch.randn(3, 2, dtype=F64, generator=g).requires_grad_()

    def drift(t, y):
        return torch.tanh(y @ w)

    def diffusion(t, y):
        return 0.3 * torch.sigmoid(c * y)

    errors = []
    for tol in (1e-3, 1e-5):
        grads = {}
        for adjoint in ("direct", "backsolve"):
            bm = BrownianTree(0.0, 1.0, (3, 2), seed=3, dtype=F64, tol=2.0**-16)
            sol = attractor.sdeint(drift, diffusion, y0, T, adaptive=True, rtol=tol, atol=tol,
                                   sde_type="stratonovich", solver="heun", bm=bm, adjoint=adjoint)
            loss = (sol.ys**2).sum()
            grads[adjoint] = torch.autograd.grad(loss, (y0, w, c))
        assert sol.stats["nfe_backward"] > 0
        errors.append(max(float((a - b).abs().max() / b.abs().max())
                          for a, b in zip(grads["backsolve"], grads["direct"])))
    assert errors[1] < 1e-4 and errors[1] < 0.5 * errors[0]
