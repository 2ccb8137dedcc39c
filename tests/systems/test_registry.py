"""The registry: contents, metadata, vector fields, Jacobians, parameters."""

from __future__ import annotations

import json
import math
from importlib import resources

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from attractor.systems import Reference, System, get, names
from attractor.systems.flows.conservative import (
    double_pendulum_energy,
    henon_heiles_energy,
    nuclear_quadrupole_energy,
)
from attractor.systems.registry import _key

ALL = names()
FLOWS = names("flow")
MAPS = names("map")


def test_registry_size():
    assert len(FLOWS) >= 40
    assert len(MAPS) >= 8
    assert len(set(ALL)) == len(ALL)


@pytest.mark.parametrize("query", ["lorenz", "Lorenz", "LORENZ", " lorenz "])
def test_lookup_ignores_case_and_spacing(query):
    assert get(query).name == "lorenz"


def test_lookup_variants_of_multiword_names():
    assert get("Sprott A").name == get("sprott-a").name == get("SprottA").name == "sprott_a"


def test_unknown_name_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown system 'lorenz64'.*lorenz"):
        get("lorenz64")
    with pytest.raises(TypeError, match="`name`"):
        get(3)


@pytest.mark.parametrize("name", ALL)
def test_metadata_and_field_shapes(name):
    s = get(name)
    assert isinstance(s, System) and s.kind in ("flow", "map")
    assert s.citation and s.description
    assert s.dt > 0 and (s.kind == "flow" or s.dt == 1.0)
    y0 = s.y0
    assert y0.shape == (s.dim,) and y0.dtype == torch.float64 and torch.isfinite(y0).all()
    y0.add_(1.0)  # y0 is a copy: mutating it leaves the system alone
    assert not torch.equal(s.y0, y0)
    f0 = s.rhs(0.0, s.y0)
    assert f0.shape == (s.dim,) and torch.isfinite(f0).all()


@pytest.mark.parametrize("name", ALL)
def test_batch_equals_per_sample_and_dtype_follows_input(name):
    s = get(name)
    gen = torch.Generator().manual_seed(1)
    ys = s.y0 + 0.01 * torch.randn(4, s.dim, generator=gen, dtype=torch.float64)
    batched = s.rhs(0.0, ys)
    single = torch.stack([s.rhs(0.0, y) for y in ys])
    torch.testing.assert_close(batched, single, rtol=1e-14, atol=1e-14)
    assert s.rhs(0.0, ys.float()).dtype == torch.float32
    assert s.rhs(0.0, ys.reshape(2, 2, s.dim)).shape == (2, 2, s.dim)


