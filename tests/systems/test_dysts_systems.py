"""The systems taken over from the dysts database: coverage, equations (against dysts's own
right-hand sides where dysts is installed), forced flows on the extended phase space, exact
invariants, aliases and parameter validation."""

from __future__ import annotations

import json
import math
import re
import warnings

import numpy as np
import pytest
import torch

from attractor.analysis import lyapunov_spectrum
from attractor.systems import get, names, trajectory
from attractor.systems.checks import is_bounded
from attractor.systems.flows.conservative import swinging_atwood_energy

FORCED = [n for n in names("flow") if not get(n).autonomous]
# dysts systems the registry leaves out, and why
EXCLUDED = {
    # delay equations: infinite-dimensional, outside the dy/dt = f(t, y) contract
    "MackeyGlass", "IkedaDelay", "SprottDelay", "VossDelay", "ScrollDelay", "PiecewiseCircuit",
    # listed in dysts's maps file without a working definition (commented out or absent)
    "ZeraouliaSprott", "EndCap",
    # a stroboscopic map needing a root solve per step; the blinking vortex flow is registered
    "BlinkingVortexMap",
}
# dysts names registered under another name
RENAMED = {"Chirikov": "standard_map", "Gauss": "gauss_map", "Duffing(map)": "duffing_map",
           "Circle": "circle_map", "KaplanYorke": "kaplan_yorke_map"}


def _key(name: str) -> str:
    return re.sub(r"[^0-9a-z]", "", name.lower())


def _dysts_json(which: str) -> dict:
    dysts = pytest.importorskip("dysts")
    from importlib import resources

    return json.loads(resources.files(dysts).joinpath(f"data/{which}.json").read_text())


def test_every_dysts_system_is_registered_or_excluded_with_a_reason():
    flows, maps = _dysts_json("chaotic_attractors"), _dysts_json("discrete_maps")
    missing = []
    for name in list(flows) + [m if m != "Duffing" else "Duffing(map)" for m in maps]:
        if name in EXCLUDED:
            continue
        target = RENAMED.get(name, name)
        try:
            system = get(target)
        except ValueError:
            missing.append(name)
            continue
        assert system.kind == ("flow" if name in flows else "map"), name
    assert not missing, missing


def test_forced_flows_are_the_fifteen_of_dysts_and_the_bickley_jet():
    flows = _dysts_json("chaotic_attractors")
    nonautonomous = {_key(n) for n, e in flows.items() if e.get("nonautonomous")}
    assert len(nonautonomous) == 15
    assert {_key(n) for n in FORCED} == nonautonomous | {"bickleyjet"}


@pytest.mark.parametrize("name", FORCED)
def test_forced_flow_carries_its_phase_in_the_state(name):
    s = get(name)
    i = s.forcing_phase
    assert not s.autonomous and i in s.periodic and 0 <= i < s.dim
    g = torch.Generator().manual_seed(0)
    y = s.y0 + 0.01 * torch.randn(5, s.dim, generator=g, dtype=torch.float64)
    f0 = s.rhs(0.0, y)
    # the field ignores t (the phase is the clock) and the phase advances at a constant rate
    torch.testing.assert_close(s.rhs(123.4, y), f0, rtol=0, atol=0)
    assert torch.allclose(f0[:, i], f0[0, i].expand(5)) and f0[0, i] > 0
    assert (s.jacobian(y)[:, i, :] == 0).all()


@pytest.mark.parametrize("name", [n for n in FORCED if n != "bickley_jet"])
def test_forced_field_is_periodic_in_its_phase(name):
    s = get(name)
    # an angle (θ' = ω, forcing cos θ) has period 2π; a protocol time (s' = 1) has period τ
    period = s.params["tau"] if "tau" in s.params else 2 * math.pi
    y = s.y0.clone()
    shifted = y.clone()
    shifted[s.forcing_phase] += period
    torch.testing.assert_close(s.rhs(0.0, shifted), s.rhs(0.0, y), rtol=1e-9, atol=1e-12)


def _dysts_flow(name):
    from dysts import flows

    camel = {"forced_fitzhugh_nagumo": "ForcedFitzHughNagumo", "beer_rnn": "BeerRNN"}.get(
        name, "".join(p.capitalize() for p in name.split("_")))
    return getattr(flows, camel)()


