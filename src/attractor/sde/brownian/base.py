"""The interface every Brownian motion offers the SDE solvers.

A Brownian motion here is a function of time ``t -> W(t)`` with values of a fixed shape
(``(*batch, m)`` for ``m`` noise channels). Solvers ask it for increments over a step,
``W(t) - W(s)``, and, when they need it, the step's *space-time Levy area*

.. math::  H_{s,t} = \\frac{1}{t-s}\\int_s^t (W_u - W_s)\\,du - \\tfrac12 (W_t - W_s),

which is ``N(0, (t-s)/12)`` and independent of the increment. Internally a path keeps, per
time point, the pair ``(W(t), K(t))`` with ``K(t) = \\int_{t_0}^t W_u du``; every interval's
``(W, H)`` follows from the pairs at its two ends.
"""

from __future__ import annotations

import itertools
import struct
from typing import NamedTuple

import torch

from attractor._core.validation import check_choice
from attractor.sde.brownian.levy import space_space_levy_area
from attractor.sde.brownian.seeding import KeyedNormals

LEVY_AREAS = ("none", "space-time")
_AREA_SALT = 0x5EED_A4EA


class BrownianIncrement(NamedTuple):
    """Increment ``dW = W(t) - W(s)``; when requested, the space-time Levy area ``H`` and an
    approximation ``A`` of the space-space Levy area (shape ``(..., m, m)``)."""

    dW: torch.Tensor
    H: torch.Tensor | None = None
    A: torch.Tensor | None = None


class AbstractBrownian:
    """Base class: subclasses implement :meth:`_point` (the pair ``(W, K)`` at ``t``)."""

    shape: tuple[int, ...]
    dtype: torch.dtype
    device: torch.device
    levy_area: str
    t0: float
    t1: float

    def _setup(self, t0, t1, shape, levy_area, dtype, device) -> None:
        self.t0 = float(t0)
        self.t1 = float(t1)
        if self.t1 <= self.t0:
            raise ValueError(f"`t1` must be greater than `t0`; got t0={self.t0}, t1={self.t1}.")
        if isinstance(shape, int):
            shape = (shape,)
        if not all(isinstance(n, int) and n > 0 for n in shape):
            raise ValueError(f"`shape` must be a tuple of positive ints; got {shape!r}.")
        self.shape = tuple(shape)
        self.levy_area = check_choice("levy_area", levy_area, LEVY_AREAS)
        self.dtype = dtype if dtype is not None else torch.get_default_dtype()
        self.device = torch.device(device if device is not None else "cpu")
        # Levy areas come from differences of K divided by short steps; keep them in float64.
        self._store_dtype = torch.float64 if self.levy_area != "none" else self.dtype

    # ---------------------------------------------------------------- subclass hook
    def _point(self, t: float) -> tuple[torch.Tensor, torch.Tensor | None]:
        raise NotImplementedError  # pragma: no cover - abstract

    # ---------------------------------------------------------------- public API
    def _check_time(self, t) -> float:
        t = float(t)
        if not (self.t0 <= t <= self.t1):
            raise ValueError(
                f"Brownian motion queried at t={t}, outside its domain [{self.t0}, {self.t1}]."
            )
        return t

    def evaluate(self, t) -> torch.Tensor:
        """``W(t)`` (with ``W(t0) = 0``)."""
        return self._point(self._check_time(t))[0].to(self.dtype)

    def increment(self, s, t) -> BrownianIncrement:
        """``W(t) - W(s)`` and (if this path carries it) the Levy area ``H`` over [s, t].

        ``s > t`` is allowed (a reversed step); ``H`` is symmetric under reversing the interval.
        """
        s, t = self._check_time(s), self._check_time(t)
        if s == t:
            raise ValueError(f"Brownian increment over an empty interval [{s}, {t}].")
        ws, ks = self._point(s)
        wt, kt = self._point(t)
        return self._make_increment(ws, ks, wt, kt, t - s)

    def increments(self, ts) -> BrownianIncrement:
        """Increments over consecutive times ``ts[i] -> ts[i+1]``, stacked on a leading axis."""
        times = [self._check_time(t) for t in _as_floats(ts)]
        points = [self._point(t) for t in times]
        ws = torch.stack([p[0] for p in points])
        ks = torch.stack([p[1] for p in points]) if self.levy_area != "none" else None
        h = torch.tensor(times, dtype=self._store_dtype, device=self.device).diff()
        h = h.reshape(-1, *([1] * len(self.shape)))
        return self._make_increment(ws[:-1], None if ks is None else ks[:-1], ws[1:],
                                    None if ks is None else ks[1:], h)

    def __call__(self, s, t=None):
        """``bm(t)`` is ``W(t)``; ``bm(s, t)`` is the increment ``W(t) - W(s)`` (torchsde style)."""
        if t is None:
            return self.evaluate(s)
        return self.increment(s, t).dW

    def space_space_areas(self, ts, inc: BrownianIncrement, kind: str) -> torch.Tensor:
        """Davie/Foster approximations of the Levy area over each step ``ts[i] -> ts[i+1]``.

        ``inc`` holds the stacked increments over those steps (with ``H``). The extra normals
        are keyed by the step's end points, so repeated queries return the same areas.
        """
        if inc.H is None:
            raise ValueError("space-space Levy area needs a Brownian motion with "
                             "levy_area='space-time'.")
        times = _as_floats(ts)
        m = self.shape[-1]
        normals = KeyedNormals(self.seed ^ _AREA_SALT, (*self.shape, m), self.dtype, self.device)
        z = torch.stack([normals(_float_key(s), _float_key(t)) for s, t in itertools.pairwise(times)])
        h = torch.tensor(times, dtype=self.dtype, device=self.device).diff()
        h = h.reshape(-1, *([1] * (len(self.shape) + 1)))
        return space_space_levy_area(inc.dW, inc.H, h, z, kind)

    # ---------------------------------------------------------------- helpers
    def _make_increment(self, ws, ks, wt, kt, h) -> BrownianIncrement:
        dW = wt - ws
        if self.levy_area == "none":
            return BrownianIncrement(dW.to(self.dtype))
        H = (kt - ks) / h - ws - 0.5 * dW
        return BrownianIncrement(dW.to(self.dtype), H.to(self.dtype))

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(t0={self.t0}, t1={self.t1}, shape={self.shape}, "
                f"levy_area={self.levy_area!r}, dtype={self.dtype})")


def _float_key(x: float) -> int:
    return struct.unpack("<q", struct.pack("<d", x))[0]


def _as_floats(ts) -> list[float]:
    if isinstance(ts, torch.Tensor):
        return [float(x) for x in ts.detach().reshape(-1).tolist()]
    return [float(x) for x in ts]
