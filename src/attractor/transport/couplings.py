"""Couplings of source and target minibatches for flow-matching training.

A coupling receives a minibatch ``x0`` of the source and ``x1`` of the target and returns the
pairs to interpolate (and, for data-dependent couplings, a conditioning):
``coupling(x0, x1, cond=None, generator=None) -> (x0, x1, cond)``. ``cond`` rides along with
``x1`` (class labels stay with their images).
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from scipy.optimize import linear_sum_assignment

from attractor._core.validation import check_callable, check_choice, check_positive
from attractor.transport import randomness
from attractor.transport.sinkhorn import sinkhorn


def squared_distances(x0: torch.Tensor, x1: torch.Tensor) -> torch.Tensor:
    a, b = x0.reshape(x0.shape[0], -1), x1.reshape(x1.shape[0], -1)
    return torch.cdist(a, b).pow(2)


def _take(x: Any, index: torch.Tensor) -> Any:
    return x[index] if isinstance(x, torch.Tensor) else x


def _check_pair(x0: torch.Tensor, x1: torch.Tensor) -> None:
    if not isinstance(x0, torch.Tensor) or not isinstance(x1, torch.Tensor):
        raise TypeError("`x0` and `x1` must be tensors.")
    if x0.shape[1:] != x1.shape[1:]:
        raise ValueError(f"`x0` and `x1` must share their sample shape; got {tuple(x0.shape)} and "
                         f"{tuple(x1.shape)}.")


class Coupling(abc.ABC):
    """Pairs source and target samples of a minibatch."""

    @abc.abstractmethod
    def __call__(self, x0: torch.Tensor, x1: torch.Tensor, cond: Any = None,
                 generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor, Any]:
        ...

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({fields})"


class IndependentCoupling(Coupling):
    """``(x0, x1)`` as drawn: the product coupling (conditional flow matching)."""

    def __call__(self, x0, x1, cond=None, generator=None):
        _check_pair(x0, x1)
        return x0, x1, cond


class ExactOTCoupling(Coupling):
    """Minibatch optimal transport (OT-CFM; Tong et al. 2024; Pooladian et al. 2023): the
    permutation of ``x1`` minimizing ``sum_i ||x0_i - x1_pi(i)||^2``.

    ``backend="scipy"`` solves the assignment with SciPy's ``linear_sum_assignment``;
    ``"pot"`` with POT's network simplex (``ot.emd``, the solver torchcfm uses; faster on
    clustered low-dimensional batches, an optional dependency). Both are exact. (With equal
    batch sizes and uniform weights the optimal plan is a permutation; torchcfm draws pairs from
    it with replacement, which repeats some pairs and drops others.)"""

    def __init__(self, backend: str = "scipy") -> None:
        self.backend = check_choice("backend", backend, ("scipy", "pot"))
        if self.backend == "pot":
            try:
                import ot  # noqa: F401
            except ImportError as exc:
                raise ImportError("ExactOTCoupling(backend='pot') needs POT: pip install pot") from exc

    def __call__(self, x0, x1, cond=None, generator=None):
        _check_pair(x0, x1)
        if x0.shape[0] != x1.shape[0]:
            raise ValueError(f"ExactOTCoupling needs equal batch sizes; got {x0.shape[0]} and {x1.shape[0]}.")
        cost = squared_distances(x0.detach(), x1.detach()).cpu().double().numpy()
        if self.backend == "pot":
            import ot

            n = cost.shape[0]
            weights = np.full(n, 1.0 / n)
            cols = ot.emd(weights, weights, cost).argmax(1)
        else:
            rows, cols = linear_sum_assignment(cost)
            cols = cols[np.argsort(rows)]
        perm = torch.as_tensor(cols, device=x1.device)
        return x0, x1[perm], _take(cond, perm)


class SinkhornCoupling(Coupling):
    """Entropic minibatch OT: for each ``x0_i`` a partner ``x1_j`` drawn from the plan's row
    ``pi_i. / sum_j pi_ij`` (``reg = 2 sigma^2`` gives Schrodinger-bridge CFM with a Brownian
    bridge of noise ``sigma``; Tong et al. 2024). ``normalize_cost`` divides the cost by its
    mean so that ``reg`` is relative."""

    def __init__(self, reg: float = 0.05, *, normalize_cost: bool = False, solver: Any = "anderson",
                 max_steps: int = 1000) -> None:
        self.reg = check_positive("reg", reg)
        self.normalize_cost = bool(normalize_cost)
        self.solver = solver
        self.max_steps = max_steps

    def __call__(self, x0, x1, cond=None, generator=None):
        _check_pair(x0, x1)
        cost = squared_distances(x0.detach(), x1.detach())
        if self.normalize_cost:
            cost = cost / cost.mean().clamp_min(torch.finfo(cost.dtype).tiny)
        plan = sinkhorn(cost, self.reg, solver=self.solver, max_steps=self.max_steps).plan
        index = randomness.multinomial(plan / plan.sum(-1, keepdim=True), 1, generator=generator).reshape(-1)
        return x0, x1[index], _take(cond, index)


class DataDependentCoupling(Coupling):
    """``x0 = corrupt(x1) + noise * eps`` with conditioning ``corrupt(x1)`` (Albergo et al. 2024,
    stochastic interpolants with data-dependent couplings): restoration and conditional
    generation start from the corrupted data instead of pure noise. The given ``x0`` supplies
    the noise ``eps`` (pass a standard normal batch). The source is then not standard normal:
    train on ``StochasticInterpolant(source="data")`` (or a path used only for its velocity) and
    sample with :class:`ProbabilityFlowODE` from ``corrupt(y) + noise * eps`` with ``cond=corrupt(y)``."""

    def __init__(self, corrupt: Callable[[torch.Tensor], torch.Tensor], noise: float = 0.0) -> None:
        check_callable("corrupt", corrupt)
        self.corrupt = corrupt
        self.noise = check_positive("noise", noise, allow_zero=True)

    def __call__(self, x0, x1, cond=None, generator=None):
        _check_pair(x0, x1)
        y = self.corrupt(x1)
        if not isinstance(y, torch.Tensor) or y.shape != x1.shape:
            raise ValueError(f"`corrupt` must return a tensor shaped like x1 {tuple(x1.shape)}.")
        if cond is not None:
            raise ValueError("DataDependentCoupling makes the conditioning (the corrupted data); "
                             "`cond` must be None.")
        start = y + self.noise * x0 if self.noise else y
        return start, x1, y
