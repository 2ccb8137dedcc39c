"""Dynamical-systems reconstruction: models that learn a system's attractor from time series.

* Models (:mod:`attractor.dsr.models`): :class:`PLRNN`, :class:`DendriticPLRNN`,
  :class:`ShallowPLRNN` (also clipped), :class:`ALRNN`, and :class:`MapModel` for any map
  or a neural ODE's flow map; identity or affine observation.
* Training: :func:`train` by backpropagation through time with teacher forcing
  (:class:`GeneralizedForcing`, :class:`SparseForcing`, :class:`NoForcing`), sequentially
  or in parallel over time (``method="deer"``).
* Evaluation as published: :func:`evaluate` (``D_stsp``, ``D_H``, ``PE_n``, the learned
  map's ``λ1`` and ``D_KY``), :func:`prediction_error`, :func:`free_run`, :func:`summarize`.
* Analysis of piecewise-linear models: :func:`scyfi` (fixed points and cycles),
  :func:`symbolic_code` and :func:`transition_graph`.
* Data: :func:`observe_system` (noisy, partial, delay-embedded, standardised, split), and
  :func:`reconstruct`, from a registry system to a trained, evaluated model in one call.
"""

from attractor.dsr.data import Dataset, observe_system, split
from attractor.dsr.evaluation import (
    evaluate,
    free_run,
    learned_lyapunov,
    prediction_error,
    summarize,
)
from attractor.dsr.forcing import GeneralizedForcing, NoForcing, SparseForcing, TeacherForcing
from attractor.dsr.models import (
    ALRNN,
    PLRNN,
    AffineObservation,
    DendriticPLRNN,
    IdentityObservation,
    MapModel,
    ReconstructionModel,
    ShallowPLRNN,
)
from attractor.dsr.reconstruct import Reconstruction, reconstruct
from attractor.dsr.scyfi import Cycle, scyfi, symbolic_code, transition_graph
from attractor.dsr.training import TrainingRecord, train, unroll

__all__ = [
    "ALRNN",
    "PLRNN",
    "AffineObservation",
    "Cycle",
    "Dataset",
    "DendriticPLRNN",
    "GeneralizedForcing",
    "IdentityObservation",
    "MapModel",
    "NoForcing",
    "Reconstruction",
    "ReconstructionModel",
    "ShallowPLRNN",
    "SparseForcing",
    "TeacherForcing",
    "TrainingRecord",
    "evaluate",
    "free_run",
    "learned_lyapunov",
    "observe_system",
    "prediction_error",
    "reconstruct",
    "scyfi",
    "split",
    "summarize",
    "symbolic_code",
    "train",
    "transition_graph",
    "unroll",
]
