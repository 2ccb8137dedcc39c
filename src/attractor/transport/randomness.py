"""Random draws from a user's generator on the generator's own device.

A ``torch.Generator`` lives on one device and can only fill tensors there, while the samples it
serves may live elsewhere (a CPU generator for reproducible draws of CUDA data, or a CUDA one
for CUDA data). These helpers draw where the generator is and move the result to where it is
needed; without a generator they draw in place.
"""

from __future__ import annotations

from typing import Any

import torch


def _where(generator: torch.Generator | None, device: Any) -> torch.device:
    return generator.device if generator is not None else torch.device(device) if device is not None \
        else torch.device("cpu")


def randn(shape: tuple[int, ...], *, dtype: torch.dtype, device: Any, generator: torch.Generator | None = None):
    out = torch.randn(shape, generator=generator, dtype=dtype, device=_where(generator, device))
    return out.to(device) if device is not None else out


def rand(shape: tuple[int, ...], *, dtype: torch.dtype, device: Any, generator: torch.Generator | None = None):
    out = torch.rand(shape, generator=generator, dtype=dtype, device=_where(generator, device))
    return out.to(device) if device is not None else out


def randint(high: int, shape: tuple[int, ...], *, device: Any, generator: torch.Generator | None = None):
    out = torch.randint(0, high, shape, generator=generator, device=_where(generator, device))
    return out.to(device) if device is not None else out


def multinomial(probs: torch.Tensor, n: int, *, generator: torch.Generator | None = None,
                replacement: bool = True) -> torch.Tensor:
    where = _where(generator, probs.device)
    return torch.multinomial(probs.to(where), n, replacement=replacement, generator=generator).to(probs.device)


def randn_like(x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    return randn(tuple(x.shape), dtype=x.dtype, device=x.device, generator=generator)
