"""Gradients: implicit (vs finite differences), phantom and unroll (vs their definitions)."""

import pytest
import torch
from torch.autograd import gradcheck

import attractor
from attractor.equilibrium import Halpern, Newton

from .problems import D, contraction, tanh_layer

FORWARD = ["picard", "anderson", "broyden", "newton", Newton(linear_solver="gmres")]
ADJOINT = ["gmres", "bicgstab", "dense", "picard", "anderson", "broyden"]


def _id(solver):
    return (
        solver
        if isinstance(solver, str)
        else repr(solver).split("(")[0].lower() + "_" + getattr(solver, "linear_solver", "")
    )


def solve_fn(solver="anderson", **kwargs):
    def fn(W, x):
        z0 = torch.zeros_like(x)
        return attractor.fixed_point(
            tanh_layer(W, x), z0, solver=solver, tol=1e-12, max_steps=400, **kwargs
        ).value

    return fn


def inputs(batch=2, n=3, norm=0.6):
    W, x = contraction(batch=batch, n=n, norm=norm)
    return W.requires_grad_(), x.requires_grad_()


@pytest.mark.parametrize("solver", FORWARD, ids=_id)
def test_implicit_gradients_match_finite_differences(solver):
    # fast mode checks v^T J u for random u, v against finite differences (cheaper, as strict)
    assert gradcheck(solve_fn(solver), inputs(), fast_mode=True)


def test_implicit_gradient_full_jacobian():
    assert gradcheck(solve_fn("anderson"), inputs())


@pytest.mark.parametrize("method", ADJOINT)
def test_every_adjoint_solver_gives_the_implicit_gradient(method):
    assert gradcheck(solve_fn("anderson", backward_solver=method), inputs(), fast_mode=True)


@pytest.mark.parametrize("solver", FORWARD, ids=_id)
def test_unrolled_gradients_are_the_derivative_of_the_iteration(solver):
    # the unrolled solve is a smooth function of the inputs (same step counts nearby)
    assert gradcheck(solve_fn(solver, backward="unroll"), inputs(), fast_mode=True)


def test_unroll_equals_manual_backprop_through_picard_steps():
    W, x = inputs(batch=1)
    z0 = torch.randn(1, 3, dtype=D, requires_grad=True)
    sol = attractor.fixed_point(tanh_layer(W, x), z0, solver="picard", backward="unroll", tol=1e-8)
    z = z0
    for _ in range(int(sol.steps)):
        z = tanh_layer(W, x)(z)
    torch.testing.assert_close(sol.value, z, atol=0, rtol=0)
    for a, b in zip(
        torch.autograd.grad(sol.value.sum(), (W, x, z0)), torch.autograd.grad(z.sum(), (W, x, z0))
    ):
        torch.testing.assert_close(a, b, atol=1e-14, rtol=1e-12)


@pytest.mark.parametrize("solver", FORWARD + [Halpern()], ids=_id)
def test_phantom_gradient_is_k_damped_steps_from_the_equilibrium(solver):
    W, x = inputs()
    k, damping = 3, 0.7
    # the phantom gradient is defined at whatever equilibrium estimate the solver returns
    kwargs = (
        {"max_steps": 50, "on_failure": "status"} if isinstance(solver, Halpern) else {"tol": 1e-12}
    )
    z0 = torch.zeros_like(x)
    sol = attractor.fixed_point(
        tanh_layer(W, x),
        z0,
        solver=solver,
        backward="phantom",
        phantom_steps=k,
        phantom_damping=damping,
        **kwargs,
    )
    z = sol.value.detach()
    for _ in range(k):
        z = (1 - damping) * z + damping * tanh_layer(W, x)(z)
    probe = torch.randn_like(z)
    got = torch.autograd.grad((sol.value * probe).sum(), (W, x))
    want = torch.autograd.grad((z * probe).sum(), (W, x))
    for a, b in zip(got, want):
        torch.testing.assert_close(a, b, atol=1e-12, rtol=1e-10)


