"""Learning dynamics: continuous flows (replicator, best response, logit) integrated by
:func:`attractor.odeint`, and discrete learning rules (fictitious play, regret matching (+),
Hedge and their optimistic variants) driven by :func:`learn`."""

from attractor.games.dynamics.flows import (
    BestResponseField,
    FlowResult,
    LogitField,
    ReplicatorField,
    SymmetricReplicatorField,
    best_response_dynamics,
    logit_dynamics,
    replicator,
)
from attractor.games.dynamics.learning import (
    RULES,
    FictitiousPlay,
    Hedge,
    LearningResult,
    LearningRule,
    OptimisticHedge,
    RegretMatching,
    RegretMatchingPlus,
    learn,
)

__all__ = [
    "RULES",
    "BestResponseField",
    "FictitiousPlay",
    "FlowResult",
    "Hedge",
    "LearningResult",
    "LearningRule",
    "LogitField",
    "OptimisticHedge",
    "RegretMatching",
    "RegretMatchingPlus",
    "ReplicatorField",
    "SymmetricReplicatorField",
    "best_response_dynamics",
    "learn",
    "logit_dynamics",
    "replicator",
]
