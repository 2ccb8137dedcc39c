"""Reconstruction models: the PLRNN family, the AL-RNN, and any map as a model."""

from attractor.dsr.models._base import MapModel, ReconstructionModel
from attractor.dsr.models.alrnn import ALRNN
from attractor.dsr.models.observation import AffineObservation, IdentityObservation
from attractor.dsr.models.plrnn import PLRNN, DendriticPLRNN
from attractor.dsr.models.shallow import ShallowPLRNN

__all__ = [
    "ALRNN",
    "PLRNN",
    "AffineObservation",
    "DendriticPLRNN",
    "IdentityObservation",
    "MapModel",
    "ReconstructionModel",
    "ShallowPLRNN",
]
