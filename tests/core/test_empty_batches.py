"""An empty batch (e.g. the last, filtered minibatch) gives empty results of the right shapes
from every solver, and a loss over them backpropagates (zero gradients) like any other batch."""

import pytest
import torch

import attractor
from attractor.cde import NaturalCubicSpline
from attractor.nn import DEQ, MonotoneDEQ, NeuralODE


@pytest.mark.parametrize("solver", ["picard", "anderson", "broyden", "newton", "halpern"])
def test_fixed_point_and_root(solver):
    sol = attractor.fixed_point(lambda z: 0.5 * z, torch.zeros(0, 3), solver=solver)
    assert sol.value.shape == (0, 3) and sol.status.shape == (0,) and bool(sol.ok.all())
    pair = attractor.fixed_point(lambda z: (0.5 * z[0], 0.5 * z[1]), (torch.zeros(0, 3), torch.zeros(0, 2, 2)),
                                 solver=solver)
    assert [p.shape for p in pair.value] == [(0, 3), (0, 2, 2)]
    assert attractor.root(lambda x: x**3 - 1, torch.zeros(0, 3)).value.shape == (0, 3)


def test_deq_layers_train_on_an_empty_batch():
    lin = torch.nn.Linear(4, 4)
    deq = DEQ(lambda z, x: torch.tanh(0.5 * lin(z) + x))
    x = torch.zeros(0, 4, requires_grad=True)
    z = deq(x).z
    assert z.shape == (0, 4)
    z.sum().backward()
    assert x.grad.shape == (0, 4) and float(lin.weight.grad.abs().sum()) == 0.0
    out = MonotoneDEQ(3, 5)(torch.zeros(0, 3))
    assert getattr(out, "z", out).shape == (0, 5)


@pytest.mark.parametrize("kwargs", [{}, {"per_sample": True}, {"solver": "kvaerno5"}, {"adjoint": "backsolve"},
                                    {"adjoint": "checkpoint"}, {"events": lambda t, y: y[..., 0]}])
def test_odeint(kwargs):
    y0 = torch.zeros(0, 2, requires_grad=True)
    calls = []
    sol = attractor.odeint(lambda t, y: calls.append(1) or -y, y0, torch.tensor([0.0, 0.5, 1.0]), **kwargs)
    assert sol.ys.shape == (3, 0, 2) and sol.status.shape == (0,) and not calls
    sol.ys.sum().backward()
    assert y0.grad.shape == (0, 2)
    assert NeuralODE(torch.nn.Linear(2, 2), t=torch.tensor([0.0, 1.0]))(torch.zeros(0, 2)).shape == (2, 0, 2)


def test_sdeint_and_cdeint():
    sde = attractor.sdeint(lambda t, y: -y, lambda t, y: y, torch.zeros(0, 3), torch.tensor([0.0, 1.0]), dt=0.1)
    assert sde.ys.shape == (2, 0, 3) and sde.status.shape == (0,)
    X = NaturalCubicSpline(torch.zeros(0, 10, 2), torch.linspace(0, 1, 10))
    cde = attractor.cdeint(lambda t, z: z.unsqueeze(-1).expand(*z.shape, 2), X, torch.zeros(0, 4))
    assert cde.ys.shape == (2, 0, 4)
