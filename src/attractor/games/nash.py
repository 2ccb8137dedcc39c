"""``nash_equilibria``: one entry point for the Nash solvers, with verified results.

Two-player methods work in float64 on the CPU (pivoting and batched solves are faster there for
games of this size) and return profiles in the game's dtype and device.  Every returned
profile is checked: each player's deviation gain, measured on the original payoffs in float64,
is at most ``tol`` times that player's payoff range.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from attractor._core.errors import ConvergenceError
from attractor._core.status import Status
from attractor._core.validation import check_positive
from attractor.games.game import NormalFormGame, action_values, check_game
from attractor.games.lemke_howson import lemke_howson_all
from attractor.games.profiles import Profile
from attractor.games.support_enumeration import support_enumeration
from attractor.games.vertex_enumeration import vertex_enumeration
from attractor.games.zero_sum import zero_sum_lp


class DegenerateGameWarning(UserWarning):
    """The game is degenerate: some equilibria may lie in continua (connected components)."""


class Equilibria(list):
    """A list of mixed profiles (tuples of per-player probability tensors) with metadata.

    Attributes
    ----------
    method: the method that produced the list.
    degenerate: whether the method detected a degenerate game (then vertex enumeration lists
        the extreme points of the equilibrium components).
    complete: whether the list holds all (extreme) equilibria -- true for vertex enumeration,
        for support enumeration on non-degenerate games and for pure enumeration.
    """

    def __init__(self, profiles: Sequence[Profile], *, method: str, degenerate: bool, complete: bool) -> None:
        super().__init__(profiles)
        self.method = method
        self.degenerate = degenerate
        self.complete = complete

    def stacked(self) -> Profile:
        """The equilibria stacked per player: a tuple of ``(E, a_i)`` tensors."""
        if not self:
            raise ValueError("there are no equilibria to stack.")
        return tuple(torch.stack(xs) for xs in zip(*self))

    def __repr__(self) -> str:
        flags = ", degenerate" if self.degenerate else ""
        return f"Equilibria({len(self)} profile(s), method={self.method!r}{flags})"


# ------------------------------------------------------------------------------ methods
def _bimatrix(game: NormalFormGame) -> tuple[np.ndarray, np.ndarray]:
    if game.n_players != 2:
        raise ValueError(f"this method needs a two-player game; the game has {game.n_players} players.")
    U = game.payoffs.detach().to("cpu", torch.float64).numpy()
    return U[0], U[1]


def _vertex(game: NormalFormGame, options: dict) -> tuple[list, bool, bool]:
    res = vertex_enumeration(*_bimatrix(game), method=options.pop("polytope_method", "auto"))
    return list(zip(res.x, res.y)), res.degenerate, True


def _support(game: NormalFormGame, options: dict) -> tuple[list, bool, bool]:
    res = support_enumeration(*_bimatrix(game))
    return list(zip(res.x, res.y)), res.degenerate, not res.degenerate


def _lemke_howson(game: NormalFormGame, options: dict) -> tuple[list, bool, bool]:
    label = options.pop("label", None)
    labels = None if label is None else ([label] if isinstance(label, int) else list(label))
    res = lemke_howson_all(*_bimatrix(game), labels)
    return list(zip(res.x, res.y)), False, False


def _lp(game: NormalFormGame, options: dict) -> tuple[list, bool, bool]:
    if game.n_players != 2 or not game.is_constant_sum(1e-9):
        raise ValueError("method='lp' needs a two-player constant-sum (e.g. zero-sum) game.")
    A, _ = _bimatrix(game)
    x, y, _ = zero_sum_lp(A)
    return [(x, y)], False, False


def _pure(game: NormalFormGame, options: dict) -> tuple[list, bool, bool]:
    from attractor.games.exploitability import pure_equilibria

    U = game.payoffs.detach().to("cpu", torch.float64)
    scale = float(U.max() - U.min()) if U.numel() else 0.0
    idx = pure_equilibria(NormalFormGame(U), tol=1e-12 * max(scale, 1.0)).tolist()
    eye = [np.eye(a) for a in game.num_actions]
    return [tuple(eye[i][s] for i, s in enumerate(profile)) for profile in idx], False, True


def _qre(game: NormalFormGame, options: dict) -> tuple[list, bool, bool]:
    from attractor.games.qre_homotopy import qre_nash

    profile = qre_nash(game, **options)
    options.clear()
    return [tuple(x.detach().to("cpu", torch.float64).numpy() for x in profile)], False, False


METHODS: dict[str, Callable[[NormalFormGame, dict], tuple[list, bool, bool]]] = {
    "vertex": _vertex,
    "support": _support,
    "lemke_howson": _lemke_howson,
    "lp": _lp,
    "pure": _pure,
    "qre": _qre,
}
ALIASES = {
    "vertex_enumeration": "vertex",
    "enummixed": "vertex",
    "support_enumeration": "support",
    "lh": "lemke_howson",
    "lcp": "lemke_howson",
    "zero_sum": "lp",
    "enumpure": "pure",
    "logit": "qre",
    "homotopy": "qre",
}


def nash_equilibria(
    game: NormalFormGame,
    method: str | None = None,
    *,
    tol: float = 1e-8,
    warn: bool = True,
    **options: Any,
) -> Equilibria:
    """Nash equilibria of ``game`` as a list of mixed profiles.

    Parameters
    ----------
    game:
        A :class:`NormalFormGame`.
    method:
        ``"vertex"`` (default for two players): all extreme equilibria by vertex enumeration
        of the best-response polytopes -- all equilibria of a non-degenerate game;
        ``"support"``: support enumeration (complete for non-degenerate games);
        ``"lemke_howson"``: one equilibrium per starting label (``label=k`` or a list; default
        all ``m + n`` labels, duplicates removed);
        ``"lp"``: the minimax strategies of a two-player constant-sum game (HiGHS);
        ``"pure"``: all pure equilibria (any number of players);
        ``"qre"`` (default for n players): the limit of the principal branch of the logit
        quantal response equilibria, traced by predictor-corrector continuation
        (:func:`attractor.games.logit_homotopy`) and solved exactly on the support it suggests.
        Aliases: ``enummixed``, ``lcp``/``lh``, ``enumpure``, ``logit``, ...
    tol:
        Each returned profile's deviation gains must be at most ``tol`` times each player's
        payoff range; a violation raises :class:`attractor.ConvergenceError`.
    warn:
        Emit :class:`DegenerateGameWarning` when the method finds the game degenerate.
    options:
        Method options (``label`` for Lemke-Howson; ``lambda_max``, ``max_steps``, ... for
        ``"qre"``).

    Returns
    -------
    Equilibria
        A list of tuples ``(x_0, ..., x_{n-1})`` of probability tensors in the game's dtype
        and device, with ``.method``, ``.degenerate`` and ``.complete``.
    """
    check_game(game)
    tol = check_positive("tol", tol)
    if method is None:
        method = "vertex" if game.n_players == 2 else "qre"
    if not isinstance(method, str) or method.lower() not in {**METHODS, **ALIASES}:
        raise ValueError(f"`method` must be one of {sorted(METHODS)} (or an alias {sorted(ALIASES)}); got {method!r}.")
    key = ALIASES.get(method.lower(), method.lower())
    profiles, degenerate, complete = METHODS[key](game, options)
    if options:
        raise TypeError(f"method {key!r} got unexpected option(s) {sorted(options)}.")
    _verify(game, profiles, tol, key)
    if degenerate and warn:
        warnings.warn(
            f"the game is degenerate: its equilibria may form continua; method {key!r} returned "
            + ("the extreme equilibria (vertices of the equilibrium components)." if key == "vertex"
               else "equilibria with equal-size supports only; use method='vertex' for all extreme equilibria."),
            DegenerateGameWarning,
            stacklevel=2,
        )
    # one conversion per player, then views per equilibrium
    per_player = [
        torch.from_numpy(np.stack(xs)).to(dtype=game.dtype, device=game.device).unbind(0)
        for xs in zip(*profiles)
    ]
    out = list(zip(*per_player))
    return Equilibria(out, method=key, degenerate=degenerate, complete=complete)


def _verify(game: NormalFormGame, profiles: list, tol: float, method: str) -> None:
    """Raise if any profile is not a ``tol``-equilibrium (relative to each payoff range)."""
    if not profiles:
        return
    U = game.payoffs.detach().to("cpu", torch.float64).numpy()
    flat = U.reshape(game.n_players, -1)
    ranges = np.maximum(flat.max(1) - flat.min(1), 1e-300)
    stacked = [np.stack(xs) for xs in zip(*profiles)]
    if game.n_players == 2:  # the common case, in numpy: cheaper for a few small profiles
        (A, B), (x, y) = U, stacked
        ay, xb = y @ A.T, x @ B
        gains = np.stack([ay.max(1) - (ay * x).sum(1), xb.max(1) - (xb * y).sum(1)], -1)
    else:
        values = action_values(torch.from_numpy(U), [torch.from_numpy(x) for x in stacked])
        gains = np.stack([(v.amax(-1) - (v * x).sum(-1)).numpy() for v, x in zip(values, map(torch.from_numpy, stacked))], -1)
    rel = (gains / ranges).max(-1)
    if (rel > tol).any():
        status = torch.from_numpy(np.where(rel > tol, int(Status.BREAKDOWN), int(Status.SUCCESS)))
        raise ConvergenceError(
            f"nash_equilibria(method={method!r}): {int((rel > tol).sum())} profile(s) have relative deviation "
            f"gains above tol={tol:g} (largest {float(rel.max()):.3g}); the game may be badly scaled or "
            "numerically degenerate.",
            status=status,
            diagnostics={"relative_gain": torch.from_numpy(rel)},
        )
