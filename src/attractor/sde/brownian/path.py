"""A Brownian path that stores every point it has been asked for.

New times beyond the last stored one extend the path with fresh Gaussian increments; times
between stored ones are filled in by the exact Brownian bridge (with space-time Levy area when
requested) and stored too. Asking again for a stored time returns the stored value, so a
reverse (adjoint) pass over the same times sees exactly the forward noise. Memory grows with
the number of distinct query times; :class:`BrownianTree` trades that for recomputation.

:meth:`increments` on a grid past the end draws all its increments in one call and keeps them
as a *chunk*: asking for the same grid again (a backward pass) returns the very same tensors,
and the path's values inside the chunk (cumulative sums) are only formed if some other query
needs them. A fixed-step solve's noise therefore costs one ``torch.randn``.
"""

from __future__ import annotations

import bisect
import itertools
import math
import sys

import torch

from attractor.sde.brownian.base import AbstractBrownian, BrownianIncrement, _as_floats
from attractor.sde.brownian.bridge import extend, split
from attractor.sde.brownian.seeding import fresh_seed

_SNAP = 64 * sys.float_info.epsilon


class _Chunk:
    """Increments over a grid ``times`` starting from the pair ``(w0, k0)``; values on demand."""

    def __init__(self, times, w0, k0, dW, H, h):
        self.times, self.w0, self.k0 = times, w0, k0
        self.increment = BrownianIncrement(dW, H)  # as drawn and handed out
        self.h = h
        self._values = None

    def _raw(self):
        """The increments in the storage dtype of the running values."""
        dW, H = self.increment.dW, self.increment.H
        return dW.to(self.w0.dtype), None if H is None else H.to(self.w0.dtype)

    def end(self):
        """The pair at the last time, without forming the cumulative sums:
        ``K_end = K_0 + T W_0 + sum_i [dW_i (T - C_i + h_i / 2) + h_i H_i]`` with ``C_i`` the
        time elapsed at the end of step ``i`` and ``T`` the chunk's span."""
        dW, H = self._raw()
        w_end = self.w0 + dW.sum(0)
        if self.k0 is None:
            return w_end, None
        span = self.h.sum(0)
        weight = span - self.h.cumsum(0) + 0.5 * self.h
        return w_end, self.k0 + span * self.w0 + (dW * weight + self.h * H).sum(0)

    def value(self, j: int):
        """The pair at ``times[j + 1]``."""
        if self._values is None:
            dW, H = self._raw()
            ws = self.w0 + dW.cumsum(0)
            ks = None
            if self.k0 is not None:
                w_prev = torch.cat([self.w0.unsqueeze(0), ws[:-1]])
                ks = self.k0 + (self.h * w_prev + self.h * (H + 0.5 * dW)).cumsum(0)
            self._values = (ws, ks)
        ws, ks = self._values
        return ws[j], None if ks is None else ks[j]


