"""Samplers: the probability-flow ODE and SDE, and fixed-budget diffusion samplers."""

from attractor.transport.samplers.base import GridSampler, Sampler
from attractor.transport.samplers.ddim import DDIM
from attractor.transport.samplers.dpm_solver import DPMSolverPP
from attractor.transport.samplers.edm import EDMHeun
from attractor.transport.samplers.linear import LinearMultistepSampler, Tables
from attractor.transport.samplers.ode import ProbabilityFlowODE
from attractor.transport.samplers.sa_solver import SASolver
from attractor.transport.samplers.sde import SDESampler
from attractor.transport.samplers.unipc import UniPC

__all__ = [
    "DDIM",
    "DPMSolverPP",
    "EDMHeun",
    "GridSampler",
    "LinearMultistepSampler",
    "ProbabilityFlowODE",
    "SASolver",
    "SDESampler",
    "Sampler",
    "Tables",
    "UniPC",
]
