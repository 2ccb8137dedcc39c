"""Neural-network layers built on the solvers: deep equilibrium layers and neural differential equations.

- :class:`DEQ`: an equilibrium layer around any cell ``f(z, x)``, solved by
  :func:`attractor.fixed_point` with implicit, phantom or unrolled gradients.
- Stabilizers: :func:`jacobian_frobenius` (Jacobian penalty), :func:`fixed_point_correction_loss`,
  weight and spectral normalization (:func:`add_weight_norm`, :func:`add_spectral_norm`,
  :func:`matrix_spectral_norm`).
- Cells with a unique equilibrium by construction: :class:`ContractiveCell` and the monotone
  operator layer :class:`MonotoneDEQ` (cell :class:`MonotoneCell`, solved by
  :class:`ForwardBackward` or :class:`PeacemanRachford` splitting).
"""

from attractor.nn.contractive import Contractive, ContractiveCell, induced_norm
from attractor.nn.correction import fixed_point_correction_loss
from attractor.nn.deq import DEQ, DEQOutput, SolverProblem
from attractor.nn.jacobian import jacobian_frobenius
from attractor.nn.mondeq import MonotoneDEQ
from attractor.nn.monotone import MonotoneCell
from attractor.nn.normalization import (
    SpectralNorm,
    WeightNorm,
    add_spectral_norm,
    add_weight_norm,
    matrix_spectral_norm,
)
from attractor.nn.splitting import ForwardBackward, PeacemanRachford, Splitting

__all__ = [
    "DEQ",
    "Contractive",
    "ContractiveCell",
    "DEQOutput",
    "ForwardBackward",
    "MonotoneCell",
    "MonotoneDEQ",
    "PeacemanRachford",
    "SolverProblem",
    "SpectralNorm",
    "Splitting",
    "WeightNorm",
    "add_spectral_norm",
    "add_weight_norm",
    "fixed_point_correction_loss",
    "induced_norm",
    "jacobian_frobenius",
    "matrix_spectral_norm",
]

# Neural differential equations (one import line each):
from attractor.nn.neural_cde import NeuralCDE as NeuralCDE
from attractor.nn.neural_ode import NeuralODE as NeuralODE
from attractor.nn.neural_sde import NeuralSDE as NeuralSDE