@pytest.mark.parametrize("name", ALL)
def test_batched_jacobian_matches_autograd_per_sample(name):
    s = get(name)
    gen = torch.Generator().manual_seed(2)
    ys = s.y0 + 0.01 * torch.randn(3, s.dim, generator=gen, dtype=torch.float64)
    jac = s.jacobian(ys)
    assert jac.shape == (3, s.dim, s.dim)
    for y, j in zip(ys, jac):
        ref = torch.autograd.functional.jacobian(lambda z: s.rhs(0.0, z), y)
        torch.testing.assert_close(j, ref, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", [n for n in ALL if get(n).has_tangent])
def test_analytic_tangent_maps_match_autograd(name):
    s = get(name)
    gen = torch.Generator().manual_seed(3)
    ys = s.y0 + 0.1 * torch.randn(5, s.dim, generator=gen, dtype=torch.float64)
    v = torch.randn(5, s.dim, 2, generator=gen, dtype=torch.float64)
    torch.testing.assert_close(s.tangent(0.0, ys, v), s.jacobian(ys) @ v, rtol=1e-12, atol=1e-12)


def test_lorenz_jacobian_closed_form():
    s = get("lorenz")
    x, y, z = 1.5, -2.0, 20.0
    jac = s.jacobian(torch.tensor([x, y, z], dtype=torch.float64))
    sigma, rho, beta = 10.0, 28.0, 8 / 3
    expected = torch.tensor(
        [[-sigma, sigma, 0.0], [rho - z, -1.0, -x], [y, x, -beta]], dtype=torch.float64
    )
    torch.testing.assert_close(jac, expected)


def test_parameters_override_and_references_clear():
    s = get("lorenz", rho=35.0)
    assert s.params["rho"] == 35.0 and get("lorenz").params["rho"] == 28.0
    assert s.reference == Reference()
    assert get("lorenz").reference.max_lyapunov == pytest.approx(0.9056)
    assert get("lorenz", rho=28.0).reference.max_lyapunov == pytest.approx(0.9056)
    y = torch.tensor([1.0, 1.0, 1.0], dtype=torch.float64)
    assert s.rhs(0.0, y)[1] == pytest.approx(1.0 * (35.0 - 1.0) - 1.0)
    with pytest.raises(ValueError, match="no parameter.*'gamma'"):
        get("lorenz", gamma=1.0)


@pytest.mark.parametrize("value", ["x", None, True, [1.0]])
def test_parameter_values_must_be_numbers_or_tensors(value):
    with pytest.raises(TypeError, match="parameter `sigma` of `lorenz` must be a real number or a tensor"):
        get("lorenz", sigma=value)


def test_tensor_parameters_broadcast_over_the_batch_and_carry_gradients():
    rho = torch.tensor([28.0, 35.0], dtype=torch.float64, requires_grad=True)
    s = get("lorenz", rho=rho)
    y = torch.ones(2, 3, dtype=torch.float64)
    f = s.rhs(0.0, y)
    torch.testing.assert_close(f[:, 1], rho.detach() - 2.0)
    f[:, 1].sum().backward()
    torch.testing.assert_close(rho.grad, torch.ones(2, dtype=torch.float64))


def test_lorenz96_dimension_is_a_parameter():
    s = get("lorenz96", n=10)
    assert s.dim == 10 and s.y0.shape == (10,)
    # the uniform state x_i = F is an equilibrium of the ring
    assert s.rhs(0.0, torch.full((7,), 8.0, dtype=torch.float64)).abs().max() == 0
    with pytest.raises(ValueError, match="`n`"):
        _ = get("lorenz96", n=3).y0


def test_reference_data_file_names_registered_systems():
    text = resources.files("attractor.systems").joinpath("data/references.json").read_text()
    data = json.loads(text)
    assert set(data) <= set(ALL)
    for name, entry in data.items():
        assert entry["source"], name
        if entry.get("lyapunov_spectrum"):
            assert entry["max_lyapunov"] == pytest.approx(entry["lyapunov_spectrum"][0])
    assert sum(get(n).reference.max_lyapunov is not None for n in FLOWS) >= 40


def test_exact_references_of_maps():
    assert get("logistic").reference.max_lyapunov == pytest.approx(math.log(2))
    assert get("tent").reference.max_lyapunov == pytest.approx(math.log(2 * 0.95))
    assert get("chebyshev").reference.max_lyapunov == pytest.approx(math.log(6))
    assert get("cat_map").reference.lyapunov_spectrum[0] == pytest.approx(math.log((3 + 5**0.5) / 2))


@pytest.mark.parametrize(
    "name, energy",
    [
        ("henon_heiles", henon_heiles_energy),
        ("double_pendulum", double_pendulum_energy),
        ("nuclear_quadrupole", nuclear_quadrupole_energy),
    ],
)
def test_hamiltonian_flows_conserve_energy(name, energy):
    from attractor.systems import trajectory

    s = get(name)
    ys = trajectory(s, 500, rtol=1e-10, atol=1e-12)
    e = energy(ys, **s.params)
    assert (e - e[0]).abs().max() <= 1e-7 * max(1.0, abs(e[0].item()))


def test_hamiltonian_energy_is_consistent_with_the_field():
    # dy/dt = J ∇H for the canonical coordinates (q, p): checks field and energy together
    for name, energy in [
        ("henon_heiles", henon_heiles_energy),
        ("double_pendulum", double_pendulum_energy),
    ]:
        s = get(name)
        y = s.y0.clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(energy(y, **s.params), y)
        half = s.dim // 2
        expected = torch.cat([grad[half:], -grad[:half]])
        torch.testing.assert_close(s.rhs(0.0, s.y0), expected, rtol=1e-10, atol=1e-10)


@settings(max_examples=25, deadline=None)
@given(name=st.sampled_from(ALL), scale=st.floats(0.0, 0.05))
def test_property_batch_equals_per_sample(name, scale):
    s = get(name)
    gen = torch.Generator().manual_seed(4)
    ys = s.y0 + scale * torch.randn(3, s.dim, generator=gen, dtype=torch.float64)
    torch.testing.assert_close(s.rhs(0.0, ys)[1], s.rhs(0.0, ys[1]))


@settings(max_examples=25, deadline=None)
@given(bad=st.one_of(st.text(min_size=1, max_size=8), st.integers()))
def test_property_bad_names_and_parameters_raise(bad):
    if isinstance(bad, str):
        if _key(bad) in {_key(n) for n in ALL}:
            return
        with pytest.raises(ValueError):
            get(bad)
    else:
        with pytest.raises(TypeError):
            get(bad)
