"""``attractor simulate NAME``: integrate a registry system, save the trajectory, plot it."""

from __future__ import annotations

import argparse
import pathlib

from attractor.commands._types import nonnegative_float, positive_float, positive_int


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("simulate", help="simulate a registry system; write a trajectory file and a plot")
    p.add_argument("name", help="system name (see `attractor systems`)")
    p.add_argument("--steps", type=positive_int, default=10_000, help="number of samples (default 10000)")
    p.add_argument("--dt", type=positive_float, default=None, help="sampling step (flows; default the system's)")
    p.add_argument("--transient", type=nonnegative_float, default=0.0, help="time (iterations) discarded first")
    p.add_argument("--param", action="append", metavar="NAME=VALUE", help="override a parameter (repeatable)")
    p.add_argument("--out", default=None, help="trajectory file, .csv or .npy (default NAME.csv)")
    p.add_argument("--plot", default=None, metavar="PNG", help="also draw the attractor to this image")
    p.set_defaults(func=run)


def save_trajectory(path: pathlib.Path, times, ys) -> None:
    import numpy as np

    data = np.column_stack([times.cpu().numpy(), ys.cpu().numpy()])
    if path.suffix == ".npy":
        np.save(path, data)
    elif path.suffix == ".csv":
        header = "t," + ",".join(f"y{i}" for i in range(ys.shape[-1]))
        np.savetxt(path, data, delimiter=",", header=header, comments="")
    else:
        raise SystemExit(f"--out must end in .csv or .npy; got {path}")


def plot_attractor(path: pathlib.Path, ys, title: str) -> None:
    """3-D line for d >= 3 (first three coordinates), 2-D for d = 2, return map for d = 1."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    y = ys.cpu().numpy()
    fig = plt.figure(figsize=(6, 5))
    if y.shape[1] >= 3:
        ax = fig.add_subplot(projection="3d")
        ax.plot(y[:, 0], y[:, 1], y[:, 2], lw=0.4)
        ax.set_xlabel("y0"), ax.set_ylabel("y1"), ax.set_zlabel("y2")
    elif y.shape[1] == 2:
        ax = fig.add_subplot()
        ax.plot(y[:, 0], y[:, 1], ",", ms=1) if len(y) > 2000 else ax.plot(y[:, 0], y[:, 1], ".", ms=2)
        ax.set_xlabel("y0"), ax.set_ylabel("y1")
    else:
        ax = fig.add_subplot()
        ax.plot(y[:-1, 0], y[1:, 0], ",")
        ax.set_xlabel("y(n)"), ax.set_ylabel("y(n+1)")
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=150)
    plt.close(fig)


def run(args: argparse.Namespace) -> int:
    from attractor.commands.systems import parse_params
    from attractor.systems import get, trajectory

    try:
        system = get(args.name, **parse_params(args.param))
    except ValueError as exc:
        raise SystemExit(f"attractor simulate: {exc}") from None
    times, ys = trajectory(system, args.steps, args.dt, transient=args.transient, return_times=True)
    out = pathlib.Path(args.out or f"{system.name}.csv")
    save_trajectory(out, times, ys)
    print(f"wrote {out} ({ys.shape[0]} samples x {ys.shape[1]} coordinates, time in column 0)")
    if args.plot:
        plot_attractor(pathlib.Path(args.plot), ys, system.name)
        print(f"wrote {args.plot}")
    return 0
