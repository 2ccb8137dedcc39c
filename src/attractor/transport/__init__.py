"""Generative transport: probability paths, flow matching, diffusion samplers and likelihoods.

Built on the library's core: probability-flow sampling is an ``odeint``, SDE sampling an
``sdeint``, parallel sampling of a whole chain a ``fixed_point``, and entropic couplings a
fixed-point Sinkhorn iteration.

Paths (one class each, exact derivatives)
    :class:`LinearPath` (rectified flow / OT-CFM), :class:`TrigonometricPath` (GVP),
    :class:`VPPath` (linear and cosine schedules), :class:`VEPath`, :class:`EDMPath`,
    :class:`StochasticInterpolant`. Time runs from source ``t = 0`` to data ``t = 1``.
Models and exact fields
    :class:`TransportModel` wraps a network predicting ``"velocity"``, ``"score"``,
    ``"noise"`` or ``"data"`` and converts between them (:func:`convert`);
    :class:`MixtureField` is the exact field of Gaussian-mixture problems.
Training
    :class:`TransportLoss` (every prediction on every path; :class:`UniformTime`,
    :class:`LogitNormalTime`, :class:`MinSNRWeighting`), couplings
    (:class:`IndependentCoupling`, :class:`ExactOTCoupling`, :class:`SinkhornCoupling` on
    :func:`sinkhorn`, :class:`DataDependentCoupling`) and :func:`train`.
Samplers
    :class:`ProbabilityFlowODE`, :class:`SDESampler`, :class:`DDIM`, :class:`EDMHeun`,
    :class:`DPMSolverPP`, :class:`UniPC`, :class:`SASolver`, run by :func:`sample` or, a whole
    chain at once, by :func:`parallel_sample`; time grids :class:`UniformGrid`,
    :class:`QuadraticGrid`, :class:`KarrasGrid`, :class:`LogSNRGrid`.
Evaluation
    :func:`log_likelihood` (nats and bits/dim), :func:`wasserstein2`,
    :func:`sliced_wasserstein`, :func:`mmd`; toy data :func:`eight_gaussians`,
    :func:`two_moons`.
"""

from attractor.transport.couplings import (
    Coupling,
    DataDependentCoupling,
    ExactOTCoupling,
    IndependentCoupling,
    SinkhornCoupling,
)
from attractor.transport.datasets import eight_gaussians, two_moons
from attractor.transport.exact import MixtureField
from attractor.transport.field import TransportField, TransportModel
from attractor.transport.grids import (
    GRIDS,
    KarrasGrid,
    LogSNRGrid,
    QuadraticGrid,
    TimeGrid,
    UniformGrid,
)
from attractor.transport.likelihood import LikelihoodResult, log_likelihood
from attractor.transport.losses import MinSNRWeighting, TransportLoss
from attractor.transport.metrics import mmd, sliced_wasserstein, wasserstein2
from attractor.transport.mixture import GaussianMixture
from attractor.transport.parallel import parallel_sample
from attractor.transport.parametrization import PREDICTIONS, conversion_coefficients, convert
from attractor.transport.paths import (
    EDMPath,
    LinearPath,
    Path,
    StochasticInterpolant,
    TrigonometricPath,
    VEPath,
    VPPath,
)
from attractor.transport.paths.base import equivalent_state
from attractor.transport.sample import SampleResult, sample
from attractor.transport.samplers import (
    DDIM,
    DPMSolverPP,
    EDMHeun,
    GridSampler,
    LinearMultistepSampler,
    ProbabilityFlowODE,
    Sampler,
    SASolver,
    SDESampler,
    UniPC,
)
from attractor.transport.sinkhorn import SinkhornResult, sinkhorn
from attractor.transport.time_sampling import LogitNormalTime, TimeSampler, UniformTime
from attractor.transport.training import TrainingHistory, train

__all__ = [
    "DDIM",
    "GRIDS",
    "PREDICTIONS",
    "Coupling",
    "DPMSolverPP",
    "DataDependentCoupling",
    "EDMHeun",
    "EDMPath",
    "ExactOTCoupling",
    "GaussianMixture",
    "GridSampler",
    "IndependentCoupling",
    "KarrasGrid",
    "LikelihoodResult",
    "LinearMultistepSampler",
    "LinearPath",
    "LogSNRGrid",
    "LogitNormalTime",
    "MinSNRWeighting",
    "MixtureField",
    "Path",
    "ProbabilityFlowODE",
    "QuadraticGrid",
    "SASolver",
    "SDESampler",
    "SampleResult",
    "Sampler",
    "SinkhornCoupling",
    "SinkhornResult",
    "StochasticInterpolant",
    "TimeGrid",
    "TimeSampler",
    "TrainingHistory",
    "TransportField",
    "TransportLoss",
    "TransportModel",
    "TrigonometricPath",
    "UniPC",
    "UniformGrid",
    "UniformTime",
    "VEPath",
    "VPPath",
    "conversion_coefficients",
    "convert",
    "eight_gaussians",
    "equivalent_state",
    "log_likelihood",
    "mmd",
    "parallel_sample",
    "sample",
    "sinkhorn",
    "sliced_wasserstein",
    "train",
    "two_moons",
    "wasserstein2",
]
