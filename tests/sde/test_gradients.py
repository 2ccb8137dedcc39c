"""Gradients: direct backprop, the reversible adjoint and the stochastic (backsolve) adjoint
pass gradcheck on a fixed path; the stochastic adjoint converges to direct backprop as
dt -> 0; reversible Heun reconstructs its trajectory."""

import pytest
import torch

import attractor
from attractor.sde import BrownianTree, ReversibleHeun
from attractor.sde.grid import make_grid, step_noise
from attractor.sde.terms import SDETerms

F64 = torch.float64
T = torch.tensor([0.0, 0.4, 1.0], dtype=F64)


def _fields(w, b, c):
    def drift(t, y):
        return torch.tanh(y @ w) + b * torch.cos(t)

    def diffusion(t, y):
        return 0.3 * torch.sigmoid(c * y)  # diagonal: g_i depends on y_i only

    return drift, diffusion


def _inputs():
    g = torch.Generator().manual_seed(0)
    y0 = torch.randn(3, 2, dtype=F64, generator=g).requires_grad_()
    w = (0.5 * torch.randn(2, 2, dtype=F64, generator=g)).requires_grad_()
    b = torch.randn(2, dtype=F64, generator=g).requires_grad_()
    c = torch.randn(2, dtype=F64, generator=g).requires_grad_()
    return y0, w, b, c


@pytest.mark.parametrize(
    ("solver", "sde_type", "adjoint"),
    [
        ("euler", "ito", "direct"),
        ("milstein", "ito", "direct"),
        ("srk", "ito", "direct"),
        ("heun", "stratonovich", "direct"),
        ("reversible_heun", "stratonovich", "reversible"),
    ],
)
def test_gradcheck_fixed_path(solver, sde_type, adjoint):
    bm = BrownianTree(0.0, 1.0, (3, 2), seed=4, dtype=F64,
                      levy_area="space-time" if solver == "srk" else "none")
    noise = "additive" if solver == "srk" else "diagonal"

    def solve(y0, w, b, c):
        drift, diffusion = _fields(w, b, c)
        if noise == "additive":
            def diffusion(t, y):  # state-independent, as SRA1 needs
                return 0.3 * torch.sigmoid(c * torch.sin(t) + 0 * y.detach())
        return attractor.sdeint(drift, diffusion, y0, T, dt=0.1, solver=solver, noise=noise,
                                sde_type=sde_type, bm=bm, adjoint=adjoint).ys

    assert torch.autograd.gradcheck(solve, _inputs())


def _grads(adjoint, solver, dt, sde_type="stratonovich", seed=0):
    y0, w, b, c = _inputs()
    drift, diffusion = _fields(w, b, c)
    bm = BrownianTree(0.0, 1.0, (3, 2), seed=seed, dtype=F64)
    sol = attractor.sdeint(drift, diffusion, y0, T, dt=dt, solver=solver, sde_type=sde_type,
                           bm=bm, adjoint=adjoint, adjoint_params=(w, b, c))
    loss = (sol.ys**2).sum() + sol.ys[1].sum()
    return torch.autograd.grad(loss, (y0, w, b, c)), sol


def _rel(a, b):
    return max(float((x - y).abs().max() / y.abs().max()) for x, y in zip(a, b))


def test_reversible_adjoint_equals_direct_backprop():
    direct, _ = _grads("direct", "reversible_heun", 0.05)
    reversible, sol = _grads("reversible", "reversible_heun", 0.05)
    assert _rel(reversible, direct) < 1e-10
    # one drift and one diffusion evaluation per step, both ways
    assert sol.stats["nfe_backward"] == 2 * sol.stats["steps"] + 2


def test_backsolve_adjoint_converges_to_direct():
    errors = []
    for dt in (0.05, 0.01, 0.002):
        direct, _ = _grads("direct", "heun", dt)
        backsolve, sol = _grads("backsolve", "heun", dt)
        errors.append(_rel(backsolve, direct))
    assert errors[0] < 1e-3 and errors[-1] < 1e-5
    assert errors[2] < errors[1] < errors[0]
    assert sol.stats["nfe_backward"] > 0


def test_backsolve_adjoint_ito_converts_drift():
    """Ito SDEs are differentiated through their Stratonovich form (drift correction)."""
    errors = []
    for dt in (0.02, 0.002):
        direct, _ = _grads("direct", "milstein", dt, sde_type="ito")
        backsolve, _ = _grads("backsolve", "milstein", dt, sde_type="ito")
        errors.append(_rel(backsolve, direct))
    assert errors[1] < 0.3 * errors[0] and errors[1] < 2e-3


