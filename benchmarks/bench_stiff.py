"""Stiff ODEs: attractor's implicit solvers against scipy (Radau, BDF, LSODA) and diffrax (Kvaerno5).

Problems (float64, one trajectory):

* Robertson's chemical kinetics, t in [0, 1e5], y0 = (1, 0, 0), atol = (1e-10, 1e-14, 1e-10)
  scaled with rtol (y2 lives at 1e-5 .. 1e-11);
* Van der Pol with mu = 1000, t in [0, 3000], y0 = (2, 0), atol = rtol.

For each rtol the table gives accepted steps, f evaluations (nfe; scipy and attractor count the
evaluations spent on Jacobians, attractor's ``jacobians`` column is the number of Jacobians and
each costs one f evaluation plus D vector-Jacobian products), Jacobian evaluations, wall time
(median of repeats), process CPU time, the error at the final time against scipy's Radau at
rtol = 1e-12 with the analytic Jacobian (max over components of |err| / (atol + rtol |y|):
errors in units of the requested tolerance), and the overhead ratio wall / (nfe x t_f) with t_f
one evaluation of the torch vector field measured in the same run.

scipy runs with its default finite-difference Jacobians (as a user would call it) and again with
the analytic Jacobian (``+jac``); diffrax runs jit-compiled (compile time excluded) with its
PID controller and Kvaerno5's defaults; diffrax reports steps but not nfe.

Work-precision: for each problem, the relative error at the final time (max over components of
|err| / |ref|) against wall time and against nfe, over the rtols, is plotted to
``docs/bench/ode_stiff_<problem>.png`` (attractor's three methods, scipy with the analytic
Jacobian, diffrax).

Usage: python benchmarks/bench_stiff.py [--repeats 3] [--rtols 1e-4,1e-6,1e-8] [--out PATH]
"""

from __future__ import annotations

import argparse
import datetime
import os
import pathlib
import platform
import statistics
import time

import numpy as np
import torch

import attractor

HERE = pathlib.Path(__file__).resolve().parent
PLOTS = HERE.parent / "docs" / "bench"
torch.set_num_threads(1)


# -- problems ---------------------------------------------------------------------------------
def rober_torch(t, y):
    y1, y2, y3 = y[..., 0], y[..., 1], y[..., 2]
    a, b, c = 0.04 * y1, 1e4 * y2 * y3, 3e7 * y2 * y2
    return torch.stack([b - a, a - b - c, c], -1)


def rober_np(t, y):
    a, b, c = 0.04 * y[0], 1e4 * y[1] * y[2], 3e7 * y[1] * y[1]
    return np.array([b - a, a - b - c, c])


def rober_jac(t, y):
    return np.array([[-0.04, 1e4 * y[2], 1e4 * y[1]],
                     [0.04, -1e4 * y[2] - 6e7 * y[1], -1e4 * y[1]],
                     [0.0, 6e7 * y[1], 0.0]])


MU = 1000.0


def vdp_torch(t, y):
    x, v = y[..., 0], y[..., 1]
    return torch.stack([v, MU * (1 - x * x) * v - x], -1)


def vdp_np(t, y):
    return np.array([y[1], MU * (1 - y[0] ** 2) * y[1] - y[0]])


def vdp_jac(t, y):
    return np.array([[0.0, 1.0], [-2 * MU * y[0] * y[1] - 1.0, MU * (1 - y[0] ** 2)]])


PROBLEMS = {
    "robertson": {"torch_f": rober_torch, "np_f": rober_np, "jac": rober_jac, "y0": [1.0, 0.0, 0.0], "T": 1e5,
                      "atol": lambda rtol: np.array([1e-10, 1e-14, 1e-10]) * (rtol / 1e-6)},
    "vdp1000": {"torch_f": vdp_torch, "np_f": vdp_np, "jac": vdp_jac, "y0": [2.0, 0.0], "T": 3000.0,
                    "atol": lambda rtol: np.array([rtol, rtol])},
}


def median_time(fn, repeats):
    walls, cpus, out = [], [], None
    for _ in range(repeats):
        c0, w0 = time.process_time(), time.perf_counter()
        out = fn()
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    return statistics.median(walls), statistics.median(cpus), out


