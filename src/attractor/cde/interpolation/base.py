"""Piecewise-polynomial control paths ``X(t)`` built from observations.

Every interpolation here is, on each interval ``[t_k, t_{k+1})``, a polynomial in
``\\tau = t - t_k`` with per-interval coefficient tensors of shape
``(*batch, length - 1, channels)``; they differ only in how the coefficients are computed.
``evaluate(t)`` and ``derivative(t)`` accept a scalar time (returning ``(*batch, channels)``),
a 1-D tensor of times (``(*batch, n, channels)``) or, with ``per_sample=True``, one time per
series (shape ``batch``). At a knot the interval to the right is used (the derivative is
right-continuous), except at the last knot. Times outside the knots extrapolate the end pieces.
"""

from __future__ import annotations

import bisect

import torch

from attractor.cde.interpolation.prepare import prepare


class AbstractInterpolation:
    """Base class: validates and fills the observations, then asks the subclass for the
    per-interval polynomial coefficients (lowest order first) via :meth:`_coefficients`.

    Parameters (all interpolations)
    -------------------------------
    x:
        ``(*batch, length, channels)``; NaN marks missing values.
    t:
        Observation times ``(length,)`` or ``(*batch, length)``; default ``0..length-1``.
    mask:
        Optional boolean observation mask of ``x``'s shape (False = missing).
    time_channel:
        Prepend ``t`` as channel 0.
    observation_channels:
        Append cumulative observation counts per channel (over the length).
    fill_value:
        Value for channels never observed in a series (default: raise).
    """

    fill: str = "linear"
    """How gaps are filled before the coefficients are computed (``"linear"``/``"forward"``)."""

    def __init__(self, x, t=None, *, mask=None, time_channel: bool = False,
                 observation_channels: bool = False, fill_value=None):
        values, knots = prepare(x, t, mask=mask, time_channel=time_channel,
                                observation_channels=observation_channels, fill=self.fill,
                                fill_value=fill_value)
        self.knots, self.coeffs = self._coefficients(values, knots)

    def _coefficients(self, values: torch.Tensor, knots: torch.Tensor):
        """``(knots, coeffs)`` from complete values ``(*batch, length, channels)``."""
        raise NotImplementedError  # pragma: no cover - abstract

    knots: torch.Tensor  # (length,) or (*batch, length)
    coeffs: tuple[torch.Tensor, ...]  # each (*batch, length - 1, channels)
    smooth: bool = True
    """False when the derivative jumps at the knots (piecewise-linear paths)."""

    # ------------------------------------------------------------------ properties
    @property
    def batch_shape(self) -> tuple[int, ...]:
        return tuple(self.coeffs[0].shape[:-2])

    @property
    def channels(self) -> int:
        return self.coeffs[0].shape[-1]

    @property
    def interval(self) -> torch.Tensor:
        """``(t_first, t_last)`` (per series when the knots are)."""
        return torch.stack([self.knots[..., 0], self.knots[..., -1]], dim=-1)

    @property
    def grid_points(self) -> torch.Tensor:
        """The knots: where the path's derivative may jump (the solver should step onto them)."""
        return self.knots

    @property
    def dtype(self) -> torch.dtype:
        return self.coeffs[0].dtype

    @property
    def device(self) -> torch.device:
        return self.coeffs[0].device

    # ------------------------------------------------------------------ evaluation
    def _locate(self, t, per_sample: bool):
        """Interval index, offset ``tau`` and an output-shape flag for query times ``t``."""
        t = torch.as_tensor(t, dtype=self.dtype, device=self.device)
        n_int = self.coeffs[0].shape[-2]
        shared = self.knots.dim() == 1
        if per_sample:
            if tuple(t.shape) != self.batch_shape:
                raise ValueError(f"per-sample times must have the batch shape {self.batch_shape}; "
                                 f"got {tuple(t.shape)}.")
            tq = t.unsqueeze(-1)  # (*batch, 1)
            knots = self.knots if not shared else self.knots.expand(*self.batch_shape, -1)
        elif t.dim() > 1:
            raise ValueError(f"query times must be a scalar or 1-D; got shape {tuple(t.shape)}.")
        else:
            tq = t.reshape(-1)
            knots = self.knots
            if not shared:
                tq = tq.expand(*self.batch_shape, tq.numel()).contiguous()
        idx = torch.searchsorted(knots.contiguous(), tq.contiguous(), right=True) - 1
        idx = idx.clamp(0, n_int - 1)
        tau = tq - knots.gather(-1, idx) if knots.dim() > 1 else tq - knots[idx]
        return idx, tau, (per_sample or t.dim() == 0)

    def _gather(self, coeff: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
        return coeff.gather(-2, idx.unsqueeze(-1).expand(*idx.shape, coeff.shape[-1]))

    def _interval_major(self, derivative: bool) -> torch.Tensor:
        """The coefficients stacked as ``(intervals, degree + 1, *batch, channels)``: one
        contiguous slab per interval, so a shared-time query copies one slab (or, with a known
        interval, takes a view)."""
        key = "_stack_d" if derivative else "_stack_v"
        cached = self.__dict__.get(key)
        if cached is None:
            coeffs = self._derivative_coeffs() if derivative else self.coeffs
            cached = torch.stack(coeffs, 0).movedim(-2, 0).contiguous()
            self.__dict__[key] = cached
        return cached

    def _polyval_shared(self, slabs: torch.Tensor, tau: torch.Tensor) -> torch.Tensor:
        """Horner on slabs ``(m, degree + 1, *batch, C)`` at offsets ``tau`` ``(m,)``."""
        tau = tau.reshape(-1, *([1] * (slabs.dim() - 2)))
        out = slabs[:, -1]
        for k in range(slabs.shape[1] - 2, -1, -1):
            out = slabs[:, k] + tau * out
        return out  # (m, *batch, C)

    def _polyval(self, coeffs, idx, tau, squeeze):
        tau = tau.unsqueeze(-1)
        out = self._gather(coeffs[-1], idx)
        for c in reversed(coeffs[:-1]):
            out = self._gather(c, idx) + tau * out
        return out.squeeze(-2) if squeeze else out

    def _scalar_on_host(self, t, derivative: bool) -> torch.Tensor:
        """One time, knots on the CPU: locate it in Python and take the interval's slab as a
        view (no index kernels; on the GPU the tensor path avoids a host synchronisation)."""
        if not hasattr(self, "_knot_list"):
            self.__dict__["_knot_list"] = self.knots.tolist()
        knots = self._knot_list
        tf = float(t)
        k = min(max(bisect.bisect_right(knots, tf) - 1, 0), len(knots) - 2)
        slab = self._interval_major(derivative)[k]
        tau = tf - knots[k]
        out = slab[-1]
        for j in range(slab.shape[0] - 2, -1, -1):
            out = slab[j] + tau * out
        return out

    def _value(self, t, per_sample: bool, derivative: bool) -> torch.Tensor:
        if self.knots.dim() == 1 and not per_sample:
            if self.knots.device.type == "cpu" and (
                isinstance(t, float) or (isinstance(t, torch.Tensor) and t.dim() == 0)
            ):
                return self._scalar_on_host(t, derivative)
            t = torch.as_tensor(t, dtype=self.dtype, device=self.device)
            if t.dim() > 1:
                raise ValueError(f"query times must be a scalar or 1-D; got shape "
                                 f"{tuple(t.shape)}.")
            tq = t.reshape(-1)
            idx = torch.searchsorted(self.knots, tq, right=True).sub_(1)
            idx = idx.clamp_(0, self.knots.shape[-1] - 2)
            slabs = self._interval_major(derivative).index_select(0, idx)
            out = self._polyval_shared(slabs, tq - self.knots[idx])
            return out[0] if t.dim() == 0 else out.movedim(0, -2)
        idx, tau, squeeze = self._locate(t, per_sample)
        coeffs = self._derivative_coeffs() if derivative else self.coeffs
        return self._polyval(coeffs, idx, tau, squeeze)

    def evaluate(self, t, *, per_sample: bool = False) -> torch.Tensor:
        """``X(t)``."""
        return self._value(t, per_sample, derivative=False)

    def derivative(self, t, *, per_sample: bool = False) -> torch.Tensor:
        """``dX/dt (t)``."""
        return self._value(t, per_sample, derivative=True)

    def _derivative_coeffs(self):
        cached = self.__dict__.get("_dcoeffs")
        if cached is None:
            cached = tuple(k * c for k, c in enumerate(self.coeffs) if k > 0)
            self.__dict__["_dcoeffs"] = cached
        return cached

    def derivative_on(self, interval: int, t) -> torch.Tensor:
        """``dX/dt`` using the polynomial of knot interval ``interval`` whatever ``t`` is (shared
        knots only): the one-sided derivative a solver needs at the ends of that interval."""
        t = torch.as_tensor(t, dtype=self.dtype, device=self.device)
        slab = self._interval_major(derivative=True)[interval:interval + 1]  # a view
        return self._polyval_shared(slab, (t - self.knots[interval]).reshape(1))[0]

    # ------------------------------------------------------------------ batching
    def index_batch(self, index) -> AbstractInterpolation:
        """The same interpolation restricted to ``batch[index]`` (e.g. a minibatch)."""
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        for key in ("_dcoeffs", "_stack_d", "_stack_v", "_knot_list"):
            new.__dict__.pop(key, None)
        new.coeffs = tuple(c[index] for c in self.coeffs)
        new.knots = self.knots if self.knots.dim() == 1 else self.knots[index]
        return new

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(batch={self.batch_shape}, knots={self.knots.shape[-1]}, "
                f"channels={self.channels})")
