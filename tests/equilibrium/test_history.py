"""The histories behind Anderson and Broyden: iterates against dense per-sample references,
and reuse of pooled buffers between solves."""

import pytest
import torch

import attractor
from attractor.equilibrium import Anderson, Broyden
from attractor.equilibrium._history import _POOL, Ring

from .problems import D, contraction, tanh_layer


def _anderson_reference(f, z0, m, steps, lam):
    """Type-II Anderson, one sample at a time, in the difference form with a dense solve of
    the regularised normal equations over the filled history only."""
    zs = [z0]
    fs = [f(z0)]
    for k in range(steps):
        z, fz = zs[-1], fs[-1]
        r = fz - z
        if k == 0:
            new = fz
        else:
            lo = max(0, k - m)
            dR = torch.stack([(fs[i + 1] - zs[i + 1]) - (fs[i] - zs[i]) for i in range(lo, k)], 1)
            dF = torch.stack([fs[i + 1] - fs[i] for i in range(lo, k)], 1)
            G = dR.T @ dR
            G = G + lam * torch.diag(torch.diag(G))
            gamma = torch.linalg.solve(G, dR.T @ r)
            new = fz - dF @ gamma
        zs.append(new)
        fs.append(f(new))
    return zs


@pytest.mark.parametrize("m", [1, 3, 10])
def test_anderson_iterates_match_a_dense_reference(m):
    """Warm-up (history not yet full), wrap-around (oldest slot overwritten) and the
    one-row Gram update all reproduce the textbook iteration."""
    W, x = contraction(batch=3, n=6, norm=0.9)
    f = tanh_layer(W, x)
    steps = 7
    sol = attractor.fixed_point(
        f,
        torch.zeros(3, 6, dtype=D),
        solver=Anderson(m=m),
        tol=1e-300,
        max_steps=steps,
        trajectory=True,
        on_failure="status",
        backward="none",
    )
    for b in range(3):
        ref = _anderson_reference(tanh_layer(W, x[b]), torch.zeros(6, dtype=D), m, steps, 1e-10)
        for k, z in enumerate(sol.trajectory):
            torch.testing.assert_close(z[b], ref[k], rtol=1e-9, atol=1e-11)


def _broyden_reference(f, z0, steps):
    """Broyden's good method with a dense inverse update from H_0 = -I (one sample)."""
    n = z0.numel()
    H = -torch.eye(n, dtype=z0.dtype)
    z = z0
    r = f(z) - z
    zs = [z]
    for _ in range(steps):
        s = -H @ r
        z = z + s
        r_new = f(z) - z
        y = r_new - r
        Hy = H @ y
        H = H + torch.outer(s - Hy, s @ H) / (s @ Hy)
        r = r_new
        zs.append(z)
    return zs


def test_broyden_iterates_match_the_dense_update_while_memory_lasts():
    W, x = contraction(batch=2, n=5, norm=0.8, seed=1)
    f = tanh_layer(W, x)
    steps = 5
    sol = attractor.fixed_point(
        f,
        torch.zeros(2, 5, dtype=D),
        solver=Broyden(memory=8),
        tol=1e-300,
        max_steps=steps,
        trajectory=True,
        on_failure="status",
        backward="none",
    )
    for b in range(2):
        ref = _broyden_reference(tanh_layer(W, x[b]), torch.zeros(5, dtype=D), steps)
        for k, z in enumerate(sol.trajectory):
            torch.testing.assert_close(z[b], ref[k], rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("solver", ["anderson", "broyden"])
def test_pooled_buffers_are_cleared_between_solves(solver):
    """A second solve of a different problem with the same shapes (so it reuses the first
    solve's history memory) gives exactly what it gives in a fresh process state."""
    W1, x1 = contraction(batch=4, n=8, norm=0.9, seed=2)
    W2, x2 = contraction(batch=4, n=8, norm=0.9, seed=3)
    z0 = torch.zeros(4, 8, dtype=D)

    def solve(W, x):
        return attractor.fixed_point(
            tanh_layer(W, x), z0, solver=solver, tol=1e-10, backward="none"
        ).value

    with torch.no_grad():
        _POOL._free.clear()
        alone = solve(W2, x2)
        solve(W1, x1)
        assert _POOL._free, "the solve should have given its buffers back"
        again = solve(W2, x2)
    assert torch.equal(alone, again)


def test_nested_solves_do_not_share_a_pooled_buffer():
    """f itself runs a solve with the same shapes while the outer solve holds its history."""
    W, x = contraction(batch=3, n=5, norm=0.5, seed=4)
    inner_x = x.flip(0)

    def inner(z):
        return attractor.fixed_point(
            lambda u: torch.tanh(u @ W.T + inner_x + 0.1 * z), torch.zeros_like(z), tol=1e-12
        ).value

    def f(z):
        return torch.tanh(z @ W.T + x) + 0.1 * inner(z)

    with torch.no_grad():
        nested = attractor.fixed_point(f, torch.zeros(3, 5, dtype=D), tol=1e-10).value
    assert float((f(nested) - nested).norm(dim=1).max()) <= 1e-10
    # the same solve with the inner equilibrium computed independently (fresh buffers)
    with torch.no_grad():
        _POOL._free.clear()
        value = attractor.fixed_point(f, torch.zeros(3, 5, dtype=D), tol=1e-10).value
    assert torch.equal(nested, value)


def test_rings_are_not_pooled_while_autograd_records():
    like = torch.zeros(2, 3)
    with torch.enable_grad():
        ring = Ring(like, 4)
        data = ring.data
        del ring
    assert all(b is not data for b in _POOL._free)


def test_buffers_pooled_under_inference_mode_are_not_reused_outside_it():
    W, x = contraction(batch=3, n=5, norm=0.5, seed=5)
    f = tanh_layer(W, x)
    z0 = torch.zeros(3, 5, dtype=D)
    results = []
    for mode in (torch.inference_mode, torch.no_grad, torch.inference_mode, torch.no_grad):
        with mode():
            results.append(attractor.fixed_point(f, z0, tol=1e-10).value.clone())
    for value in results[1:]:
        assert torch.equal(value, results[0])
