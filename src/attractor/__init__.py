"""attractor: equilibria and dynamics on PyTorch.

Fixed points and roots with implicit gradients, deep equilibrium models, ODE/SDE/CDE solvers
with adjoints, chaotic-system analysis and reconstruction, and game equilibria.

Sub-packages are imported lazily on first use, so ``import attractor`` stays cheap:
``attractor.ode``, ``attractor.equilibrium``, ``attractor.games``, ...
"""

from __future__ import annotations

import importlib
from typing import Any

from attractor._core.errors import ConvergenceError
from attractor._core.status import Status

__version__ = "0.1.0"

# public name -> module that defines it (imported on first access)
_EXPORTS = {
    "fixed_point": "attractor.equilibrium",
    "root": "attractor.equilibrium",
    "parallel_recurrence": "attractor.equilibrium",
    "odeint": "attractor.ode",
    "sdeint": "attractor.sde",
    "cdeint": "attractor.cde",
}
_SUBPACKAGES = (
    "linalg",
    "equilibrium",
    "ode",
    "sde",
    "cde",
    "nn",
    "systems",
    "analysis",
    "games",
    "transport",
    "dsr",
)

__all__ = ["ConvergenceError", "Status", "__version__", *_EXPORTS, *_SUBPACKAGES]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    if name in _SUBPACKAGES:
        module = importlib.import_module(f"attractor.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'attractor' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
