"""attractor.nn.NeuralODE: a module around odeint with solver statistics."""

import pytest
import torch
from torch import nn

import attractor
from attractor.nn import NeuralODE


class Autonomous(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(2, 2)

    def forward(self, y):
        return torch.tanh(self.lin(y))


class TimeDependent(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(2, 2)

    def forward(self, t, y):
        return torch.tanh(self.lin(y)) * torch.cos(t)


@pytest.mark.parametrize("field_cls", [Autonomous, TimeDependent])
def test_matches_odeint_and_exposes_stats(field_cls):
    torch.manual_seed(0)
    field = field_cls().double()
    model = NeuralODE(field, rtol=1e-9, atol=1e-10)
    y0 = torch.randn(4, 2, dtype=torch.float64)
    t = torch.linspace(0, 1, 3, dtype=torch.float64)
    ys = model(y0, t)
    f = (lambda t, y: field(y)) if field_cls is Autonomous else field
    ref = attractor.odeint(f, y0, t, rtol=1e-9, atol=1e-10).ys
    assert torch.allclose(ys, ref, atol=1e-12)
    assert model.nfe == model.stats["nfe"] > 0
    assert model.stats["accepted"] >= 1
    assert model(y0).shape == (2, 4, 2)  # default t = [0, 1]


@pytest.mark.parametrize("adjoint", ["direct", "checkpoint", "backsolve"])
def test_gradients_reach_parameters(adjoint):
    torch.manual_seed(0)
    model = NeuralODE(Autonomous().double(), adjoint=adjoint, rtol=1e-9, atol=1e-10)
    y0 = torch.randn(3, 2, dtype=torch.float64)
    loss = model(y0)[-1].square().sum()
    grads = torch.autograd.grad(loss, list(model.parameters()))
    ref_model = NeuralODE(model.vector_field, rtol=1e-9, atol=1e-10)
    ref = torch.autograd.grad(ref_model(y0)[-1].square().sum(), list(model.parameters()))
    for g, r in zip(grads, ref):
        assert torch.allclose(g, r, rtol=1e-6, atol=1e-9)
    if adjoint == "backsolve":
        assert model.stats["nfe_backward"] > 0


def test_rejects_non_module():
    with pytest.raises(TypeError, match="vector_field"):
        NeuralODE(lambda t, y: y)
