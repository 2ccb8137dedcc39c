"""Counter-based seeding: a reproducible random stream for every node of a Brownian tree.

A node's normals depend only on ``(seed, key)``, never on the order in which nodes were
visited, so a Brownian tree queried in any order (forward pass, reversed adjoint pass, finer
resolution) returns the same path. Keys are mixed into a 63-bit generator seed with the
SplitMix64 finaliser (Steele, Lea & Flood 2014, "Fast splittable pseudorandom number
generators"), then one ``torch.Generator`` on the path's device draws the normals.
"""

from __future__ import annotations

import torch

_MASK64 = (1 << 64) - 1


def _splitmix64(x: int) -> int:
    x = (x + 0x9E3779B97F4A7C15) & _MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK64
    return x ^ (x >> 31)


def mix_seed(seed: int, *keys: int) -> int:
    """A 63-bit seed that depends on ``seed`` and every key, in order."""
    h = _splitmix64(seed & _MASK64)
    for k in keys:
        h = _splitmix64(h ^ (k & _MASK64))
    return h >> 1


class KeyedNormals:
    """Draws standard normals of a fixed shape for an integer key, reproducibly."""

    def __init__(self, seed: int, shape: tuple[int, ...], dtype: torch.dtype, device: torch.device):
        self.seed = int(seed)
        self.shape = tuple(shape)
        self.dtype = dtype
        self.device = torch.device(device)
        self._generator = torch.Generator(device=self.device)

    def __call__(self, *key: int, count: int = 1) -> torch.Tensor:
        """``count`` independent draws stacked on a new leading axis (squeezed when 1)."""
        self._generator.manual_seed(mix_seed(self.seed, *key))
        shape = self.shape if count == 1 else (count, *self.shape)
        return torch.randn(shape, generator=self._generator, dtype=self.dtype, device=self.device)


def fresh_seed() -> int:
    """A seed drawn from torch's global generator, so ``torch.manual_seed`` makes paths repeatable."""
    return int(torch.randint(0, 2**62, (), dtype=torch.long).item())
