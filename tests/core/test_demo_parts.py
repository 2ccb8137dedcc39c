"""The demo's chaos and games parts: their reported figures are the facts they claim."""

import subprocess
import sys

import pytest

from attractor.demos import PARTS


def test_every_listed_part_has_a_title_and_run():
    import importlib

    for name in PARTS:
        module = importlib.import_module(f"attractor.demos.{name}")
        assert isinstance(module.TITLE, str) and callable(module.run)


def test_game_part_equilibria_are_exact_and_learning_approaches_cce():
    from attractor.demos import game_equilibria

    figures = game_equilibria.run(quick=True)
    assert figures["6x6 game: equilibria"] >= 1
    assert figures["6x6 game: max exploitability"] < 1e-9
    assert figures["3-player QRE limit: exploitability"] < 1e-6
    assert figures["regret matching, 2000 rounds: CCE gap"] < 0.05


def test_chaos_part_matches_lorenz_references():
    from attractor.demos import chaos_invariants

    figures = chaos_invariants.run(quick=True)
    total, exact = (float(v) for v in figures["lorenz Σλ vs -(σ+1+β)"].split(" vs "))
    assert total == pytest.approx(exact, abs=1e-2)
    assert float(figures["lorenz Kaplan-Yorke dim"].split()[0]) == pytest.approx(2.06, abs=0.03)
    assert float(figures["hénon λ1"].split()[0]) == pytest.approx(0.419, abs=0.02)


def test_unknown_part_is_refused():
    out = subprocess.run([sys.executable, "-m", "attractor", "demo", "--only", "nope"],
                         check=False, capture_output=True, text=True)
    assert out.returncode != 0 and "unknown part" in out.stderr


def test_transport_part_learns_the_moons():
    import torch

    from attractor.demos import transport_flow_matching

    torch.manual_seed(0)
    figures = transport_flow_matching.run(quick=True)
    floor = figures["W2 floor (two data draws)"]
    # an untrained field leaves the samples Gaussian: W2 to the moons about 2
    assert figures["adaptive ODE (dopri5): W2"] < floor + 0.3
    assert figures["best 10-step sampler: W2"] < floor + 0.3
    assert 10 < figures["adaptive ODE (dopri5): nfe"] < 200
    # a second-order 10-step sampler integrates the learned flow better than Euler
    assert figures["best 10-step sampler"] != "Euler"
    assert figures["best 10-step sampler: RMS from adaptive"] < 0.5 * figures["Euler 10 steps: RMS from adaptive"]
