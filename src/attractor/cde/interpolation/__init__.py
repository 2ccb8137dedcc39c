"""Control paths from irregular, partially observed time series."""

from attractor._core.validation import check_choice
from attractor.cde.interpolation.base import AbstractInterpolation
from attractor.cde.interpolation.cubic import NaturalCubicSpline
from attractor.cde.interpolation.hermite import HermiteCubic
from attractor.cde.interpolation.linear import LinearInterpolation
from attractor.cde.interpolation.rectilinear import RectilinearInterpolation

INTERPOLATIONS = {
    "linear": LinearInterpolation,
    "rectilinear": RectilinearInterpolation,
    "cubic": NaturalCubicSpline,
    "natural_cubic": NaturalCubicSpline,
    "hermite": HermiteCubic,
    "hermite_cubic": HermiteCubic,
}


def interpolate(x, t=None, method: str = "cubic", **kwargs) -> AbstractInterpolation:
    """Build a control path from observations ``x`` at times ``t`` by ``method`` name
    (``linear``, ``rectilinear``, ``cubic`` (natural cubic spline) or ``hermite``)."""
    method = check_choice("method", method, INTERPOLATIONS)
    return INTERPOLATIONS[method](x, t, **kwargs)


__all__ = [
    "INTERPOLATIONS",
    "AbstractInterpolation",
    "HermiteCubic",
    "LinearInterpolation",
    "NaturalCubicSpline",
    "RectilinearInterpolation",
    "interpolate",
]
