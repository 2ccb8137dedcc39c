"""Lyapunov spectra: attractor vs dysts, batch scaling, and the registry-wide check.

Usage::

    python benchmarks/bench_lyapunov.py              # peers + batch scaling -> results/lyapunov.md
    python benchmarks/bench_lyapunov.py --registry   # every system -> results/systems_registry.md

The registry sweep takes about half an hour on two cores. Each checked system is appended to
``benchmarks/_out/registry_rows.jsonl`` and the table is rebuilt from it after every run, so
it can be run in pieces: ``--registry --limit 8`` checks the next 8 unchecked systems,
``--registry --only lorenz,chua`` re-checks those, ``--registry --fresh`` starts over.
Unchecked systems appear in the table as "not yet checked".

Peer comparison. Both libraries compute the full spectrum of Lorenz-63 (σ, ρ, β = 10, 28,
8/3) and of Lorenz-96 (N = 40, F = 8) from the same initial state, over the same averaging
time, with the same step (RK4 / backward Euler at dt, dysts resampled at the same dt):

* attractor: ``lyapunov_spectrum(system, y0, ensemble=1, dt, transient, max_time=T, tol=0)``
  — Benettin/QR on the variational equation integrated by ``attractor.odeint`` (fixed-step
  RK4), analytic tangent maps, re-orthonormalisation interval chosen automatically;
* dysts: ``dysts.analysis.find_lyapunov_exponents(model, traj_length, pts_per_period)`` —
  QR on a backward-Euler discretisation of the tangent flow along a precomputed trajectory
  (Christiansen & Rugh 1997 style), the published dysts estimator.

Accuracy is measured against references independent of both: for Lorenz-63 Sprott's values
(0.9056, 0, −14.5723) and the exact sum −(σ + 1 + β); for Lorenz-96 the exact sum −N (the
trace of the Jacobian is −N everywhere) and the exact zero exponent. The overhead ratio is
wall / (nfe · t_f) with t_f the cost of one evaluation of the augmented (state + tangent)
right-hand side measured in the same run.

Batch scaling: wall time of one Lyapunov spectrum vs 64 initial conditions solved as one
batch (same settings), the target being < 4×.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import pathlib
import platform
import statistics
import sys
import time

import torch

HERE = pathlib.Path(__file__).resolve().parent
RESULTS = HERE / "results"
ROWS_LOG = HERE / "_out" / "registry_rows.jsonl"  # the registry sweep's rows, one JSON per line


def _machine() -> str:
    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}, {torch.get_num_threads()} threads"


def _median_time(fn, repeats: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


# -- attractor ------------------------------------------------------------------------------
def run_attractor(name: str, params: dict, y0: torch.Tensor, dt: float, total: float, transient: float):
    from attractor.analysis import lyapunov_spectrum
    from attractor.systems import get

    system = get(name, **params)
    return lyapunov_spectrum(
        system, y0, ensemble=1, dt=dt, transient=transient, max_time=total, tol=0.0,
        on_failure="status",
    )


def rhs_cost(name: str, params: dict, y0: torch.Tensor, repeats: int = 2000) -> float:
    """Seconds per evaluation of the augmented (state + full tangent) field."""
    from attractor.analysis.tangent import linearization
    from attractor.systems import get

    system = get(name, **params)
    lin = linearization(system, discrete=False)
    d = y0.shape[-1]
    q = torch.eye(d, dtype=y0.dtype)
    y = y0.clone()
    for _ in range(10):
        lin(0.0, y, q)
    t0 = time.perf_counter()
    for _ in range(repeats):
        lin(0.0, y, q)
    return (time.perf_counter() - t0) / repeats


# -- dysts ----------------------------------------------------------------------------------
def run_dysts(model, y0: torch.Tensor, dt: float, total: float):
    from dysts.analysis import find_lyapunov_exponents

    model.ic = y0.numpy().copy()
    period = getattr(model, "period", 1.0)
    pts_per_period = max(10, round(period / dt))
    n = round(total / dt)
    return find_lyapunov_exponents(model, n, pts_per_period=pts_per_period, tol=0.0)


def peers(repeats: int) -> str:
    from attractor.systems import get

    rows = []
    cases = [
        ("Lorenz-63", "lorenz", {}, 0.01, 100.0, 10.0, (0.9056, 0.0, -14.5723), -(10 + 1 + 8 / 3)),
        ("Lorenz-96 (N=40, F=8)", "lorenz96", {"n": 40}, 0.01, 50.0, 10.0, None, -40.0),
    ]
    try:
        import dysts.flows as dflows
    except ImportError:  # peer missing: report attractor only
        dflows = None
    for label, name, params, dt, total, transient, ref, exact_sum in cases:
        system = get(name, **params)
        y0 = system.initial_state()
        wall, res = _median_time(
            lambda name=name, params=params, y0=y0, dt=dt, total=total, transient=transient: run_attractor(
                name, params, y0, dt, total, transient
            ),
            repeats,
        )
        ex = res.exponents
        t_f = rhs_cost(name, params, y0)
        nfe = res.stats["nfe"]
        zero = ex.abs().min().item()
        row = {
            "case": label, "lib": "attractor", "wall": wall, "nfe": nfe,
            "overhead": wall / (nfe * t_f), "lam1": ex[0].item(), "sum_err": abs(ex.sum().item() - exact_sum),
            "zero": zero, "lam1_err": None if ref is None else abs(ex[0].item() - ref[0]),
        }
        rows.append(row)
        print(row, flush=True)
        if dflows is not None:
            if name == "lorenz":
                model = dflows.Lorenz()
                model.beta = 8 / 3
            else:
                model = dflows.Lorenz96()
                model.f = 8.0
                # dysts's Lorenz96 has no analytic Jacobian (its `jac` raises
                # NotImplementedError); None makes the estimator take its own
                # finite-difference fallback, as it does for every such system
                model.jac = lambda X, t: None
            # the transient is integrated by attractor; dysts starts on the attractor too
            from attractor.systems import advance

            start = advance(system, y0, transient)
            try:
                dwall, dex = _median_time(
                    lambda model=model, start=start, dt=dt, total=total: run_dysts(model, start, dt, total),
                    repeats,
                )
                dex = torch.tensor(list(dex), dtype=torch.float64)  # dysts returns a reversed view
                drow = {
                    "case": label, "lib": "dysts", "wall": dwall, "nfe": None, "overhead": None,
                    "lam1": dex[0].item(), "sum_err": abs(dex.sum().item() - exact_sum),
                    "zero": dex.abs().min().item(),
                    "lam1_err": None if ref is None else abs(dex[0].item() - ref[0]),
                }
            except Exception as exc:  # noqa: BLE001 -- a peer's failure is a result: report it
                drow = {"case": label, "lib": f"dysts (failed: {type(exc).__name__}: {exc})"}
            rows.append(drow)
            print(drow, flush=True)
    return _peer_table(rows)


def _fmt(v, spec=".4g"):
    return "—" if v is None else format(v, spec)


def _peer_table(rows) -> str:
    lines = [
        "| case | library | wall (s) | nfe | overhead | λ1 | abs. error λ1 | abs. error Σλ | min abs(λ) (≈ 0 exponent) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['case']} | {r['lib']} | {_fmt(r.get('wall'), '.3g')} | {_fmt(r.get('nfe'), 'd')} | "
            f"{_fmt(r.get('overhead'), '.2f')} | {_fmt(r.get('lam1'))} | {_fmt(r.get('lam1_err'), '.2g')} | "
            f"{_fmt(r.get('sum_err'), '.2g')} | {_fmt(r.get('zero'), '.2g')} |"
        )
    return "\n".join(lines)


def batch_scaling(repeats: int) -> str:
    from attractor.analysis import lyapunov_spectrum
    from attractor.systems import get, sample_on_attractor

    lines = ["| system | ICs | wall (s) | ratio to 1 IC |", "|---|---|---|---|"]
    for name in ("lorenz", "henon"):
        system = get(name)
        states = sample_on_attractor(system, 64)
        kw = {"max_time": 50.0 if system.is_flow else 2000, "tol": 0.0, "on_failure": "status"}
        def one(system=system, states=states, kw=kw):
            return lyapunov_spectrum(system, states[0], **kw)

        def batch(system=system, states=states, kw=kw):
            return lyapunov_spectrum(system, states, **kw)

        w1, _ = _median_time(one, repeats)
        w64, _ = _median_time(batch, repeats)
        lines.append(f"| {name} | 1 | {w1:.3g} | 1 |")
        lines.append(f"| {name} | 64 | {w64:.3g} | {w64 / w1:.2f} |")
        print(name, w1, w64, flush=True)
    return "\n".join(lines)


def default_call() -> str:
    from attractor.analysis import lyapunov_spectrum
    from attractor.systems import get

    t0 = time.perf_counter()
    res = lyapunov_spectrum(get("lorenz"))
    wall = time.perf_counter() - t0
    ex = ", ".join(f"{v:.4f}" for v in res.exponents.tolist())
    se = ", ".join(f"{v:.4f}" for v in res.stderr.tolist())
    return (
        f"`lyapunov_spectrum(get(\"lorenz\"))` with no other arguments: λ = ({ex}) ± ({se}), "
        f"Σλ = {res.sum.item():.4f} (exact −13.6667), D_KY = {res.kaplan_yorke_dimension.item():.4f}, "
        f"{res.time.item():.0f} time units × {res.members.shape[0]} members, wall {wall:.1f} s."
    )


# -- registry ---------------------------------------------------------------------------------
def registry_rows(tol: float, todo: list[str], log: pathlib.Path) -> None:
    """Check each system in ``todo``, appending its row to ``log`` (JSON lines) as soon as it
    is done, so a sweep can be run in short pieces and resumed."""
    from attractor.systems.checks import check_system

    log.parent.mkdir(parents=True, exist_ok=True)
    for name in todo:
        try:
            c = check_system(name, tol=tol)
        except Exception as exc:  # noqa: BLE001 -- a crash is a result too: report it
            print(f"{name}: FAILED {type(exc).__name__}: {exc}", flush=True)
            _append(log, {"name": name, "error": f"{type(exc).__name__}: {exc}"})
            continue
        row = {
            "name": c.name, "kind": c.kind, "dim": c.dim, "bounded": c.bounded,
            "lam1": c.lambda1, "se": c.stderr[0] if c.stderr else None, "status": c.status,
            "ref": c.reference, "ky": c.kaplan_yorke, "ref_ky": c.reference_kaplan_yorke,
            "matches": c.matches, "source": c.source.split(":")[0].split("(")[0].strip(), "wall": c.wall,
            "spectrum": c.lyapunov,
        }
        print(json.dumps(row), flush=True)
        _append(log, row)


def _append(log: pathlib.Path, row: dict) -> None:
    with open(log, "a") as fh:
        fh.write(json.dumps(row) + "\n")


def _read_rows(log: pathlib.Path) -> dict[str, dict]:
    """Rows by system name; a later row for the same system replaces an earlier one."""
    rows: dict[str, dict] = {}
    if log.exists():
        for line in log.read_text().splitlines():
            if line.startswith("{"):
                row = json.loads(line)
                rows[row["name"]] = row
    return rows


# what we found out about a miss (shown in the table's last column)
NOTES = {
    "double_pendulum": "dysts's momentum equations differ from Hamilton's (ours are checked "
    "against ∇H and energy conservation in the tests); its reference is for that other field, "
    "on which the independent computation gives 0.36 ± 0.14, not 3.99 either",
    "dequan_li": "transient chaos: the orbit from the reference state is chaotic for a while, "
    "then settles (independent, 126 time units after a short transient: λ1 = -0.003 ± 0.009; "
    "ours, after the 142-unit decorrelation transient: -0.06); dysts's 0.74 is a finite-time value",
    "bouali": "slow mixing, λ1 small: the default run stops near 0; a long run (tol 0.05 without "
    "abs_tol or budget, 834 s) gave 0.021 ± 0.001, agreeing with the independent 0.023 ± 0.005",
    "hindmarsh_rose": "bursting, slow convergence: ours 0.15-0.17 over 60-120 periods (also at "
    "dt/5), the independent orbits range 0.18-0.34 (mean 0.24 ± 0.04); both far below dysts's 0.65",
}


def _dysts_qr(name: str) -> float | None:
    from importlib import resources

    data = json.loads(resources.files("attractor.systems").joinpath("data/references.json").read_text())
    qr = data.get(name, {}).get("dysts_qr_spectrum")
    return qr[0] if qr else None


def registry_table(rows: list[dict], tol: float) -> str:
    from attractor.systems.checks import ABS_TOL, REL_TOL, agrees

    def matches(r, ref):
        if ref is None or r.get("lam1") is None:
            return None
        return agrees(r["lam1"], ref)

    from attractor.systems import get

    def indep(name):  # from crosscheck_lyapunov.py, stored with the references
        return get(name).reference.independent_max_lyapunov

    from attractor.systems import names

    done = {r["name"] for r in rows}
    pending = [n for n in names() if n not in done]
    misses = [r for r in rows if "error" in r or r.get("matches") is False or not r.get("bounded")]
    qr_agree = [r for r in misses if "error" not in r and matches(r, _dysts_qr(r["name"]))]
    checked = [r for r in misses if "error" not in r and indep(r["name"]) is not None]
    confirmed = [r for r in checked if matches(r, indep(r["name"]))]
    lines = [
        (
            "Criterion: bounded over the reference integration (10 000 samples at the system's dt, "
            f"Tsit5) and λ1 within {REL_TOL:.0%} (or {ABS_TOL} absolute) of the reference value. "
            f"λ1 from `attractor.systems.checks.check_system`: `lyapunov_spectrum` with its "
            f"defaults (ensemble of 64 initial states kicked apart and decorrelated, RK4 with "
            f"`odeint` at the system's dt) except `tol={tol}`, `abs_tol={ABS_TOL / 5:g}` and a "
            "budget of 3000 steps of dt or 60 periods (whichever is longer) after the transient "
            "(rows checked before 2026-11-23 had 3000 steps only): it stops when every exponent's "
            "standard error across the ensemble is below tol · |λ1| + abs_tol, else reports "
            "MAX_STEPS with its estimate. Reference values: literature where known "
            "(Sprott 2003 for Lorenz, Rössler, Hénon, Rabinovich–Fabrikant; Sprott 1997 for the jerk flow; exact values "
            "for maps), otherwise the dysts database (`maximum_lyapunov_estimated`). dysts also "
            "lists a QR-method spectrum, whose λ1 often differs from its own maximum-exponent "
            "estimate; it is shown for comparison. `λ1 independent`: the same exponent computed "
            "with no attractor code (dysts's equations, SciPy DOP853 at rtol 1e-10, QR every "
            "quarter period, several orbits; `benchmarks/crosscheck_lyapunov.py`, details in "
            "`results/lyapunov_crosscheck.md`), run for the systems that miss."
        ),
        "",
        (
            f"{len(rows)} systems checked ({len(pending)} of the registry's {len(names())} not "
            f"yet, listed last); {sum(1 for r in rows if r.get('matches') is True)} match their "
            f"reference; {sum(1 for r in rows if r.get('matches') is None and 'error' not in r)} "
            f"have none; {len(misses)} miss (listed first), of which {len(qr_agree)} agree with "
            f"dysts's QR estimate instead. {len(checked)} misses were recomputed independently: "
            f"for {len(confirmed)} of them the independent λ1 agrees with ours by the same "
            "criterion, so the reference value, not attractor, is the outlier."
        ),
        "",
        "| system | kind | dim | bounded | λ1 (ours) | ± | status | λ1 ref | match | λ1 independent | dysts QR λ1 | D_KY (ours) | D_KY ref | ref source | wall (s) | note |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in misses + [r for r in rows if r not in misses]:
        if "error" in r:
            lines.append(f"| {r['name']} | error: {r['error']} | | | | | | | | | | | | | | |")
            continue
        match = {True: "yes", False: "**no**", None: "—"}[r["matches"]]
        lines.append(
            f"| {r['name']} | {r['kind']} | {r['dim']} | {'yes' if r['bounded'] else '**no**'} | "
            f"{_fmt(r['lam1'])} | {_fmt(r['se'], '.2g')} | {r['status']} | {_fmt(r['ref'])} | {match} | "
            f"{_fmt(indep(r['name']))} | {_fmt(_dysts_qr(r['name']))} | {_fmt(r['ky'])} | {_fmt(r['ref_ky'])} | "
            f"{r['source'] or '—'} | {r['wall']:.0f} | {NOTES.get(r['name'], '')} |"
        )
    for name in pending:
        lines.append(f"| {name} | not yet checked | | | | | | | | | | | | | | |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--registry", action="store_true", help="check every registry system")
    parser.add_argument("--only", default="", help="comma-separated systems to (re)check for --registry")
    parser.add_argument("--limit", type=int, default=None, help="--registry: check at most this many unchecked systems")
    parser.add_argument("--fresh", action="store_true", help="--registry: forget the rows recorded so far")
    parser.add_argument("--tol", type=float, default=0.05, help="statistical tolerance for --registry")
    parser.add_argument("--from-log", default=None, help="rebuild the registry table from printed JSON rows")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    stamp = f"{datetime.date.today().isoformat()}, {_machine()}; load average at start {load} (shared machine)"
    RESULTS.mkdir(exist_ok=True)
    if args.registry:
        from attractor.systems import names

        if args.fresh:
            ROWS_LOG.unlink(missing_ok=True)
        log = pathlib.Path(args.from_log) if args.from_log else ROWS_LOG
        if not args.from_log:
            only = [s for s in args.only.split(",") if s]
            todo = only or [n for n in names() if n not in _read_rows(ROWS_LOG)][: args.limit]
            registry_rows(args.tol, todo, ROWS_LOG)
        rows = list(_read_rows(log).values())
        table = registry_table(rows, args.tol)
        out = RESULTS / "systems_registry.md"
        out.write_text(f"## Registry check: boundedness and largest Lyapunov exponent\n\n{stamp}\n\n{table}\n")
        print(f"wrote {out}")
        return 0
    peer = peers(args.repeats)
    batch = batch_scaling(args.repeats)
    default = default_call()
    out = RESULTS / "lyapunov.md"
    out.write_text(
        "## Lyapunov spectra (attractor vs dysts)\n\n"
        f"{stamp}\n\n{(__doc__ or '').split('Usage::')[0].strip()}\n\n{peer}\n\n"
        f"### Batch of initial conditions\n\n{batch}\n\n### Default call\n\n{default}\n"
    )
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
