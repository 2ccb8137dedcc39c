"""Solver names accepted by ``fixed_point``, ``root`` and ``backward_solver``."""

from attractor.equilibrium.anderson import Anderson
from attractor.equilibrium.broyden import Broyden
from attractor.equilibrium.halpern import Halpern
from attractor.equilibrium.newton import Newton
from attractor.equilibrium.picard import Picard

SOLVERS: dict[str, type] = {
    "picard": Picard,
    "anderson": Anderson,
    "broyden": Broyden,
    "newton": Newton,
    "halpern": Halpern,
}
