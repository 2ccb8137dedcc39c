"""A virtual Brownian tree: the same Brownian path from a seed, queried in any order.

The interval ``[t0, t1]`` is bisected dyadically. The value at each dyadic point is sampled
from the Brownian bridge between its two parents with normals keyed by the point's
``(level, index)``, so it depends only on the seed -- not on which points were asked for
before. Below depth ``L = ceil(log2((t1 - t0) / tol))`` a query inside a leaf interval is a
bridge sample keyed by the leaf. Points in distinct leaves therefore have exactly the joint
law of Brownian motion; two points inside one leaf (closer than ``tol``) are approximate.

This is what makes the stochastic adjoint exact in the noise: the reverse pass queries the
tree backwards and sees the forward pass's increments, without storing them (Li, Wong, Chen &
Duvenaud 2020, "Scalable gradients for stochastic differential equations", sec. 4; the
dyadic construction with space-time Levy area follows J. Foster's thesis, Oxford 2020, and
diffrax's ``VirtualBrownianTree``). Recently visited points are kept in a small LRU cache, so
a sequential sweep costs about one normal draw per query.
"""

from __future__ import annotations

import math
import sys
from collections import OrderedDict

import torch

from attractor.sde.brownian.base import AbstractBrownian
from attractor.sde.brownian.bridge import split
from attractor.sde.brownian.seeding import KeyedNormals, fresh_seed

_LEAF = 1 << 40  # key salt separating leaf draws from dyadic-point draws


class BrownianTree(AbstractBrownian):
    """Virtual Brownian tree on ``[t0, t1]``.

    Parameters
    ----------
    t0, t1:
        The domain.
    shape:
        Shape of ``W(t)``, e.g. ``(batch, m)``.
    tol:
        Resolution: queries further apart than ``tol`` have exact joint law. Default
        ``(t1 - t0) * 2**-16``.
    seed:
        Integer seed; default drawn from torch's global generator.
    levy_area:
        ``"none"`` or ``"space-time"`` (also carry ``H``, needed by :class:`SRA1`).
    dtype, device:
        Of the returned increments.
    cache_size:
        Number of tree points kept in the LRU cache.
    """

    def __init__(self, t0, t1, shape, *, tol=None, seed=None, levy_area="none", dtype=None,
                 device=None, cache_size: int = 256):
        self._setup(t0, t1, shape, levy_area, dtype, device)
        span = self.t1 - self.t0
        self.tol = float(tol) if tol is not None else span * 2.0**-16
        if not self.tol > 0:
            raise ValueError(f"`tol` must be positive; got {tol!r}.")
        self.depth = max(0, math.ceil(math.log2(span / self.tol)))
        self.seed = fresh_seed() if seed is None else int(seed)
        self._draws = 1 if self.levy_area == "none" else 4
        self._normals = KeyedNormals(self.seed, self.shape, self._store_dtype, self.device)
        self._cache: OrderedDict = OrderedDict()
        self._cache_size = int(cache_size)
        zeros = torch.zeros(self.shape, dtype=self._store_dtype, device=self.device)
        start = (zeros, None if self.levy_area == "none" else zeros)
        self._root = {0: start, 1: self._root_end(start)}

    def _root_end(self, start):
        z = self._normals(0, 0, count=2 if self._draws > 1 else 1)
        span = self.t1 - self.t0
        if self.levy_area == "none":
            return math.sqrt(span) * z, None
        w = math.sqrt(span) * z[0]
        big_h = math.sqrt(span / 12.0) * z[1]
        return w, span * (big_h + 0.5 * w)

    def _time(self, level: int, index: int) -> float:
        return self.t0 + (self.t1 - self.t0) * index / 2**level

    def _node(self, level: int, index: int, left, right):
        """The pair at dyadic point ``index / 2**level`` (``index`` odd), sampled from its parents."""
        key = (level, index)
        hit = self._cache.get(key)
        if hit is not None:
            self._cache.move_to_end(key)
            return hit
        a, m, b = self._time(level, index - 1), self._time(level, index), self._time(level, index + 1)
        z = self._normals(level, index, count=self._draws)
        value = split(a, m, b, left[0], left[1], right[0], right[1], z)
        self._cache[key] = value
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return value

    def _point(self, t: float):
        u = (t - self.t0) / (self.t1 - self.t0)
        # snap to the finest dyadic point when a few ulps away: grids built by different
        # formulas then hit the same tree nodes
        scaled = u * 2.0**self.depth
        nearest = round(scaled)
        if abs(scaled - nearest) <= 64 * sys.float_info.epsilon * max(scaled, 1.0):
            u = nearest / 2.0**self.depth
        if u <= 0.0:
            return self._root[0]
        if u >= 1.0:
            return self._root[1]
        left, right = self._root[0], self._root[1]
        k = 0  # current interval [k, k+1] / 2**level
        for level in range(self.depth):
            mid_index = 2 * k + 1
            mid_u = mid_index / 2 ** (level + 1)
            mid = self._node(level + 1, mid_index, left, right)
            if u == mid_u:
                return mid
            if u < mid_u:
                right, k = mid, 2 * k
            else:
                left, k = mid, 2 * k + 1
        # inside a leaf: a bridge sample keyed by the leaf, continuous in t
        a, b = self._time(self.depth, k), self._time(self.depth, k + 1)
        z = self._normals(_LEAF, self.depth, k, count=self._draws)
        return split(a, t, b, left[0], left[1], right[0], right[1], z)
