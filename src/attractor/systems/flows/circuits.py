"""Electronic circuits and small neural networks: the Colpitts oscillator, Sprott's jerk
circuit with a diode, a cellular neural network, the San-Um–Srisuchinwong two-scroll
circuit, the Anishchenko–Astakhov oscillator, Beer's continuous-time recurrent network and a
frustrated Hopfield network.

Parameters and reference states follow the dysts database (Gilpin, NeurIPS 2021), which
collects them from the cited papers.
"""

from __future__ import annotations

import torch

from attractor.systems.flows._fields import param, stack
from attractor.systems.registry import flow


@flow(
    seed=(8.9389043, 0.64637337, 8.7869304),
    dt=0.02,
    citation="Kennedy, M. P. (1994). Chaos in the Colpitts oscillator. IEEE Trans. Circuits Syst. I "
    "41, 771-774; Li, G.-H., Zhou, S.-P., Yang, K. (2007). Chaos Solitons Fractals 33, 582-587.",
)
def colpitts(t, y, a=30.0, b=0.8, c=20.0, d=0.08, e=10.0):
    """Colpitts oscillator with a piecewise-linear transistor.

    x' = y - a f(z), y' = c - x - by - z, z' = y - dz, f(z) = max(e - 1 - z, 0)."""
    x, y_, z = y.unbind(-1)
    f = torch.relu(e - 1 - z)
    return stack(y_ - a * f, c - x - b * y_ - z, y_ - d * z)


@flow(
    seed=(-1.300882, 0.065382947, 0.91801911),
    dt=0.02,
    citation="Sprott, J. C. (2011). A new chaotic jerk circuit. IEEE Trans. Circuits Syst. II 58, "
    "240-243.",
)
def jerk_circuit(t, y, eps=1e-9, y0=0.026):
    """Jerk circuit with a diode: x''' = -x'' - x - ε(exp(x'/y0) - 1)."""
    x, y_, z = y.unbind(-1)
    return stack(y_, z, -z - x - eps * (torch.exp(y_ / y0) - 1))


def _saturation(x):
    return 0.5 * ((x + 1).abs() - (x - 1).abs())


@flow(
    seed=(-0.26574016, -0.36754928, -0.073094132),
    dt=0.02,
    citation="Arena, P., Caponetto, R., Fortuna, L., Porto, D. (1998). Bifurcation and chaos in "
    "noninteger order cellular neural networks. Int. J. Bifurc. Chaos 8, 1527-1539.",
)
def cellular_neural_network(t, y, a=4.4, b=3.21, c=1.1, d=1.24):
    """Three-cell cellular neural network with the saturation f(x) = (|x + 1| - |x - 1|)/2."""
    fx, fy, fz = (_saturation(v) for v in y.unbind(-1))
    x, y_, z = y.unbind(-1)
    return stack(
        -x + d * fx - b * fy - b * fz,
        -y_ - b * fx + c * fy - a * fz,
        -z - b * fx + a * fy + fz,
    )


@flow(
    seed=(0.63878078, 1.0901873, 2.4479814),
    dt=0.05,
    citation="San-Um, W., Srisuchinwong, B. (2012). Highly complex chaotic system with piecewise "
    "linear nonlinearity and compound structures. J. Comput. 7, 1041-1047.",
)
def san_um_srisuchinwong(t, y, a=2.0):
    """Two-scroll circuit (Wimol–Banlue system): x' = y - x, y' = -z tanh x, z' = -a + xy + |y|."""
    x, y_, z = y.unbind(-1)
    return stack(y_ - x, -z * torch.tanh(x), -a + x * y_ + y_.abs())


@flow(
    seed=(3.6225814, 3.3226339, 1.9973142),
    dt=0.05,
    citation="Anishchenko, V. S., Astakhov, V., Neiman, A., Vadivasova, T., Schimansky-Geier, L. "
    "(2007). Nonlinear Dynamics of Chaotic and Stochastic Systems, 2nd ed. Springer.",
)
def anishchenko_astakhov(t, y, eta=0.5, mu=1.2):
    """Anishchenko–Astakhov oscillator with inertial nonlinearity.

    x' = μx + y - xz, y' = -x, z' = -ηz + η H(x) x² (H the unit step)."""
    x, y_, z = y.unbind(-1)
    return stack(mu * x + y_ - x * z, -x, -eta * z + eta * torch.relu(x) * x)


@flow(
    seed=(1.5014532, 2.3742845, 0.65819415),
    dt=0.25,
    citation="Beer, R. D. (1995). On the dynamics of small continuous-time recurrent neural "
    "networks. Adapt. Behav. 3, 469-509.",
)
def beer_rnn(t, y, tau=(1.0, 2.5, 1.0), theta=(-4.108, -2.787, -1.114),
             w=((5.422, -0.018, 2.75), (-0.24, 4.59, 1.21), (0.535, -2.25, 3.885))):
    """Continuous-time recurrent network: τ_i y_i' = -y_i + Σ_j w_ij σ(y_j + θ_j), σ logistic."""
    return (-y + torch.sigmoid(y + param(theta, y)) @ param(w, y).T) / param(tau, y)


@flow(
    seed=(-0.67127393, -0.2420173, -0.055676628, 0.34697948, 0.45273118, 0.78389688),
    dt=0.05,
    citation="Lewis, J. E., Glass, L. (1992). Nonlinear dynamics and symbolic dynamics of neural "
    "networks. Neural Comput. 4, 621-642.",
)
def hopfield(t, y, beta=0.5, eps=10.0, k=((0, -1, 0, 0, -1, -1), (0, 0, 0, -1, -1, -1),
                                          (-1, -1, 0, 0, -1, 0), (-1, -1, -1, 0, 0, 0),
                                          (-1, -1, 0, -1, 0, 0), (0, -1, -1, -1, 0, 0)),
             tau=2.5):
    """Six-neuron Hopfield network with frustrated inhibitory coupling K.

    y' = -y/τ + (1 + tanh(ε K y))/2 - β."""
    return -y / tau + 0.5 * (1 + torch.tanh(eps * y @ param(k, y).T)) - beta