def test_adjoint_finds_module_parameters_and_closures():
    net = torch.nn.Linear(2, 2).double()
    scale = torch.tensor(0.2, dtype=F64, requires_grad=True)

    def diffusion(t, y):
        return scale * torch.ones_like(y)

    y0 = torch.randn(4, 2, dtype=F64)
    bm = BrownianTree(0.0, 1.0, (4, 2), seed=0, dtype=F64)
    out = {}
    for adjoint in ("direct", "backsolve"):
        sol = attractor.sdeint(lambda t, y: net(y), diffusion, y0, T, dt=0.01,
                               sde_type="stratonovich", solver="heun", bm=bm, adjoint=adjoint)
        out[adjoint] = torch.autograd.grad(sol.ys.sum(), [net.weight, scale])
    assert _rel(out["backsolve"], out["direct"]) < 1e-4


def test_reversible_heun_reconstructs_forward_path_to_round_off():
    y0, w, b, c = (x.detach() for x in _inputs())
    drift, diffusion = _fields(w, b, c)
    terms = SDETerms(drift, diffusion, T[0], y0, noise="diagonal", sde_type="stratonovich")
    solver = ReversibleHeun()
    grid = make_grid([0.0, 1.0], 0.01, F64, "cpu")
    bm = BrownianTree(0.0, 1.0, (3, 2), seed=1, dtype=F64)
    incs = list(step_noise(bm, grid))
    y, state = y0, solver.init(terms, grid.tensors[0], y0)
    path = [(y, state)]
    for n, inc in enumerate(incs):
        y, state = solver.step(terms, grid.tensors[n], grid.tensors[n + 1], grid.h(n), y, inc,
                               state)
        path.append((y, state))
    worst = 0.0
    for n in reversed(range(grid.n_steps)):
        y, state = solver.reverse_step(terms, grid.tensors[n], grid.tensors[n + 1], grid.h(n), y,
                                       incs[n], state)
        worst = max(worst, float((y - path[n][0]).abs().max()),
                    float((state[0] - path[n][1][0]).abs().max()))
    assert worst < 1e-12
    assert float((y - y0).abs().max()) < 1e-12


def test_gradcheck_stochastic_adjoint():
    """The stochastic adjoint (Stratonovich backsolve through the Brownian tree) against
    finite differences of the forward Heun solve on the same path. The adjoint is exact only
    as dt -> 0; at dt = 0.01 the gap is ~1e-6 (measured: 6e-7 for y0, 1.5e-6 for c), far
    below what a wrong term in the augmented system would cause (Ito-form errors are ~5e-3
    at this step, see test_backsolve_adjoint_ito_converts_drift)."""
    bm = BrownianTree(0.0, 1.0, (3, 2), seed=4, dtype=F64)

    def solve(y0, w, b, c):
        drift, diffusion = _fields(w, b, c)
        return attractor.sdeint(drift, diffusion, y0, T, dt=0.01, solver="heun",
                                sde_type="stratonovich", bm=bm, adjoint="backsolve",
                                adjoint_params=(w, b, c)).ys

    assert torch.autograd.gradcheck(solve, _inputs(), eps=1e-6, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize(("adjoint", "solver"), [("backsolve", "heun"), ("reversible", "reversible_heun")])
def test_second_order_gradients_are_refused_by_the_adjoints(adjoint, solver):
    """The stochastic and reversible adjoints' backward passes are not differentiated: asking
    them for second derivatives raises (direct backprop gives them exactly)."""
    from torch.autograd import gradgradcheck

    W = torch.tensor([[-0.3, 0.2], [0.1, -0.4]], dtype=torch.float64, requires_grad=True)
    y0 = torch.tensor([[0.5, -0.2], [0.1, 0.3]], dtype=torch.float64, requires_grad=True)
    t = torch.tensor([0.0, 0.5], dtype=torch.float64)
    bm = attractor.sde.BrownianPath(0.0, (2, 2), seed=1, dtype=torch.float64)

    def solve(W, y0, **kw):
        return attractor.sdeint(lambda t, y: torch.tanh(y @ W.T), lambda t, y: 0.1 * y, y0, t, dt=0.05, bm=bm,
                                sde_type="stratonovich", **kw).ys[-1]

    assert gradgradcheck(lambda W, y0: solve(W, y0, solver="heun"), (W, y0), atol=1e-5)
    kw = {"adjoint": adjoint, "solver": solver, "adjoint_params": (W,)}
    with pytest.raises(NotImplementedError, match="higher-order gradients"):
        torch.autograd.grad(solve(W, y0, **kw).sum(), W, create_graph=True)
