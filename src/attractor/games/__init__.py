"""Game equilibria on PyTorch: Nash, quantal response and correlated equilibria, learning
dynamics and sink equilibria of normal-form games.

Equilibria are fixed points and limits of dynamics, so the logit QRE is an
:func:`attractor.fixed_point` / :func:`attractor.root` solve (with implicit gradients) and the
replicator and logit dynamics are :func:`attractor.odeint` flows.  A mixed profile is a tuple
of per-player probability tensors ``(x_0, ..., x_{n-1})`` with leading batch dimensions.
"""

from attractor.games.classic import (
    CLASSIC_GAMES,
    battle_of_the_sexes,
    chicken,
    coordination,
    matching_pennies,
    prisoners_dilemma,
    rock_paper_scissors,
    shapley_game,
    stag_hunt,
)
from attractor.games.correlated import (
    CorrelatedEquilibrium,
    cce_gap,
    ce_gap,
    coarse_correlated_equilibrium,
    correlated_equilibrium,
)
from attractor.games.dynamics import (
    FictitiousPlay,
    FlowResult,
    Hedge,
    LearningResult,
    LearningRule,
    OptimisticHedge,
    RegretMatching,
    RegretMatchingPlus,
    best_response_dynamics,
    learn,
    logit_dynamics,
    replicator,
)
from attractor.games.exploitability import exploitability, nash_conv, pure_equilibria, regret
from attractor.games.game import NormalFormGame
from attractor.games.generators import (
    GAMUT,
    common_interest_game,
    coordination_game,
    covariance_game,
    dispersion_game,
    gamut,
    minimum_effort_game,
    random_game,
    travelers_dilemma,
    zero_sum_game,
)
from attractor.games.nash import DegenerateGameWarning, Equilibria, nash_equilibria
from attractor.games.nfg import NFGFormatError, format_nfg, parse_nfg, read_nfg, write_nfg
from attractor.games.profiles import (
    Profile,
    check_profile,
    flatten_profile,
    unflatten_profile,
    uniform_profile,
)
from attractor.games.qre import logit_response, qre
from attractor.games.qre_homotopy import QREPath, logit_homotopy, qre_nash
from attractor.games.sink import (
    SinkDistribution,
    SinkEquilibria,
    response_graph,
    sink_distribution,
    sink_equilibria,
)
from attractor.games.vi import (
    bilinear_saddle,
    extragradient,
    game_operator,
    halpern,
    project_simplex,
    solve_vi,
)

__all__ = [
    "CLASSIC_GAMES",
    "GAMUT",
    "CorrelatedEquilibrium",
    "DegenerateGameWarning",
    "Equilibria",
    "FictitiousPlay",
    "FlowResult",
    "Hedge",
    "LearningResult",
    "LearningRule",
    "NFGFormatError",
    "NormalFormGame",
    "OptimisticHedge",
    "Profile",
    "QREPath",
    "RegretMatching",
    "RegretMatchingPlus",
    "SinkDistribution",
    "SinkEquilibria",
    "battle_of_the_sexes",
    "best_response_dynamics",
    "bilinear_saddle",
    "cce_gap",
    "ce_gap",
    "check_profile",
    "chicken",
    "coarse_correlated_equilibrium",
    "common_interest_game",
    "coordination",
    "coordination_game",
    "correlated_equilibrium",
    "covariance_game",
    "dispersion_game",
    "exploitability",
    "extragradient",
    "flatten_profile",
    "format_nfg",
    "game_operator",
    "gamut",
    "halpern",
    "learn",
    "logit_dynamics",
    "logit_homotopy",
    "logit_response",
    "matching_pennies",
    "minimum_effort_game",
    "nash_conv",
    "nash_equilibria",
    "parse_nfg",
    "prisoners_dilemma",
    "project_simplex",
    "pure_equilibria",
    "qre",
    "qre_nash",
    "random_game",
    "read_nfg",
    "regret",
    "replicator",
    "response_graph",
    "rock_paper_scissors",
    "shapley_game",
    "sink_distribution",
    "sink_equilibria",
    "solve_vi",
    "stag_hunt",
    "travelers_dilemma",
    "unflatten_profile",
    "uniform_profile",
    "write_nfg",
    "zero_sum_game",
]
