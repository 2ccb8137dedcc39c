"""Gambit .nfg files: both versions, round trips, interoperability and malformed input."""

import io

import numpy as np
import pytest
import torch

from attractor.games import (
    NFGFormatError,
    NormalFormGame,
    parse_nfg,
    random_game,
    read_nfg,
    write_nfg,
)

from ._peers import gambit

# The example of Gambit's documentation of the format (outcome version).
OUTCOME_EXAMPLE = """NFG 1 R "Two person 2 x 2 game with unique mixed equilibrium"
{ "Player 1" "Player 2" }
{
{ "1" "2" }
{ "1" "2" }
}
""

{
{ "" 1, 0 }
{ "" 0, 1 }
{ "" 0, 1 }
{ "" 1, 0 }
}
1 2 3 4
"""

# Selten's 3-player example (payoff version, player 1's strategy changes fastest).
PAYOFF_EXAMPLE = """NFG 1 R "Selten (IJGT, 75), Figure 2, normal form"
{ "Player 1" "Player 2" "Player 3" } { 2 2 2 }

1 1 0 2 0 2 1 1 0 3 2 0 0 0 0 0 0 0 0 0 0 0 0 0
"""


def test_outcome_version_example():
    game = parse_nfg(OUTCOME_EXAMPLE)
    assert game.players == ("Player 1", "Player 2")
    assert game.title == "Two person 2 x 2 game with unique mixed equilibrium"
    # profile order: (1,1), (2,1), (1,2), (2,2) -> outcomes 1..4
    assert game.payoffs[0].tolist() == [[1.0, 0.0], [0.0, 1.0]]
    assert game.payoffs[1].tolist() == [[0.0, 1.0], [1.0, 0.0]]


def test_payoff_version_example_ordering():
    game = parse_nfg(PAYOFF_EXAMPLE)
    assert game.num_actions == (2, 2, 2)
    assert game.payoffs[:, 0, 0, 0].tolist() == [1.0, 1.0, 0.0]
    assert game.payoffs[:, 1, 0, 0].tolist() == [2.0, 0.0, 2.0]  # player 1 fastest
    assert game.payoffs[:, 0, 1, 0].tolist() == [1.0, 1.0, 0.0]
    assert game.payoffs[:, 1, 1, 0].tolist() == [3.0, 2.0, 0.0]
    assert float(game.payoffs[:, :, :, 1].abs().sum()) == 0.0


def test_numbers_in_all_notations_and_escaped_names():
    text = 'NFG 1 D "a \\"quoted\\" title" { "P1" "P2" } { 1 2 }\n1/2 -3 2.5e-1 7 '
    game = parse_nfg(text)
    assert game.title == 'a "quoted" title'
    assert game.payoffs[:, 0, 0].tolist() == [0.5, -3.0]
    assert game.payoffs[:, 0, 1].tolist() == [0.25, 7.0]


@pytest.mark.parametrize("version", ["payoff", "outcome"])
def test_round_trip(tmp_path, version):
    game = random_game((2, 3, 2), seed=4, dtype=torch.float64)
    game = NormalFormGame(game.payoffs, players=["Ann", 'B "b"', "C"],
                          actions=[["u", "d"], ["l", "c", "r"], ["x", "y"]], title="round trip")
    path = tmp_path / "g.nfg"
    write_nfg(game, path, version=version, comment="made by attractor")
    back = read_nfg(path)
    assert torch.equal(back.payoffs, game.payoffs)
    assert back.players == game.players and back.actions == game.actions and back.title == game.title
    stream = io.StringIO(write_nfg(game, version=version))
    assert torch.equal(read_nfg(stream).payoffs, game.payoffs)


@pytest.mark.parametrize("version", ["payoff", "outcome"])
def test_gambit_reads_our_files(tmp_path, version):
    gbt = gambit()
    reader = getattr(gbt, "read_nfg", None)
    if reader is None:
        pytest.skip("pygambit has no read_nfg")
    game = random_game((3, 2, 2), seed=9, dtype=torch.float64)
    path = tmp_path / "g.nfg"
    write_nfg(game, path, version=version)
    arrays = np.stack([np.asarray(a, dtype=float) for a in reader(str(path)).to_arrays()])
    assert np.array_equal(arrays, game.payoffs.numpy())


def test_we_read_gambit_files():
    from ._peers import gambit_game

    game = random_game((2, 4), seed=2, dtype=torch.float64)
    peer = gambit_game(*game.payoffs.numpy())
    text = getattr(peer, "to_nfg", None)
    if text is None:
        pytest.skip("pygambit cannot write .nfg text")
    assert torch.equal(parse_nfg(text()).payoffs, game.payoffs)


@pytest.mark.parametrize(
    "text, line, message",
    [
        ("EFG 2 R", 1, "starts with 'NFG 1 R'"),
        ('NFG 2 R "t" { "a" } { 2 }\n1 2', 1, "version"),
        ('NFG 1 R "t" { "a" "b" }\n{ 2 x }\n1 2 3 4', 2, "number of strategies of player 2"),
        ('NFG 1 R "t" { "a" "b" } { 2 2 }\n\n1 2 3 4\n5 6 seven 8', 4, "payoff"),
        ('NFG 1 R "t" { "a" "b" } { 2 2 }\n1 2 3 4 5 6 7', 2, "unexpected end of file"),
        ('NFG 1 R "t" { "a" "b" } { 1 1 }\n1 2 3', 2, "unexpected '3'"),
        ('NFG 1 R "t" { "a" "b" } { 1 1 }\n{ { "" 1, 2 } }\n2', 3, "outcome index"),
        ('NFG 1 R "t" "a" { 1 }', 1, "expected '{' opening the players"),
        ('NFG 1 R "unterminated', 1, "unterminated"),
        ('NFG 1 R "t" { "a" } { 1 }\n1e999', 2, "finite"),
    ],
)
def test_malformed_files_name_the_line(text, line, message):
    with pytest.raises(NFGFormatError, match=f"line {line}: .*{message}"):
        parse_nfg(text)


def test_read_nfg_argument_errors(tmp_path):
    with pytest.raises(TypeError, match="path or an open text file"):
        read_nfg(42)
    with pytest.raises(FileNotFoundError):
        read_nfg(tmp_path / "missing.nfg")
    with pytest.raises(ValueError, match="version"):
        write_nfg(random_game(2, seed=0), version="binary")
