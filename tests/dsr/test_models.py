"""The reconstruction models: analytic Jacobians, piecewise-linear structure, observation models."""

import pytest
import torch

from attractor import dsr
from attractor.nn import NeuralODE

MODELS = {
    "plrnn": lambda: dsr.PLRNN(5, 2),
    "dendritic": lambda: dsr.DendriticPLRNN(5, 2, bases=3),
    "shallow": lambda: dsr.ShallowPLRNN(4, 2, hidden=7),
    "clipped": lambda: dsr.ShallowPLRNN(4, 2, hidden=7, clipped=True),
    "alrnn": lambda: dsr.ALRNN(5, 2, relu_units=2),
    "linear_alrnn": lambda: dsr.ALRNN(5, 2, relu_units=0),
}


@pytest.mark.parametrize("name", MODELS)
def test_analytic_jacobian_equals_autograd(name):
    model = MODELS[name]()
    z = 2 * torch.randn(3, 4, model.latent_dim)
    auto = torch.func.vmap(torch.func.jacrev(model.step))(z.reshape(-1, model.latent_dim)).reshape(*z.shape, -1)
    torch.testing.assert_close(model.jacobian(z), auto, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", MODELS)
def test_step_is_the_affine_map_of_its_region(name):
    model = MODELS[name]()
    z = 2 * torch.randn(50, model.latent_dim)
    mat, c = model.affine(model.pattern(z))
    torch.testing.assert_close((mat @ z.unsqueeze(-1)).squeeze(-1) + c, model.step(z), rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(mat, model.jacobian(z), rtol=1e-12, atol=1e-12)


def test_plrnn_structure_and_regularizer():
    m = dsr.PLRNN(4, 2)
    z = torch.randn(4)
    # W's diagonal never acts: the self-coupling is A alone
    with torch.no_grad():
        m.W.fill_diagonal_(100.0)
    expected = m.A * z + (m.W * (1 - torch.eye(4))) @ torch.relu(z) + m.h
    torch.testing.assert_close(m.step(z), expected)
    with torch.no_grad():
        m.A.fill_(1.0)
        m.W.zero_()
        m.h.zero_()
    assert float(m.manifold_attractor_regularization(0.5).detach()) == 0.0
    with torch.no_grad():
        m.A[0] = 0.5
        m.W[1, 3] = 2.0
        m.W[3, 1] = 7.0  # row 3 is not regularized
    assert float(m.manifold_attractor_regularization(0.5).detach()) == pytest.approx(0.25 + 4.0)


def test_clipped_shallow_plrnn_stays_bounded():
    torch.manual_seed(3)
    m = dsr.ShallowPLRNN(3, 3, hidden=20, clipped=True)
    with torch.no_grad():
        m.W1.mul_(50)
        m.A.fill_(0.95)
    with torch.no_grad():
        z = m.generate(1e3 * torch.randn(10, 3), 2000)
    # |nonlinear term| <= ||W1|| ||h2|| per step, so |z| <= max(|z0|, bound / (1 - 0.95))
    bound = (m.W1.abs() @ m.h2.abs()).max().detach() / 0.05
    assert float(z[-1].abs().max()) <= float(bound) + 1e-6


def test_observation_models():
    m = dsr.PLRNN(5, 2)
    x = torch.randn(7, 2)
    z = m.latent_from(x)
    assert z.shape == (7, 5) and torch.equal(m.observe(z), x) and bool((z[:, 2:] == 0).all())
    keep = torch.randn(7, 5)
    assert torch.equal(m.latent_from(x, keep)[:, 2:], keep[:, 2:])
    a = dsr.PLRNN(5, 2, observation="affine")
    z = a.latent_from(x)
    torch.testing.assert_close(a.observe(z), x)  # B has full row rank
    z2 = a.latent_from(x, keep)
    torch.testing.assert_close(a.observe(z2), x)
    with pytest.raises(ValueError, match="`latent_dim` \\(2\\) must be at least the number of observations"):
        dsr.PLRNN(2, 3)
    with pytest.raises(ValueError, match="`observation`"):
        dsr.PLRNN(3, 2, observation="linear")
    with pytest.raises(ValueError, match="`relu_units`"):
        dsr.ALRNN(3, 2, relu_units=4)


def test_map_model_and_neural_ode_flow_map():
    lin = torch.nn.Linear(3, 3)
    m = dsr.MapModel(lin, 3, 2)
    z = torch.randn(4, 3)
    torch.testing.assert_close(m.step(z), lin(z))
    torch.testing.assert_close(m.jacobian(z), lin.weight.expand(4, 3, 3))

    class Field(torch.nn.Module):
        def forward(self, y):
            return -y

    node = NeuralODE(Field(), rtol=1e-10, atol=1e-12)
    flow = dsr.MapModel.from_neural_ode(node, 0.5, 3, 3)
    torch.testing.assert_close(flow.step(z), z * torch.exp(torch.tensor(-0.5)), rtol=1e-8, atol=1e-10)
