"""Events: zero crossings of ``g(t, y)``, detected across accepted steps and located on the dense output.

After every accepted step ``[t, t + h]`` each event function is evaluated at the new state. A
sign change (``g`` leaving zero counts, starting at zero does not) brackets a root of
``theta -> g(t + theta h, y(t + theta h))`` on ``[0, 1]`` with ``y(.)`` the step's own
interpolant; it is located by the Illinois variant of regula falsi (Dowell & Jarratt 1971),
vectorised over samples, until the bracket is narrower than ``tol`` in time. The event time is
the bracket's end on the far side of the crossing, so a located event is never re-detected.
A terminal event stops its sample there.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import torch

from attractor._core.validation import check_callable
from attractor.ode.interpolation import interpolate_per_sample, weights


class Event:
    """An event ``g(t, y) = 0``.

    Parameters
    ----------
    fn:
        ``g(t, y) -> tensor of shape batch_shape`` (one value per sample). ``t`` has the
        per-sample time shape ``batch_shape + (1,) * event_ndim`` (0-dim when unbatched).
    terminal:
        Stop the sample at the event (its later outputs hold the event state).
    direction:
        ``0`` any crossing, ``+1`` only ``g`` rising through zero, ``-1`` only falling.
    """

    def __init__(self, fn: Callable[..., torch.Tensor], *, terminal: bool = True, direction: int = 0):
        check_callable("event", fn)
        if direction not in (-1, 0, 1):
            raise ValueError(f"`direction` of an event must be -1, 0 or +1; got {direction!r}.")
        self.fn = fn
        self.terminal = bool(terminal)
        self.direction = int(direction)

    def __repr__(self) -> str:
        return f"Event({getattr(self.fn, '__name__', self.fn)!r}, terminal={self.terminal}, direction={self.direction})"


def as_events(events: Any) -> tuple[list[Event], bool]:
    """Normalise ``events=`` to a list of :class:`Event`; also report whether one was given alone."""
    if events is None:
        return [], False
    if callable(events) and not isinstance(events, Event):
        return [Event(events)], True
    if isinstance(events, Event):
        return [events], True
    if isinstance(events, Sequence) and not isinstance(events, (str, bytes)):
        out = [e if isinstance(e, Event) else Event(e) for e in events]
        if not out:
            raise ValueError("`events` must not be an empty sequence.")
        return out, False
    raise TypeError(f"`events` must be a callable, an Event or a sequence of them; got {type(events).__name__}.")


class EventTracker:
    """Per-sample event bookkeeping for one solve.

    ``event_t (n_events, B)`` / ``event_y (n_events, B, D)`` hold the first crossing of each event
    (NaN where none); ``stop_t (B,)``, ``stop_y (B, D)`` and ``stopped (B,)`` the terminal one.
    """

    def __init__(self, events: list[Event], field, t0: torch.Tensor, y0: torch.Tensor, batch: int,
                 coefficients: torch.Tensor, tol: float | None, max_iterations: int = 100) -> None:
        self.events = events
        self.field = field
        self.B = batch
        self.D = y0.numel() // batch
        self.P = coefficients
        eps = torch.finfo(field.time_dtype).eps
        self.tol = tol
        self.eps = eps
        self.max_iterations = max_iterations
        n = len(events)
        with torch.no_grad():
            self.prev = [self._g(e, t0, y0) for e in events]
        self.event_t = torch.full((n, batch), math.nan, dtype=field.time_dtype, device=y0.device)
        self.event_y = torch.full((n, batch, self.D), math.nan, dtype=y0.dtype, device=y0.device)
        self.fired = torch.zeros(n, batch, dtype=torch.bool, device=y0.device)
        self.stopped = torch.zeros(batch, dtype=torch.bool, device=y0.device)
        self.stop_t = torch.full((batch,), math.nan, dtype=field.time_dtype, device=y0.device)
        self.stop_y = torch.full((batch, self.D), math.nan, dtype=y0.dtype, device=y0.device)
        self.any_terminal = any(e.terminal for e in events)

    def _g(self, event: Event, t: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        field = self.field
        out = event.fn(t.reshape(field.time_shape), y.view(field.shape))
        if not isinstance(out, torch.Tensor) or out.numel() != self.B:
            got = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
            raise ValueError(
                f"event function {event!r} returned {got}; expected a tensor of shape "
                f"{tuple(field.batch_shape)} (one value per sample)."
            )
        return out.reshape(self.B)

    def _crossed(self, event: Event, g0: torch.Tensor, g1: torch.Tensor) -> torch.Tensor:
        rising = (g0 < 0) & (g1 >= 0)
        falling = (g0 > 0) & (g1 <= 0)
        if event.direction > 0:
            return rising
        if event.direction < 0:
            return falling
        return rising | falling

    def update(self, t: torch.Tensor, h: torch.Tensor, y: torch.Tensor, y1: torch.Tensor,
               t1: torch.Tensor, dense: Callable[[], torch.Tensor], active: torch.Tensor) -> torch.Tensor | None:
        """Check the accepted step ``[t, t1]`` (per-sample tensors ``(B,)``) for events.

        ``dense()`` returns the step's dense stages (evaluated lazily). Returns the mask of
        samples that a terminal event stopped in this step (``None`` if none did); their
        ``stop_t`` / ``stop_y`` are set.
        """
        found: list[tuple[int, torch.Tensor, torch.Tensor, torch.Tensor]] = []
        for i, event in enumerate(self.events):
            g0, g1 = self.prev[i], self._g(event, t1, y1)
            crossed = self._crossed(event, g0, g1) & active
            self.prev[i] = torch.where(active, g1, g0)
            if bool(crossed.any()):
                found.append((i, crossed, g0, g1))
        if not found:
            return None
        Z = dense()
        P = self.P
        yb, Zb = y.view(self.B, self.D), Z.view(Z.shape[0], self.B, self.D)

        def state_at(theta: torch.Tensor) -> torch.Tensor:
            return interpolate_per_sample(yb, Zb, weights(theta, P).unsqueeze(1)).squeeze(1)

        thetas = []
        for i, crossed, g0, g1 in found:
            theta = self._locate(self.events[i], t, h, crossed, g0, g1, state_at)
            thetas.append((i, crossed, theta))
        best = torch.full_like(t, math.inf)
        for i, crossed, theta in thetas:
            if self.events[i].terminal:
                best = torch.where(crossed, torch.minimum(best, theta), best)
        for i, crossed, theta in thetas:
            record = crossed & ~self.fired[i] & (theta <= best)
            if bool(record.any()):
                ys = state_at(theta)
                self.event_t[i] = torch.where(record, t + theta * h, self.event_t[i])
                self.event_y[i] = torch.where(record.unsqueeze(1), ys, self.event_y[i])
                self.fired[i] |= record
        stop = torch.isfinite(best)
        if not bool(stop.any()):
            return None
        theta = torch.where(stop, best, 1.0)
        self.stop_t = torch.where(stop, t + theta * h, self.stop_t)
        self.stop_y = torch.where(stop.unsqueeze(1), state_at(theta), self.stop_y)
        self.stopped |= stop
        return stop

    def _locate(self, event: Event, t, h, crossed, g0, g1, state_at) -> torch.Tensor:
        """Illinois iteration on ``theta`` in ``[0, 1]``; returns the far end of the bracket."""
        a = torch.zeros_like(t)
        b = torch.ones_like(t)
        ga, gb = g0.clone(), g1.clone()
        exact_end = gb == 0
        tol = self.tol if self.tol is not None else 4 * self.eps * float(max(t.abs().max(), 1.0))
        side = torch.zeros_like(t)
        bisect = torch.zeros_like(crossed)
        for _ in range(self.max_iterations):
            done = ~crossed | exact_end | (h.abs() * (b - a) <= tol)
            if bool(done.all()):
                break
            width = b - a
            denom = gb - ga
            x = torch.where(denom != 0, (a * gb - b * ga) / torch.where(denom != 0, denom, 1.0), 0.5 * (a + b))
            # keep strictly inside the bracket (guards round-off at the ends); bisect after a
            # step that failed to halve the bracket, so convergence is at least linear
            x = torch.minimum(torch.maximum(x, a + 0.01 * width), b - 0.01 * width)
            x = torch.where(bisect, 0.5 * (a + b), x)
            gx = self._g(event, t + x * h, state_at(x))
            to_b = (torch.sign(gx) == torch.sign(gb)) | (gx == 0)
            upd = ~done
            a_new = torch.where(upd & ~to_b, x, a)
            b_new = torch.where(upd & to_b, x, b)
            # Illinois: halve the retained end's value when the same end moves twice in a row
            ga = torch.where(upd & ~to_b, gx, torch.where(upd & to_b & (side > 0), ga / 2, ga))
            gb = torch.where(upd & to_b, gx, torch.where(upd & ~to_b & (side < 0), gb / 2, gb))
            side = torch.where(upd, torch.where(to_b, 1.0, -1.0), side)
            a, b = a_new, b_new
            bisect = (b - a) > 0.5 * width
            exact_end = exact_end | (upd & (gx == 0))
        return b


def hold_after_stop(ys: torch.Tensor, times: torch.Tensor, tracker: EventTracker) -> torch.Tensor:
    """Outputs later than a sample's terminal event take its event state.

    ``ys`` is ``(n, B, D)``; ``times`` is ``(n,)`` or ``(B, n)``.
    """
    if not bool(tracker.stopped.any()):
        return ys
    rows = times.unsqueeze(0).expand(tracker.B, -1) if times.dim() == 1 else times
    direction = torch.where(rows[:, -1] < rows[:, 0], -1.0, 1.0).to(rows.dtype)
    beyond = tracker.stopped.unsqueeze(1) & (direction.unsqueeze(1) * (rows - tracker.stop_t.unsqueeze(1)) > 0)
    return torch.where(beyond.T.unsqueeze(-1), tracker.stop_y.unsqueeze(0), ys)