def test_implicit_gradient_at_a_halpern_solution():
    # Halpern converges slowly (O(1/k)); start near z* and compare with the exact gradient
    W, x = inputs()
    f = tanh_layer(W, x)
    exact = attractor.fixed_point(f, torch.zeros_like(x), solver="newton", tol=1e-13)
    start = exact.value.detach() + 1e-5
    sol = attractor.fixed_point(f, start, solver=Halpern(), tol=1e-8, max_steps=5000)
    probe = torch.randn_like(start)
    got = torch.autograd.grad((sol.value * probe).sum(), (W, x))
    want = torch.autograd.grad((exact.value * probe).sum(), (W, x))
    for a, b in zip(got, want):
        torch.testing.assert_close(a, b, atol=1e-6, rtol=1e-5)


def test_unrolled_halpern_gradient_is_the_derivative_of_its_steps():
    W, x = inputs(batch=1, n=3)

    def fn(W, x):
        return attractor.fixed_point(
            tanh_layer(W, x),
            torch.zeros_like(x),
            solver=Halpern(),
            backward="unroll",
            max_steps=25,
            on_failure="status",
        ).value

    assert gradcheck(fn, (W, x))


def test_implicit_gradient_of_a_linear_map_in_closed_form():
    # z* = (I - A)^{-1} c  =>  dL/dc = (I - A)^{-T} g
    A = 0.3 * torch.randn(5, 5, dtype=D)
    c = torch.randn(2, 5, dtype=D, requires_grad=True)
    sol = attractor.fixed_point(lambda z: z @ A.T + c, torch.zeros(2, 5, dtype=D), tol=1e-12)
    g = torch.randn(2, 5, dtype=D)
    (grad_c,) = torch.autograd.grad((sol.value * g).sum(), c)
    expected = torch.linalg.solve((torch.eye(5, dtype=D) - A).T, g.T).T
    torch.testing.assert_close(grad_c, expected, atol=1e-10, rtol=1e-10)


def test_gradients_reach_module_parameters_and_closed_over_tensors():
    torch.manual_seed(0)
    layer = torch.nn.Linear(4, 4).double()
    with torch.no_grad():
        layer.weight.mul_(0.5 / torch.linalg.matrix_norm(layer.weight, ord=2))
    scale = torch.tensor(0.8, dtype=D, requires_grad=True)  # closed over
    x = torch.randn(3, 4, dtype=D, requires_grad=True)  # passed in args

    def f(z, inp):
        return scale * torch.tanh(layer(z) + inp)

    sol = attractor.fixed_point(f, torch.zeros(3, 4, dtype=D), args=(x,), tol=1e-12)
    sol.value.square().sum().backward()
    for p in (layer.weight, layer.bias, scale, x):
        assert (
            p.grad is not None
            and bool(torch.isfinite(p.grad).all())
            and float(p.grad.abs().sum()) > 0
        )

    # and they are the right ones: finite differences through the whole solve
    def fn(weight, bias, s, inp):
        g = lambda z: s * torch.tanh(z @ weight.T + bias + inp)
        return attractor.fixed_point(g, torch.zeros(3, 4, dtype=D), tol=1e-12).value

    params = (
        layer.weight.detach().clone().requires_grad_(),
        layer.bias.detach().clone().requires_grad_(),
        scale.detach().clone().requires_grad_(),
        x.detach().clone().requires_grad_(),
    )
    assert gradcheck(fn, params)


def test_no_gradient_to_z0_for_implicit_but_yes_for_unroll():
    W, x = contraction()
    z0 = torch.zeros_like(x, requires_grad=True)
    implicit = attractor.fixed_point(tanh_layer(W, x), z0)
    assert (
        not implicit.value.requires_grad
    )  # nothing but z0 requires grad: the equilibrium ignores z0
    unrolled = attractor.fixed_point(
        tanh_layer(W, x), z0, backward="unroll", max_steps=3, on_failure="status"
    )
    (grad,) = torch.autograd.grad(unrolled.value.sum(), z0)
    assert float(grad.abs().sum()) > 0


