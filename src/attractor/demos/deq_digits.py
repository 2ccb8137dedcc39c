"""Demo part: a deep equilibrium classifier on scikit-learn's 8x8 digits.

The model is ``logits = head(z*)`` with ``z* = tanh(W z* + U x + b)`` and ``||W||₂ <= 0.9``
(:class:`attractor.nn.ContractiveCell`), so every input has a unique equilibrium, found by
Anderson acceleration; gradients come from the implicit function theorem. The data ship with
scikit-learn (no download).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from attractor._core.progress import progress
from attractor.nn import DEQ, ContractiveCell

TITLE = "Deep equilibrium classifier on scikit-learn digits"


@dataclass
class DigitsData:
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor


def load_digits_data(*, test_fraction: float = 0.25, seed: int = 0, dtype: torch.dtype = torch.float32) -> DigitsData:
    """The 1797 digits, split stratified into train / test and standardized with train statistics."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    images, labels = load_digits(return_X_y=True)
    x_tr, x_te, y_tr, y_te = train_test_split(
        images, labels, test_size=test_fraction, stratify=labels, random_state=seed
    )
    x_tr = torch.as_tensor(x_tr, dtype=dtype)
    x_te = torch.as_tensor(x_te, dtype=dtype)
    mean, std = x_tr.mean(0), x_tr.std(0).clamp_min(1e-3)
    return DigitsData(
        (x_tr - mean) / std,
        torch.as_tensor(y_tr, dtype=torch.long),
        (x_te - mean) / std,
        torch.as_tensor(y_te, dtype=torch.long),
    )


class DigitsDEQ(nn.Module):
    """``logits = head(z*)``, ``z* = tanh(W z* + U x + b)`` with a contractive W."""

    def __init__(self, features: int = 96, *, solver: str = "anderson", backward: str = "implicit", tol: float = 1e-4):
        super().__init__()
        self.deq = DEQ(
            ContractiveCell(64, features, bound=0.9),
            z_init=features,
            solver=solver,
            backward=backward,
            tol=tol,
            max_steps=60,
        )
        self.head = nn.Linear(features, 10)

    def forward(self, x: torch.Tensor):
        out = self.deq(x)
        return self.head(out.z), out


def accuracy(model: DigitsDEQ, x: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
    """(accuracy, solver steps) on a whole split, in eval mode."""
    model.eval()
    with torch.no_grad():
        logits, out = model(x)
    model.train()
    return float((logits.argmax(-1) == y).float().mean()), float(out.stats["steps"])


def train(
    *,
    epochs: int = 15,
    batch_size: int = 64,
    lr: float = 5e-3,
    features: int = 96,
    solver: str = "anderson",
    backward: str = "implicit",
    seed: int = 0,
    threads: int | None = 1,
    show_progress: bool = True,
) -> dict[str, float]:
    """Train on the digits and return the report's figures.

    ``threads`` limits torch's intra-op threads for the run (restored afterwards): the
    matrices are tiny, and one thread avoids spin-waiting when the cores are shared.
    """
    previous_threads = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        return _train(epochs, batch_size, lr, features, solver, backward, seed, show_progress)
    finally:
        torch.set_num_threads(previous_threads)


def _train(
    epochs: int,
    batch_size: int,
    lr: float,
    features: int,
    solver: str,
    backward: str,
    seed: int,
    show_progress: bool,
) -> dict[str, float]:
    torch.manual_seed(seed)
    data = load_digits_data(seed=seed)
    model = DigitsDEQ(features, solver=solver, backward=backward)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(1, epochs))
    gen = torch.Generator().manual_seed(seed)
    n = data.x_train.shape[0]
    steps, batches = 0, 0
    start = time.perf_counter()
    for _ in progress(range(epochs), total=epochs, desc="DEQ digits (epochs)", enable=show_progress):
        for idx in torch.randperm(n, generator=gen).split(batch_size):
            logits, out = model(data.x_train[idx])
            loss = F.cross_entropy(logits, data.y_train[idx])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            steps += out.stats["steps"]
            batches += 1
        schedule.step()
    train_time = time.perf_counter() - start
    test_acc, test_steps = accuracy(model, data.x_test, data.y_test)
    train_acc, _ = accuracy(model, data.x_train, data.y_train)
    return {
        "test accuracy": test_acc,
        "train accuracy": train_acc,
        "epochs": epochs,
        "mean solver steps per batch": steps / max(1, batches),
        "solver steps (test set)": test_steps,
        "training time (s)": train_time,
    }


def run(quick: bool = False) -> dict[str, float]:
    """The demo part: full training (15 epochs), or 3 epochs with ``quick``."""
    return train(epochs=3 if quick else 15)
