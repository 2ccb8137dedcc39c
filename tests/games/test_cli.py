"""``attractor nash``."""

import json

import pytest

from attractor.cli import main
from attractor.games import battle_of_the_sexes, random_game, write_nfg


def test_text_output(tmp_path, capsys):
    path = tmp_path / "bos.nfg"
    write_nfg(battle_of_the_sexes(), path)
    assert main(["nash", str(path)]) == 0
    out = capsys.readouterr().out
    assert "3 equilibria" in out and "O=0.666667" in out


def test_json_output_and_methods(tmp_path, capsys):
    path = tmp_path / "bos.nfg"
    write_nfg(battle_of_the_sexes(), path, version="outcome")
    assert main(["nash", str(path), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["method"] == "vertex" and len(doc["equilibria"]) == 3 and doc["complete"]
    assert main(["nash", str(path), "--json", "--method", "lemke_howson", "--label", "0"]) == 0
    assert len(json.loads(capsys.readouterr().out)["equilibria"]) == 1
    assert main(["nash", str(path), "--json", "--method", "pure"]) == 0
    assert len(json.loads(capsys.readouterr().out)["equilibria"]) == 2


def test_n_player_game(tmp_path, capsys):
    path = tmp_path / "g3.nfg"
    write_nfg(random_game(2, n_players=3, seed=1), path)
    assert main(["nash", str(path), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["method"] == "qre" and len(doc["equilibria"]) == 1


def test_errors(tmp_path, capsys):
    bad = tmp_path / "bad.nfg"
    bad.write_text('NFG 1 R "t" { "a" "b" } { 2 2 }\n1 2 3 x 5 6 7 8\n')
    assert main(["nash", str(bad)]) == 2
    assert "line 2" in capsys.readouterr().err
    assert main(["nash", str(tmp_path / "missing.nfg")]) == 2
    with pytest.raises(SystemExit):
        main(["nash", str(bad), "--method", "magic"])
    path = tmp_path / "bos.nfg"
    write_nfg(battle_of_the_sexes(), path)
    assert main(["nash", str(path), "--method", "lp"]) == 1
    assert "constant-sum" in capsys.readouterr().err
