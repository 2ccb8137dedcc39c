"""Mixed profiles: validation, construction and the flat-vector view used by solvers.

A mixed profile is a tuple ``(x_0, ..., x_{n-1})`` with ``x_i`` of shape ``(*batch, a_i)``,
non-negative and summing to one over the last dimension.  Solvers work on the concatenation
``z = [x_0, ..., x_{n-1}]`` of shape ``(*batch, sum_i a_i)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

Profile = tuple[torch.Tensor, ...]


def _default_tol(dtype: torch.dtype) -> float:
    return 1e-4 if dtype in (torch.float16, torch.bfloat16) else 1e-5 if dtype == torch.float32 else 1e-9


def check_profile(
    profile: Any, num_actions: Sequence[int], *, name: str = "profile", tol: float | None = None
) -> Profile:
    """Check that ``profile`` is a tuple of probability vectors matching ``num_actions``.

    Each entry must be a floating tensor with last dimension ``a_i``, entries ``>= -tol`` and
    sums within ``tol`` of one (``tol`` defaults to 1e-9 in float64, 1e-5 in float32).  Leading
    (batch) dimensions must broadcast together; they are broadcast in the returned tuple.
    """
    n = len(num_actions)
    if isinstance(profile, torch.Tensor) or not isinstance(profile, (tuple, list)):
        raise TypeError(
            f"`{name}` must be a tuple of {n} per-player probability tensors; got {type(profile).__name__}."
        )
    if len(profile) != n:
        raise ValueError(f"`{name}` must have one strategy per player ({n}); got {len(profile)}.")
    out = []
    for i, (x, a) in enumerate(zip(profile, num_actions)):
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"`{name}[{i}]` must be a torch.Tensor; got {type(x).__name__}.")
        if not x.is_floating_point():
            raise ValueError(f"`{name}[{i}]` must have a floating-point dtype; got {x.dtype}.")
        if x.dim() < 1 or x.shape[-1] != a:
            raise ValueError(
                f"`{name}[{i}]` must have shape (*batch, {a}) (player {i} has {a} actions); "
                f"got {tuple(x.shape)}."
            )
        t = _default_tol(x.dtype) if tol is None else tol
        if not bool(torch.isfinite(x).all()):
            raise ValueError(f"`{name}[{i}]` must be finite; got NaN/inf entries.")
        low = float(x.detach().min())
        if low < -t:
            raise ValueError(f"`{name}[{i}]` must be a probability vector; got a negative entry {low:.3g}.")
        err = float((x.detach().sum(-1) - 1).abs().max())
        if err > t * max(1, a):
            raise ValueError(
                f"`{name}[{i}]` must sum to 1 over its last dimension; got sums off by up to {err:.3g}."
            )
        out.append(x)
    try:
        batch = torch.broadcast_shapes(*(x.shape[:-1] for x in out))
    except RuntimeError:
        shapes = [tuple(x.shape) for x in out]
        raise ValueError(f"the strategies of `{name}` have batch shapes that do not broadcast: {shapes}.") from None
    return tuple(x.expand(*batch, x.shape[-1]) for x in out)


def uniform_profile(
    num_actions: Sequence[int],
    batch_shape: tuple[int, ...] = (),
    *,
    dtype: torch.dtype | None = None,
    device: torch.device | str | None = None,
) -> Profile:
    """Each player mixing uniformly over their actions."""
    return tuple(torch.full((*batch_shape, a), 1.0 / a, dtype=dtype, device=device) for a in num_actions)


def flatten_profile(profile: Sequence[torch.Tensor]) -> torch.Tensor:
    """Concatenate the strategies into one ``(*batch, sum a_i)`` tensor."""
    return torch.cat(list(profile), -1)


def unflatten_profile(z: torch.Tensor, num_actions: Sequence[int]) -> Profile:
    """Split a ``(*batch, sum a_i)`` tensor back into per-player strategies (views)."""
    return tuple(torch.split(z, list(num_actions), -1))


def profile_to_numpy(profile: Sequence[torch.Tensor]) -> list:
    """Nested Python lists of one (unbatched) profile, for printing and JSON."""
    return [x.detach().cpu().tolist() for x in profile]
