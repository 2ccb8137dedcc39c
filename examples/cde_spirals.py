"""Classify irregularly sampled, partially observed spirals with a neural CDE.

Each series is a 2-D spiral turning clockwise (label 0) or anticlockwise (label 1), observed at
random times with 30% of the values missing independently per channel. The observations go
into a natural cubic spline with a time channel and observation-count channels
(attractor.cde.NaturalCubicSpline), and attractor.nn.NeuralCDE reads the spline out into a
logit. Chance is 50%; one or two epochs reach > 95% test accuracy.

Run: python examples/cde_spirals.py [--epochs 10]
"""

from __future__ import annotations

import argparse
import math
import time

import torch

import attractor
from attractor.cde import NaturalCubicSpline


def make_spirals(n: int, length: int = 64, missing: float = 0.3, seed: int = 0):
    """``(x, t, y)``: series ``(n, length, 2)`` with NaNs, shared irregular times, labels."""
    g = torch.Generator().manual_seed(seed)
    t = torch.sort(torch.rand(length, generator=g) * 4 * math.pi).values
    t[0], t[-1] = 0.0, 4 * math.pi
    start = torch.rand(n, 1, generator=g) * 2 * math.pi
    label = torch.randint(0, 2, (n,), generator=g)
    sign = (2 * label - 1).unsqueeze(-1).float()  # +1 anticlockwise, -1 clockwise
    angle = start + sign * t
    radius = (1 + t / (4 * math.pi)) * (0.8 + 0.4 * torch.rand(n, 1, generator=g))
    x = torch.stack([radius * torch.cos(angle), radius * torch.sin(angle)], dim=-1)
    x = x + 0.05 * torch.randn(x.shape, generator=g)
    drop = torch.rand(x.shape, generator=g) < missing
    drop[:, 0] = False  # keep the first observation so every channel starts observed
    x = torch.where(drop, torch.full_like(x, float("nan")), x)
    return x, t / (4 * math.pi), label


def make_model(hidden: int = 16, seed: int = 0) -> attractor.nn.NeuralCDE:
    torch.manual_seed(seed)
    # channels: time + 2 values + 2 observation counts
    return attractor.nn.NeuralCDE(5, hidden, 1, width=64, solver="rk4")


def path(x, t) -> NaturalCubicSpline:
    return NaturalCubicSpline(x, t, time_channel=True, observation_channels=True)


def train(epochs: int = 10, n_train: int = 512, n_test: int = 256, batch: int = 64,
          length: int = 64, lr: float = 3e-3, seed: int = 0, verbose: bool = True) -> float:
    """Train on fresh spirals and return the test accuracy."""
    x, t, y = make_spirals(n_train, length, seed=seed)
    xt, tt, yt = make_spirals(n_test, length, seed=seed + 1)
    X = path(x, t)
    model = make_model(seed=seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    g = torch.Generator().manual_seed(seed)
    for epoch in range(epochs):
        perm = torch.randperm(n_train, generator=g)
        total = 0.0
        for i in range(0, n_train, batch):
            idx = perm[i:i + batch]
            logits = model(X.index_batch(idx)).squeeze(-1)
            loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, y[idx].float())
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(idx)
        if verbose:
            print(f"epoch {epoch + 1:3d}  loss {total / n_train:.4f}")
    with torch.no_grad():
        test_X = path(xt, torch.as_tensor(tt))
        pred = model(test_X).squeeze(-1) > 0
    return float((pred == yt.bool()).float().mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    start = time.perf_counter()
    acc = train(epochs=args.epochs, seed=args.seed)
    print(f"test accuracy {acc:.3f} (chance 0.5) in {time.perf_counter() - start:.1f}s")


if __name__ == "__main__":
    main()
