"""Fixed points and roots with implicit gradients.

``fixed_point(f, z0)`` solves ``z = f(z)`` and ``root(g, x0)`` solves ``g(x) = 0``, per sample
of a batch, with one of the solvers below (by object or lower-case name), and makes the result
differentiable by the implicit function theorem (or phantom / unrolled gradients).
"""

from attractor.equilibrium._base import FixedPointSolver, Iterate
from attractor.equilibrium._registry import SOLVERS
from attractor.equilibrium._solution import EquilibriumSolution
from attractor.equilibrium.anderson import Anderson
from attractor.equilibrium.broyden import Broyden
from attractor.equilibrium.fixed_point import fixed_point
from attractor.equilibrium.halpern import Halpern
from attractor.equilibrium.newton import Newton
from attractor.equilibrium.picard import Picard
from attractor.equilibrium.recurrence import parallel_recurrence
from attractor.equilibrium.root import root

__all__ = [
    "SOLVERS",
    "Anderson",
    "Broyden",
    "EquilibriumSolution",
    "FixedPointSolver",
    "Halpern",
    "Iterate",
    "Newton",
    "Picard",
    "fixed_point",
    "parallel_recurrence",
    "root",
]
