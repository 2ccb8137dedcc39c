"""NeuralSDE: shapes, gradients through every adjoint, and the OU example recovers parameters."""

import importlib.util
import pathlib

import pytest
import torch
from torch import nn

import attractor

F64 = torch.float64
ROOT = pathlib.Path(__file__).resolve().parents[2]


def _load_example(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "examples" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Drift(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(3, 16), nn.Tanh(), nn.Linear(16, 3))

    def forward(self, t, y):
        return self.net(y)


class Diffusion(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.full((3,), -1.0))

    def forward(self, t, y):
        return torch.sigmoid(self.scale * y)


@pytest.mark.parametrize(
    ("solver", "sde_type", "adjoint"),
    [("euler", "ito", "direct"), ("heun", "stratonovich", "backsolve"),
     ("reversible_heun", "stratonovich", "reversible")],
)
def test_neural_sde_forward_and_gradients(solver, sde_type, adjoint):
    torch.manual_seed(0)
    sde = attractor.nn.NeuralSDE(Drift(), Diffusion(), sde_type=sde_type, solver=solver,
                                 adjoint=adjoint, dt=0.05).double()
    y0 = torch.randn(8, 3, dtype=F64)
    t = torch.linspace(0, 1, 5, dtype=F64)
    ys = sde(y0, t, seed=1)
    assert ys.shape == (5, 8, 3)
    ys.square().mean().backward()
    grads = [p.grad for p in sde.parameters()]
    assert all(g is not None and torch.isfinite(g).all() and g.abs().sum() > 0 for g in grads)
    assert sde.last_solution.stats["steps"] == 20


def test_state_only_modules_and_time_dependent_override():
    """Modules whose forward takes the state only are called as module(y) (as in NeuralODE);
    ``time_dependent`` overrides the signature check; the answer is the same either way."""
    torch.manual_seed(0)
    drift, diffusion = nn.Linear(3, 3).double(), nn.Linear(3, 3).double()
    y0 = torch.ones(4, 3, dtype=F64)
    t = torch.tensor([0.0, 0.5, 1.0], dtype=F64)
    bm = attractor.sde.BrownianPath(0.0, (4, 3), seed=2, dtype=F64)
    plain = attractor.nn.NeuralSDE(drift, diffusion, dt=0.05)(y0, t, bm=bm)

    class WithTime(nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, t, y):
            return self.inner(y)

    timed = attractor.nn.NeuralSDE(WithTime(drift), WithTime(diffusion), dt=0.05)(y0, t, bm=bm)
    assert torch.equal(plain, timed)
    with pytest.raises(TypeError, match="positional"):  # forced (t, y) on a state-only module
        attractor.nn.NeuralSDE(drift, diffusion, dt=0.05, time_dependent=True)(y0, t, bm=bm)
    with pytest.raises(TypeError, match="`drift` must be an nn.Module"):
        attractor.nn.NeuralSDE(lambda t, y: y, diffusion)


def test_ou_example_recovers_parameters_quickly():
    example = _load_example("sde_fit_ou")
    found = example.fit(steps=80, n=128, verbose=False)
    for key, true in example.TRUE.items():
        assert abs(found[key] - true) < 0.25 * true, (key, found[key], true)


@pytest.mark.slow
def test_ou_example_recovers_parameters_precisely():
    example = _load_example("sde_fit_ou")
    found = example.fit(steps=300, verbose=False)
    for key, true in example.TRUE.items():
        assert abs(found[key] - true) < 0.08 * true, (key, found[key], true)
