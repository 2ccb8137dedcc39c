"""The result of a batched linear solve."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch

from attractor._core.status import is_ok


@dataclass
class LinearSolution:
    """Solution of ``A x = b`` for every sample of a batch.

    Attributes
    ----------
    x:
        The solution, shaped like ``b``.
    status:
        Per-sample :class:`attractor.Status` codes (``torch.long``), shape ``b.shape[:batch_ndim]``.
    iterations:
        Per-sample iterations used (``torch.long``).
    residual:
        Per-sample ``||b - A x||_2`` (for GMRES the recursively updated estimate, which equals the
        true residual in exact arithmetic).
    stats:
        ``{"matvecs": int}``: calls of the matvec (each call covers the whole batch).
    """

    x: torch.Tensor
    status: torch.Tensor
    iterations: torch.Tensor
    residual: torch.Tensor
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> torch.Tensor:
        return is_ok(self.status)
