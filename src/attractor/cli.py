"""The ``attractor`` command.

Each sub-command lives in its own module under ``attractor.commands`` and provides
``add_parser(subparsers)`` and ``run(args) -> int``.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# sub-command name -> module under attractor.commands
COMMANDS = {
    "demo": "demo",
    "systems": "systems",
    "simulate": "simulate",
    "lyapunov": "lyapunov",
    "nash": "nash",
    "reconstruct": "reconstruct",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="attractor",
        description="Equilibria and dynamics on PyTorch: fixed points, DEQs, ODE/SDE/CDE, chaos, games.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMANDS.values():
        importlib.import_module(f"attractor.commands.{module}").add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 0
    try:
        return int(args.func(args) or 0)
    except (ValueError, TypeError, OSError) as exc:
        # bad input the library rejected (it names the argument), or a file that cannot be
        # read or written: one line, no traceback, exit status 1
        print(f"attractor {args.command}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