def test_backward_none_and_no_grad_detach():
    W, x = inputs()
    assert not attractor.fixed_point(
        tanh_layer(W, x), torch.zeros_like(x), backward="none"
    ).value.requires_grad
    with torch.no_grad():
        assert not attractor.fixed_point(tanh_layer(W, x), torch.zeros_like(x)).value.requires_grad


def test_value_is_exactly_the_solver_iterate_for_every_backward_mode():
    W, x = inputs()
    values = [
        attractor.fixed_point(tanh_layer(W, x), torch.zeros_like(x), backward=mode).value.detach()
        for mode in ("implicit", "phantom", "none")
    ]
    assert torch.equal(values[0], values[1]) and torch.equal(values[0], values[2])


def test_root_implicit_gradient():
    # x* = sqrt(a): dx*/da = 1 / (2 sqrt(a))
    a = torch.tensor([2.0, 5.0], dtype=D, requires_grad=True)
    sol = attractor.root(lambda x: x * x - a, torch.ones(2, dtype=D), batch_ndim=1, tol=1e-13)
    (grad,) = torch.autograd.grad(sol.value.sum(), a)
    torch.testing.assert_close(grad, 0.5 / a.detach().sqrt(), atol=1e-12, rtol=1e-10)
    assert gradcheck(
        lambda a: (
            attractor.root(
                lambda x: x**3 + x - a, torch.zeros(2, dtype=D), batch_ndim=1, tol=1e-13
            ).value
        ),
        (a,),
    )


def test_tuple_state_gradients():
    W, x = inputs(batch=2, n=3)

    def fn(W, x):
        def f(state):
            a, b = state
            return torch.tanh(a @ W.T + x), 0.5 * torch.tanh(b + a)

        z0 = (torch.zeros(2, 3, dtype=D), torch.zeros(2, 3, dtype=D))
        return attractor.fixed_point(f, z0, tol=1e-12).value

    assert gradcheck(fn, (W, x))


def test_backward_stats_and_adjoint_failure():
    W, x = inputs(norm=0.95)
    sol = attractor.fixed_point(
        tanh_layer(W, x), torch.zeros_like(x), tol=1e-12, backward_solver="picard"
    )
    sol.value.sum().backward()
    back = sol.stats["backward"]
    assert bool((back["status"] == 0).all()) and back["steps"].shape == (2,) and back["nvjp"] > 0

    sol = attractor.fixed_point(
        tanh_layer(W, x),
        torch.zeros_like(x),
        tol=1e-12,
        backward_solver="picard",
        backward_max_steps=2,
    )
    with pytest.raises(attractor.ConvergenceError, match="adjoint"):
        sol.value.sum().backward()
    sol = attractor.fixed_point(
        tanh_layer(W, x),
        torch.zeros_like(x),
        tol=1e-12,
        backward_solver="picard",
        backward_max_steps=2,
        on_failure="status",
    )
    with pytest.warns(UserWarning, match="adjoint"):
        sol.value.sum().backward()
    assert W.grad is not None


def test_gradient_with_retain_graph_twice_is_consistent():
    W, x = inputs()
    sol = attractor.fixed_point(tanh_layer(W, x), torch.zeros_like(x), tol=1e-12)
    loss = sol.value.square().sum()
    (g1,) = torch.autograd.grad(loss, W, retain_graph=True)
    (g2,) = torch.autograd.grad(loss, W)
    torch.testing.assert_close(g1, g2)


def test_second_order_gradients():
    """backward='unroll' differentiates the iterations, so its second derivatives are exact
    (gradgradcheck); backward='implicit' does not differentiate its adjoint solve, so asking it
    for second derivatives raises instead of returning silently wrong ones."""
    from torch.autograd import gradgradcheck

    assert gradgradcheck(solve_fn("picard", backward="unroll"), inputs(), atol=1e-6)
    W, x = inputs()
    z = solve_fn("anderson")(W, x)
    (g,) = torch.autograd.grad(z.square().sum(), W, create_graph=False)  # first order: fine
    assert torch.isfinite(g).all()
    with pytest.raises(NotImplementedError, match="backward='unroll'"):
        torch.autograd.grad(solve_fn("anderson")(W, x).square().sum(), W, create_graph=True)