# the flows added from dysts (with dysts's equations and parameters; the torus is rewritten)
DYSTS_FLOWS = (
    "anishchenko_astakhov", "arnold_beltrami_childress", "arnold_web", "atmospheric_regime",
    "beer_rnn", "belousov_zhabotinsky", "bickley_jet", "blasius", "blinking_rotlet",
    "blinking_vortex", "bouali2", "ca_two_plus", "ca_two_plus_quasiperiodic", "cell_cycle",
    "cellular_neural_network", "circadian_rhythm", "coevolving_predator_prey", "colpitts",
    "double_gyre", "duffing", "excitable_cell", "fluid_trampoline", "forced_brusselator",
    "forced_fitzhugh_nagumo", "forced_van_der_pol", "glycolytic_oscillation",
    "guckenheimer_holmes", "hopfield", "hyper_qi", "hyper_yan", "interior_squirmer",
    "isothermal_chemical", "itik_banks_tumor", "jerk_circuit", "lid_driven_cavity_flow",
    "liu_chen", "lorenz_bounded", "lorenz_coupled", "lu_chen_cheng", "mac_arthur", "multi_chua",
    "oscillating_flow", "pan_xu_zhou", "salton_sea", "san_um_srisuchinwong", "sprott_more",
    "sprott_torus", "stick_slip_oscillator", "swinging_atwood", "thomas_labyrinth", "tsucs2",
    "turchin_hanski", "windmi_reduced", "yu_wang2",
)


@pytest.mark.parametrize("name", DYSTS_FLOWS)
def test_field_equals_dysts_right_hand_side(name):
    pytest.importorskip("dysts")
    warnings.filterwarnings("ignore", message="Numba not installed")
    s, model = get(name), _dysts_flow(name)
    ys = trajectory(s, 40, solver="rk4")
    ours = s.rhs(0.0, ys).numpy()
    theirs = np.array([np.asarray(model.rhs(y.numpy(), 0.0), dtype=float) for y in ys])
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12 * np.abs(theirs).max())


@pytest.mark.parametrize(
    "name, params",
    [("bogdanov", {}), ("gumowski_mira", {"a": -1.1, "b": -0.2}), ("maynard_smith", {}),
     ("pickover", {}), ("svensson", {}), ("bedhead", {}), ("hopalong", {}),
     ("kaplan_yorke_map", {})],
)
def test_map_equals_dysts_map(name, params):
    pytest.importorskip("dysts")
    from dysts import maps

    camel = {"kaplan_yorke_map": "KaplanYorke"}.get(name, "".join(p.capitalize() for p in name.split("_")))
    model = getattr(maps, camel)()
    s = get(name, **params)
    g = torch.Generator().manual_seed(1)
    ys = 0.2 + 0.5 * torch.rand(20, s.dim, generator=g, dtype=torch.float64)
    theirs = model.rhs(ys.numpy())
    np.testing.assert_allclose(s.rhs(0, ys).numpy(), theirs, rtol=1e-12, atol=1e-12)


def test_circle_map_is_dysts_circle_map_modulo_one():
    s = get("circle")
    assert s.name == "circle_map"
    x = torch.linspace(0.01, 0.99, 30, dtype=torch.float64).unsqueeze(-1)
    raw = x + 0.333 + 5.7 / (2 * math.pi) * torch.sin(2 * math.pi * x)
    torch.testing.assert_close(s.rhs(0, x), torch.remainder(raw, 1.0))


@pytest.mark.parametrize(
    "name, exact",
    [("baker", [math.log(2), math.log(0.5)]), ("kaplan_yorke_map", [math.log(2), math.log(0.2)])],
)
def test_maps_with_exact_exponents(name, exact):
    s = get(name)
    res = lyapunov_spectrum(s, s.y0, tol=0.0, max_time=3000, on_failure="status")
    torch.testing.assert_close(res.exponents, torch.tensor(exact, dtype=torch.float64), atol=2e-3, rtol=0)
    assert s.reference.lyapunov_spectrum == pytest.approx(exact, abs=1e-6)
    assert res.sum.item() == pytest.approx(sum(exact), abs=1e-9)  # constant Jacobian diagonal


@pytest.mark.parametrize(
    "name, log_det",
    [("zaslavskii", -3.0), ("gumowski_mira", math.log(0.95)), ("hopalong", 0.0), ("bogdanov", 0.0)],
)
def test_sum_rule_for_maps_with_constant_jacobian_determinant(name, log_det):
    s = get(name)
    res = lyapunov_spectrum(s, s.y0, tol=0.0, max_time=500, on_failure="status")
    assert res.sum.item() == pytest.approx(log_det, abs=1e-8)


def test_chaotic_new_maps_have_positive_exponents():
    for name in ("zaslavskii", "gumowski_mira", "circle_map", "pickover", "svensson", "bedhead"):
        s = get(name)
        res = lyapunov_spectrum(s, s.y0, n_exponents=1, tol=0.0, max_time=2000, on_failure="status")
        assert res.exponents[0] > 0.1, (name, res.exponents)


@pytest.mark.parametrize(
    "name, trace",
    [("hyper_qi", -50 + 24 - 13 - 8), ("lorenz_coupled", -(2 * 10 + 2.85 + 2 + 2 * 2.667)),
     ("arnold_beltrami_childress", 0.0), ("arnold_web", 0.0), ("swinging_atwood", 0.0)],
)
def test_constant_divergence(name, trace):
    s = get(name)
    g = torch.Generator().manual_seed(3)
    y = s.y0 + 0.1 * torch.randn(8, s.dim, generator=g, dtype=torch.float64)
    div = torch.diagonal(s.jacobian(y), dim1=-2, dim2=-1).sum(-1)
    torch.testing.assert_close(div, torch.full_like(div, trace), rtol=0, atol=1e-10)


