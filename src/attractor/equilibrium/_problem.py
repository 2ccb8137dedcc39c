"""The nonlinear problem as the solvers see it: flat ``(B, n)`` states and a residual."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch

from attractor._core.autocast import AutocastState, to_state_dtype
from attractor.linalg._batch import batch_size

State = torch.Tensor | tuple[torch.Tensor, ...]


class Packer:
    """Flattens a state (a tensor or a tuple of tensors sharing batch dims) to ``(B, n)`` and back."""

    def __init__(self, z0: State, batch_ndim: int) -> None:
        self.is_tuple = isinstance(z0, tuple)
        parts = z0 if self.is_tuple else (z0,)
        self.shapes = [p.shape for p in parts]
        self.batch_shape = parts[0].shape[:batch_ndim]
        self.batch = batch_size(parts[0].shape, batch_ndim)
        self.sizes = [math.prod(p.shape[batch_ndim:]) for p in parts]  # also for an empty batch
        self.n = sum(self.sizes)
        self.dtype = parts[0].dtype
        self.device = parts[0].device
        # a (B, n) state is its own flat view: no reshapes on the hot path
        self.identity = not self.is_tuple and len(self.shapes[0]) == 2 and batch_ndim == 1

    def pack(self, z: State) -> torch.Tensor:
        if self.identity:
            return z
        if not self.is_tuple:
            return z.reshape(self.batch, self.n)
        return torch.cat([p.reshape(self.batch, n) for p, n in zip(z, self.sizes)], dim=1)

    def unpack(self, flat: torch.Tensor) -> State:
        if self.identity:
            return flat
        if not self.is_tuple:
            return flat.reshape(self.shapes[0])
        parts = torch.split(flat, self.sizes, dim=1)
        return tuple(p.reshape(s) for p, s in zip(parts, self.shapes))

    def per_sample(self, x: torch.Tensor) -> torch.Tensor:
        """A ``(B,)`` tensor reshaped to the batch shape (0-dim when unbatched)."""
        return x.reshape(self.batch_shape)


class Problem:
    """``z = f(z)`` (``kind="fixed_point"``) or ``g(x) = 0`` (``kind="root"``) on flat states.

    Every solver works with the residual ``r(z)`` that vanishes at the solution and the map
    ``T(z)`` whose fixed point it is: ``r = f(z) - z, T = f`` for fixed points and
    ``r = g(x), T = x + g(x)`` for roots. ``nfe`` counts evaluations of the user function
    (each covers the whole batch) and ``njvp`` Jacobian-vector products.
    """

    def __init__(
        self, fn: Callable[..., Any], args: tuple, packer: Packer, kind: str, name: str,
        autocast: AutocastState | None = None,
    ) -> None:
        self.fn, self.args, self.packer, self.kind, self.name = fn, args, packer, kind, name
        self.autocast = autocast  # the caller's torch.autocast, re-entered around fn only
        self.nfe = 0
        self.njvp = 0

    def _call(self, z: torch.Tensor, count: bool = True) -> torch.Tensor:
        self.nfe += count
        version = None if z.is_inference() else z._version  # inference tensors keep no counter
        if self.autocast is None:
            out = self.fn(self.packer.unpack(z), *self.args)
        else:
            with self.autocast.region():
                out = self.fn(self.packer.unpack(z), *self.args)
            out = to_state_dtype(out, self.packer.dtype, self.autocast)
        if version is not None and z._version != version:
            raise ValueError(
                f"`{self.name}` modified its input in place (e.g. `z.mul_(...)`); the solvers keep "
                f"the iterate, so `{self.name}` must return a new tensor (write `z * 0.5`, or "
                "clone the input first)."
            )
        self._check(out)
        return self.packer.pack(out)

    def _check(self, out: Any) -> None:
        """The user function must return the state's structure, shapes and dtype."""
        p = self.packer
        parts = out if isinstance(out, tuple) else (out,)
        what = f"(the {'shapes' if p.is_tuple else 'shape'} of the initial state)"
        if not p.is_tuple and not isinstance(out, torch.Tensor):
            raise TypeError(
                f"`{self.name}` must return a tensor like the initial state; got {_kind(out)}."
            )
        if p.is_tuple != isinstance(out, tuple) or len(parts) != len(p.shapes):
            expected = f"a tuple of {len(p.shapes)} tensors" if p.is_tuple else "a tensor"
            raise TypeError(
                f"`{self.name}` must return {expected} like the initial state; got {_kind(out)}."
            )
        for part, shape in zip(parts, p.shapes):
            if not isinstance(part, torch.Tensor):
                raise TypeError(f"`{self.name}` must return tensors; got {_kind(part)}.")
            if part.shape != shape:
                raise ValueError(
                    f"`{self.name}` returned shape {tuple(part.shape)}; expected {tuple(shape)} {what}."
                )
            if part.dtype != p.dtype:
                raise ValueError(
                    f"`{self.name}` returned dtype {part.dtype}; expected {p.dtype} (the dtype of the initial state)."
                )

    def eval(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(T(z), r(z))`` at a flat state."""
        out = self._call(z)
        if self.kind == "fixed_point":
            return out, out - z
        return z + out, out

    def map(self, z: torch.Tensor) -> torch.Tensor:
        """``T(z)``: ``f(z)``, or ``z + g(z)`` for roots."""
        out = self._call(z)
        return out if self.kind == "fixed_point" else z + out

    def residual(self, z: torch.Tensor, count: bool = True) -> torch.Tensor:
        """``r(z)``: ``f(z) - z``, or ``g(z)`` for roots."""
        out = self._call(z, count)
        return out - z if self.kind == "fixed_point" else out

    def jvp(self, z: torch.Tensor, v: torch.Tensor, count: int = 1) -> torch.Tensor:
        """``J_r(z) v`` by forward-mode autodiff (one dual evaluation of the user function).

        ``count`` is the number of products the call stands for (``v`` may be vmapped).
        """
        self.njvp += count
        return torch.func.jvp(lambda u: self.residual(u, count=False), (z,), (v,))[1]


def _kind(x: Any) -> str:
    if isinstance(x, torch.Tensor):
        return f"a tensor of shape {tuple(x.shape)}"
    if isinstance(x, tuple):
        return f"a tuple of {len(x)}"
    return type(x).__name__
