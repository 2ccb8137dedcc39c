"""Writing the solution at the requested output times, interpolated in batches inside each step.

:class:`SharedOutputs` handles one list of times for the whole batch (the fast path: Python-side
bookkeeping, one ``addmm`` per step that holds outputs, written straight into a preallocated
``(n, N)`` tensor). :class:`PerSampleOutputs` handles times of shape ``(B, n)`` and/or a step per
sample: the outputs inside each sample's step are gathered, interpolated together with one
batched product, and scattered into place at the end. An output exactly at a step's end takes
the step's end state itself (bit-for-bit, whatever the interpolant).
"""

from __future__ import annotations

import math

import torch

from attractor.ode.interpolation import host_weights, interpolate, polynomial_per_sample, weights


def _host_copy(coefficients: torch.Tensor):
    """A float64 numpy copy of dense-output coefficients (cached on the tensor)."""
    host = getattr(coefficients, "_host_copy", None)
    if host is None:
        host = coefficients.detach().cpu().double().numpy()
        coefficients._host_copy = host
    return host


class SharedOutputs:
    """Output times ``(n,)`` shared by all samples; ``direction`` is +1 or -1."""

    def __init__(self, times: torch.Tensor, y0: torch.Tensor, direction: float, functional: bool,
                 coefficients: torch.Tensor) -> None:
        self.times = [float(v) for v in times.tolist()]
        self.keys = [direction * v for v in self.times]
        self.direction = direction
        self.n = len(self.times)
        self.functional = functional
        self.P = coefficients
        self.P_host = _host_copy(coefficients) if y0.device.type == "cpu" else None
        self.t_dev = times.to(dtype=coefficients.dtype, device=y0.device)
        self.rows: list[torch.Tensor] = []
        self.ys = None if functional else y0.new_full((self.n, y0.numel()), math.nan)
        self.next = 0
        key0 = direction * self.times[0]
        while self.next < self.n and self.keys[self.next] <= key0:
            self._put(self.next, y0)
            self.next += 1

    def _put(self, i: int, value: torch.Tensor) -> None:
        if self.functional:
            self.rows.append(value)
        else:
            self.ys[i].copy_(value)

    def upto(self, t_new: float) -> int:
        """Index one past the last output at or before ``t_new``."""
        key, j = self.direction * t_new, self.next
        while j < self.n and self.keys[j] <= key:
            j += 1
        return j

    def inside(self, t: float, t_new: float) -> bool:
        """Whether the next output time lies strictly inside ``(t, t_new)``."""
        if self.next >= self.n:
            return False
        return self.keys[self.next] < self.direction * t_new

    def needs_dense(self, stop: int, t_new: float) -> bool:
        """Whether outputs ``next..stop-1`` include any strictly inside the step."""
        return self.needs_dense_range(self.next, stop, t_new)

    def needs_dense_range(self, start: int, stop: int, t_new: float) -> bool:
        return any(self.times[i] != t_new for i in range(start, stop))

    def step_values(self, start: int, stop: int, t: float, h: float, t_new: float, y: torch.Tensor,
                    Z: torch.Tensor | None, y1: torch.Tensor, out: torch.Tensor | None = None):
        """Values of outputs ``start..stop-1`` inside the step ``(t, t_new]``.

        Returns ``(interpolated rows or None, number of trailing outputs equal to y1)``; with
        ``out`` the interpolated rows are written there instead.
        """
        end = stop
        while end > start and self.times[end - 1] == t_new:
            end -= 1
        vals = None
        if end > start:
            thetas = [(self.times[i] - t) / h for i in range(start, end)]
            if self.P_host is not None:
                w = torch.from_numpy(host_weights(thetas, self.P_host)).to(Z.dtype)
            else:
                w = weights((self.t_dev[start:end] - t) / h, self.P)
            vals = interpolate(y, Z, w, out=None if out is None else out[start:end])
        return vals, stop - end

    def write(self, stop: int, t: float, h: float, y: torch.Tensor, Z: torch.Tensor | None,
              y1: torch.Tensor, t_new: float) -> None:
        """Outputs ``next..stop-1`` lie in ``(t, t_new]``: interpolate them from ``y`` and ``Z``."""
        start = self.next
        vals, n_end = self.step_values(start, stop, t, h, t_new, y, Z, y1, out=self.ys)
        if self.functional and vals is not None:
            self.rows.extend(vals.unbind(0))
        for i in range(stop - n_end, stop):
            self._put(i, y1)
        self.next = stop

    def result(self, like: torch.Tensor) -> torch.Tensor:
        """``(n, N)``; rows never reached are NaN."""
        if not self.functional:
            return self.ys
        rows = list(self.rows)
        if len(rows) < self.n:
            rows += [torch.full_like(like, math.nan)] * (self.n - len(rows))
        return torch.stack(rows, 0)


