"""What a solve needs (``Problem``) and what a loop returns (``RawSolution``): the loops' shared types."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import torch

from attractor._core.status import Status
from attractor._core.validation import all_finite
from attractor.ode.controller import PIController
from attractor.ode.events import Event
from attractor.ode.field import VectorField
from attractor.ode.stepper import AbstractStepper


@dataclass
class Problem:
    """A validated initial-value problem and its solver settings (internal)."""

    field: VectorField
    y0: torch.Tensor
    """Flat initial state ``(N,)``."""
    t: torch.Tensor
    """Output times: ``(n,)`` shared, or ``(B, n)`` per sample (time dtype)."""
    stepper: AbstractStepper
    controller: PIController
    rtol: float
    atol: torch.Tensor
    """0-dim, or ``(N,)`` per entry."""
    max_steps: int
    dt0: float | None = None
    dt: float | None = None
    """Fixed step size (``None``: adaptive)."""
    max_dt: float = math.inf
    min_dt: float | None = None
    batch_error: str = "max"
    events: list[Event] = field(default_factory=list)
    event_tol: float | None = None
    dense: bool = False
    compile: bool | str = False
    """``torch.compile`` each trial step (``True`` or a compile mode)."""

    @property
    def shape(self) -> torch.Size:
        return self.field.shape

    @property
    def batch(self) -> int:
        return max(1, math.prod(self.field.batch_shape))

    @property
    def adaptive(self) -> bool:
        return self.dt is None

    def with_y0(self, y0: torch.Tensor) -> Problem:
        return replace(self, y0=y0)


@dataclass
class RawSolution:
    """What a loop hands back; :mod:`attractor.ode.odeint` turns it into an ``ODESolution``."""

    ys: torch.Tensor
    """``(n, N)`` (shared output times) or ``(n, B, D)`` (per-sample output times)."""
    status: torch.Tensor
    """``(B,)`` status codes."""
    stats: dict[str, Any]
    t_final: Any
    events: Any = None
    dense: Any = None
    tape: Any = None
    last_dt: Any = None


def mark_nonfinite(codes: torch.Tensor, y: torch.Tensor, batch: int) -> torch.Tensor:
    """``codes`` with ``NONFINITE`` for the samples whose final state holds NaN/inf (the
    entrywise test runs only when one sum says some entry is not finite)."""
    y = y.detach()
    if all_finite(y):
        return codes
    return torch.where(torch.isfinite(y.view(batch, -1)).all(-1), codes, int(Status.NONFINITE))
