"""The `attractor systems | simulate | lyapunov` commands."""

from __future__ import annotations

import numpy as np
import pytest

from attractor.cli import main
from attractor.systems import names


def test_systems_lists_every_system(capsys):
    assert main(["systems"]) == 0
    out = capsys.readouterr().out
    for name in names():
        assert f"\n{name} " in out
    assert f"{len(names())} systems" in out
    assert main(["systems", "--kind", "map", "-v"]) == 0
    out = capsys.readouterr().out
    assert "henon" in out and "lorenz " not in out and "cite:" in out


@pytest.mark.parametrize("name, suffix, dim", [("henon", ".csv", 2), ("lorenz", ".npy", 3), ("logistic", ".csv", 1)])
def test_simulate_writes_trajectory_and_plot(tmp_path, capsys, name, suffix, dim):
    out = tmp_path / f"traj{suffix}"
    png = tmp_path / "plot.png"
    args = ["simulate", name, "--steps", "300", "--out", str(out), "--plot", str(png)]
    if name == "lorenz":
        args += ["--param", "rho=30"]
    assert main(args) == 0
    data = np.load(out) if suffix == ".npy" else np.loadtxt(out, delimiter=",", skiprows=1)
    assert data.shape == (300, dim + 1)
    assert np.isfinite(data).all()
    assert png.stat().st_size > 10_000 and png.read_bytes()[:4] == b"\x89PNG"
    assert "wrote" in capsys.readouterr().out


def test_simulate_rejects_bad_input(tmp_path):
    with pytest.raises(SystemExit, match="unknown system"):
        main(["simulate", "nosuchsystem", "--steps", "10", "--out", str(tmp_path / "a.csv")])
    with pytest.raises(SystemExit, match=".csv or .npy"):
        main(["simulate", "henon", "--steps", "10", "--out", str(tmp_path / "a.txt")])
    with pytest.raises(SystemExit, match="NAME=VALUE"):
        main(["simulate", "henon", "--param", "a", "--out", str(tmp_path / "a.csv")])


def test_lyapunov_prints_spectrum_and_references(capsys):
    assert main(["lyapunov", "cat_map"]) == 0
    out = capsys.readouterr().out
    assert "λ1" in out and "0.9624" in out and "Kaplan–Yorke" in out and "status SUCCESS" in out


def test_lyapunov_prints_the_independent_check_where_one_exists(capsys):
    # a short, loose run: only the printed reference lines are under test here
    main(["lyapunov", "henon_heiles", "--tol", "0.5", "--max-time", "50", "--ensemble", "8"])
    out = capsys.readouterr().out
    assert "λ1 independent check" in out and "0.0024" in out
    assert "contradicted by the project's cross-check" in out  # dysts's 0.0355 vs 0.0024


def test_systems_flags_references_the_cross_check_contradicts(capsys):
    from attractor.systems import get

    assert main(["systems"]) == 0
    out = capsys.readouterr().out
    lines = {line.split()[0]: line for line in out.splitlines() if line and not line.startswith(" ")}
    # dysts's λ1 for Chua (1.23) and the double pendulum (3.985) are contradicted; Lorenz's is not
    assert "1.23*" in lines["chua"] and "3.985*" in lines["double_pendulum"]
    assert "0.9056*" not in lines["lorenz"] and "0.9056" in lines["lorenz"]
    footnote = out[out.index("* published λ1"):]
    assert "chua" in footnote and "0.4443 ± 0.026" in footnote
    assert "double_pendulum" in footnote and "Hamilton" in footnote
    assert get("chua").reference.suspect and not get("lorenz").reference.suspect
    # every flagged system is in the footnote, and only those
    flagged = {name for name, line in lines.items() if len(line.split()) > 4 and line.split()[4].endswith("*")}
    listed = {line.split()[0] for line in footnote.splitlines()[1:] if line.startswith("  ")}
    assert flagged == listed and {"chua", "double_pendulum"} <= flagged
