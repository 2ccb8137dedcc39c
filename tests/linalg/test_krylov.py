"""Batched linear solvers against torch.linalg.solve, per-sample semantics and status codes."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from attractor import Status
from attractor.linalg import bicgstab, cg, dense_solve, gmres, materialize

D = torch.float64
SOLVERS = {"gmres": gmres, "bicgstab": bicgstab, "dense": dense_solve}


def nonsymmetric(batch, n, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*batch, n, n, generator=g, dtype=D) / n**0.5 + 2.0 * torch.eye(n, dtype=D)


def spd(batch, n, seed=0):
    A = nonsymmetric(batch, n, seed)
    return A @ A.transpose(-1, -2) + 0.5 * torch.eye(n, dtype=D)


def matvec_of(A):
    return lambda v: (A @ v.unsqueeze(-1)).squeeze(-1)


@pytest.mark.parametrize("name", sorted(SOLVERS))
@pytest.mark.parametrize("batch", [(), (5,), (2, 3)])
def test_matches_dense_solve(name, batch):
    n = 12
    A = nonsymmetric(batch, n)
    b = torch.randn(*batch, n, dtype=D)
    sol = SOLVERS[name](matvec_of(A), b, tol=1e-12, batch_ndim=len(batch))
    expected = torch.linalg.solve(A, b)
    assert sol.x.shape == b.shape
    assert (
        sol.status.shape == batch and sol.iterations.shape == batch and sol.residual.shape == batch
    )
    torch.testing.assert_close(sol.x, expected, atol=1e-9, rtol=1e-9)
    assert bool(sol.ok.all())
    true_residual = torch.linalg.vector_norm(b - matvec_of(A)(sol.x), dim=-1)
    assert bool((true_residual <= 1e-12 * torch.linalg.vector_norm(b, dim=-1) * 10).all())


@pytest.mark.parametrize("batch", [(), (4,)])
def test_cg_matches_dense_solve_on_spd(batch):
    A = spd(batch, 15)
    b = torch.randn(*batch, 15, dtype=D)
    sol = cg(matvec_of(A), b, tol=1e-12, batch_ndim=len(batch))
    torch.testing.assert_close(sol.x, torch.linalg.solve(A, b), atol=1e-9, rtol=1e-9)
    assert bool(sol.ok.all())


def test_trailing_feature_dims_are_flattened():
    # state (B, 3, 4): each sample is a 12-vector; the matvec acts on the (3, 4) block
    A = nonsymmetric((6,), 12)
    b = torch.randn(6, 3, 4, dtype=D)
    sol = gmres(lambda v: (A @ v.reshape(6, 12, 1)).reshape(6, 3, 4), b, tol=1e-12)
    expected = torch.linalg.solve(A, b.reshape(6, 12)).reshape(6, 3, 4)
    torch.testing.assert_close(sol.x, expected, atol=1e-9, rtol=1e-9)


def test_restarted_gmres_converges_and_counts_iterations():
    A = nonsymmetric((3,), 40, seed=1)
    b = torch.randn(3, 40, dtype=D)
    full = gmres(matvec_of(A), b, tol=1e-10, restart=40)
    short = gmres(matvec_of(A), b, tol=1e-10, restart=4)
    torch.testing.assert_close(short.x, full.x, atol=1e-8, rtol=1e-8)
    assert bool(short.ok.all())
    # restarting never helps the iteration count of full GMRES (which is optimal per step)
    assert bool((short.iterations >= full.iterations).all())


def test_gmres_exact_in_n_steps_for_small_systems():
    # without restarts GMRES is exact after n steps (Saad & Schultz 1986)
    A = nonsymmetric((4,), 6)
    b = torch.randn(4, 6, dtype=D)
    sol = gmres(matvec_of(A), b, tol=1e-13, restart=6)
    assert bool((sol.iterations <= 6).all())
    torch.testing.assert_close(sol.x, torch.linalg.solve(A, b), atol=1e-10, rtol=1e-10)


@pytest.mark.parametrize("name", ["gmres", "bicgstab"])
def test_max_iters_reports_max_steps(name):
    A = nonsymmetric((2,), 30, seed=3)
    b = torch.randn(2, 30, dtype=D)
    sol = SOLVERS[name](matvec_of(A), b, tol=1e-14, max_iters=2)
    assert (sol.status == int(Status.MAX_STEPS)).all()
    assert bool((sol.residual > 0).all())


def test_initial_guess_and_zero_rhs_take_no_iterations():
    A = nonsymmetric((3,), 8)
    b = torch.randn(3, 8, dtype=D)
    exact = torch.linalg.solve(A, b)
    for solve in (gmres, bicgstab):
        sol = solve(matvec_of(A), b, exact, tol=1e-8)
        assert (sol.iterations == 0).all() and bool(sol.ok.all())
        zero = solve(matvec_of(A), torch.zeros_like(b), tol=1e-8)
        assert (zero.x == 0).all() and (zero.iterations == 0).all() and bool(zero.ok.all())


def test_per_sample_convergence_freezes_finished_samples():
    # sample 0 is the identity (1 step); sample 1 needs many: each reports its own count
    n = 10
    A = torch.stack([torch.eye(n, dtype=D), nonsymmetric((), n, seed=4)])
    b = torch.randn(2, n, dtype=D)
    sol = gmres(matvec_of(A), b, tol=1e-12, restart=n)
    assert int(sol.iterations[0]) == 1 and int(sol.iterations[1]) > 1
    torch.testing.assert_close(sol.x, torch.linalg.solve(A, b), atol=1e-10, rtol=1e-10)


@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(0, 2**16),
    batch=st.integers(1, 4),
    name=st.sampled_from(["gmres", "bicgstab", "cg"]),
)
def test_batch_equals_per_sample(seed, batch, name):
    n = 7
    A = spd((batch,), n, seed) if name == "cg" else nonsymmetric((batch,), n, seed)
    b = torch.randn(batch, n, dtype=D, generator=torch.Generator().manual_seed(seed))
    solve = {"gmres": gmres, "bicgstab": bicgstab, "cg": cg}[name]
    together = (
        solve(matvec_of(A), b, tol=1e-10, restart=3)
        if name == "gmres"
        else solve(matvec_of(A), b, tol=1e-10)
    )
    for i in range(batch):
        kwargs = {"restart": 3} if name == "gmres" else {}
        alone = solve(matvec_of(A[i]), b[i], tol=1e-10, **kwargs)
        torch.testing.assert_close(together.x[i], alone.x, atol=1e-12, rtol=1e-10)
        assert int(together.iterations[i]) == int(alone.iterations)
        assert int(together.status[i]) == int(alone.status)


def test_cg_detects_indefinite_matrix():
    A = torch.diag(torch.tensor([1.0, -1.0, 2.0], dtype=D))
    b = torch.tensor([1.0, 1.0, 1.0], dtype=D)
    sol = cg(matvec_of(A), b, tol=1e-12)
    assert int(sol.status) == int(Status.BREAKDOWN)


def test_dense_solve_reports_singular_matrix():
    A = torch.stack([torch.eye(3, dtype=D), torch.zeros(3, 3, dtype=D)])
    b = torch.ones(2, 3, dtype=D)
    sol = dense_solve(matvec_of(A), b)
    assert sol.status.tolist() == [int(Status.SUCCESS), int(Status.LINEAR_SOLVE_FAILED)]


def test_nonfinite_matvec_is_reported():
    b = torch.ones(2, 4, dtype=D)
    sol = gmres(lambda v: v * torch.tensor([[1.0], [float("nan")]], dtype=D), b, tol=1e-10)
    assert sol.status.tolist() == [int(Status.SUCCESS), int(Status.NONFINITE)]
    assert torch.isfinite(sol.x[0]).all()


def test_materialize_builds_per_sample_matrices():
    A = nonsymmetric((3,), 5)
    M = materialize(matvec_of(A), 3, 5, torch.zeros(3, 5, dtype=D))
    torch.testing.assert_close(M, A)

    # a map vmap cannot batch (data-dependent Python control flow) falls back to a loop
    def stubborn(v):
        if float(v.abs().sum()) >= 0:
            return matvec_of(A)(v)
        return v

    torch.testing.assert_close(materialize(stubborn, 3, 5, torch.zeros(3, 5, dtype=D)), A)


def test_gmres_is_differentiable_when_autograd_records():
    A = nonsymmetric((2,), 5).requires_grad_()
    b = torch.randn(2, 5, dtype=D, requires_grad=True)
    x = gmres(matvec_of(A), b, tol=1e-13, restart=5).x
    grads = torch.autograd.grad(x.square().sum(), (A, b))
    expected = torch.autograd.grad(torch.linalg.solve(A, b).square().sum(), (A, b))
    for got, want in zip(grads, expected):
        torch.testing.assert_close(got, want, atol=1e-8, rtol=1e-7)


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: gmres(1.0, torch.ones(3)), TypeError, "`matvec` must be callable"),
        (lambda: gmres(lambda v: v, [1.0, 2.0]), TypeError, "`b` must be a torch.Tensor"),
        (
            lambda: gmres(lambda v: v, torch.ones(3), torch.ones(4)),
            ValueError,
            "`x0` must have the shape",
        ),
        (lambda: gmres(lambda v: v, torch.ones(3), tol=-1.0), ValueError, "`tol`"),
        (lambda: gmres(lambda v: v, torch.ones(3), tol="small"), TypeError, "`tol`"),
        (lambda: gmres(lambda v: v, torch.ones(3), restart=0), ValueError, "`restart`"),
        (lambda: gmres(lambda v: v[:2], torch.ones(3)), ValueError, "`matvec` must return"),
        (lambda: cg(lambda v: v, torch.ones(3), max_iters=0), ValueError, "`max_iters`"),
        (
            lambda: bicgstab(lambda v: v, torch.tensor([1.0, float("inf")])),
            ValueError,
            "`b` must be finite",
        ),
        (
            lambda: dense_solve(lambda v: v, torch.ones(2, 3), batch_ndim=3),
            ValueError,
            "`batch_ndim`",
        ),
    ],
)
def test_bad_input_names_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()
