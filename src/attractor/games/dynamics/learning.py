"""Discrete-time learning in repeated play: fictitious play, regret matching (+), Hedge.

Each rule is a small class with ``init`` (state from the starting profile), ``play`` (the mixed
strategies of this round) and ``update`` (new state from the action values ``u_i(., x_{-i})``
of the round).  :func:`learn` drives any rule, batched over starting profiles, and keeps the
time averages that the guarantees are about: with a no-regret rule (regret matching, Hedge) the
average external regret vanishes, so the time-averaged joint distribution of play approaches the
set of coarse correlated equilibria (Hannan 1957; Hart & Mas-Colell, Econometrica 68, 2000).
"""

from __future__ import annotations

import abc
import dataclasses
import math
from typing import Any

import torch

from attractor._core.lookup import resolve
from attractor._core.validation import check_choice, check_int, check_positive
from attractor.games.game import NormalFormGame, _kron, action_values, check_game
from attractor.games.profiles import Profile


def _regrets(values: tuple[torch.Tensor, ...], play: Profile) -> list[torch.Tensor]:
    """Instantaneous regrets ``r_i(a) = u_i(a, x_{-i}) - u_i(x)``."""
    return [u - (u * x).sum(-1, keepdim=True) for u, x in zip(values, play)]


def _normalize_positive(q: torch.Tensor, fallback: torch.Tensor) -> torch.Tensor:
    """``[q]^+ / sum [q]^+``, or ``fallback`` where no entry is positive."""
    pos = q.clamp_min(0)
    total = pos.sum(-1, keepdim=True)
    return torch.where(total > 0, pos / torch.where(total > 0, total, 1), fallback)


class LearningRule(abc.ABC):
    """A learning rule: ``init(game, x0) -> state``, ``play(state) -> profile`` and
    ``update(state, play, values, t) -> state`` (``values`` the round's ``u_i(., x_{-i})``)."""

    name = ""

    @abc.abstractmethod
    def init(self, game: NormalFormGame, x0: Profile) -> dict:
        """The state before the first round."""

    @abc.abstractmethod
    def play(self, state: dict) -> Profile:
        """The mixed strategies played this round."""

    @abc.abstractmethod
    def update(self, state: dict, play: Profile, values: tuple[torch.Tensor, ...], t: int) -> dict:
        """The state after round ``t``, in which ``play`` met the action values ``values``."""

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({fields})"


class FictitiousPlay(LearningRule):
    r"""Fictitious play (Brown 1951; Robinson 1951): each round every player best-responds to
    the empirical average of the others' past play,

    .. math:: x_i^{t} = BR_i(\bar x_{-i}^{t}), \qquad
              \bar x^{t+1} = \bar x^{t} + (x^{t} - \bar x^{t}) / (t + 2),

    with ``\bar x^0 = x0``.  Ties go to the lowest index (``ties="first"``) or are split
    uniformly (``ties="uniform"``).  The beliefs converge to equilibrium in zero-sum and
    2x2 games but may cycle (Shapley's game).
    """

    name = "fictitious_play"

    def __init__(self, ties: str = "first") -> None:
        self.ties = check_choice("ties", ties, ["first", "uniform"])

    def init(self, game, x0):
        return {"payoffs": game.payoffs, "belief": list(x0)}

    def play(self, state):
        values = action_values(state["payoffs"], state["belief"])
        if self.ties == "first":
            return tuple(torch.nn.functional.one_hot(u.argmax(-1), u.shape[-1]).to(u) for u in values)
        best = [(u >= u.amax(-1, keepdim=True) - 1e-12 * (1 + u.abs().amax(-1, keepdim=True))).to(u) for u in values]
        return tuple(b / b.sum(-1, keepdim=True) for b in best)

    def update(self, state, play, values, t):
        state["belief"] = [b + (x - b) / (t + 2) for b, x in zip(state["belief"], play)]
        return state


class RegretMatching(LearningRule):
    r"""Regret matching (Hart & Mas-Colell 2000) and its variants.

    .. math:: R_i^{t+1} = R_i^{t} + r_i^{t}, \qquad x_i^{t+1} \propto [R_i^{t+1}]^+,

    with ``r_i(a) = u_i(a, x_{-i}) - u_i(x)``.  ``plus=True`` is regret matching+
    (Tammelin 2014): ``R^{t+1} = [R^t + r^t]^+``.  ``predictive=True`` plays
    ``[R^{t+1} + r^t]^+`` (predictive/optimistic RM+, Farina, Kroer & Sandholm, AAAI 2021).
    Where no regret is positive the starting strategy is played.
    """

    name = "regret_matching"

    def __init__(self, plus: bool = False, predictive: bool = False) -> None:
        self.plus = bool(plus)
        self.predictive = bool(predictive)

    def init(self, game, x0):
        return {"x0": list(x0), "regret": [torch.zeros_like(x) for x in x0], "last": None}

    def play(self, state):
        q = state["regret"]
        if self.predictive and state["last"] is not None:
            q = [R + r for R, r in zip(q, state["last"])]
        return tuple(_normalize_positive(R, x0) for R, x0 in zip(q, state["x0"]))

    def update(self, state, play, values, t):
        r = _regrets(values, play)
        R = [a + b for a, b in zip(state["regret"], r)]
        state["regret"] = [x.clamp_min(0) for x in R] if self.plus else R
        state["last"] = r
        return state


class RegretMatchingPlus(RegretMatching):
    """Regret matching+ (``RegretMatching(plus=True)``)."""

    name = "regret_matching_plus"

    def __init__(self, predictive: bool = False) -> None:
        super().__init__(plus=True, predictive=predictive)


