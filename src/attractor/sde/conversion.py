"""Ito <-> Stratonovich drift conversion.

The same process solves ``dy = f dt + g dW`` (Ito) and ``dy = (f - c) dt + g \\circ dW``
(Stratonovich) with the correction ``c = \\tfrac12 \\sum_j (\\partial_y g_{:, j}) g_{:, j}``
(Kloeden & Platen 1992, eq. (4.9.10)). These helpers return the converted drift as a
function ``f(t, y, *args)`` to pass to :func:`attractor.sdeint` with the other ``sde_type``.
"""

from __future__ import annotations

from attractor.sde.derivatives import stratonovich_correction
from attractor.sde.terms import SDETerms


def _converter(drift, diffusion, noise: str, sign: float):
    cache: dict = {}

    def converted(t, y, *args):
        key = (tuple(y.shape), args)
        terms = cache.get("terms")
        if terms is None or cache.get("key") != key:
            terms = SDETerms(drift, diffusion, t, y, noise=noise, sde_type="ito", args=args)
            cache.update(terms=terms, key=key)
        return drift(t, y, *args) + sign * stratonovich_correction(terms, t, y)

    return converted


def ito_to_stratonovich(drift, diffusion, noise: str = "diagonal"):
    """Drift of the Stratonovich SDE with the same solution as the Ito SDE ``(drift, diffusion)``."""
    return _converter(drift, diffusion, noise, -1.0)


def stratonovich_to_ito(drift, diffusion, noise: str = "diagonal"):
    """Drift of the Ito SDE with the same solution as the Stratonovich SDE ``(drift, diffusion)``."""
    return _converter(drift, diffusion, noise, +1.0)
