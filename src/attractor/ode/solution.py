"""The result of :func:`attractor.odeint`."""

from __future__ import annotations

from typing import Any

import torch

from attractor._core.status import is_ok


class ODESolution:
    """Solution of an initial-value problem at the requested times, with statistics.

    Attributes
    ----------
    ys:
        ``(n, *y0.shape)``: the state at each output time, time first (like torchdiffeq).
        Outputs after a sample's terminal event hold its event state; outputs a failed solve
        never reached are NaN.
    ts:
        The output times as given (``(n,)`` or ``batch_shape + (n,)``).
    stats:
        ``{"nfe", "accepted", "rejected"}``: Python ints when the batch shares steps, per-sample
        tensors with ``per_sample=True`` (plus ``"nfe_total"``, the calls of ``f``).
    status:
        Per-sample :class:`attractor.Status` codes (shape ``batch_shape``).
    event_t, event_y:
        With ``events``: per-sample time (``batch_shape``) and state (``y0.shape``) of the first
        crossing of each event (NaN where none), with a leading event dimension when a list of
        events was given.
    """

    def __init__(
        self,
        ys: torch.Tensor,
        ts: torch.Tensor,
        stats: dict[str, Any],
        status: torch.Tensor,
        *,
        dense: Any = None,
        event_t: torch.Tensor | None = None,
        event_y: torch.Tensor | None = None,
        solver: Any = None,
    ) -> None:
        self.ys = ys
        self.ts = ts
        self.stats = stats
        self.status = status
        self._dense = dense
        self.event_t = event_t
        self.event_y = event_y
        self.solver = solver

    @property
    def ok(self) -> torch.Tensor:
        """Per-sample success (``SUCCESS`` or ``EVENT``)."""
        return is_ok(self.status)

    @property
    def y_final(self) -> torch.Tensor:
        """The state at the last output time."""
        return self.ys[-1]

    def evaluate(self, t: torch.Tensor | float) -> torch.Tensor:
        """Dense output: the solution at any times in the integration interval.

        ``t`` is a scalar, a 1-D tensor (the same times for every sample) or
        ``batch_shape + (k,)``; returns ``(k, *y0.shape)`` (a scalar ``t`` drops the time dim).
        Each step is evaluated with its method's own continuous extension. Needs
        ``odeint(..., dense=True)``.
        """
        if self._dense is None:
            raise ValueError(
                "this solution keeps no dense output; call odeint(..., dense=True) to use evaluate()."
            )
        scalar = not isinstance(t, torch.Tensor) or t.dim() == 0
        out = self._dense(torch.as_tensor(t))
        return out[0] if scalar else out

    def __repr__(self) -> str:
        ok = self.ok
        n_ok = int(ok.sum()) if ok.dim() else int(ok)
        total = ok.numel()
        return (
            f"ODESolution(ys={tuple(self.ys.shape)}, ok={n_ok}/{total}, stats="
            f"{ {k: (v if not isinstance(v, torch.Tensor) else f'tensor{tuple(v.shape)}') for k, v in self.stats.items()} })"
        )
