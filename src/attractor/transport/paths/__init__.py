"""Probability paths (interpolants) between a source and a target distribution."""

from attractor.transport.paths.base import Path
from attractor.transport.paths.linear import LinearPath
from attractor.transport.paths.stochastic import StochasticInterpolant
from attractor.transport.paths.trigonometric import TrigonometricPath
from attractor.transport.paths.ve import EDMPath, VEPath
from attractor.transport.paths.vp import VPPath

__all__ = ["EDMPath", "LinearPath", "Path", "StochasticInterpolant", "TrigonometricPath", "VEPath", "VPPath"]