def test_lyapunov_sum_of_a_constant_divergence_flow():
    s = get("lorenz_coupled")
    res = lyapunov_spectrum(s, s.y0, tol=0.0, max_time=5, on_failure="status")
    # exact for any orbit, up to RK4's O(dt⁴) error in the tangent map's determinant
    assert res.sum.item() == pytest.approx(-(2 * 10 + 2.85 + 2 + 2 * 2.667), abs=1e-3)


def test_torus_flow_is_the_linear_flow_on_its_tube():
    s = get("torus")
    times, ys = trajectory(s, 2000, rtol=1e-10, atol=1e-12, return_times=True)
    rho = ys[:, :2].norm(dim=-1)
    tube = ((rho - s.params["r"]) ** 2 + ys[:, 2] ** 2).sqrt()
    torch.testing.assert_close(tube, torch.full_like(tube, s.params["a"]), rtol=0, atol=1e-7)
    # both angles advance uniformly: one turn about the axis per 2π, n about the tube
    phi = torch.atan2(ys[:, 1], ys[:, 0])
    psi = torch.atan2(ys[:, 2], rho - s.params["r"])
    for angle, rate in ((phi, 1.0), (psi, s.params["n"])):
        wrapped = torch.remainder(angle - rate * times + math.pi, 2 * math.pi) - math.pi
        assert wrapped.abs().max() < 1e-6


def test_swinging_atwood_conserves_energy_and_is_hamiltonian():
    s = get("swinging_atwood")
    ys = trajectory(s, 500, rtol=1e-11, atol=1e-12)
    e = swinging_atwood_energy(ys, **s.params)
    assert (e - e[0]).abs().max() <= 1e-7 * max(1.0, abs(e[0].item()))
    y = s.y0.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(swinging_atwood_energy(y, **s.params), y)
    torch.testing.assert_close(s.rhs(0.0, s.y0), torch.cat([grad[2:], -grad[:2]]), rtol=1e-10, atol=1e-10)


def test_lorenz_bounded_is_lorenz_inside_a_ball():
    s, lorenz = get("lorenz_bounded"), get("lorenz", beta=2.667)
    y = torch.tensor([[1.0, 2.0, 3.0], [40.0, 40.0, 30.0]], dtype=torch.float64)
    scale = 1 - (y**2).sum(-1, keepdim=True) / 64.0**2
    torch.testing.assert_close(s.rhs(0.0, y), lorenz.rhs(0.0, y) * scale)
    assert (scale[1] < 0).all()  # outside the ball the flow points inwards


def test_bounded_check_of_a_flow_on_a_torus():
    s = get("arnold_beltrami_childress")
    assert set(s.periodic) == {0, 1, 2}
    assert is_bounded(s, trajectory(s, 200, solver="rk4"))[0]
    bad = trajectory(s, 10, solver="rk4")
    bad[5, 0] = float("nan")
    assert not is_bounded(s, bad)[0]


def test_aliases_and_the_documented_bogdanov():
    assert get("bogdanov").kind == "map" and get("bogdanov").dim == 2
    assert get("NewtonLiepnik").name == "newton_leipnik"
    assert get("RikitakeDynamo").name == "rikitake"
    assert get("KaplanYorke").name == "kaplan_yorke_map"
    assert names("map")[:3] == ["baker", "bedhead", "bogdanov"]


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
def test_non_finite_parameters_are_refused_by_name(value):
    with pytest.raises(ValueError, match="parameter `rho` of `lorenz` must be finite"):
        get("lorenz", rho=value)
    with pytest.raises(ValueError, match="parameter `rho` of `lorenz` must be finite.*1 NaN/inf"):
        get("lorenz", rho=torch.tensor([28.0, value]))


def test_vector_parameters_override_and_keep_references_at_their_defaults():
    s = get("multi_chua")
    assert s.reference.max_lyapunov is not None
    same = get("multi_chua", c=torch.tensor(s.defaults["c"], dtype=torch.float64))
    assert same.reference == s.reference
    other = get("multi_chua", c=torch.tensor([0.0, 1.0, 2.0, 3.0, 8.0, 13.0], dtype=torch.float64))
    assert other.reference.max_lyapunov is None
    y = s.y0.unsqueeze(0)
    assert not torch.equal(other.rhs(0.0, y), s.rhs(0.0, y))


def test_measurement_noise_spares_the_forcing_phase():
    s = get("duffing")
    clean = trajectory(s, 300)
    noisy = trajectory(s, 300, noise=0.1, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(noisy[:, 2], clean[:, 2], rtol=0, atol=0)
    assert ((noisy[:, :2] - clean[:, :2]).std(0) > 0.05 * clean[:, :2].std(0)).all()
