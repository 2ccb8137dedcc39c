"""The result of ``fixed_point`` and ``root``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch

from attractor._core.status import is_ok


@dataclass
class EquilibriumSolution:
    """Solution of ``z = f(z)`` or ``g(x) = 0`` for each sample of a batch.

    Attributes
    ----------
    value:
        The equilibrium, shaped like the initial state (a tuple for tuple states). Differentiable
        as chosen by ``backward``.
    residual:
        Per-sample ``||f(value) - value||`` (``||g(value)||`` for roots), shape ``batch_shape``.
    steps:
        Per-sample solver steps taken (``torch.long``).
    status:
        Per-sample :class:`attractor.Status` codes (``torch.long``).
    stats:
        ``{"nfe": int, "steps": int, "njvp": int, "solver": str, "tol": float, "rtol": float, ...}``: ``nfe`` counts forward
        evaluations of the user function (each covers the batch), ``steps`` the steps of the
        slowest sample. After a backward pass with ``backward="implicit"``, ``stats["backward"]``
        holds the adjoint solve's per-sample status, steps and residual.
    trajectory:
        The list of iterates (detached from the graph unless ``backward="unroll"``) when asked
        for with ``trajectory=True``, else ``None``.
    """

    value: Any
    residual: torch.Tensor
    steps: torch.Tensor
    status: torch.Tensor
    stats: dict[str, Any] = field(default_factory=dict)
    trajectory: list[Any] | None = None

    @property
    def ok(self) -> torch.Tensor:
        """Per-sample success flags."""
        return is_ok(self.status)
