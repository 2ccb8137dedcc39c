"""Run every benchmark script in turn, then rebuild benchmarks/RESULTS.md from benchmarks/results/*.md.

Usage: python benchmarks/run_all.py [--only deq,ode,...]
Each bench_<topic>.py writes benchmarks/results/<topic>.md; peers that are not installed are skipped
by the scripts themselves. Run on a quiet machine: the figures are wall-clock timings.
"""

from __future__ import annotations

import argparse
import pathlib
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent


def collect() -> pathlib.Path:
    """Concatenate the per-topic result files into RESULTS.md (in a stable order)."""
    parts = ["# Benchmark results\n",
             "Each section is written by `benchmarks/bench_<topic>.py` (see its docstring for the set-up).",
             "Peers run side by side in the same process; `overhead` is wall / (nfe x t_f), with t_f the",
             "cost of one function evaluation measured in the same run (see DESIGN.md).\n"]
    for path in sorted((HERE / "results").glob("*.md")):
        parts.append(path.read_text().strip() + "\n")
    out = HERE / "RESULTS.md"
    out.write_text("\n".join(parts))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", default="", help="comma-separated topics (bench_<topic>.py)")
    parser.add_argument("--collect-only", action="store_true", help="only rebuild RESULTS.md")
    args = parser.parse_args()
    if not args.collect_only:
        wanted = {t for t in args.only.split(",") if t}
        for script in sorted(HERE.glob("bench_*.py")):
            topic = script.stem.removeprefix("bench_")
            if wanted and topic not in wanted:
                continue
            print(f"== {script.name}", flush=True)
            subprocess.run([sys.executable, str(script)], check=True)
    print(f"wrote {collect()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