def t_f(f, y0):
    y = torch.tensor(y0, dtype=torch.float64)
    t = torch.tensor(0.0, dtype=torch.float64)
    times = []
    for _ in range(7):
        w0 = time.perf_counter()
        for _ in range(500):
            f(t, y)
        times.append((time.perf_counter() - w0) / 500)
    return statistics.median(times)


def reference(p):
    from scipy.integrate import solve_ivp

    sol = solve_ivp(p["np_f"], (0.0, p["T"]), p["y0"], method="Radau", jac=p["jac"], rtol=1e-12,
                    atol=p["atol"](1e-12) * 1e-2)
    assert sol.success
    return sol.y[:, -1]


def scaled_error(y, ref, rtol, atol):
    return float(np.max(np.abs(y - ref) / (atol + rtol * np.abs(ref))))


def relative_error(y, ref):
    return float(np.max(np.abs(y - ref) / np.abs(ref)))


def plot_work_precision(name, curves):
    """``curves[label] = [(rel_err, wall, nfe or None), ...]`` -> a PNG path (None without matplotlib)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for label, pts in curves.items():
        err, wall, nfe = zip(*pts)
        style = "-o" if label.startswith("attractor") else "--s"
        axes[0].loglog(wall, err, style, ms=3, label=label)
        if all(n is not None for n in nfe):
            axes[1].loglog(nfe, err, style, ms=3, label=label)
    axes[0].set_xlabel("wall time (s)")
    axes[1].set_xlabel("function evaluations (incl. Jacobians)")
    for ax in axes:
        ax.set_ylabel("max relative error at t_end")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].legend(fontsize=7)
    fig.suptitle(f"stiff work-precision: {name}")
    fig.tight_layout()
    PLOTS.mkdir(parents=True, exist_ok=True)
    png = PLOTS / f"ode_stiff_{name}.png"
    fig.savefig(png, dpi=80)
    plt.close(fig)
    return png


# -- runners ----------------------------------------------------------------------------------
def run_attractor(p, solver, rtol, repeats):
    y0 = torch.tensor(p["y0"], dtype=torch.float64)
    t = torch.tensor([0.0, p["T"]], dtype=torch.float64)
    atol = torch.tensor(p["atol"](rtol), dtype=torch.float64)

    def solve():
        return attractor.odeint(p["torch_f"], y0, t, solver=solver, rtol=rtol, atol=atol,
                                max_steps=100_000, on_failure="status")

    solve()  # warm-up
    wall, cpu, sol = median_time(solve, repeats)
    ok = int(sol.status) == 0
    return {"steps": sol.stats["accepted"], "rejected": sol.stats["rejected"], "nfe": sol.stats["nfe"],
                "njev": sol.stats.get("jacobians", 0), "wall": wall, "cpu": cpu, "y": sol.ys[-1].numpy(), "ok": ok}


def run_scipy(p, method, rtol, repeats, analytic):
    from scipy.integrate import solve_ivp

    kw = {"jac": p["jac"]} if analytic else {}

    def solve():
        return solve_ivp(p["np_f"], (0.0, p["T"]), p["y0"], method=method, rtol=rtol, atol=p["atol"](rtol), **kw)

    wall, cpu, sol = median_time(solve, repeats)
    steps = len(sol.t) - 1
    return {"steps": steps, "rejected": None, "nfe": sol.nfev, "njev": sol.njev, "wall": wall, "cpu": cpu,
                "y": sol.y[:, -1], "ok": bool(sol.success)}


def run_diffrax(p, rtol, repeats):
    try:
        import jax

        jax.config.update("jax_enable_x64", True)
        import diffrax
        import jax.numpy as jnp
    except ImportError:
        return None
    name = "robertson" if len(p["y0"]) == 3 else "vdp"

    def vf(t, y, args):
        if name == "robertson":
            a, b, c = 0.04 * y[0], 1e4 * y[1] * y[2], 3e7 * y[1] * y[1]
            return jnp.stack([b - a, a - b - c, c])
        return jnp.stack([y[1], MU * (1 - y[0] ** 2) * y[1] - y[0]])

    atol = jnp.asarray(p["atol"](rtol))
    term = diffrax.ODETerm(vf)
    solver = diffrax.Kvaerno5()
    controller = diffrax.PIDController(rtol=rtol, atol=atol)

    @jax.jit
    def solve(y0):
        return diffrax.diffeqsolve(term, solver, 0.0, p["T"], None, y0, stepsize_controller=controller,
                                   max_steps=200_000, throw=False)

    y0 = jnp.asarray(p["y0"])
    out = solve(y0)
    out.ys.block_until_ready()

    def run():
        o = solve(y0)
        o.ys.block_until_ready()
        return o

    wall, cpu, sol = median_time(run, repeats)
    return {"steps": int(sol.stats["num_accepted_steps"]), "rejected": int(sol.stats["num_rejected_steps"]),
                "nfe": None, "njev": None, "wall": wall, "cpu": cpu, "y": np.asarray(sol.ys[-1]),
                "ok": bool(sol.result == diffrax.RESULTS.successful)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rtols", default="1e-4,1e-6,1e-8")
    parser.add_argument("--problems", default="robertson,vdp1000")
    parser.add_argument("--out", default=str(HERE / "results" / "stiff.md"))
    args = parser.parse_args()
    rtols = [float(r) for r in args.rtols.split(",")]
    lines = [
        "## Stiff ODEs (implicit solvers)",
        "",
        (f"{datetime.date.today()}, {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores (shared; torch 1 thread), torch {torch.__version__}. "
        "Set-up in `benchmarks/bench_stiff.py`. `err` = final-time error in units of the tolerance "
        "(max |err| / (atol + rtol |y|)) against scipy Radau at rtol 1e-12; `overhead` = wall / (nfe x t_f). "
        f"Machine at the start: load average {' / '.join(f'{x:.2f}' for x in os.getloadavg())} (1/5/15 min)."),
        "",
    ]
    for name in args.problems.split(","):
        p = PROBLEMS[name]
        ref = reference(p)
        tf = t_f(p["torch_f"], p["y0"])
        lines += [f"### {name} (t_f = {tf * 1e6:.1f} us per torch evaluation)", "",
                  "| rtol | solver | steps | rejected | nfe | Jacobians | wall ms | CPU ms | overhead | err | ok |",
                  "|---|---|---|---|---|---|---|---|---|---|---|"]
        curves: dict[str, list] = {}
        for rtol in rtols:
            atol = p["atol"](rtol)
            rows = []
            for solver in ["kvaerno3", "kvaerno5", "rodas5"]:
                rows.append((f"attractor {solver}", run_attractor(p, solver, rtol, args.repeats)))
            for method in ["Radau", "BDF", "LSODA"]:
                rows.append((f"scipy {method}", run_scipy(p, method, rtol, args.repeats, False)))
                rows.append((f"scipy {method}+jac", run_scipy(p, method, rtol, args.repeats, True)))
            d = run_diffrax(p, rtol, args.repeats)
            if d is not None:
                rows.append(("diffrax Kvaerno5 (jit)", d))
            for label, r in rows:
                if r["ok"] and (label.startswith("attractor") or label.endswith("+jac") or "diffrax" in label):
                    curves.setdefault(label, []).append((relative_error(r["y"], ref), r["wall"], r["nfe"]))
                err = scaled_error(r["y"], ref, rtol, atol)
                over = f"{r['wall'] / (r['nfe'] * tf):.1f}" if (r["nfe"] and label.startswith("attractor")) else "-"
                lines.append(
                    f"| {rtol:g} | {label} | {r['steps']} | {r['rejected'] if r['rejected'] is not None else '-'} | "
                    f"{r['nfe'] if r['nfe'] is not None else '-'} | {r['njev'] if r['njev'] is not None else '-'} | "
                    f"{r['wall'] * 1e3:.1f} | {r['cpu'] * 1e3:.1f} | {over} | {err:.2g} | {'yes' if r['ok'] else 'NO'} |"
                )
                print(lines[-1], flush=True)
        lines.append("")
        png = plot_work_precision(name, curves)
        if png is not None:
            lines += [f"![{name} work-precision](../../docs/bench/{png.name})", ""]
    lines += [f"Machine at the end: load average {' / '.join(f'{x:.2f}' for x in os.getloadavg())}.", ""]
    out = pathlib.Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    body = "\n".join(lines) + "\n"
    if out.exists() and "<!-- commentary -->" in out.read_text():  # keep the hand-written notes
        body += "<!-- commentary -->" + out.read_text().split("<!-- commentary -->", 1)[1]
    out.write_text(body)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