class BrownianPath(AbstractBrownian):
    """Brownian motion on ``[t0, t1]`` with stored values (``t1`` may be ``inf``).

    Parameters: ``shape`` of ``W(t)``, ``seed`` (default from torch's global generator),
    ``levy_area`` (``"none"`` or ``"space-time"``), ``dtype`` and ``device`` of the increments.
    """

    def __init__(self, t0, shape, *, t1=math.inf, seed=None, levy_area="none", dtype=None,
                 device=None):
        self._setup(t0, t1, shape, levy_area, dtype, device)
        self.seed = fresh_seed() if seed is None else int(seed)
        self._generator = torch.Generator(device=self.device)
        self._generator.manual_seed(self.seed)
        zeros = torch.zeros(self.shape, dtype=self._store_dtype, device=self.device)
        self._times: list[float] = [self.t0]
        # a pair (W, K), or (chunk, j) for a value kept implicitly by a grid chunk
        self._values: list[tuple] = [(zeros, None if self.levy_area == "none" else zeros)]
        self._chunks: dict[tuple[float, float, int], _Chunk] = {}

    @classmethod
    def from_increments(cls, ts, dW: torch.Tensor) -> BrownianPath:
        """The path with given increments ``dW[i] = W(ts[i+1]) - W(ts[i])`` (no Levy area).

        Times between the given ones are filled in by Brownian bridges as usual. Useful to
        drive a solve with prescribed noise (quadrature nodes, a slice of another path, ...).
        """
        times = _as_floats(ts)
        if any(b <= a for a, b in itertools.pairwise(times)):
            raise ValueError("`ts` must be strictly increasing.")
        if dW.shape[0] != len(times) - 1:
            raise ValueError(f"`dW` must hold {len(times) - 1} increments for {len(times)} times; "
                             f"got leading size {dW.shape[0]}.")
        path = cls(times[0], tuple(dW.shape[1:]), t1=times[-1], seed=0, dtype=dW.dtype,
                   device=dW.device)
        path._add_chunk(times, dW, None)
        return path

    def __len__(self) -> int:
        return len(self._times)

    def _randn(self, *lead: int, dtype=None) -> torch.Tensor:
        return torch.randn((*lead, *self.shape), generator=self._generator,
                           dtype=dtype or self._store_dtype, device=self.device)

    def _value(self, i: int):
        value = self._values[i]
        if isinstance(value[0], _Chunk):
            return value[0].value(value[1])
        return value

    def _point(self, t: float):
        i = bisect.bisect_left(self._times, t)
        if i < len(self._times) and self._times[i] == t:
            return self._value(i)
        # a stored time a few ulps away is the same time (grids built by different formulas)
        for j in (i - 1, i):
            if 0 <= j < len(self._times) and abs(self._times[j] - t) <= _SNAP * max(abs(t), 1.0):
                return self._value(j)
        w, k = self._value(i - 1)
        if i == len(self._times):
            z = self._randn() if k is None else self._randn(2)
            value = extend(t - self._times[-1], w, k, z)
        else:
            z = self._randn() if k is None else self._randn(4)
            wb, kb = self._value(i)
            value = split(self._times[i - 1], t, self._times[i], w, k, wb, kb, z)
        self._times.insert(i, t)
        self._values.insert(i, value)
        return value

    def increments(self, ts) -> BrownianIncrement:
        times = _as_floats(ts)
        if len(times) >= 2:
            chunk = self._chunks.get((times[0], times[-1], len(times)))
            if chunk is not None and chunk.times == times:
                return chunk.increment  # the same tensors as when the grid was first drawn
            if times[0] == self._times[-1] and all(x < y for x, y in itertools.pairwise(times)):
                return self._draw_grid(times)
        return super().increments(times)

    def _draw_grid(self, times: list[float]) -> BrownianIncrement:
        """Extend the path over a whole increasing grid with one random draw (in the dtype
        handed out: the increments and Levy areas are drawn directly, not differenced)."""
        self._check_time(times[-1])
        n = len(times) - 1
        h = torch.tensor(times, dtype=torch.float64, device=self.device).diff()
        h = h.to(self.dtype).reshape(-1, *([1] * len(self.shape)))
        if self.levy_area == "none":
            return self._add_chunk(times, h.sqrt() * self._randn(n, dtype=self.dtype), None)
        z = self._randn(2, n, dtype=self.dtype)
        return self._add_chunk(times, h.sqrt() * z[0], (h / 12.0).sqrt() * z[1])

    def _add_chunk(self, times, dW, H) -> BrownianIncrement:
        w0, k0 = self._value(len(self._times) - 1)
        h = None
        if k0 is not None:
            h = torch.tensor(times, dtype=self._store_dtype, device=self.device).diff()
            h = h.reshape(-1, *([1] * len(self.shape)))
        chunk = _Chunk(times, w0, k0, dW.to(self.dtype), None if H is None else H.to(self.dtype), h)
        self._times.extend(times[1:])
        self._values.extend((chunk, j) for j in range(len(times) - 1))
        self._chunks[(times[0], times[-1], len(times))] = chunk
        # the next chunk starts from this one's end value; keep it explicit
        self._values[-1] = chunk.end()
        return chunk.increment
