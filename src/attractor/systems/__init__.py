"""A registry of chaotic flows and maps with reference metadata.

>>> from attractor import systems
>>> lorenz = systems.get("lorenz")            # a System: vector field + metadata
>>> lorenz(0.0, lorenz.y0)                    # dy/dt at the reference state
>>> ys = systems.trajectory(lorenz, 10000)    # (10000, 3), time first
>>> systems.names("map")                      # ['baker', 'bedhead', 'bogdanov', ...]
>>> systems.get("bogdanov")                   # System('bogdanov', map, dim=2, ...)

Every system is a torch-native, batched vector field (flows, integrated with
:func:`attractor.odeint`) or update rule (maps) with overridable parameters
(``get("lorenz", rho=35.0)``), a reference initial state on the attractor, a sensible time
step, a citation and, where published, reference invariants (``system.reference``).

The registry holds the flows and maps of the dysts database (Gilpin, NeurIPS 2021) except its
delay equations (infinite-dimensional, outside the ``dy/dt = f(t, y)`` contract) and the
maps it lists without a working definition. Periodically forced flows (``duffing``,
``forced_van_der_pol``, ...) carry their forcing phase as a state coordinate
(``system.forcing_phase``, ``system.autonomous`` is False; see :class:`System`).
"""

from attractor.systems.base import Reference, System
from attractor.systems.registry import discrete_map, flow, get, names, register
from attractor.systems.simulate import advance, sample_on_attractor, trajectory

__all__ = [
    "Reference",
    "System",
    "advance",
    "discrete_map",
    "flow",
    "get",
    "names",
    "register",
    "sample_on_attractor",
    "trajectory",
]
