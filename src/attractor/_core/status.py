"""Explicit result codes, shared by every solver.

A solve reports one code per sample as an integer tensor (``torch.long``); the values are
those of :class:`Status`.  ``Status.SUCCESS`` and ``Status.EVENT`` are the successful ones.
"""

from __future__ import annotations

import enum

import torch


class Status(enum.IntEnum):
    """Why a solver stopped, per sample."""

    SUCCESS = 0
    """Converged to tolerance / reached the final time."""
    MAX_STEPS = 1
    """Ran out of ``max_steps`` before converging."""
    DIVERGED = 2
    """The iterates grew without bound (residual blew up)."""
    NONFINITE = 3
    """A NaN or infinity appeared in the state or residual."""
    STEP_SIZE_TOO_SMALL = 4
    """The adaptive step size fell below its floor (likely stiffness or a singularity)."""
    EVENT = 5
    """Stopped by a terminal event (a success)."""
    LINEAR_SOLVE_FAILED = 6
    """An inner linear solve (Newton step, implicit stage) failed."""
    BREAKDOWN = 7
    """The method broke down (e.g. a Krylov or Broyden denominator vanished)."""


SUCCESS_CODES = (int(Status.SUCCESS), int(Status.EVENT))


def is_ok(status: torch.Tensor) -> torch.Tensor:
    """Boolean tensor: which samples finished successfully."""
    return (status == int(Status.SUCCESS)) | (status == int(Status.EVENT))


def all_ok(status: torch.Tensor) -> bool:
    """Whether every sample finished successfully. The common case, all ``SUCCESS`` (the lowest
    code, 0), is one reduction; otherwise the samples are tested one by one."""
    if status.numel() == 0 or int(status.amax()) == int(Status.SUCCESS):
        return True
    return bool(is_ok(status).all())


def status_names(status: torch.Tensor | int) -> list[str] | str:
    """Human-readable names of a status tensor (flattened) or a single code."""
    if isinstance(status, int):
        return Status(status).name
    return [Status(int(s)).name for s in status.reshape(-1).tolist()]


def new_status(batch_shape: tuple[int, ...], device: torch.device | str | None = None) -> torch.Tensor:
    """A status tensor initialised to ``MAX_STEPS`` (the code a sample keeps if it never finishes)."""
    return torch.full(batch_shape, int(Status.MAX_STEPS), dtype=torch.long, device=device)
