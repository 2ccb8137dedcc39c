"""``attractor demo``: the main job -- train and report on each demo part in turn."""

from __future__ import annotations

import argparse
import importlib
import time


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="run the end-to-end demo (DEQ classifier, neural ODE, chaos invariants, games, flow matching)")
    p.add_argument("--quick", action="store_true", help="a shorter run (fewer epochs), for smoke tests")
    p.add_argument(
        "--only", action="append", default=None, metavar="PART", help="run only this part (repeatable)"
    )
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=run)


def _format(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def run(args: argparse.Namespace) -> int:
    import torch

    from attractor.demos import PARTS

    parts = args.only or PARTS
    unknown = [p for p in parts if p not in PARTS]
    if unknown:
        raise SystemExit(f"attractor demo: unknown part(s) {unknown}; choose from {PARTS}")
    for name in parts:
        module = importlib.import_module(f"attractor.demos.{name}")
        torch.manual_seed(args.seed)
        print(f"== {module.TITLE}", flush=True)
        start = time.perf_counter()
        figures = module.run(quick=args.quick)
        figures.setdefault("wall time (s)", time.perf_counter() - start)
        for key, value in figures.items():
            print(f"   {key:<40} {_format(value)}", flush=True)
    return 0
