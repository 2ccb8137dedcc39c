"""Classic games of the textbooks, with their known equilibria in the docstrings.

Payoffs follow the usual conventions (e.g. Osborne & Rubinstein, *A Course in Game Theory*,
1994; Shapley, "Some topics in two-person games", 1964).  All constructors accept ``dtype``
and ``device``.
"""

from __future__ import annotations

import torch

from attractor.games.game import NormalFormGame


def _bimatrix(A, B, dtype, device, title, actions) -> NormalFormGame:
    kw = {"dtype": dtype or torch.get_default_dtype(), "device": device}
    return NormalFormGame.from_bimatrix(
        torch.tensor(A, **kw), torch.tensor(B, **kw), title=title, actions=actions
    )


def prisoners_dilemma(dtype: torch.dtype | None = None, device=None) -> NormalFormGame:
    """Prisoner's dilemma (C, D): payoffs R=3, S=0, T=5, P=1.  Unique equilibrium (D, D)."""
    A = [[3.0, 0.0], [5.0, 1.0]]
    return _bimatrix(A, [list(r) for r in zip(*A)], dtype, device, "Prisoner's dilemma", [["C", "D"]] * 2)


def matching_pennies(dtype: torch.dtype | None = None, device=None) -> NormalFormGame:
    """Matching pennies: zero-sum, unique equilibrium both mixing (1/2, 1/2), value 0."""
    A = [[1.0, -1.0], [-1.0, 1.0]]
    return _bimatrix(A, [[-a for a in r] for r in A], dtype, device, "Matching pennies", [["H", "T"]] * 2)


def rock_paper_scissors(dtype: torch.dtype | None = None, device=None) -> NormalFormGame:
    """Rock-paper-scissors: zero-sum, unique equilibrium (1/3, 1/3, 1/3) for both players."""
    A = [[0.0, -1.0, 1.0], [1.0, 0.0, -1.0], [-1.0, 1.0, 0.0]]
    return _bimatrix(A, [[-a for a in r] for r in A], dtype, device, "Rock-paper-scissors", [["R", "P", "S"]] * 2)


def battle_of_the_sexes(dtype: torch.dtype | None = None, device=None) -> NormalFormGame:
    """Battle of the sexes (opera, football): three equilibria.

    The two pure ones (O, O), (F, F) and the mixed one ``x = (2/3, 1/3)``, ``y = (1/3, 2/3)``.
    """
    A = [[2.0, 0.0], [0.0, 1.0]]
    B = [[1.0, 0.0], [0.0, 2.0]]
    return _bimatrix(A, B, dtype, device, "Battle of the sexes", [["O", "F"]] * 2)


def stag_hunt(dtype: torch.dtype | None = None, device=None) -> NormalFormGame:
    """Stag hunt (S, H): stag pays 4 with a partner and 0 alone, hare always pays 3.

    Equilibria: (S, S), (H, H) and the mixed one with probability 3/4 on stag.
    """
    A = [[4.0, 0.0], [3.0, 3.0]]
    return _bimatrix(A, [list(r) for r in zip(*A)], dtype, device, "Stag hunt", [["S", "H"]] * 2)


def chicken(dtype: torch.dtype | None = None, device=None) -> NormalFormGame:
    """Chicken / hawk-dove (swerve, straight): payoffs 0, -1; 1, -10.

    Equilibria: (swerve, straight), (straight, swerve) and the mixed one with probability
    9/10 on swerve.
    """
    A = [[0.0, -1.0], [1.0, -10.0]]
    return _bimatrix(A, [list(r) for r in zip(*A)], dtype, device, "Chicken", [["Swerve", "Straight"]] * 2)


def shapley_game(dtype: torch.dtype | None = None, device=None) -> NormalFormGame:
    """Shapley's 3x3 game (1964): fictitious play cycles; unique equilibrium, both uniform."""
    A = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    B = [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
    return _bimatrix(A, B, dtype, device, "Shapley's game", None)


def coordination(n: int = 2, dtype: torch.dtype | None = None, device=None) -> NormalFormGame:
    """Pure coordination with identity payoffs: ``2^n - 1`` equilibria (uniform over each support)."""
    eye = torch.eye(n, dtype=dtype or torch.get_default_dtype(), device=device)
    return NormalFormGame.from_bimatrix(eye, eye.clone(), title=f"Coordination ({n} actions)")


CLASSIC_GAMES = {
    "prisoners_dilemma": prisoners_dilemma,
    "matching_pennies": matching_pennies,
    "rock_paper_scissors": rock_paper_scissors,
    "battle_of_the_sexes": battle_of_the_sexes,
    "stag_hunt": stag_hunt,
    "chicken": chicken,
    "shapley_game": shapley_game,
}
