"""Game equilibria benchmark: attractor vs nashpy and pygambit, side by side in one process.

Part 1 -- all equilibria of seeded random n x n bimatrix games (payoffs U(-1, 1), n = 4, 6, 8, 10):
attractor's vertex enumeration (the default of ``nash_equilibria``) and support enumeration,
nashpy's vertex and support enumeration, pygambit's ``enummixed`` (all extreme equilibria, the
same output as ours), ``enumpure`` and ``lcp`` (Lemke-Howson graph search: a subset).  Times are
medians over repeats, per game, averaged over the seeds; the equilibrium counts are checked
against pygambit's ``enummixed``.  nashpy is pure Python and slow: sizes where one of its calls
takes longer than ``--nashpy-budget`` seconds are not repeated at larger sizes.

Part 2 -- the Nash equilibrium at the end of the principal logit QRE branch for 3- and 4-player
games with 3-5 actions: attractor's ``qre_nash`` (multi-point arc-length predictor-corrector
trace with block Newton correctors in float64 NumPy, ended by Newton polishing on the support)
vs pygambit's ``logit_solve`` (its C++ path follower, stopped at regret 1e-8).  Reported: wall
time, accepted points, Newton iterations (nfe: corrector iterations, each over all K points of
a solve, plus the support polishes' iterations), the overhead ratio wall / (nfe x t_f) with t_f
one evaluation of H and its closed-form Jacobian at the K points of a corrector solve, measured
in the same run, and the distance between the two equilibria.

Single-threaded torch (pygambit is single-threaded).  Run:
    python benchmarks/bench_games.py [--seeds 3] [--repeats 5] [--out benchmarks/results/games.md]
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import time
import warnings

import numpy as np
import torch

from attractor.games import nash_equilibria, qre_homotopy, random_game
from attractor.games.logit_map import homotopy_jacobian
from attractor.games.qre_trace import LogitTrace

SIZES = (4, 6, 8, 10)
QRE_GAMES = ((3, 3), (3, 5), (4, 3), (4, 5))


def median_time(fn, repeats: int) -> tuple[float, object]:
    out = fn()  # warm-up (and the result)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def gambit_game(arrays):
    import pygambit as gbt

    cls = getattr(gbt, "StrategicGame", None)
    maker = getattr(cls, "from_arrays", None) or gbt.Game.from_arrays
    return maker(*arrays)


def gambit_profile(game, eq) -> np.ndarray:
    out = []
    for player in game.players:
        strategies = getattr(player, "strategies", None)
        out.append([float(eq[s]) for s in strategies] if strategies is not None else [float(v) for _, v in eq[player]])
    return np.concatenate(out)


def fmt(seconds: float | None) -> str:
    if seconds is None:
        return "--"
    return f"{seconds * 1e3:.3g} ms" if seconds < 1 else f"{seconds:.3g} s"


def bench_enumeration(seeds: int, repeats: int, nashpy_budget: float) -> list[str]:
    try:
        import nashpy
    except ImportError:
        nashpy = None
    try:
        import pygambit as gbt
    except ImportError:
        gbt = None
    rows = []
    nashpy_ok = {"vertex_enumeration": True, "support_enumeration": True}
    for n in SIZES:
        acc: dict[str, list[float]] = {}
        counts, agree = [], True
        for seed in range(seeds):
            game = random_game(n, seed=1000 * n + seed, dtype=torch.float64)
            A, B = (u.numpy() for u in game.payoffs)
            t, eqs = median_time(lambda g=game: nash_equilibria(g), repeats)
            acc.setdefault("vertex", []).append(t)
            counts.append(len(eqs))
            t, _ = median_time(lambda g=game: nash_equilibria(g, "support"), repeats)
            acc.setdefault("support", []).append(t)
            if gbt is not None:
                peer = gambit_game([A, B])
                t, res = median_time(lambda p=peer: gbt.nash.enummixed_solve(p, rational=False), repeats)
                acc.setdefault("enummixed", []).append(t)
                agree &= len(res.equilibria) == len(eqs)
                t, _ = median_time(lambda p=peer: gbt.nash.enumpure_solve(p), repeats)
                acc.setdefault("enumpure", []).append(t)
                t, _ = median_time(lambda p=peer: gbt.nash.lcp_solve(p, rational=False), repeats)
                acc.setdefault("lcp", []).append(t)
            if nashpy is not None and seed == 0:
                peer = nashpy.Game(A, B)
                for method, allowed in list(nashpy_ok.items()):
                    if not allowed:
                        continue
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        start = time.perf_counter()
                        list(getattr(peer, method)())
                        elapsed = time.perf_counter() - start
                    acc.setdefault(method, []).append(elapsed)
                    nashpy_ok[method] = elapsed < nashpy_budget
        mean = {k: sum(v) / len(v) for k, v in acc.items()}
        ratio = mean["vertex"] / mean["enummixed"] if "enummixed" in mean else None
        nashpy_best = min((mean[k] for k in ("vertex_enumeration", "support_enumeration") if k in mean), default=None)
        speedup = "--" if nashpy_best is None else f"{nashpy_best / mean['vertex']:.0f}x"
        rows.append(
            f"| {n}x{n} | {statistics.mean(counts):.1f} | {fmt(mean['vertex'])} | {fmt(mean['support'])} | "
            f"{fmt(mean.get('vertex_enumeration'))} | {fmt(mean.get('support_enumeration'))} | "
            f"{fmt(mean.get('enummixed'))} | {fmt(mean.get('enumpure'))} | {fmt(mean.get('lcp'))} | "
            f"{'--' if ratio is None else f'{ratio:.2f}'} | "
            f"{speedup} | {'yes' if agree else 'NO'} |"
        )
        print(rows[-1], flush=True)
    return rows


def interleaved(fns, repeats: int) -> tuple[list[float], list[object], float]:
    """Median times of several functions timed in alternation (so that they see the same load
    on a shared machine), their results, and the median of the per-round ratios fns[0] / fns[1]."""
    outs = [fn() for fn in fns]  # warm-up (and the results)
    rounds = []
    for _ in range(repeats):
        times = []
        for fn in fns:
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        rounds.append(times)
    medians = [statistics.median(r[k] for r in rounds) for k in range(len(fns))]
    ratio = statistics.median(r[0] / r[1] for r in rounds) if len(fns) > 1 else float("nan")
    return medians, outs, ratio


def bench_qre(repeats: int) -> list[str]:
    try:
        import pygambit as gbt
    except ImportError:
        gbt = None
    rows = []
    for players, actions in QRE_GAMES:
        for seed in range(2):
            game = random_game(actions, n_players=players, seed=seed, dtype=torch.float64)
            fns = [lambda g=game: qre_homotopy.qre_nash(g, return_info=True)]
            if gbt is not None:
                peer = gambit_game([u.numpy() for u in game.payoffs])
                fns.append(lambda p=peer: gbt.nash.logit_solve(p))
            walls, outs, ratio = interleaved(fns, repeats)
            ours, info = outs[0]
            nfe, steps = info["nfe"], info["steps"]
            trace = LogitTrace(game.payoffs)
            Z = np.tile(trace.z, (trace.K, 1))
            Z[:, -1] = 1.0 + np.arange(trace.K)
            t_f, _ = median_time(lambda Z=Z, g=trace.game: homotopy_jacobian(g, Z), 50)
            flat = np.concatenate([x.numpy() for x in ours])
            peer_wall, dist = None, None
            if gbt is not None:
                peer_wall, res = walls[1], outs[1]
                eq = getattr(res, "equilibrium", None) or res.equilibria[0]
                dist = float(np.abs(gambit_profile(peer, eq) - flat).max())
            rows.append(
                f"| {players} x {actions} (seed {seed}) | {fmt(walls[0])} | {steps} | {nfe} | {t_f * 1e6:.0f} us | "
                f"{walls[0] / (nfe * t_f):.1f} | {fmt(peer_wall)} | "
                f"{'--' if peer_wall is None else f'{ratio:.2f}'} | {'--' if dist is None else f'{dist:.1e}'} |"
            )
            print(rows[-1], flush=True)
    return rows


def _sections(path: str) -> dict[str, list[str]]:
    """Rows of each table, and the commentary after the tables, of an earlier results file."""
    if not os.path.exists(path):
        return {}
    with open(path) as fh:
        lines = fh.read().splitlines()
    out: dict[str, list[str]] = {}
    for name in ("enum", "qre"):
        if f"<!-- {name} -->" in lines and f"<!-- /{name} -->" in lines:
            out[name] = lines[lines.index(f"<!-- {name} -->") + 1 : lines.index(f"<!-- /{name} -->")]
    if "<!-- /qre -->" in lines:
        out["commentary"] = [ln for ln in lines[lines.index("<!-- /qre -->") + 1 :] if ln.strip() or out.get("commentary")]
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--nashpy-budget", type=float, default=30.0, help="seconds; larger sizes skipped after")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results", "games.md"))
    parser.add_argument("--only", choices=["enum", "qre"], default=None,
                        help="re-run one part and keep the other's rows (and the commentary) from --out")
    args = parser.parse_args()
    torch.set_num_threads(1)
    load_start = os.getloadavg()[0]
    versions = []
    for name in ("nashpy", "pygambit"):
        try:
            versions.append(f"{name} {__import__(name).__version__}")
        except ImportError:
            versions.append(f"{name} (not installed)")
    previous = _sections(args.out)
    enum_rows = (bench_enumeration(args.seeds, args.repeats, args.nashpy_budget)
                 if args.only in (None, "enum") else previous.get("enum", []))
    qre_rows = bench_qre(args.repeats) if args.only in (None, "qre") else previous.get("qre", [])
    load_end = os.getloadavg()[0]
    header = (
        f"{datetime.date.today()}, {platform.machine()} {platform.processor() or ''} ({os.cpu_count()} cores, "
        f"shared; load average {load_start:.1f} at the start, {load_end:.1f} at the end), "
        f"torch {torch.__version__} (1 thread), {', '.join(versions)}. "
        f"Script: `benchmarks/bench_games.py --seeds {args.seeds} --repeats {args.repeats}`."
    )
    enum_caption = (
        "**All equilibria of random n x n games** (mean over seeds of the median time per game; "
        "nashpy timed once per size, `--` = skipped after exceeding the budget at a smaller size; "
        "ratio = attractor vertex / gambit enummixed; `vs nashpy` = nashpy's faster method / ours):"
    )
    enum_header = (
        "| game | equilibria | attractor vertex | attractor support | nashpy vertex | nashpy support | "
        "gambit enummixed | gambit enumpure | gambit lcp | ratio | vs nashpy | same count |"
    )
    qre_caption = (
        "**Nash equilibrium by the logit QRE homotopy** (n players, U(-1, 1) payoffs; t_f = one "
        "evaluation of H and H' at the K points of a corrector solve; overhead = wall / (nfe x t_f); "
        "ratio = median over alternating rounds of attractor / gambit):"
    )
    lines = [
        "## Games: Nash equilibria and the logit QRE trace",
        "",
        header,
        "",
        enum_caption,
        "",
        enum_header,
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
        "<!-- enum -->",
        *enum_rows,
        "<!-- /enum -->",
        "",
        qre_caption,
        "",
        "| game | attractor | steps | nfe | t_f | overhead | gambit logit_solve | ratio | max abs diff |",
        "|---|---|---|---|---|---|---|---|---|",
        "<!-- qre -->",
        *qre_rows,
        "<!-- /qre -->",
        "",
        *previous.get("commentary", []),
    ]
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as fh:
        fh.write("\n".join(lines))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
