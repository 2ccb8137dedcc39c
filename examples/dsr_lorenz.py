"""Reconstruct the Lorenz-63 attractor from a noisy time series, then read the learned model.

A shallow PLRNN (Hess et al., ICML 2023) is trained by generalized teacher forcing on
20,000 noisy, standardised samples of Lorenz-63; the free-running model is judged by the
measures of the reconstruction literature (D_stsp, D_H, PE_20, its own largest Lyapunov
exponent). SCYFI then finds the fixed points of the learned piecewise-linear map, which we
map back to the original coordinates and set beside Lorenz's three equilibria
(0, 0, 0) and (±√(β(ρ−1)), ±√(β(ρ−1)), ρ−1).

    python examples/dsr_lorenz.py            # about 3 minutes on 2 CPU cores
    python examples/dsr_lorenz.py --quick    # a shorter run
"""

import argparse
import math

import torch

from attractor import dsr


def main(quick: bool = False) -> None:
    torch.set_num_threads(1)  # tiny matrices: one thread is fastest
    result = dsr.reconstruct("lorenz", model="shplrnn", width=50, epochs=25 if quick else 100, progress=True)
    m = result.metrics
    print(f"trained in {m['train_seconds']:.0f} s")
    for key in ("D_stsp", "D_H", "PE_20"):
        print(f"  {key:<8} {m[key]:.3f}")
    print(f"  lambda_1 {m['lambda_1']:.3f}  (Lorenz-63: {result.data.lyapunov:.3f}, {100 * m['lambda_1_error']:.0f} % off)")

    # fixed points of the learned map, in the original coordinates
    data = result.data
    model = result.model.double()
    rho, beta = 28.0, 8.0 / 3.0
    c = math.sqrt(beta * (rho - 1))
    truth = torch.tensor([[0.0, 0.0, 0.0], [c, c, rho - 1], [-c, -c, rho - 1]])
    lo, hi = data.train.amin(0), data.train.amax(0)
    print("fixed points of the reconstruction (SCYFI) and the nearest Lorenz equilibrium:")
    for cycle in sorted(dsr.scyfi(model, 1, n_init=2000), key=lambda c: float(c.points[0, 2])):
        p = cycle.points[0, :3]
        z = p * data.std + data.mean
        nearest = truth[(truth - z).norm(dim=1).argmin()]
        where = "" if bool(((p >= lo) & (p <= hi)).all()) else "  (outside the data: not constrained by training)"
        print(f"  ({z[0]:+7.2f}, {z[1]:+7.2f}, {z[2]:+6.2f})  {cycle.kind:<9}  "
              f"Lorenz ({nearest[0]:+6.2f}, {nearest[1]:+6.2f}, {nearest[2]:+6.2f}){where}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    main(parser.parse_args().quick)
