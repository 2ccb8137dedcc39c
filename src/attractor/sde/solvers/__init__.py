"""SDE solvers, by class or lower-case name."""

from attractor.sde.solvers.base import AbstractSDESolver
from attractor.sde.solvers.euler import Euler
from attractor.sde.solvers.euler_heun import EulerHeun
from attractor.sde.solvers.milstein import Milstein
from attractor.sde.solvers.platen import PlatenWeak2
from attractor.sde.solvers.reversible_heun import ReversibleHeun
from attractor.sde.solvers.runge_kutta import RK4, Heun, Midpoint, Ralston, StochasticRungeKutta
from attractor.sde.solvers.srk import SRA1

SOLVERS: dict[str, type[AbstractSDESolver]] = {
    "euler": Euler,
    "euler_maruyama": Euler,
    "euler_heun": EulerHeun,
    "heun": Heun,
    "midpoint": Midpoint,
    "ralston": Ralston,
    "rk4": RK4,
    "milstein": Milstein,
    "reversible_heun": ReversibleHeun,
    "srk": SRA1,
    "sra1": SRA1,
    "platen": PlatenWeak2,
    "weak2": PlatenWeak2,
}

__all__ = [
    "RK4",
    "SOLVERS",
    "SRA1",
    "AbstractSDESolver",
    "Euler",
    "EulerHeun",
    "Heun",
    "Midpoint",
    "Milstein",
    "PlatenWeak2",
    "Ralston",
    "ReversibleHeun",
    "StochasticRungeKutta",
]
