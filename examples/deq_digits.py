"""Train deep equilibrium classifiers on scikit-learn's 8x8 digits (bundled; no download).

    python examples/deq_digits.py                       # DEQ, Jacobian penalty + fixed-point correction
    python examples/deq_digits.py --model mondeq         # monotone operator DEQ (unique equilibrium)
    python examples/deq_digits.py --solver broyden --backward phantom

The generic model is ``logits = head(z*)``, ``z* = f(z*, x) = tanh(W z* + U x + b)`` with a
weight-normalized W, trained with the Jacobian penalty of Bai et al. (2021) and the
fixed-point correction loss of Bai et al. (2022). The monotone model replaces the cell by
``relu(W z + U x + b)`` with ``W = (1 - m) I - AᵀA + B - Bᵀ``, solved by Peaceman–Rachford
splitting (Winston & Kolter 2020). Prints test accuracy, solver steps and time.
"""

from __future__ import annotations

import argparse
import time

import torch
import torch.nn.functional as F
from torch import nn

from attractor._core.progress import progress
from attractor.demos.deq_digits import load_digits_data
from attractor.nn import DEQ, MonotoneDEQ, add_weight_norm, fixed_point_correction_loss


class TanhCell(nn.Module):
    """``f(z, x) = tanh(W z + U x + b)`` with W weight-normalized."""

    def __init__(self, in_features: int, features: int) -> None:
        super().__init__()
        self.recurrent = add_weight_norm(nn.Linear(features, features, bias=False))
        with torch.no_grad():  # start well inside the contractive regime
            self.recurrent.parametrizations.weight.original1.fill_(0.5 / features**0.5)
        self.input = nn.Linear(in_features, features)

    def forward(self, z: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.recurrent(z) + self.input(x))


def build(args: argparse.Namespace) -> tuple[nn.Module, nn.Module]:
    if args.model == "mondeq":
        layer = MonotoneDEQ(
            64, args.features, m=0.5, splitting="peaceman_rachford", solver=args.solver,
            backward=args.backward, tol=1e-4, max_steps=100,
        )
    else:
        layer = DEQ(
            TanhCell(64, args.features), z_init=args.features, solver=args.solver, backward=args.backward,
            tol=1e-4, max_steps=60, on_failure="warn",
            jacobian_samples=1 if args.jacobian > 0 else 0, correction_samples=args.correction,
        )
    return layer, nn.Linear(args.features, 10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", choices=["deq", "mondeq"], default="deq")
    parser.add_argument("--solver", default="anderson")
    parser.add_argument("--backward", default="implicit", choices=["implicit", "phantom", "unroll"])
    parser.add_argument("--features", type=int, default=96)
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=5e-3)
    parser.add_argument("--jacobian", type=float, default=0.5, help="weight of the Jacobian penalty (0: off)")
    parser.add_argument("--correction", type=int, default=2, help="fixed-point correction states (0: off)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    torch.set_num_threads(1)  # tiny matrices: one thread is fastest and immune to a busy machine
    data = load_digits_data(seed=args.seed)
    layer, head = build(args)
    params = list(layer.parameters()) + list(head.parameters())
    optimizer = torch.optim.Adam(params, lr=args.lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    gen = torch.Generator().manual_seed(args.seed)
    steps, batches = 0, 0
    start = time.perf_counter()
    for _ in progress(range(args.epochs), desc=f"{args.model} epochs"):
        layer.train()
        for idx in torch.randperm(len(data.y_train), generator=gen).split(args.batch_size):
            x, y = data.x_train[idx], data.y_train[idx]
            out = layer(x)
            loss = fixed_point_correction_loss(lambda z, y=y: F.cross_entropy(head(z), y), out.states, gamma=0.8)
            if out.jacobian_loss is not None:
                loss = loss + args.jacobian * out.jacobian_loss.mean()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            steps += out.stats["steps"]
            batches += 1
        schedule.step()
    elapsed = time.perf_counter() - start

    layer.eval()
    with torch.no_grad():
        out = layer(data.x_test)
        accuracy = float((head(out.z).argmax(-1) == data.y_test).float().mean())
    print(f"model                 {args.model} (solver={args.solver}, backward={args.backward})")
    print(f"test accuracy         {accuracy:.4f}")
    print(f"solver steps / batch  {steps / batches:.1f} (train), {out.stats['steps']} (test set)")
    print(f"converged (test set)  {float(out.ok.float().mean()):.3f}")
    print(f"training time         {elapsed:.1f} s")


if __name__ == "__main__":
    main()
