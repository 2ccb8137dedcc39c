"""CUDA paths: each entry point runs on the GPU, keeps its results there, and agrees with the
same computation on the CPU (float64, so the comparison tests the algorithm, not rounding).

Skipped where no CUDA device is present (CI has none); run on a GPU machine with
``pytest tests/test_cuda.py``.
"""

from __future__ import annotations

import itertools
import math

import pytest
import torch

import attractor
from attractor.cde import LinearInterpolation, NaturalCubicSpline
from attractor.nn import DEQ, MonotoneDEQ, NeuralCDE, NeuralODE
from attractor.sde import BrownianPath, BrownianTree

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
F64 = torch.float64
DEVICES = ("cpu", "cuda")


def on_both(make):
    """``make(device)`` on the CPU and on CUDA; checks the CUDA result stays on the GPU."""
    cpu, gpu = make(torch.device("cpu")), make(torch.device("cuda"))
    for value in _tensors(gpu):
        assert value.device.type == "cuda"
    return cpu, gpu


def _tensors(result):
    if isinstance(result, torch.Tensor):
        return [result]
    if isinstance(result, (tuple, list)):
        return [t for r in result for t in _tensors(r)]
    return []


def assert_close(cpu, gpu, tol):
    for a, b in zip(_tensors(cpu), _tensors(gpu), strict=True):
        assert torch.allclose(a, b.cpu(), rtol=tol, atol=tol), (a - b.cpu()).abs().max()


def contraction(device, batch=6, width=12, seed=0):
    g = torch.Generator().manual_seed(seed)
    W = torch.randn(width, width, generator=g, dtype=F64)
    W = (0.8 * W / torch.linalg.matrix_norm(W, 2)).to(device).requires_grad_()
    x = torch.randn(batch, width, generator=g, dtype=F64).to(device).requires_grad_()
    return W, x


# ----------------------------------------------------------------------------- equilibrium
@pytest.mark.parametrize("solver", ["picard", "anderson", "broyden", "newton", "halpern"])
@pytest.mark.parametrize("backward", ["implicit", "phantom", "unroll"])
def test_fixed_point_and_gradients(solver, backward):
    def run(device):
        W, x = contraction(device)
        tol = 5e-3 if solver == "halpern" else 1e-11  # Halpern's anchoring converges as O(1/k)
        sol = attractor.fixed_point(lambda z: torch.tanh(z @ W.T + x), torch.zeros_like(x),
                                    solver=solver, tol=tol, max_steps=2000, backward=backward)
        gW, gx = torch.autograd.grad(sol.value.square().sum(), (W, x))
        return sol.value, gW, gx, sol.residual

    cpu, gpu = on_both(run)
    assert_close(cpu[:3], gpu[:3], 1e-7)


@pytest.mark.parametrize("backward_solver", ["picard", "anderson", "gmres", "broyden", "dense"])
def test_implicit_adjoint_solvers(backward_solver):
    def run(device):
        W, x = contraction(device, seed=1)
        sol = attractor.fixed_point(lambda z: torch.tanh(z @ W.T + x), torch.zeros_like(x),
                                    tol=1e-12, backward_solver=backward_solver, backward_tol=1e-12)
        return torch.autograd.grad(sol.value.sum(), (W, x))

    cpu, gpu = on_both(run)
    assert_close(cpu, gpu, 1e-8)


def test_root_newton_krylov_and_status():
    def run(device):
        c = torch.linspace(1.0, 4.0, 5, dtype=F64, device=device)
        sol = attractor.root(lambda x: x**3 - c, torch.ones_like(c), solver="newton", tol=1e-12)
        assert bool(sol.ok.all())
        return sol.value

    cpu, gpu = on_both(run)
    assert_close(cpu, gpu, 1e-10)
    assert torch.allclose(cpu, torch.linspace(1.0, 4.0, 5, dtype=F64) ** (1 / 3))
    with pytest.raises(attractor.ConvergenceError):
        attractor.fixed_point(lambda z: 2 * z + 1, torch.ones(3, 4, dtype=F64, device="cuda"),
                              solver="picard", max_steps=20)


@pytest.mark.parametrize("method", ["gmres", "cg", "bicgstab"])
def test_krylov_solvers(method):
    def run(device):
        g = torch.Generator().manual_seed(2)
        A = torch.randn(4, 10, 10, generator=g, dtype=F64)
        A = (A @ A.transpose(-1, -2) + 10 * torch.eye(10, dtype=F64)).to(device)
        b = torch.randn(4, 10, generator=g, dtype=F64).to(device)
        sol = getattr(attractor.linalg, method)(lambda v: (A @ v.unsqueeze(-1)).squeeze(-1), b,
                                                tol=1e-12)
        return sol.x, torch.linalg.solve(A, b)

    (x_cpu, ref), (x_gpu, _) = on_both(run)
    assert_close(x_cpu, x_gpu, 1e-9)
    assert torch.allclose(x_cpu, ref, atol=1e-9)


