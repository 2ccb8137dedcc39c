"""What ``sdeint`` returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch

from attractor._core.status import is_ok


@dataclass
class SDESolution:
    """Result of :func:`attractor.sdeint`.

    ``ys`` has shape ``(len(ts), *y0.shape)`` (time first, like torchsde); ``status`` holds one
    :class:`attractor.Status` code per sample (``y0.shape[:-1]``); ``stats`` counts drift and
    diffusion evaluations and steps; ``bm`` is the Brownian motion that drove the solve, so the
    same path can be reused (e.g. to compare solvers on one path).
    """

    ys: torch.Tensor
    ts: torch.Tensor
    status: torch.Tensor
    stats: dict[str, Any] = field(default_factory=dict)
    bm: Any = None

    @property
    def ok(self) -> torch.Tensor:
        return is_ok(self.status)

    def __iter__(self):
        # ``ys = sdeint(...)`` style unpacking is not supported; be explicit about why.
        raise TypeError("SDESolution is not iterable; use `.ys` for the states at the output times.")
