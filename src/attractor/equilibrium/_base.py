"""The interface every fixed-point / root solver implements."""

from __future__ import annotations

import abc
from typing import Any, ClassVar, NamedTuple

import torch

from attractor.equilibrium._problem import Problem


class Iterate(NamedTuple):
    """A flat iterate ``z`` (``(B, n)``) with its map value ``T(z)`` and residual ``r(z)``."""

    z: torch.Tensor
    fz: torch.Tensor
    r: torch.Tensor


class FixedPointSolver(abc.ABC):
    """A solver for ``r(z) = 0`` (``r = f(z) - z`` or ``r = g(z)``), driven by one generic loop.

    A solver holds only its hyper-parameters. The loop calls ``init`` once at the initial
    iterate, then ``step`` until every sample has converged or failed; after each step it asks
    ``terminate`` whether the solver itself wants to stop some samples (e.g. a failed inner
    linear solve). Per-sample convergence tests, freezing of finished samples, divergence and
    non-finite detection, and best-iterate tracking are the loop's job, not the solver's.

    Samples that the loop has frozen may still be carried through ``step`` (their results are
    discarded), so a step must not produce NaN for them from division by zero: use safe
    divisions. When autograd records (``backward="unroll"``), a step must not modify in place
    any tensor it has used before.
    """

    name: ClassVar[str] = ""

    def init(self, problem: Problem, it: Iterate) -> Any:
        """Solver state at the initial iterate (histories, anchors, ...)."""
        return None

    @abc.abstractmethod
    def step(
        self, problem: Problem, state: Any, it: Iterate, active: torch.Tensor
    ) -> tuple[Iterate, Any]:
        """The next iterate (with its ``T`` and ``r`` evaluated) and the new state.

        ``active`` (``(B,)`` bool) marks the samples still iterating; the others are frozen.
        """

    def terminate(self, state: Any) -> torch.Tensor | None:
        """Per-sample status codes the solver declares after a step (0: carry on), or ``None``."""
        return None

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({params})"
