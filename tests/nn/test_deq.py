"""DEQ layer: the output is an equilibrium, gradients match finite differences, options behave."""

import warnings

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn
from torch.autograd import gradcheck

import attractor
from attractor.nn import DEQ, ContractiveCell, add_spectral_norm
from attractor.nn.normalization import SpectralNorm, power_iteration


def small_deq(dtype=torch.float64, bound=0.6, **kwargs):
    cell = ContractiveCell(3, 4, bound=bound).to(dtype)
    kwargs.setdefault("z_init", 4)
    return DEQ(cell, **kwargs)


def grads_match_finite_differences(deq, x):
    """gradcheck of z*(x, θ) w.r.t. the input and every parameter of the layer."""
    names = [n for n, _ in deq.named_parameters()]
    params = tuple(p.detach().clone().requires_grad_() for _, p in deq.named_parameters())

    def layer(x_, *ps):
        return torch.func.functional_call(deq, dict(zip(names, ps)), (x_,)).z

    return gradcheck(layer, (x.clone().requires_grad_(), *params), atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("solver", ["anderson", "broyden", "picard"])
def test_output_is_a_fixed_point_of_the_cell(solver):
    deq = small_deq(torch.float32, solver=solver, tol=1e-6, max_steps=200)
    x = torch.randn(7, 3)
    out = deq(x)
    assert out.z.shape == (7, 4)
    assert bool(out.ok.all())
    residual = torch.linalg.vector_norm(deq.f(out.z, x) - out.z, dim=-1)
    assert float(residual.detach().max()) < 1e-5
    assert out.steps.shape == (7,) and out.status.shape == (7,)
    assert out.stats["nfe"] >= int(out.steps.max())


@pytest.mark.parametrize(
    "options",
    [
        {"backward": "implicit", "backward_solver": "gmres"},
        {"backward": "implicit", "backward_solver": "dense"},
        {"backward": "implicit", "backward_solver": "picard"},
        # damping 1 and enough steps: the phantom gradient's truncated Neumann series is exact to ~0.3^60
        {"backward": "phantom", "phantom_steps": 60, "phantom_damping": 1.0},
        {"backward": "unroll", "solver": "picard"},
    ],
    ids=["implicit-gmres", "implicit-dense", "implicit-picard", "phantom", "unroll"],
)
def test_gradients_match_finite_differences(options):
    deq = small_deq(bound=0.3, tol=1e-12, max_steps=300, **options)
    x = torch.randn(2, 3, dtype=torch.float64)
    assert grads_match_finite_differences(deq, x)


def test_implicit_gradient_equals_closed_form_for_a_linear_cell():
    # z = W z + x  =>  z* = (I - W)^{-1} x,  d(sum z*)/dx = (I - W)^{-T} 1
    w = 0.4 * torch.randn(5, 5, dtype=torch.float64) / 5**0.5
    deq = DEQ(lambda z, x: z @ w.T + x, tol=1e-12, max_steps=200)
    x = torch.randn(3, 5, dtype=torch.float64, requires_grad=True)
    out = deq(x)
    eye = torch.eye(5, dtype=torch.float64)
    expected = torch.linalg.solve(eye - w, x.detach().T).T
    torch.testing.assert_close(out.z, expected, atol=1e-10, rtol=0)
    out.z.sum().backward()
    grad = torch.linalg.solve((eye - w).T, torch.ones(5, dtype=torch.float64))
    torch.testing.assert_close(x.grad, grad.expand(3, 5), atol=1e-9, rtol=0)


def test_backward_none_gives_no_graph():
    deq = small_deq(backward="none")
    out = deq(torch.randn(2, 3, dtype=torch.float64))
    assert not out.z.requires_grad


def test_tuple_input_reaches_the_cell_and_gets_gradients():
    lin = nn.Linear(3, 3, bias=False).double()
    with torch.no_grad():
        lin.weight.mul_(0.3 / torch.linalg.matrix_norm(lin.weight, 2))

    def cell(z, xs):
        a, b = xs
        return torch.tanh(lin(z) + a * b)

    deq = DEQ(cell, tol=1e-12)
    a = torch.randn(2, 3, dtype=torch.float64, requires_grad=True)
    b = torch.randn(2, 3, dtype=torch.float64, requires_grad=True)
    assert gradcheck(lambda a_, b_: deq((a_, b_)).z, (a, b), atol=1e-6)


def test_batch_equals_per_sample():
    deq = small_deq(tol=1e-12, max_steps=200)
    x = torch.randn(6, 3, dtype=torch.float64)
    batch = deq(x)
    for i in range(6):
        alone = deq(x[i : i + 1])
        torch.testing.assert_close(batch.z[i : i + 1], alone.z, atol=1e-10, rtol=0)
        assert int(alone.steps[0]) == int(batch.steps[i])


@settings(max_examples=15, deadline=None)
@given(batch=st.integers(1, 5), seed=st.integers(0, 2**16), unbatched=st.booleans())
def test_batch_equals_per_sample_property(batch, seed, unbatched):
    torch.manual_seed(seed)
    deq = small_deq(solver="anderson", tol=1e-11, max_steps=200)
    x = torch.randn(batch, 3, dtype=torch.float64)
    z = deq(x).z
    for i in range(batch):
        alone = deq(x[i]).z if unbatched else deq(x[i : i + 1]).z[0]
        assert alone.shape == (4,)
        torch.testing.assert_close(z[i], alone, atol=1e-9, rtol=0)


def test_warm_start_from_a_nearby_equilibrium_takes_fewer_steps():
    deq = small_deq(bound=0.9, solver="picard", tol=1e-10, max_steps=500)
    x = torch.randn(8, 3, dtype=torch.float64)
    cold = deq(x)
    x2 = x + 1e-4 * torch.randn_like(x)
    fresh = deq(x2)
    warm = deq(x2, z0=cold.z)
    torch.testing.assert_close(warm.z, fresh.z, atol=1e-8, rtol=0)
    assert bool((warm.steps < fresh.steps).all())


def test_stored_warm_start_state():
    deq = small_deq(bound=0.9, solver="picard", tol=1e-10, max_steps=500, warm_start=True)
    x = torch.randn(8, 3, dtype=torch.float64)
    first = deq(x)
    second = deq(x + 1e-5 * torch.randn_like(x))
    assert bool((second.steps < first.steps).all())
    deq.reset_warm_start()
    third = deq(x)
    assert torch.equal(third.steps, first.steps)
    # a different batch shape cannot reuse the stored state
    assert deq(x[:3]).z.shape == (3, 4)


def test_correction_states_and_jacobian_loss_in_training():
    deq = small_deq(solver="picard", tol=1e-10, max_steps=300, correction_samples=3, jacobian_samples=2)
    deq.train()
    x = torch.randn(5, 3, dtype=torch.float64)
    out = deq(x)
    assert len(out.states) == 4 and out.states[-1] is out.z
    assert out.jacobian_loss.shape == (5,) and bool((out.jacobian_loss >= 0).all())
    # corrected early states are farther from the equilibrium than the equilibrium itself
    errors = [float((s - out.z).detach().norm()) for s in out.states[:-1]]
    assert errors[0] > errors[-1] > 0
    # the correction and Jacobian losses both reach the cell's parameters
    for loss in (out.states[0].sum(), out.jacobian_loss.sum()):
        grads = torch.autograd.grad(loss, list(deq.parameters()), allow_unused=True, retain_graph=True)
        assert any(g is not None and float(g.abs().sum()) > 0 for g in grads)
    deq.eval()
    out = deq(x)
    assert len(out.states) == 1 and out.jacobian_loss is None


def test_correction_state_is_a_damped_step_from_an_iterate():
    deq = small_deq(solver="picard", tol=1e-10, max_steps=300, correction_samples=1, correction_damping=0.5)
    x = torch.randn(2, 3, dtype=torch.float64)
    out = deq(x)
    iterates = out.solution.trajectory[1:-1]
    sampled = out.states[0].detach()
    matches = [
        torch.allclose(sampled, 0.5 * z + 0.5 * deq.f(z, x).detach(), atol=1e-12) for z in iterates
    ]
    assert sum(matches) == 1


def test_eval_max_steps_applies_in_eval_mode():
    deq = small_deq(bound=0.9, solver="picard", tol=1e-12, max_steps=300, eval_max_steps=2, on_failure="status")
    x = torch.randn(4, 3, dtype=torch.float64)
    assert bool(deq(x).ok.all())
    deq.eval()
    assert not bool(deq(x).ok.any())


def test_non_convergence_raises_warns_or_reports():
    x = torch.randn(4, 3, dtype=torch.float64)
    with pytest.raises(attractor.ConvergenceError):
        small_deq(bound=0.9, solver="picard", max_steps=2, on_failure="raise")(x)
    # the default: a warning with the counts while training, an error in eval mode
    deq = small_deq(bound=0.9, solver="picard", max_steps=2)
    with pytest.warns(RuntimeWarning, match=r"4 of 4 sample\(s\) \(MAX_STEPS x4"):
        out = deq(x)
    assert not bool(out.ok.any())
    deq.eval()
    with pytest.raises(attractor.ConvergenceError):
        deq(x)
    assert bool(deq(x, max_steps=500).ok.all())  # a per-call override
    with pytest.raises(TypeError, match="unknown solver option"):
        deq(x, maxsteps=5)
    with pytest.warns(RuntimeWarning, match="did not converge for 4 of 4"):
        out = small_deq(bound=0.9, solver="picard", max_steps=2, on_failure="warn")(x)
    assert not bool(out.ok.any())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = small_deq(bound=0.9, solver="picard", max_steps=2, on_failure="status")(x)
    assert (out.status == int(attractor.Status.MAX_STEPS)).all()


def test_compiled_cell_inside_the_solver():
    deq = small_deq(tol=1e-12)
    x = torch.randn(3, 3, dtype=torch.float64, requires_grad=True)
    out = deq(x)
    (gx,) = torch.autograd.grad(out.z.sum(), x)
    torch._dynamo.reset()
    compiled = DEQ(torch.compile(deq.f, backend="aot_eager"), z_init=4, tol=1e-12)
    out_c = compiled(x)
    (gx_c,) = torch.autograd.grad(out_c.z.sum(), x)
    torch.testing.assert_close(out_c.z, out.z, atol=1e-12, rtol=0)
    torch.testing.assert_close(gx_c, gx, atol=1e-10, rtol=0)


@pytest.mark.slow
def test_compiled_cell_with_inductor_and_compiled_layer():
    deq = small_deq(torch.float32, tol=1e-6)
    x = torch.randn(16, 3)
    ref = deq(x).z
    torch._dynamo.reset()
    compiled_cell = DEQ(torch.compile(deq.f), z_init=4, tol=1e-6)
    torch.testing.assert_close(compiled_cell(x).z, ref, atol=1e-5, rtol=0)
    compiled_layer = torch.compile(deq)  # the solver loop itself breaks the graph where it must
    torch.testing.assert_close(compiled_layer(x).z, ref, atol=1e-5, rtol=0)


def test_spectral_norm_power_iteration_advances_once_per_training_pass():
    lin = add_spectral_norm(nn.Linear(4, 4, bias=False).double(), bound=0.8)
    inp = nn.Linear(3, 4).double()
    deq = DEQ(_Cell(lin, inp), z_init=4, tol=1e-10)
    sn: SpectralNorm = lin.parametrizations.weight[0]
    u0, v0 = sn._u.clone(), sn._v.clone()
    x = torch.randn(3, 3, dtype=torch.float64)
    out = deq(x)
    out.z.sum().backward()
    u1, v1 = power_iteration(lin.parametrizations.weight.original.detach(), u0, v0, 1)
    torch.testing.assert_close(sn._u, u1)
    torch.testing.assert_close(sn._v, v1)
    deq.eval()
    deq(x)
    torch.testing.assert_close(sn._u, u1)


class _Cell(nn.Module):
    def __init__(self, lin, inp):
        super().__init__()
        self.lin, self.inp = lin, inp

    def forward(self, z, x):
        return torch.tanh(self.lin(z) + self.inp(x))


def test_cell_output_shape_mismatch_names_z_init():
    deq = DEQ(ContractiveCell(3, 4))  # z0 defaults to zeros shaped like x: (5, 3), the cell returns (5, 4)
    with pytest.raises(ValueError, match="z_init"):
        deq(torch.randn(5, 3))
    wrong_dtype = DEQ(lambda z, x: (z + x).double())
    with pytest.raises(ValueError, match="dtype"):
        wrong_dtype(torch.randn(2, 3))


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"on_failure": "ignore"}, ValueError, "on_failure"),
        ({"max_steps": 0}, ValueError, "max_steps"),
        ({"z_init": (4, -1)}, ValueError, "z_init"),
        ({"z_init": "zeros"}, ValueError, "z_init"),
        ({"correction_damping": 0.0}, ValueError, "correction_damping"),
        ({"correction_samples": -1}, ValueError, "correction_samples"),
        ({"jacobian_samples": 1.5}, ValueError, "jacobian_samples"),
        ({"solver": "bogus"}, ValueError, "solver"),
        ({"solver": 3}, TypeError, "solver"),
        ({"backward": "adjoint"}, ValueError, "backward"),
    ],
)
def test_bad_constructor_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        DEQ(ContractiveCell(3, 4), **kwargs)


