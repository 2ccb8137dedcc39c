"""Stochastic differential equations: Brownian motions, solvers, ``sdeint`` and its adjoints.

``attractor.sdeint(drift, diffusion, y0, t, noise=..., sde_type=..., solver=..., dt=...)``
"""

from attractor.sde.brownian import (
    AbstractBrownian,
    BrownianIncrement,
    BrownianPath,
    BrownianTree,
    space_space_levy_area,
)
from attractor.sde.conversion import ito_to_stratonovich, stratonovich_to_ito
from attractor.sde.sdeint import sdeint
from attractor.sde.solution import SDESolution
from attractor.sde.solvers import (
    RK4,
    SOLVERS,
    SRA1,
    AbstractSDESolver,
    Euler,
    EulerHeun,
    Heun,
    Midpoint,
    Milstein,
    PlatenWeak2,
    Ralston,
    ReversibleHeun,
    StochasticRungeKutta,
)
from attractor.sde.terms import NOISE_TYPES, SDE_TYPES, SDETerms

__all__ = [
    "NOISE_TYPES",
    "RK4",
    "SDE_TYPES",
    "SOLVERS",
    "SRA1",
    "AbstractBrownian",
    "AbstractSDESolver",
    "BrownianIncrement",
    "BrownianPath",
    "BrownianTree",
    "Euler",
    "EulerHeun",
    "Heun",
    "Midpoint",
    "Milstein",
    "PlatenWeak2",
    "Ralston",
    "ReversibleHeun",
    "SDESolution",
    "SDETerms",
    "StochasticRungeKutta",
    "ito_to_stratonovich",
    "sdeint",
    "space_space_levy_area",
    "stratonovich_to_ito",
]