def test_deq_layers_train_step():
    def run(device):
        torch.manual_seed(0)
        lin = torch.nn.Linear(8, 8).double().to(device)
        deq = DEQ(lambda z, x: torch.tanh(0.5 * lin(z) + x), tol=1e-10, max_steps=100)
        mon = MonotoneDEQ(5, 8, init_scale=0.5, tol=1e-10, max_steps=2000).double().to(device)
        x = torch.randn(4, 8, dtype=F64).to(device)
        z = deq(x).z
        zm = mon(x[:, :5])
        zm = zm.z if hasattr(zm, "z") else zm
        params = [*lin.parameters(), *mon.parameters()]
        grads = torch.autograd.grad(z.square().sum() + zm.square().sum(), params)
        return z, zm, *grads

    cpu, gpu = on_both(run)
    assert_close(cpu, gpu, 1e-7)


# ----------------------------------------------------------------------------- ODE
def oscillator(t, y):
    x, v = y[..., :1], y[..., 1:]  # t is 0-dim, or (batch, 1) with per-sample steps
    return torch.cat([v, -x + 0.1 * torch.sin(t) * v], -1)


@pytest.mark.parametrize("solver", ["rk4", "dopri5", "tsit5", "dopri8", "kvaerno5", "rodas5"])
@pytest.mark.parametrize("per_sample", [False, True])
def test_odeint_solvers(solver, per_sample):
    def run(device):
        y0 = torch.tensor([[1.0, 0.0], [0.5, 0.3], [0.0, -1.0]], dtype=F64, device=device)
        t = torch.linspace(0, 3, 7, dtype=F64, device=device)
        kw = {"dt": 0.01} if solver == "rk4" else {"rtol": 1e-9, "atol": 1e-11}
        sol = attractor.odeint(oscillator, y0, t, solver=solver, per_sample=per_sample, dense=True, **kw)
        return sol.ys, sol.evaluate(torch.tensor(1.3, dtype=F64, device=device))

    cpu, gpu = on_both(run)
    assert_close(cpu, gpu, 1e-8)


def test_odeint_per_sample_times_backwards_and_events():
    def run(device):
        y0 = torch.tensor([[1.0, 0.0], [2.0, 0.0]], dtype=F64, device=device)
        t = torch.stack([torch.linspace(2, 0, 5, dtype=F64), torch.linspace(1.5, 0, 5, dtype=F64)]).to(device)
        back = attractor.odeint(lambda t, y: -y, y0, t, rtol=1e-10, atol=1e-12)
        # free fall from heights 1 and 2: impact at sqrt(2 h / g)
        ball = torch.tensor([[1.0, 0.0], [2.0, 0.0]], dtype=F64, device=device)
        grid = torch.linspace(0, 2, 5, dtype=F64, device=device)
        fall = attractor.odeint(lambda t, y: torch.stack([y[..., 1], -9.81 * torch.ones_like(y[..., 0])], -1),
                                ball, grid, events=lambda t, y: y[..., 0], rtol=1e-10, atol=1e-12)
        return back.ys, fall.event_t

    cpu, gpu = on_both(run)
    assert_close(cpu, gpu, 1e-9)
    exact = torch.sqrt(2 * torch.tensor([1.0, 2.0], dtype=F64) / 9.81)
    assert torch.allclose(gpu[1].cpu().reshape(-1), exact, atol=1e-7)
    assert torch.allclose(cpu[0][-1], torch.tensor([[1.0, 0.0], [2.0, 0.0]], dtype=F64) * torch.exp(
        torch.tensor([[2.0], [1.5]], dtype=F64)), rtol=1e-8)


@pytest.mark.parametrize("adjoint", ["direct", "checkpoint", "backsolve"])
def test_odeint_adjoints(adjoint):
    def run(device):
        torch.manual_seed(0)
        net = torch.nn.Sequential(torch.nn.Linear(3, 16), torch.nn.Tanh(), torch.nn.Linear(16, 3))
        net = net.double().to(device)
        y0 = torch.randn(5, 3, dtype=F64).to(device).requires_grad_()
        t = torch.linspace(0, 1, 4, dtype=F64, device=device)
        sol = attractor.odeint(lambda t, y: net(y), y0, t, solver="dopri5", rtol=1e-10,
                               atol=1e-12, adjoint=adjoint)
        return torch.autograd.grad(sol.ys.square().sum(), (y0, *net.parameters()))

    cpu, gpu = on_both(run)
    assert_close(cpu, gpu, 1e-6)


