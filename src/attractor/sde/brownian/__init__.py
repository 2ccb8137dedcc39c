"""Brownian motions for SDE solvers: stored paths, virtual trees, Levy areas."""

from attractor.sde.brownian.base import AbstractBrownian, BrownianIncrement
from attractor.sde.brownian.levy import space_space_levy_area
from attractor.sde.brownian.path import BrownianPath
from attractor.sde.brownian.tree import BrownianTree

__all__ = [
    "AbstractBrownian",
    "BrownianIncrement",
    "BrownianPath",
    "BrownianTree",
    "space_space_levy_area",
]
