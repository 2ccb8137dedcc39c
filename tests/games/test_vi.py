"""Extragradient and Halpern iterations on monotone VIs: last-iterate convergence."""

import pytest
import torch

from attractor.games import (
    bilinear_saddle,
    extragradient,
    game_operator,
    halpern,
    nash_equilibria,
    project_simplex,
    solve_vi,
    zero_sum_game,
)

T64 = {"dtype": torch.float64}


def _bilinear(seed=0, n=4):
    """A bilinear saddle with singular values in [1, 2] (saddle point 0) and a start."""
    g = torch.Generator().manual_seed(seed)
    Q, _ = torch.linalg.qr(torch.randn(n, n, generator=g, **T64))
    A = Q * torch.linspace(1.0, 2.0, n, **T64)
    z0 = torch.randn(2 * n, generator=g, **T64)
    return A, z0, 0.5 / float(torch.linalg.matrix_norm(A, 2))


def test_gradient_descent_ascent_diverges_but_extragradient_converges():
    A, z0, eta = _bilinear()
    F = bilinear_saddle(A)
    z = z0.clone()
    for _ in range(500):  # simultaneous gradient descent-ascent spirals out
        z = z - eta * F(z)
    assert float(z.norm()) > 2 * float(z0.norm())
    sol = extragradient(F, z0, step_size=eta, tol=1e-9, max_steps=2000, trajectory=True)
    distances = torch.stack([z.norm() for z in sol.trajectory])  # the saddle point is 0
    assert float(distances[-1]) < 1e-6
    # the last iterate contracts: distance to the solution never increases (Korpelevich)
    assert bool((distances[1:] <= distances[:-1] + 1e-12).all())


def test_halpern_residual_rate():
    A, z0, eta = _bilinear(seed=1)
    sol = halpern(bilinear_saddle(A), z0, step_size=eta, tol=1e-30, max_steps=2000, trajectory=True, on_failure="status")
    T = lambda z: z - eta * bilinear_saddle(A)(z - eta * bilinear_saddle(A)(z))
    residual = [float((T(z) - z).norm()) for z in sol.trajectory]
    # Lieder (2021): ||T z_k - z_k|| <= 2 ||z_0 - z*|| / (k + 1) for nonexpansive T
    for k in (10, 100, 1000):
        assert residual[k] <= 2 * float(z0.norm()) / (k + 1) + 1e-12
    assert float(sol.trajectory[-1].norm()) < 0.05


@pytest.mark.parametrize("method, steps, tol", [("extragradient", 5000, 1e-6), ("halpern", 400, 0.05)])
def test_zero_sum_game_solution_matches_lp(method, steps, tol):
    game = zero_sum_game(3, seed=4, dtype=torch.float64)
    F, project = game_operator(game)
    z0 = torch.cat([torch.tensor([1.0, 0.0, 0.0], **T64), torch.tensor([0.0, 0.0, 1.0], **T64)])
    sol = solve_vi(F, z0, project=project, method=method, step_size=0.5, tol=1e-10, max_steps=steps,
                   on_failure="status")
    x, y = sol.value[:3], sol.value[3:]
    assert float(game.deviation_gains((x, y)).sum()) < tol
    (xl, yl), = nash_equilibria(game, "lp")
    value = float(xl @ game.payoffs[0] @ yl)
    assert float(x @ game.payoffs[0] @ y) == pytest.approx(value, abs=tol)


def test_simplex_projection():
    v = torch.tensor([[0.2, 0.3, 0.5], [2.0, 0.0, -1.0], [0.4, 0.4, 0.4]], **T64)
    p = project_simplex(v)
    assert torch.allclose(p[0], v[0]) and torch.allclose(p[1], torch.tensor([1.0, 0.0, 0.0], **T64))
    assert torch.allclose(p[2], torch.full((3,), 1 / 3, **T64))
    # optimality: <v - p, q - p> <= 0 for every vertex q of the simplex
    for q in torch.eye(3, **T64):
        assert bool(((v - p) * (q - p)).sum(-1).max() <= 1e-12)


def test_bad_arguments():
    A, z0, _ = _bilinear()
    with pytest.raises(ValueError, match="method"):
        solve_vi(bilinear_saddle(A), z0, method="gda")
    with pytest.raises(ValueError, match="step_size"):
        solve_vi(bilinear_saddle(A), z0, step_size=0.0)
