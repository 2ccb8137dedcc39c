"""Hold a cell's parametrized weights fixed for the length of one DEQ solve.

A fixed-point solver evaluates the cell tens of times per forward pass. Parametrized weights
(weight / spectral normalization, contractive and monotone parametrizations registered with
``torch.nn.utils.parametrize``) would be recomputed at every evaluation, and a spectral norm's
power iteration would move the map while it is being solved. Here each parametrized weight is
computed once, under the caller's grad mode (so gradients still reach the underlying
parameters), and spectral norms advance by one power step per training pass.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from torch import nn
from torch.nn.utils import parametrize

from attractor.nn.normalization import SpectralNorm


@contextmanager
def frozen_parametrizations(module: nn.Module) -> Iterator[None]:
    """Compute every parametrized weight inside ``module`` once, for the duration of the block."""
    owners = [m for m in module.modules() if parametrize.is_parametrized(m)]
    if not owners:
        yield
        return
    for owner in owners:
        for chain in owner.parametrizations.values():
            for p in chain:
                if isinstance(p, SpectralNorm) and p.training:
                    p.request_update()
                elif isinstance(p, SpectralNorm):
                    p.auto_update = False
    with parametrize.cached():
        for owner in owners:
            for name in owner.parametrizations:
                getattr(owner, name)
        yield
