"""What an SDE solver is: a small class with ``init`` and ``step``, driven by one loop.

A solver advances ``y`` from ``t0`` to ``t1 = t0 + h`` given the Brownian increment over the
step (and its Levy area, when :attr:`levy_area` asks for it). It may carry a state between
steps (reversible Heun carries its second sequence). ``t0``/``t1`` are 0-dim tensors (passed to
the user's functions), ``h`` is the step as a Python float.
"""

from __future__ import annotations

from typing import Any

import torch

from attractor.sde.brownian.base import BrownianIncrement
from attractor.sde.terms import NOISE_TYPES, SDETerms


class AbstractSDESolver:
    """Base class of SDE solvers.

    Class attributes describe the method: which ``sde_types`` and ``noise_types`` it solves,
    its ``strong_order`` (for general noise of the supported kinds) and ``weak_order``, and the
    ``levy_area`` it needs from the Brownian motion (``"none"`` or ``"space-time"``).
    """

    name: str = ""
    sde_types: tuple[str, ...] = ("ito", "stratonovich")
    noise_types: tuple[str, ...] = NOISE_TYPES
    strong_order: float = 0.5
    weak_order: float = 1.0
    levy_area: str = "none"
    increment_only: bool = False
    """True when :meth:`step` touches the SDE only through ``terms.increment`` (``f h + g dW``);
    such solvers also integrate the stochastic adjoint's augmented system."""

    def check(self, terms: SDETerms) -> None:
        """Raise ``ValueError`` if this method cannot solve ``terms``."""
        if terms.sde_type not in self.sde_types:
            raise ValueError(
                f"solver {self.name!r} solves {'/'.join(self.sde_types)} SDEs; got "
                f"sde_type={terms.sde_type!r}. Pick a solver for {terms.sde_type} SDEs or convert "
                "the drift (see attractor.sde.ito_to_stratonovich)."
            )
        if terms.noise not in self.noise_types:
            raise ValueError(
                f"solver {self.name!r} supports noise types {list(self.noise_types)}; got "
                f"noise={terms.noise!r}."
            )

    def order(self, terms: SDETerms) -> float:
        """Strong order for this problem (used by step-size control)."""
        return self.strong_order

    def init(self, terms: SDETerms, t0: torch.Tensor, y0: torch.Tensor) -> Any:
        return None

    def step(self, terms: SDETerms, t0: torch.Tensor, t1: torch.Tensor, h: float,
             y0: torch.Tensor, inc: BrownianIncrement, state: Any) -> tuple[torch.Tensor, Any]:
        raise NotImplementedError  # pragma: no cover - abstract

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"