class PerSampleOutputs:
    """Output times ``(B, n)``, per-sample directions ``(B,)``; states viewed as ``(B, D)``."""

    def __init__(self, times: torch.Tensor, y0: torch.Tensor, direction: torch.Tensor,
                 coefficients: torch.Tensor) -> None:
        self.times = times
        self.B, self.n = times.shape
        self.D = y0.numel() // self.B
        self.direction = direction
        self.keys = (direction.unsqueeze(1) * times).contiguous()
        self.P = coefficients
        self.pieces: list[tuple[torch.Tensor, torch.Tensor]] = []
        self.next = torch.searchsorted(self.keys, self.keys[:, :1].contiguous(), right=True).squeeze(1)
        # outputs at (or, for equal leading times, at) t0 are y0
        m = int(self.next.max())
        first = y0.view(self.B, 1, self.D).expand(self.B, m, self.D)
        self.pieces.append(self._select(torch.zeros_like(self.next), self.next, first))

    def _select(self, start: torch.Tensor, stop: torch.Tensor, values: torch.Tensor):
        """``values[b, j]`` for output ``start[b] + j`` where ``j < stop[b] - start[b]``, with flat indices."""
        m = values.shape[1]
        j = torch.arange(m, device=start.device)
        valid = j.unsqueeze(0) < (stop - start).unsqueeze(1)
        b_idx, m_idx = valid.nonzero(as_tuple=True)
        out_idx = start[b_idx] + m_idx
        return out_idx * self.B + b_idx, values[b_idx, m_idx]

    def inside(self, t: float, t_new: float) -> bool:
        return True

    def count(self, t_new: torch.Tensor, accepted: torch.Tensor) -> torch.Tensor:
        """Index one past each sample's last output at or before ``t_new`` (``(B,)``)."""
        key = (self.direction * t_new).unsqueeze(1).contiguous()
        hi = torch.searchsorted(self.keys, key, right=True).squeeze(1)
        return torch.where(accepted, hi, self.next)

    def write(self, stop: torch.Tensor, m: int, t: torch.Tensor, h: torch.Tensor, y: torch.Tensor,
              Z: torch.Tensor, y1: torch.Tensor, t_new: torch.Tensor) -> None:
        """Outputs ``next[b]..stop[b]-1`` lie in sample ``b``'s step; ``m`` is the largest count."""
        if m > 0:
            self.pieces.append(self.step_values(self.next, stop, m, t, h, y, Z, y1, t_new))
        self.next = stop

    def step_values(self, start: torch.Tensor, stop: torch.Tensor, m: int, t: torch.Tensor,
                    h: torch.Tensor, y: torch.Tensor, Z: torch.Tensor, y1: torch.Tensor,
                    t_new: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(flat output indices, values)`` of outputs ``start[b]..stop[b]-1`` in each sample's step."""
        j = start.unsqueeze(1) + torch.arange(m, device=t.device)
        tq = self.times.gather(1, j.clamp(max=self.n - 1))
        hh = torch.where(h == 0, torch.ones_like(h), h)
        theta = (tq - t.unsqueeze(1)) / hh.unsqueeze(1)
        vals = polynomial_per_sample(y.view(self.B, self.D), Z.view(Z.shape[0], self.B, self.D), theta, self.P)
        at_end = (tq == t_new.unsqueeze(1)).unsqueeze(-1)
        vals = torch.where(at_end, y1.view(self.B, 1, self.D), vals)
        return self._select(start, stop, vals)

    def result(self, like: torch.Tensor) -> torch.Tensor:
        """``(n, B, D)``; entries never reached are NaN."""
        idx = torch.cat([p[0] for p in self.pieces])
        vals = torch.cat([p[1] for p in self.pieces])
        base = like.new_full((self.n * self.B, self.D), math.nan)
        return base.index_copy(0, idx, vals).view(self.n, self.B, self.D)
