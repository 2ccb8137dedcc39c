"""`attractor reconstruct`: trains, prints the measures, writes JSON; bad options are named."""

import json

import pytest

from attractor.cli import main


def test_reconstruct_writes_the_measures(tmp_path, capsys):
    out = tmp_path / "m.json"
    code = main(["reconstruct", "lorenz", "--epochs", "1", "--train", "600", "--test", "400",
                 "--width", "8", "--json", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "D_stsp" in printed and "lambda_1" in printed
    metrics = json.loads(out.read_text())
    assert metrics["system"] == "lorenz" and metrics["epochs"] == 1
    for key in ("D_stsp", "D_H", "PE_20", "lambda_1", "train_seconds"):
        assert key in metrics
    assert metrics["D_H"] >= 0 and metrics["PE_20"] >= 0


def test_reconstruct_refuses_options_that_do_not_apply(capsys):
    assert main(["reconstruct", "lorenz", "--forcing", "sparse", "--alpha", "0.2"]) == 1
    assert "--alpha applies to --forcing gtf only" in capsys.readouterr().err
    assert main(["reconstruct", "no_such_system", "--epochs", "1"]) == 1
    assert "no_such_system" in capsys.readouterr().err


@pytest.mark.slow
def test_demo_part_reconstructs_lorenz():
    from attractor.demos import dsr_reconstruction

    figures = dsr_reconstruction.run(quick=False)
    assert figures["λ1 relative error"] < 0.1
    assert figures["D_H"] < 0.25
