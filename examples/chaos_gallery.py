"""A gallery of attractors from the registry, drawn by attractor itself.

    python examples/chaos_gallery.py [--out attractors.png] [--quick]

Every flow is integrated with ``attractor.odeint`` (via ``attractor.systems.trajectory``)
from its reference state on the attractor; maps are iterated. The figure is the one the
README shows.
"""

from __future__ import annotations

import argparse

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from attractor.systems import get, trajectory

FLOWS = ["lorenz", "rossler", "aizawa", "thomas", "halvorsen", "chen", "chua", "sprott_b",
         "rabinovich_fabrikant", "dadras", "hyper_rossler", "lorenz84"]
MAPS = ["henon", "ikeda", "tinkerbell", "de_jong"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="attractors.png")
    parser.add_argument("--quick", action="store_true", help="shorter trajectories")
    args = parser.parse_args()
    n_flow, n_map = (2000, 5000) if args.quick else (12000, 40000)

    fig = plt.figure(figsize=(16, 16))
    panels = FLOWS + MAPS
    for i, name in enumerate(panels, start=1):
        s = get(name)
        ys = trajectory(s, n_flow if s.is_flow else n_map).numpy()
        if s.is_flow:
            ax = fig.add_subplot(4, 4, i, projection="3d")
            ax.plot(ys[:, 0], ys[:, 1], ys[:, 2], lw=0.3, color="C0")
            ax.set_axis_off()
        else:
            ax = fig.add_subplot(4, 4, i)
            ax.plot(ys[:, 0], ys[:, 1], ",", color="C3", alpha=0.6)
            ax.set_axis_off()
        ax.set_title(name.replace("_", " "), fontsize=11)
        print(f"drew {name}", flush=True)
    fig.tight_layout()
    fig.savefig(args.out, dpi=110)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
