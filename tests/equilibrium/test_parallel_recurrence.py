"""parallel_recurrence equals sequential evaluation; its gradients are backpropagation through time."""

import math

import pytest
import torch

import attractor
from attractor import ConvergenceError, Status
from attractor.equilibrium._base import Iterate
from attractor.equilibrium.recurrence import DEER, ELK, Jacobi, Picard, QuasiDEER
from attractor.equilibrium.recurrence._problem import RecurrenceProblem

D = torch.float64
METHODS = ["deer", "quasi_deer", "elk", "quasi_elk", "jacobi"]


def gru():
    torch.manual_seed(1)
    cell = torch.nn.GRUCell(3, 6).to(D)
    return cell, (lambda s, x: cell(x, s))


def tanh_rnn():
    torch.manual_seed(2)
    W, U = 0.9 * torch.randn(5, 5, dtype=D) / math.sqrt(5), torch.randn(5, 2, dtype=D)
    return (W, U), (lambda s, x: torch.tanh(s @ W.T + x @ U.T))


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("model", [gru, tanh_rnn])
def test_equals_sequential(method, model):
    _, f = model()
    d = 6 if model is gru else 5
    m = 3 if model is gru else 2
    x, s0 = torch.randn(300, 4, m, dtype=D), torch.randn(4, d, dtype=D)
    ref = attractor.parallel_recurrence(f, s0, x, method="sequential").value
    sol = attractor.parallel_recurrence(f, s0, x, method=method, max_steps=300)
    assert bool(sol.ok.all())
    torch.testing.assert_close(sol.value, ref, rtol=0, atol=1e-8)
    assert sol.value.shape == (300, 4, d)


def test_deer_converges_quadratically_in_few_steps():
    _, f = gru()
    x, s0 = torch.randn(1000, 2, 3, dtype=D), torch.zeros(2, 6, dtype=D)
    deer = attractor.parallel_recurrence(f, s0, x, method="deer")
    quasi = attractor.parallel_recurrence(f, s0, x, method="quasi_deer")
    assert deer.stats["steps"] <= 8 < quasi.stats["steps"]  # far fewer than T = 1000
    assert deer.stats["nfe"] == deer.stats["steps"] + 1


@pytest.mark.parametrize("solver", [Jacobi(), Picard(), QuasiDEER(), DEER()])
def test_undamped_methods_are_exact_after_k_steps_on_the_first_k_states(solver):
    _, f = tanh_rnn()
    x, s0 = torch.randn(50, 1, 2, dtype=D), torch.randn(1, 5, dtype=D)
    ref = attractor.parallel_recurrence(f, s0, x, method="sequential").value[:, 0]
    problem = RecurrenceProblem(f, s0, x.transpose(0, 1), 50, None)
    z = torch.zeros(1, 250, dtype=D)
    it = Iterate(z, *problem.eval(z))
    for k in range(1, 11):
        it, _ = solver.step(problem, None, it, torch.ones(1, dtype=torch.bool))
        torch.testing.assert_close(it.z.reshape(50, 5)[:k], ref[:k], rtol=0, atol=1e-12)


def test_chaotic_map_without_inputs():
    f = lambda s: 3.9 * s * (1 - s)
    s0 = torch.tensor([[0.3], [0.41]], dtype=D)
    ref = attractor.parallel_recurrence(f, s0, length=60, method="sequential").value
    sol = attractor.parallel_recurrence(f, s0, length=60, method="jacobi")
    torch.testing.assert_close(sol.value, ref, rtol=0, atol=1e-12)
    # the logistic map's Jacobian products grow like exp(0.49 t): Newton from a constant guess
    # overflows, and says so
    with pytest.raises(ConvergenceError, match="parallel_recurrence"):
        attractor.parallel_recurrence(f, s0, length=60, method="deer")
    sol = attractor.parallel_recurrence(f, s0, length=60, method="deer", on_failure="status")
    assert bool((sol.status != int(Status.SUCCESS)).all())


def test_batch_equals_each_sample_alone():
    _, f = gru()
    x, s0 = torch.randn(100, 3, 3, dtype=D), torch.randn(3, 6, dtype=D)
    batch = attractor.parallel_recurrence(f, s0, x)
    for i in range(3):
        alone = attractor.parallel_recurrence(f, s0[i], x[:, i])
        torch.testing.assert_close(batch.value[:, i], alone.value, rtol=0, atol=1e-9)
        assert alone.value.shape == (100, 6)


def test_per_sample_status():
    # sample 1 is a contraction, sample 0 is not: only sample 0 runs out of steps
    f = lambda s, a: torch.sin(a * s) + 0.1
    a = torch.tensor([[3.0], [0.1]], dtype=D).expand(40, 2, 1)
    sol = attractor.parallel_recurrence(f, torch.ones(2, 1, dtype=D), a, method="jacobi", max_steps=20, on_failure="status")
    assert sol.status.tolist() == [int(Status.MAX_STEPS), int(Status.SUCCESS)]


