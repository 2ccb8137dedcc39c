"""Half precision (float16 / bfloat16, as under mixed-precision DEQ training): every solver and
adjoint runs, with its small dense solves done in float32 (LAPACK has no half kernels), and
agrees with a float64 solve to half-precision accuracy."""

import pytest
import torch

import attractor
from attractor.nn import DEQ, ContractiveCell, MonotoneDEQ

LOW = [torch.bfloat16, torch.float16]
# accuracy a half-precision solve can reach here (4 entries, default tolerance ~4 eps sqrt(n))
VALUE_ATOL = {torch.bfloat16: 0.15, torch.float16: 0.03}
GRAD_RTOL = {torch.bfloat16: 0.3, torch.float16: 0.1}


def _problem(dtype):
    g = torch.Generator().manual_seed(0)
    W = 0.3 * torch.randn(4, 4, generator=g, dtype=torch.float64)
    x = torch.randn(3, 4, generator=g, dtype=torch.float64)
    return W, x


@pytest.mark.parametrize("dtype", LOW)
@pytest.mark.parametrize("solver", ["picard", "anderson", "broyden", "newton"])
@pytest.mark.parametrize("backward_solver", ["gmres", "dense", "anderson", "broyden"])
def test_solvers_and_implicit_gradients(dtype, solver, backward_solver):
    W64, x64 = _problem(dtype)
    ref = attractor.fixed_point(lambda z: torch.tanh(z @ W64.T + x64), torch.zeros_like(x64), tol=1e-12)
    W, x = W64.to(dtype).requires_grad_(), x64.to(dtype)
    sol = attractor.fixed_point(lambda z: torch.tanh(z @ W.T + x), torch.zeros_like(x), solver=solver,
                                backward_solver=backward_solver)
    assert sol.value.dtype == dtype and bool(sol.ok.all())
    assert torch.allclose(sol.value.double(), ref.value, atol=VALUE_ATOL[dtype])
    (g,) = torch.autograd.grad(sol.value.float().sum(), W)
    W64.requires_grad_()
    (g64,) = torch.autograd.grad(attractor.fixed_point(lambda z: torch.tanh(z @ W64.T + x64),
                                                       torch.zeros_like(x64), tol=1e-12).value.sum(), W64)
    assert g.dtype == dtype
    assert torch.allclose(g.double(), g64, atol=GRAD_RTOL[dtype] * float(g64.abs().max()))


@pytest.mark.parametrize("dtype", LOW)
def test_deq_layers_train_in_half_precision(dtype):
    torch.manual_seed(0)
    x = torch.randn(3, 4).to(dtype)
    lin = torch.nn.Linear(4, 4).to(dtype)
    DEQ(lambda z, x: torch.tanh(0.5 * lin(z) + x))(x).z.float().sum().backward()
    assert lin.weight.grad.dtype == dtype and torch.isfinite(lin.weight.grad.float()).all()
    for layer in (MonotoneDEQ(4, 6).to(dtype), DEQ(ContractiveCell(4, 6).to(dtype), z_init=6)):
        out = layer(x)
        z = getattr(out, "z", out)
        z.float().sum().backward()
        assert z.dtype == dtype
        assert all(torch.isfinite(p.grad.float()).all() for p in layer.parameters() if p.grad is not None)


def test_default_tolerance_is_reachable_in_half_precision():
    """A wide layer (n = 1024) in bfloat16 converges with the default tolerance, which sits
    above the round-off floor of the residual's l2 norm (~eps sqrt(n)). (With the dtype's
    table value 1e-2 Picard stalls here at residual 0.0125 and runs out of steps.)"""
    n = 1024
    g = torch.Generator().manual_seed(1)
    W = (0.5 * torch.randn(n, n, generator=g) / n**0.5).to(torch.bfloat16)
    x = torch.randn(8, n, generator=g).to(torch.bfloat16)
    for solver in ("picard", "anderson"):
        sol = attractor.fixed_point(lambda z: torch.tanh(z @ W.T + x), torch.zeros_like(x), solver=solver)
        assert bool(sol.ok.all())


@pytest.mark.parametrize("solver", ["anderson", "broyden", "picard", "newton"])
def test_solvers_under_autocast(solver):
    """A float32 state with f computed under bfloat16 autocast: the solver's own linear algebra
    runs in float32 (it crashed in linalg.solve), the iterate stays float32, and the default
    tolerance is bfloat16's round-off floor."""
    torch.manual_seed(0)
    W = torch.randn(16, 16) * 0.05
    x = torch.randn(8, 16)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        sol = attractor.fixed_point(lambda z: torch.tanh(z @ W.T + x), torch.zeros(8, 16), solver=solver)
    assert sol.value.dtype == torch.float32 and bool(sol.ok.all())
    exact = attractor.fixed_point(lambda z: torch.tanh(z @ W.T + x), torch.zeros(8, 16), tol=1e-6).value
    assert float((sol.value - exact).norm(dim=1).max()) < 4 * sol.stats["tol"]


def test_deq_training_step_with_autocast_and_grad_scaler():
    torch.manual_seed(0)
    lin_z, lin_x = torch.nn.Linear(32, 32), torch.nn.Linear(16, 32)
    with torch.no_grad():
        lin_z.weight.mul_(0.5)
    deq = attractor.nn.DEQ(lambda z, x: lin_z(z).tanh() + lin_x(x), z_init=32)  # returns bfloat16
    params = [*lin_z.parameters(), *lin_x.parameters()]
    scaler = torch.amp.GradScaler("cpu")
    x = torch.randn(64, 16)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = deq(x)
        loss = out.z.pow(2).mean()
    scaler.scale(loss).backward()
    assert out.z.dtype == torch.float32 and bool(out.ok.all())
    assert all(p.grad is not None and bool(torch.isfinite(p.grad).all()) for p in params)
    # the gradient is that of the float32 model, to bfloat16 accuracy
    grads = [p.grad / scaler.get_scale() for p in params]
    for p in params:
        p.grad = None
    attractor.nn.DEQ(lambda z, x: lin_z(z).tanh() + lin_x(x), z_init=32, tol=1e-6)(x).z.pow(2).mean().backward()
    for g, p in zip(grads, params):
        assert float((g - p.grad).norm() / p.grad.norm()) < 0.1