class Hedge(LearningRule):
    r"""Hedge / multiplicative weights (Freund & Schapire 1997; Littlestone & Warmuth 1994).

    .. math:: x_i^{t+1} \propto x_i^0 \exp\Big(\eta_t \sum_{s \le t} u_i^s\Big),

    with ``eta_t = step_size`` (``schedule="constant"``) or ``step_size / sqrt(t + 1)``
    (``"sqrt"``, anytime no-regret).  ``optimistic=True`` adds the last utility once more
    (optimistic Hedge, Rakhlin & Sridharan 2013; Syrgkanis et al., NeurIPS 2015), whose last
    iterate converges in zero-sum games (Daskalakis & Panageas 2019).
    """

    name = "hedge"

    def __init__(self, step_size: float = 0.1, schedule: str = "constant", optimistic: bool = False) -> None:
        self.step_size = check_positive("step_size", step_size)
        self.schedule = check_choice("schedule", schedule, ["constant", "sqrt"])
        self.optimistic = bool(optimistic)

    def init(self, game, x0):
        tiny = torch.finfo(game.dtype).tiny
        return {"logx0": [x.clamp_min(tiny).log() for x in x0], "total": [torch.zeros_like(x) for x in x0],
                "last": [torch.zeros_like(x) for x in x0], "t": 0}

    def play(self, state):
        t = state["t"]
        eta = self.step_size if self.schedule == "constant" else self.step_size / math.sqrt(t + 1)
        out = []
        for w0, S, u in zip(state["logx0"], state["total"], state["last"]):
            score = S + u if self.optimistic else S
            out.append(torch.softmax(w0 + eta * score, -1))
        return tuple(out)

    def update(self, state, play, values, t):
        state["total"] = [S + u for S, u in zip(state["total"], values)]
        state["last"] = list(values)
        state["t"] = t + 1
        return state


class OptimisticHedge(Hedge):
    """Optimistic Hedge (``Hedge(optimistic=True)``)."""

    name = "optimistic_hedge"

    def __init__(self, step_size: float = 0.1, schedule: str = "constant") -> None:
        super().__init__(step_size, schedule, optimistic=True)


RULES = {
    "fictitious_play": FictitiousPlay,
    "regret_matching": RegretMatching,
    "regret_matching_plus": RegretMatchingPlus,
    "hedge": Hedge,
    "optimistic_hedge": OptimisticHedge,
}


@dataclasses.dataclass
class LearningResult:
    """The outcome of :func:`learn`.

    Attributes
    ----------
    strategies: the last round's play (*batch, a_i) -- the "last iterate".
    average: the time average of play (*batch, a_i).
    joint: the time-averaged joint distribution of play ``(*batch, a_0, ..., a_{n-1})`` (the
        average of the product distributions), or ``None`` when not kept.
    regret: each player's average external regret
        ``max_a (1/T) sum_t u_i^t(a) - (1/T) sum_t u_i^t(x_i^t)``, shape (*batch, n_players).
    history: per-player play of every round ``(steps, *batch, a_i)`` when recorded.
    steps: rounds played.
    """

    strategies: Profile
    average: Profile
    joint: torch.Tensor | None
    regret: torch.Tensor
    history: Profile | None
    steps: int


def learn(
    game: NormalFormGame,
    rule: Any = "regret_matching",
    x0: Profile | None = None,
    *,
    steps: int = 1000,
    batch_shape: tuple[int, ...] = (),
    record: bool = False,
    joint: bool = True,
) -> LearningResult:
    """Play ``game`` repeatedly for ``steps`` rounds with learning ``rule``.

    ``rule`` is a rule object or name (``"fictitious_play"``, ``"regret_matching"``,
    ``"regret_matching_plus"``, ``"hedge"``, ``"optimistic_hedge"``).  ``x0`` (batched) is the
    starting profile (default uniform, with ``batch_shape``).  ``record`` keeps every round's
    play; ``joint`` keeps the time-averaged joint distribution (``prod a_i`` numbers per sample).
    """
    check_game(game)
    rule = resolve("rule", rule, RULES, LearningRule)
    steps = check_int("steps", steps)
    x0 = game.uniform_profile(tuple(batch_shape)) if x0 is None else game.check_profile(x0, "x0")
    state = rule.init(game, x0)
    batch = x0[0].shape[:-1]
    avg = [torch.zeros_like(x) for x in x0]
    total_values = [torch.zeros_like(x) for x in x0]
    realized = torch.zeros(*batch, game.n_players, dtype=game.dtype, device=game.device)
    joint_sum = torch.zeros(*batch, game.num_profiles, dtype=game.dtype, device=game.device) if joint else None
    history = [] if record else None
    for t in range(steps):
        play = rule.play(state)
        values = action_values(game.payoffs, play)
        avg = [a + x for a, x in zip(avg, play)]
        total_values = [S + u for S, u in zip(total_values, values)]
        realized = realized + torch.stack([(u * x).sum(-1) for u, x in zip(values, play)], -1)
        if joint:
            product = None
            for x in play:
                product = _kron(product, x)
            joint_sum = joint_sum + product
        if record:
            history.append(play)
        state = rule.update(state, play, values, t)
    best = torch.stack([S.amax(-1) for S in total_values], -1)
    return LearningResult(
        strategies=play,
        average=tuple(a / steps for a in avg),
        joint=None if joint_sum is None else (joint_sum / steps).reshape(*batch, *game.num_actions),
        regret=(best - realized) / steps,
        history=None if history is None else tuple(torch.stack(xs) for xs in zip(*history)),
        steps=steps,
    )
