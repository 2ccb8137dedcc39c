"""The user's vector field ``f(t, y, *args)`` as the steppers see it: shaped calls, counted."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch


class VectorField:
    """Wraps ``f(t, y, *args)``; counts evaluations in ``nfe``.

    ``shape`` is the user's state shape (steppers keep states flat and call with ``view``s).
    ``t`` is handed to ``f`` as a tensor of dtype ``time_dtype``: 0-dim when the batch shares a
    step, of shape ``batch_shape + (1,) * event_ndim`` (broadcastable against ``y``) when every
    sample has its own time.
    """

    def __init__(
        self,
        f: Callable[..., torch.Tensor],
        args: tuple[Any, ...],
        shape: torch.Size,
        batch_ndim: int,
        time_dtype: torch.dtype,
        device: torch.device,
    ) -> None:
        self.f = f
        self.args = tuple(args)
        self.shape = torch.Size(shape)
        self.batch_ndim = batch_ndim
        self.batch_shape = self.shape[:batch_ndim]
        self.time_shape = self.batch_shape + (1,) * (len(self.shape) - batch_ndim)
        self.time_dtype = time_dtype
        self.device = device
        self.nfe = 0

    def __call__(self, t: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """``f(t, y)`` with ``y`` in the user's shape."""
        self.nfe += 1
        return self.f(t, y, *self.args)

    def flat(self, t: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """``f`` on a flat state, returning a flat derivative."""
        return self(t, y.view(self.shape)).reshape(-1)

    def time(self, value: float | torch.Tensor) -> torch.Tensor:
        """A time tensor for ``f`` (a Python float becomes a 0-dim tensor)."""
        if isinstance(value, torch.Tensor):
            return value
        return self.to_device([value])[0]

    def times(self, t: float, h: float, nodes: list[float]) -> tuple[torch.Tensor, ...]:
        """Stage times ``t + c_i h`` as 0-dim tensors, built in one transfer."""
        return self.to_device([t + c * h for c in nodes]).unbind(0)

    def to_device(self, values: list[float]) -> torch.Tensor:
        """Host numbers as a tensor on the device, without a host-device synchronisation
        (on accelerators the copy goes through pinned memory, asynchronously)."""
        if self.device.type == "cpu":
            return torch.tensor(values, dtype=self.time_dtype)
        host = torch.tensor(values, dtype=self.time_dtype, pin_memory=True)
        return host.to(self.device, non_blocking=True)
