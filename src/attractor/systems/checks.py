"""Registry self-checks: does a system stay bounded, and does its computed largest Lyapunov
exponent match the reference value?"""

from __future__ import annotations

import dataclasses
import math
import time

import torch

from attractor.systems.base import System
from attractor.systems.registry import get
from attractor.systems.simulate import trajectory

# agreement criterion of the registry-wide check: within 15 % or 0.02 absolute
REL_TOL = 0.15
ABS_TOL = 0.02


def agrees(value: float, reference: float) -> bool:
    """The registry's agreement criterion: ``value`` within 15 % of ``reference``, or within
    0.02 absolute (for exponents near zero)."""
    return abs(value - reference) <= max(REL_TOL * abs(reference), ABS_TOL)


@dataclasses.dataclass
class SystemCheck:
    """Outcome of :func:`check_system` (``None`` fields: not applicable / not computed)."""

    name: str
    kind: str
    dim: int
    bounded: bool
    max_abs: float
    lyapunov: list[float] | None
    stderr: list[float] | None
    status: str | None
    reference: float | None
    kaplan_yorke: float | None
    reference_kaplan_yorke: float | None
    source: str
    wall: float

    @property
    def lambda1(self) -> float | None:
        return None if self.lyapunov is None else self.lyapunov[0]

    @property
    def matches(self) -> bool | None:
        """λ1 within 15 % (or 0.02 absolute) of the reference; None without a reference."""
        if self.reference is None or self.lambda1 is None:
            return None
        return agrees(self.lambda1, self.reference)


def is_bounded(system: System, ys: torch.Tensor) -> tuple[bool, float]:
    """A trajectory stays bounded when it is finite and its second half reaches no more than
    ten times the amplitude of its first half (angle coordinates excluded)."""
    if not bool(torch.isfinite(ys).all()):
        return False, math.inf
    keep = [i for i in range(ys.shape[-1]) if i not in system.periodic]
    if not keep:  # a flow on a torus (every coordinate an angle): finite is bounded
        return True, 0.0
    ys = ys[..., keep]
    half = ys.shape[0] // 2
    first, second = ys[:half].abs().max().item(), ys[half:].abs().max().item()
    return second <= 10 * max(first, 1.0), max(first, second)


def check_system(
    system: System | str,
    *,
    n_samples: int = 10_000,
    lyapunov: bool = True,
    tol: float = 0.05,
    abs_tol: float = ABS_TOL / 5,
    max_time: float | None = None,
) -> SystemCheck:
    """Integrate ``system`` for ``n_samples`` steps of its ``dt`` (its reference
    integration) and check boundedness; if ``lyapunov``, compute its spectrum with
    :func:`attractor.analysis.lyapunov_spectrum` and compare λ1 with the reference.

    The spectrum is resolved only as far as the comparison needs: statistical error below
    ``tol · |λ1| + abs_tol`` (default a fifth of the 0.02 absolute criterion, so exponents
    near zero do not demand ever longer runs), within ``max_time`` (default 3000 steps of
    ``dt`` or 60 periods, whichever is longer, or 3000 iterations, after the transient: slowly
    mixing flows such as Moore–Spiegel need the periods); a run that misses it is reported with
    status ``MAX_STEPS`` and its estimate.
    """
    from attractor._core.status import Status
    from attractor.analysis import lyapunov_spectrum

    system = get(system)
    start = time.perf_counter()
    ys = trajectory(system, n_samples)
    bounded, max_abs = is_bounded(system, ys)
    lyap = err = status = ky = None
    if lyapunov:
        if max_time is None:
            max_time = max(3000 * system.dt, 60 * (system.period or 0.0))
        res = lyapunov_spectrum(system, tol=tol, abs_tol=abs_tol, max_time=max_time, on_failure="status")
        lyap = [float(v) for v in res.exponents]
        err = [float(v) for v in res.stderr]
        status = Status(int(res.status)).name
        ky = float(res.kaplan_yorke_dimension)
    ref = system.reference
    return SystemCheck(
        name=system.name,
        kind=system.kind,
        dim=system.dim,
        bounded=bounded,
        max_abs=max_abs,
        lyapunov=lyap,
        stderr=err,
        status=status,
        reference=ref.max_lyapunov,
        kaplan_yorke=ky,
        reference_kaplan_yorke=ref.kaplan_yorke_dimension,
        source=ref.source,
        wall=time.perf_counter() - start,
    )


__all__ = ["ABS_TOL", "REL_TOL", "SystemCheck", "agrees", "check_system", "is_bounded"]