@pytest.mark.parametrize("mode", [True, "reduce-overhead"])
def test_compiled_steps_on_cuda(mode):
    """The fused, compiled step (and, with "reduce-overhead", its CUDA-graph replays, whose
    outputs must survive later replays) gives the eager answer, including rejected steps and
    dense output at many times."""
    y0 = torch.tensor([[1.0, 0.0], [0.5, 0.3]], dtype=F64, device="cuda")
    t = torch.linspace(0, 6, 41, dtype=F64, device="cuda")
    eager = attractor.odeint(oscillator, y0, t, solver="dopri8", rtol=1e-9, atol=1e-11)
    fused = attractor.odeint(oscillator, y0, t, solver="dopri8", rtol=1e-9, atol=1e-11, compile=mode)
    assert fused.ys.device.type == "cuda"
    assert torch.allclose(fused.ys, eager.ys, rtol=1e-8, atol=1e-10)
    assert fused.stats["accepted"] == eager.stats["accepted"]


def test_neural_ode_module():
    def run(device):
        torch.manual_seed(0)
        field = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 2))
        model = NeuralODE(field, t=torch.linspace(0, 1, 3, dtype=F64)).double().to(device)
        y = model(torch.ones(4, 2, dtype=F64, device=device))
        return y, *torch.autograd.grad(y.sum(), list(model.parameters()))

    cpu, gpu = on_both(run)
    assert_close(cpu, gpu, 1e-7)


# ----------------------------------------------------------------------------- SDE
def _increments(device, n=64, shape=(4, 2), seed=5):
    g = torch.Generator().manual_seed(seed)
    ts = torch.linspace(0, 1, n + 1, dtype=F64)
    dW = torch.randn((n, *shape), generator=g, dtype=F64) * math.sqrt(1 / n)
    return BrownianPath.from_increments(ts.tolist(), dW.to(device))


@pytest.mark.parametrize(("solver", "sde_type", "noise"), [
    ("euler", "ito", "diagonal"), ("milstein", "ito", "diagonal"), ("heun", "stratonovich", "diagonal"),
    ("reversible_heun", "stratonovich", "diagonal"), ("srk", "ito", "additive"), ("platen", "ito", "diagonal"),
])
def test_sdeint_fixed_path(solver, sde_type, noise):
    def run(device):
        y0 = torch.full((4, 2), 1.0, dtype=F64, device=device)
        t = torch.tensor([0.0, 0.5, 1.0], dtype=F64, device=device)
        drift = lambda t, y: -0.5 * y
        diffusion = (lambda t, y: 0.3 * torch.ones_like(y)) if noise == "additive" else (lambda t, y: 0.3 * y)
        if solver == "srk":
            bm = BrownianPath(0.0, (4, 2), seed=3, levy_area="space-time", dtype=F64, device=device)
            dt = 1 / 64
        else:
            bm, dt = _increments(device), 1 / 64
        sol = attractor.sdeint(drift, diffusion, y0, t, dt=dt, solver=solver, sde_type=sde_type,
                               noise=noise, bm=bm)
        return sol.ys

    cpu, gpu = on_both(run)
    if solver == "srk":  # the Levy area is drawn on each device's generator: check only sanity
        assert torch.isfinite(gpu).all()
    else:
        assert_close(cpu, gpu, 1e-10)


def test_brownian_tree_on_cuda():
    bm = BrownianTree(0.0, 1.0, (2000, 3), seed=7, dtype=F64, device="cuda")
    ts = torch.linspace(0, 1, 17).tolist()
    forward = [bm(a, b) for a, b in itertools.pairwise(ts)]
    again = BrownianTree(0.0, 1.0, (2000, 3), seed=7, dtype=F64, device="cuda")
    reverse = [again(a, b) for a, b in reversed(list(itertools.pairwise(ts)))][::-1]
    for a, b in zip(forward, reverse):
        a = a.dW if hasattr(a, "dW") else a
        b = b.dW if hasattr(b, "dW") else b
        assert a.device.type == "cuda"
        assert torch.allclose(a, b, atol=1e-12)
    total = sum(a.dW if hasattr(a, "dW") else a for a in forward)
    assert abs(float(total.mean())) < 0.1 and abs(float(total.var()) - 1.0) < 0.1