@pytest.mark.parametrize("method", ["deer", "quasi_deer", "elk"])
def test_gradcheck(method):
    _, f = tanh_rnn()
    x = torch.randn(6, 1, 2, dtype=D, requires_grad=True)
    s0 = torch.randn(1, 5, dtype=D, requires_grad=True)
    run = lambda x, s0: attractor.parallel_recurrence(f, s0, x, method=method, tol=1e-13).value
    assert torch.autograd.gradcheck(run, (x, s0))


@pytest.mark.parametrize("method", ["deer", "quasi_deer", "elk"])
def test_gradient_equals_bptt(method):
    cell, f = gru()
    x = torch.randn(40, 2, 3, dtype=D, requires_grad=True)
    s0 = torch.randn(2, 6, dtype=D, requires_grad=True)
    w = torch.randn(40, 2, 6, dtype=D)
    params = [x, s0, *cell.parameters()]

    def grads(m):
        options = {} if m == "sequential" else {"tol": 1e-13}
        y = attractor.parallel_recurrence(f, s0, x, method=m, **options).value
        return torch.autograd.grad((y * w).sum(), params)

    for g1, g2 in zip(grads(method), grads("sequential")):
        torch.testing.assert_close(g1, g2, rtol=1e-9, atol=1e-10)


def test_second_order_gradients_are_refused():
    _, f = tanh_rnn()
    s0 = torch.randn(1, 5, dtype=D, requires_grad=True)
    y = attractor.parallel_recurrence(f, s0, torch.randn(5, 1, 2, dtype=D)).value.sum()
    with pytest.raises(NotImplementedError, match="higher-order"):
        torch.autograd.grad(y, s0, create_graph=True)


def test_analytic_jacobian_and_warm_start():
    (W, _), f = tanh_rnn()

    def jac(s, x):
        return (1 - f(s, x).pow(2)).unsqueeze(-1) * W

    x, s0 = torch.randn(80, 3, 2, dtype=D), torch.randn(3, 5, dtype=D)
    auto = attractor.parallel_recurrence(f, s0, x)
    given = attractor.parallel_recurrence(f, s0, x, jacobian=jac)
    torch.testing.assert_close(given.value, auto.value, rtol=0, atol=1e-9)
    assert given.stats["njvp"] == 0 < auto.stats["njvp"]
    warm = attractor.parallel_recurrence(f, s0, x, init=auto.value)
    assert warm.stats["steps"] <= 1


def test_solver_objects_and_float32():
    _, f = tanh_rnn()
    x, s0 = torch.randn(64, 2, 2), torch.randn(2, 5)
    f32 = lambda s, x: f(s.double(), x.double()).float()
    ref = attractor.parallel_recurrence(f32, s0, x, method="sequential").value
    for method in [DEER(), QuasiDEER(), ELK(damping=0.1, diagonal=True)]:
        sol = attractor.parallel_recurrence(f32, s0, x, method=method)
        assert sol.value.dtype == torch.float32
        torch.testing.assert_close(sol.value, ref, rtol=0, atol=1e-5)


def test_inputs_are_not_mutated_and_bad_input_is_named():
    _, f = tanh_rnn()
    x, s0 = torch.randn(10, 2, 2, dtype=D), torch.randn(2, 5, dtype=D)
    x_copy, s0_copy = x.clone(), s0.clone()
    attractor.parallel_recurrence(f, s0, x)
    assert torch.equal(x, x_copy) and torch.equal(s0, s0_copy)
    with pytest.raises(ValueError, match="`inputs` must have shape"):
        attractor.parallel_recurrence(f, s0, torch.randn(10, 3, 2, dtype=D))
    with pytest.raises(ValueError, match="`length`"):
        attractor.parallel_recurrence(lambda s: s, s0)
    with pytest.raises(ValueError, match="contradicts"):
        attractor.parallel_recurrence(f, s0, x, length=11)
    with pytest.raises(ValueError, match="`init`"):
        attractor.parallel_recurrence(f, s0, x, init=torch.zeros(9, 2, 5, dtype=D))
    with pytest.raises(ValueError, match="`f` must map states"):
        attractor.parallel_recurrence(lambda s, x: s[:, :2], s0, x)
    with pytest.raises(ValueError, match="`method`"):
        attractor.parallel_recurrence(f, s0, x, method="newton-raphson")
    with pytest.raises(ValueError, match="`jacobian`"):
        attractor.parallel_recurrence(f, s0, x, jacobian=lambda s, x: s)
    with pytest.raises(ValueError, match="`init` does not apply"):
        attractor.parallel_recurrence(f, s0, x, method="sequential", init=torch.zeros(10, 2, 5, dtype=D))
    with pytest.raises(ValueError, match="`s0`"):
        attractor.parallel_recurrence(f, torch.tensor([[math.nan] * 5], dtype=D), x[:, :1])
