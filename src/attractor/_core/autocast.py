"""Solving under ``torch.autocast``: the user's function runs in mixed precision, the solver not.

Mixed-precision training runs the model under ``torch.autocast``. An iterative solver inside it
must not have its own small linear algebra (Gram matrices, least-squares and dense solves)
autocast to half precision -- LAPACK has no such kernels and the solves need the accuracy --
and its iterate stays in the state's dtype, like an optimizer's master weights. So the solver
runs with autocast off, and the user's function is re-entered under the caller's autocast,
its low-precision output cast back to the state's dtype.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

import torch


@dataclass(frozen=True)
class AutocastState:
    device_type: str
    dtype: torch.dtype

    def region(self):
        """The caller's autocast, for the user's function."""
        return torch.autocast(self.device_type, dtype=self.dtype)


def capture(device: torch.device) -> AutocastState | None:
    """The autocast in force for ``device``'s type, or ``None``."""
    device_type = device.type
    try:
        enabled = torch.is_autocast_enabled(device_type)
        dtype = torch.get_autocast_dtype(device_type) if enabled else None
    except TypeError:  # torch < 2.4: per-device query functions
        enabled = torch.is_autocast_cpu_enabled() if device_type == "cpu" else torch.is_autocast_enabled()
        dtype = (torch.get_autocast_cpu_dtype() if device_type == "cpu" else torch.get_autocast_gpu_dtype()) \
            if enabled else None
    return AutocastState(device_type, dtype) if enabled else None


def solver_region(state: AutocastState | None):
    """Autocast off for the solver's own arithmetic (a no-op without autocast)."""
    if state is None:
        return contextlib.nullcontext()
    return torch.autocast(state.device_type, enabled=False)


def to_state_dtype(out: Any, dtype: torch.dtype, state: AutocastState | None) -> Any:
    """The function's output in the state's dtype where autocast lowered it."""
    if state is None:
        return out
    if isinstance(out, tuple):
        return tuple(to_state_dtype(o, dtype, state) for o in out)
    if isinstance(out, torch.Tensor) and out.dtype == state.dtype and dtype != state.dtype:
        return out.to(dtype)
    return out