def test_sdeint_adaptive_and_adjoints():
    def run(device):
        y0 = torch.full((3, 2), 1.0, dtype=F64, device=device)
        theta = torch.tensor(0.7, dtype=F64, device=device, requires_grad=True)
        t = torch.tensor([0.0, 1.0], dtype=F64, device=device)
        out = []
        for kw in ({"solver": "heun", "adjoint": "backsolve"},
                   {"solver": "reversible_heun", "adjoint": "reversible"}):
            sol = attractor.sdeint(lambda t, y: -theta * y, lambda t, y: 0.2 * y, y0, t, dt=1 / 32,
                                   sde_type="stratonovich", bm=_increments(device, n=32, shape=(3, 2)),
                                   adjoint_params=(theta,), **kw)
            out.append(torch.autograd.grad(sol.ys[-1].sum(), theta)[0])
        tree = BrownianTree(0.0, 1.0, (3, 2), seed=1, dtype=F64, device=device)
        adaptive = attractor.sdeint(lambda t, y: -y, lambda t, y: 0.2 * y, y0, t, adaptive=True,
                                    dt=0.1, rtol=1e-4, atol=1e-6, solver="milstein", bm=tree)
        return (*out, adaptive.ys)

    cpu, gpu = on_both(run)
    assert_close(cpu[:2], gpu[:2], 1e-6)
    assert torch.isfinite(gpu[2]).all()


# ----------------------------------------------------------------------------- CDE
@pytest.mark.parametrize("path", [NaturalCubicSpline, LinearInterpolation])
def test_cdeint_and_neural_cde(path):
    def run(device):
        g = torch.Generator().manual_seed(4)
        t = torch.linspace(0, 1, 20, dtype=F64)
        x = torch.cumsum(torch.randn(3, 20, 2, generator=g, dtype=F64), 1)
        x[0, 5, 1] = float("nan")  # a missing observation
        X = path(x.to(device), t.to(device), time_channel=True)
        z0 = torch.ones(3, 4, dtype=F64, device=device)
        A = torch.randn(4, 4, X.channels, generator=g, dtype=F64).to(device) * 0.3
        sol = attractor.cdeint(lambda t, z: torch.tanh(torch.einsum("ijc,bj->bic", A, z)), X, z0,
                               solver="dopri5", rtol=1e-9, atol=1e-11)
        torch.manual_seed(0)
        model = NeuralCDE(X.channels, 6, 2, width=8).double().to(device)
        out = model(X)
        return sol.ys, out, *torch.autograd.grad(out.sum(), list(model.parameters()))

    cpu, gpu = on_both(run)
    assert_close(cpu, gpu, 1e-7)


# ----------------------------------------------------------------------------- analysis
def test_lyapunov_spectrum_on_cuda():
    from attractor.systems import get

    def run(device):
        y0 = torch.tensor([1.0, 1.0, 1.0], dtype=F64, device=device)
        res = attractor.analysis.lyapunov_spectrum(get("lorenz"), y0, max_time=200, tol=0.0,
                                                   on_failure="status")
        return torch.as_tensor(res.exponents)

    cpu, gpu = on_both(run)
    assert abs(float(gpu[0]) - 0.906) < 0.1
    assert torch.allclose(cpu, gpu.cpu(), atol=0.05)


def test_empty_batches_and_non_finite_starts_on_cuda():
    """The early exits (empty batch) and the NaN-step guard behave on the GPU as on the CPU."""
    empty = torch.zeros(0, 3, device="cuda")
    assert attractor.fixed_point(lambda z: 0.5 * z, empty).value.device.type == "cuda"
    assert attractor.odeint(lambda t, y: -y, empty, torch.tensor([0.0, 1.0], device="cuda")).ys.shape == (2, 0, 3)
    for per_sample in (False, True):
        sol = attractor.odeint(lambda t, y: y * math.nan, torch.ones(2, 3, dtype=F64, device="cuda"),
                               torch.tensor([0.0, 1.0], dtype=F64, device="cuda"), per_sample=per_sample,
                               on_failure="status")
        assert sol.status.tolist() == [int(attractor.Status.NONFINITE)] * 2


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_half_precision_deq_on_cuda(dtype):
    """Mixed-precision DEQ training: every solver's small solves go through float32."""
    torch.manual_seed(0)
    lin = torch.nn.Linear(16, 16).to("cuda", dtype)
    x = torch.randn(8, 16, device="cuda", dtype=dtype)
    for solver in ("anderson", "broyden", "newton"):
        z = DEQ(lambda z, x: torch.tanh(0.5 * lin(z) + x), solver=solver)(x).z
        assert z.dtype == dtype and z.device.type == "cuda"
        z.float().sum().backward()
        assert torch.isfinite(lin.weight.grad.float()).all()
