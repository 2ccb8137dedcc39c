"""Shared problems of the transport tests."""

import attractor.transport as tr

ALL_PATHS = [
    tr.LinearPath(),
    tr.LinearPath(sigma_min=0.01),
    tr.TrigonometricPath(),
    tr.VPPath(),
    tr.VPPath("cosine"),
    tr.VEPath(),
    tr.EDMPath(),
    tr.EDMPath(sigma_min=0.0),
    tr.StochasticInterpolant(epsilon=0.5),
    tr.StochasticInterpolant(tr.TrigonometricPath(), epsilon=0.2, gamma="constant"),
]