def test_bad_call_arguments():
    with pytest.raises(TypeError, match="`f`"):
        DEQ("not a cell")
    deq = small_deq()
    x = torch.randn(2, 3, dtype=torch.float64)
    with pytest.raises(TypeError, match="z0"):
        deq(x, z0=[0.0] * 4)
    with pytest.raises(ValueError, match="z0"):
        deq(x, z0=torch.full((2, 4), float("nan"), dtype=torch.float64))
    with pytest.raises(TypeError, match="x"):
        DEQ(ContractiveCell(3, 4))([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="tol"):
        small_deq(tol=-1.0)(x)


def test_default_training_survives_an_unconverged_sample():
    """The reported case: nn.Linear's default initialization, digits, the first batches of
    training. Samples that do not converge are warned about (with counts) and training goes on."""
    from sklearn.datasets import load_digits

    torch.manual_seed(0)
    data = torch.tensor(load_digits().data[:256], dtype=torch.float32) / 16
    cell_in, cell_z = torch.nn.Linear(64, 64), torch.nn.Linear(64, 64)
    deq = attractor.nn.DEQ(lambda z, x: torch.tanh(cell_z(z) + cell_in(x)), max_steps=8)
    params = [*cell_in.parameters(), *cell_z.parameters()]
    opt = torch.optim.SGD(params, lr=0.1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for batch in data.split(64):
            out = deq(batch)
            loss = out.z.pow(2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
    assert all(torch.isfinite(p.grad).all() for p in params)
    messages = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    assert messages, "the scenario needs unconverged samples (it raised before on_failure='auto')"
    assert all("did not converge" in m and "MAX_STEPS" in m for m in messages)
