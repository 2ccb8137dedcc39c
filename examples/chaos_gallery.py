"""A gallery of attractors from the registry, drawn by attractor itself.

    python examples/chaos_gallery.py              # writes docs/attractors.png (the README figure)
    python examples/chaos_gallery.py --out g.png --quick

Every flow is integrated with ``attractor.odeint`` (via ``attractor.systems.trajectory``)
from its reference state on the attractor; maps are iterated. The figure is kept small
(about 1000 × 750 px) so the repository stays light.
"""

from __future__ import annotations

import argparse
import pathlib

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from attractor.systems import get, trajectory

DEFAULT_OUT = pathlib.Path(__file__).resolve().parents[1] / "docs" / "attractors.png"
FLOWS = ["lorenz", "rossler", "thomas", "aizawa", "halvorsen", "chen", "chua", "dadras",
         "rabinovich_fabrikant"]
MAPS = ["henon", "ikeda", "tinkerbell"]
ROWS, COLS = 3, 4


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=str(DEFAULT_OUT))
    parser.add_argument("--quick", action="store_true", help="shorter trajectories")
    args = parser.parse_args()
    n_flow, n_map = (2000, 5000) if args.quick else (8000, 20000)

    fig = plt.figure(figsize=(10, 7.5))
    for i, name in enumerate(FLOWS + MAPS, start=1):
        s = get(name)
        ys = trajectory(s, n_flow if s.is_flow else n_map).numpy()
        if s.is_flow:
            ax = fig.add_subplot(ROWS, COLS, i, projection="3d")
            ax.plot(ys[:, 0], ys[:, 1], ys[:, 2], lw=0.25, color="C0")
        else:
            ax = fig.add_subplot(ROWS, COLS, i)
            ax.plot(ys[:, 0], ys[:, 1], ",", color="C3", alpha=0.5)
        ax.set_axis_off()
        ax.set_title(name.replace("_", " "), fontsize=10)
        print(f"drew {name}", flush=True)
    fig.tight_layout(pad=0.3)
    out = pathlib.Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=100)
    print(f"wrote {out} ({out.stat().st_size / 1024:.0f} KB)")


if __name__ == "__main__":
    main()
