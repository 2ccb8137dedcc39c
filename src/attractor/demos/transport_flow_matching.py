"""Demo part: flow matching on two-dimensional data, sampled by the ODE and by 10-step samplers.

An MLP velocity field is trained by OT-CFM (linear path, exact minibatch optimal transport)
to carry standard normal noise to the two-moons distribution. Its samples are judged by the
exact 2-Wasserstein distance to fresh data (the figure "W2 floor" is that distance between two
draws of the data itself), sampled by the adaptive probability-flow ODE (dopri5, rtol 1e-5);
then several fixed-budget samplers at 10 evaluations are ranked by how far their samples land
from the adaptive solution of the same noise (their integration error).
"""

from __future__ import annotations

import torch
from torch import nn

TITLE = "Transport: OT flow matching on two moons, adaptive ODE vs 10-step samplers"


class VelocityMLP(nn.Module):
    """``v(x, t) = MLP([x, t])`` with three SiLU hidden layers."""

    def __init__(self, width: int = 128) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(3, width), nn.SiLU(), nn.Linear(width, width), nn.SiLU(),
                                 nn.Linear(width, width), nn.SiLU(), nn.Linear(width, 2))

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([x, t[:, None]], -1))


def run(quick: bool = False) -> dict:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a model this small runs fastest on one thread
    try:
        return _run(quick)
    finally:
        torch.set_num_threads(threads)


def _run(quick: bool) -> dict:
    from attractor import transport as tr

    path = tr.LinearPath()
    net = VelocityMLP()
    loss = tr.TransportLoss(path, "velocity", coupling=tr.ExactOTCoupling())
    steps = 300 if quick else 2000
    data = tr.two_moons(20_000)
    history = tr.train(net, loss, data, steps=steps, batch_size=256, lr=2e-3, progress=True)
    figures: dict = {"training steps": steps, "training time (s)": history.wall_time}

    n = 1000 if quick else 2000
    reference = tr.two_moons(n)
    figures["W2 floor (two data draws)"] = tr.wasserstein2(tr.two_moons(n), reference)
    noise = torch.randn(n, 2)
    with torch.no_grad():
        adaptive = tr.sample(net, noise, tr.ProbabilityFlowODE(rtol=1e-5, atol=1e-5), path=path)
        figures["adaptive ODE (dopri5): W2"] = tr.wasserstein2(adaptive.samples, reference)
        figures["adaptive ODE (dopri5): nfe"] = adaptive.nfe
        candidates = {
            "Euler": tr.DDIM(10),
            "midpoint": tr.ProbabilityFlowODE("midpoint", steps=5),
            "DPM-Solver++ 2M": tr.DPMSolverPP(10, "uniform"),
            "UniPC-2": tr.UniPC(10, "uniform"),
        }
        errors, samples = {}, {}
        for name, sampler in candidates.items():
            out = tr.sample(net, noise, sampler, path=path)
            assert out.nfe == 10
            samples[name] = out.samples
            errors[name] = float((out.samples - adaptive.samples).pow(2).mean().sqrt())
    best = min(errors, key=errors.get)
    figures["best 10-step sampler"] = best
    figures["best 10-step sampler: RMS from adaptive"] = errors[best]
    figures["best 10-step sampler: W2"] = tr.wasserstein2(samples[best], reference)
    figures["Euler 10 steps: RMS from adaptive"] = errors["Euler"]
    return figures
