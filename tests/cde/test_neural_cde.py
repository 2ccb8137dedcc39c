"""NeuralCDE: shapes and gradients; the irregular-spirals example clearly beats chance."""

import importlib.util
import pathlib

import pytest
import torch

import attractor
from attractor.cde import HermiteCubic, LinearInterpolation

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _load_example(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "examples" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("cls", [LinearInterpolation, HermiteCubic])
def test_neural_cde_shapes_and_gradients(cls):
    torch.manual_seed(0)
    x = torch.randn(6, 10, 3)
    X = cls(x, torch.linspace(0, 1, 10))
    model = attractor.nn.NeuralCDE(3, 8, 2)
    out = model(X)
    assert out.shape == (6, 2)
    seq = model(X, return_sequences=True)
    assert seq.shape == (10, 6, 2)
    out.sum().backward()
    assert all(p.grad is not None for p in model.parameters())


def test_neural_cde_names_a_channel_mismatch():
    X = LinearInterpolation(torch.randn(2, 5, 2), torch.linspace(0, 1, 5))
    with pytest.raises(ValueError, match="`X` has 2 channels.*input_channels=3"):
        attractor.nn.NeuralCDE(3, 8, 2)(X)
    with pytest.raises(TypeError, match="control path"):
        attractor.nn.NeuralCDE(2, 8, 2)(torch.randn(2, 5, 2))


def test_neural_cde_with_backsolve_adjoint():
    torch.manual_seed(0)
    X = HermiteCubic(torch.randn(4, 8, 2), torch.linspace(0, 1, 8))
    model = attractor.nn.NeuralCDE(2, 6, 1, solver="tsit5", rtol=1e-5, atol=1e-6,
                                   adjoint="backsolve")
    model(X).sum().backward()
    assert all(torch.isfinite(p.grad).all() for p in model.parameters())


def test_spirals_example_beats_chance_clearly():
    example = _load_example("cde_spirals")
    accuracy = example.train(epochs=2, n_train=256, n_test=256, verbose=False)
    assert accuracy > 0.85  # chance is 0.5
