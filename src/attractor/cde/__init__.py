"""Controlled differential equations: control paths from irregular, partially observed time
series (:mod:`attractor.cde.interpolation`) and ``cdeint``, which solves ``dz = f(t, z) dX`` with
any ODE solver and adjoint of :mod:`attractor.ode`."""

from attractor.cde.cdeint import CDEField, cdeint
from attractor.cde.interpolation import (
    INTERPOLATIONS,
    AbstractInterpolation,
    HermiteCubic,
    LinearInterpolation,
    NaturalCubicSpline,
    RectilinearInterpolation,
    interpolate,
)
from attractor.cde.observations import fill_missing, observation_counts

__all__ = [
    "INTERPOLATIONS",
    "AbstractInterpolation",
    "CDEField",
    "HermiteCubic",
    "LinearInterpolation",
    "NaturalCubicSpline",
    "RectilinearInterpolation",
    "cdeint",
    "fill_missing",
    "interpolate",
    "observation_counts",
]
