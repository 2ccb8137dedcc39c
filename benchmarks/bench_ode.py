"""ODE benchmark: attractor vs torchdiffeq, torchode, scipy and diffrax, side by side in one process.

1. **Neural ODE** -- MLP 32->64->64->32 (tanh), batch 256, float32, t in [0, 1], rtol 1e-6,
   atol 1e-8, dopri5 and tsit5: forward wall (no grad), forward+backward wall (loss = mean of
   y(1)^2, gradients for the MLP), nfe and the overhead ratio wall / (nfe x t_f) with t_f one
   evaluation of the MLP measured in the same run. Peers: torchdiffeq ``odeint`` and
   ``odeint_adjoint``, torchode (``AutoDiffAdjoint``), diffrax (jit, equinox MLP; t_f measured
   for its jitted MLP). attractor runs with ``batch_error="rms"`` (the whole batch's RMS, the
   same error norm as torchdiffeq, so both take the same steps) and, for reference, with its
   default per-sample maximum.
2. **Lorenz-63** -- float64, t in [0, 100], 10,001 output times, rtol 1e-8, atol 1e-10, batch 1
   and 1024 (shared step): wall time against torchdiffeq, scipy's DOP853 (batch 1024 as one
   3072-dimensional system) and diffrax (jit; ``vmap`` for the batch), eager and with
   ``compile=True``.
3. **Work--precision** -- Van der Pol (mu = 2) on [0, 10], error at 21 times against a DOP853
   reference at rtol 1e-13, for every explicit method (adaptive ones over rtol, fixed-step ones
   over dt): error vs wall and vs nfe, plotted to ``docs/bench/ode_work_precision.png``.
   (The stiff method's work-precision on Robertson is in ``bench_stiff.py``.)

Every library runs on one CPU thread (torch ``set_num_threads(1)``, XLA single-threaded).
Timings are medians over interleaved repeats: the machine is shared. Run:

    python benchmarks/bench_ode.py [--repeats 7] [--quick] [--only neural,lorenz,wp]
"""

from __future__ import annotations

import argparse
import datetime
import math
import os
import pathlib
import platform
import statistics
import time

os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")

import numpy as np
import torch

import attractor

torch.set_num_threads(1)
HERE = pathlib.Path(__file__).resolve().parent
RESULTS = HERE / "results"
PLOTS = HERE.parent / "docs" / "bench"


def fmt_time(s: float) -> str:
    if math.isnan(s):
        return "--"
    if s >= 1:
        return f"{s:.2f} s"
    if s >= 1e-3:
        return f"{s * 1e3:.3g} ms"
    return f"{s * 1e6:.3g} us"


def median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def fmt_ratio(x: float, suffix: str = "") -> str:
    return "--" if math.isnan(x) else f"{x:.2f}{suffix}"


def machine_load() -> str:
    try:
        return "load average " + " / ".join(f"{x:.2f}" for x in os.getloadavg()) + " (1/5/15 min)"
    except OSError:
        return "load average unknown"


def try_import(name: str):
    try:
        return __import__(name)
    except ImportError:
        return None


# ------------------------------------------------------------------------------------------
# 1. Neural ODE
# ------------------------------------------------------------------------------------------
class Field(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.net = torch.nn.Sequential(
            torch.nn.Linear(32, 64), torch.nn.Tanh(), torch.nn.Linear(64, 64), torch.nn.Tanh(),
            torch.nn.Linear(64, 32),
        )
        self.calls = 0

    def forward(self, t, y):
        self.calls += 1
        return self.net(y)


def neural_ode(repeats: int, quick: bool) -> list[str]:
    torch.manual_seed(0)
    f = Field()
    y0 = torch.randn(256, 32)
    t = torch.tensor([0.0, 1.0])
    tol = {"rtol": 1e-6, "atol": 1e-8}
    tdq = try_import("torchdiffeq")
    tode = try_import("torchode")
    rows: dict[str, dict] = {}
    cases = {}
    for method in ("dopri5", "tsit5"):
        cases[f"attractor {method}"] = (
            lambda m=method: attractor.odeint(f, y0, t, solver=m, batch_error="rms", **tol).ys[-1],
            lambda m=method: attractor.odeint(f, y0, t, solver=m, batch_error="rms", **tol).ys[-1],
        )
        cases[f"attractor {method} (per-sample max norm)"] = (
            lambda m=method: attractor.odeint(f, y0, t, solver=m, **tol).ys[-1],
            lambda m=method: attractor.odeint(f, y0, t, solver=m, **tol).ys[-1],
        )
        cases[f"attractor {method} backsolve"] = (
            None,
            lambda m=method: attractor.odeint(f, y0, t, solver=m, batch_error="rms", adjoint="backsolve", **tol).ys[-1],
        )
        cases[f"attractor {method} checkpoint"] = (
            None,
            lambda m=method: attractor.odeint(f, y0, t, solver=m, batch_error="rms", adjoint="checkpoint", **tol).ys[-1],
        )
    if tdq is not None:
        from torchdiffeq import odeint as tdq_odeint
        from torchdiffeq import odeint_adjoint as tdq_adjoint

        cases["torchdiffeq dopri5"] = (
            lambda: tdq_odeint(f, y0, t, method="dopri5", **tol)[-1],
            lambda: tdq_odeint(f, y0, t, method="dopri5", **tol)[-1],
        )
        cases["torchdiffeq dopri5 odeint_adjoint"] = (
            None,
            lambda: tdq_adjoint(f, y0, t, method="dopri5", **tol)[-1],
        )
    if tode is not None:
        for method, cls in (("dopri5", tode.Dopri5), ("tsit5", tode.Tsit5)):
            term = tode.ODETerm(f)
            solver = tode.AutoDiffAdjoint(cls(term=term), tode.IntegralController(term=term, **tol))
            t_eval = t.expand(256, 2)

            def run(solver=solver, t_eval=t_eval):
                return solver.solve(tode.InitialValueProblem(y0=y0, t_eval=t_eval)).ys[:, -1]

            cases[f"torchode {method}"] = (run, run)

    # nfe of each case (counted by the field), t_f interleaved with the timings
    nfe = {}
    for name, (fwd, fb) in cases.items():
        f.calls = 0
        with torch.no_grad():
            (fwd or fb)()
        nfe[name] = f.calls
    fwd_times = {k: [] for k in cases}
    fb_times = {k: [] for k in cases}
    tfs = []
    params = list(f.parameters())
    for _ in range(repeats):
        with torch.no_grad():
            start = time.perf_counter()
            for _ in range(20):
                f(0.0, y0)
            tfs.append((time.perf_counter() - start) / 20)
        for name, (fwd, fb) in cases.items():
            if fwd is not None:
                with torch.no_grad():
                    start = time.perf_counter()
                    fwd()
                    fwd_times[name].append(time.perf_counter() - start)
            start = time.perf_counter()
            loss = fb().pow(2).mean()
            torch.autograd.grad(loss, params)
            fb_times[name].append(time.perf_counter() - start)
    t_f = statistics.median(tfs)
    for name in cases:
        fw = statistics.median(fwd_times[name]) if fwd_times[name] else math.nan
        fbw = statistics.median(fb_times[name])
        rows[name] = {"nfe": nfe[name], "fwd": fw, "fb": fbw}

    jax_rows = diffrax_neural(repeats, f, y0) if not quick else {}
    base_fwd = rows.get("torchdiffeq dopri5", {}).get("fwd", math.nan)
    base_fb = rows.get("torchdiffeq dopri5", {}).get("fb", math.nan)
    out = [
        "### Neural ODE (MLP 32-64-64-32, batch 256, float32, t in [0, 1], rtol 1e-6, atol 1e-8)",
        "",
        (f"t_f (one MLP evaluation, torch) = {fmt_time(t_f)}. overhead = wall / (nfe x t_f); "
         "fwd+bwd budget = 4 x nfe x t_f; speed-up = torchdiffeq dopri5 / this."),
        "",
        "| method | nfe (fwd) | forward | overhead | fwd+bwd | fwd+bwd / (nfe t_f) | speed-up fwd | speed-up fwd+bwd |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, r in rows.items():
        ratio = r["fwd"] / (r["nfe"] * t_f) if r["fwd"] == r["fwd"] else math.nan
        out.append(
            f"| {name} | {r['nfe']} | {fmt_time(r['fwd'])} | {fmt_ratio(ratio)} | {fmt_time(r['fb'])} | "
            f"{r['fb'] / (r['nfe'] * t_f):.2f} | {fmt_ratio(base_fwd / r['fwd'], 'x')} | {base_fb / r['fb']:.2f}x |"
        )
    for name, r in jax_rows.items():
        out.append(
            f"| {name} | {r['nfe']} | {fmt_time(r['fwd'])} | {r['fwd'] / (r['nfe'] * r['t_f']):.2f} "
            f"(t_f {fmt_time(r['t_f'])}) | {fmt_time(r['fb'])} | {r['fb'] / (r['nfe'] * r['t_f']):.2f} | "
            f"{base_fwd / r['fwd']:.2f}x | {base_fb / r['fb']:.2f}x |"
        )
    return out


def _jax():
    jax = try_import("jax")
    diffrax = try_import("diffrax")
    eqx = try_import("equinox")
    if jax is None or diffrax is None or eqx is None:
        return None
    jax.config.update("jax_enable_x64", True)
    return jax, diffrax, eqx


def diffrax_neural(repeats: int, field: Field, y0: torch.Tensor) -> dict:
    mods = _jax()
    if mods is None:
        return {}
    # float32 throughout, like the torch rows: with x64 on (the Lorenz part needs it) the
    # float64 time steps promote diffrax's stage sums and error estimate to float64, which
    # removes the float32 round-off from its error estimate and lets it take 3 steps where
    # genuine float32 takes 5 (dopri5 on this field).
    with mods[0].enable_x64(False):
        return _diffrax_neural_float32(mods, repeats, field, y0)


def _diffrax_neural_float32(mods, repeats: int, field: Field, y0_torch: torch.Tensor) -> dict:
    """The same MLP weights and initial state as the torch rows, so the nfe are comparable."""
    jax, diffrax, eqx = mods
    jnp = jax.numpy
    mlp = eqx.nn.MLP(32, 32, 64, depth=2, activation=jnp.tanh, key=jax.random.PRNGKey(0))
    linears = [m for m in field.net if isinstance(m, torch.nn.Linear)]
    for i, lin in enumerate(linears):
        mlp = eqx.tree_at(lambda m, i=i: m.layers[i].weight, mlp, jnp.asarray(lin.weight.detach().numpy()))
        mlp = eqx.tree_at(lambda m, i=i: m.layers[i].bias, mlp, jnp.asarray(lin.bias.detach().numpy()))
    y0 = jnp.asarray(y0_torch.numpy())
    rows = {}
    field_eval = eqx.filter_jit(lambda m, y: jax.vmap(m)(y))
    field_eval(mlp, y0).block_until_ready()
    t_f = median_time(lambda: field_eval(mlp, y0).block_until_ready(), 200)
    for name, solver in (("dopri5", diffrax.Dopri5()), ("tsit5", diffrax.Tsit5())):
        def solve(m, y0, solver=solver):
            term = diffrax.ODETerm(lambda t, y, args: jax.vmap(args)(y))
            sol = diffrax.diffeqsolve(
                term, solver, t0=0.0, t1=1.0, dt0=None, y0=y0, args=m,
                stepsize_controller=diffrax.PIDController(rtol=1e-6, atol=1e-8),
                saveat=diffrax.SaveAt(t1=True), max_steps=10_000,
            )
            return sol.ys[-1], sol.stats["num_steps"]

        fwd = eqx.filter_jit(solve)
        ys, steps = fwd(mlp, y0)
        ys.block_until_ready()
        loss_grad = eqx.filter_jit(eqx.filter_grad(lambda m, y0: jnp.mean(solve(m, y0)[0] ** 2)))
        jax.block_until_ready(loss_grad(mlp, y0))
        fw = median_time(lambda fwd=fwd: fwd(mlp, y0)[0].block_until_ready(), repeats)
        fb = median_time(lambda g=loss_grad: jax.block_until_ready(g(mlp, y0)), repeats)
        nfe = 6 * int(steps) + 2
        rows[f"diffrax {name} (jit)"] = {"nfe": nfe, "fwd": fw, "fb": fb, "t_f": t_f}
    return rows


# ------------------------------------------------------------------------------------------
# 2. Lorenz-63
# ------------------------------------------------------------------------------------------
SIGMA, RHO, BETA = 10.0, 28.0, 8.0 / 3.0


def lorenz(t, y):
    x, v, z = y.unbind(-1)
    return torch.stack([SIGMA * (v - x), x * (RHO - z) - v, x * v - BETA * z], -1)


def lorenz_np(t, y):
    return [SIGMA * (y[1] - y[0]), y[0] * (RHO - y[2]) - y[1], y[0] * y[1] - BETA * y[2]]


def lorenz_initial(batch: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(1)
    base = torch.tensor([1.0, 1.0, 1.0], dtype=torch.float64)
    if batch == 1:
        return base
    return base + 0.1 * torch.randn(batch, 3, generator=g, dtype=torch.float64)


def lorenz_t_f(y0: torch.Tensor) -> float:
    """One evaluation of the Lorenz field on ``y0`` (median of blocks of 1000 calls)."""
    t = torch.tensor(0.0, dtype=torch.float64)
    with torch.no_grad():
        return median_time(lambda: [lorenz(t, y0) for _ in range(1000)], 7) / 1000


def lorenz_bench(repeats: int, quick: bool, batches=(1, 1024)) -> list[str]:
    t_end = 20.0 if quick else 100.0
    n_out = 2001 if quick else 10001
    t = torch.linspace(0, t_end, n_out, dtype=torch.float64)
    tol = {"rtol": 1e-8, "atol": 1e-10}
    tdq = try_import("torchdiffeq")
    out = [
        f"### Lorenz-63 (float64, t in [0, {t_end:g}], {n_out} output times, rtol 1e-8, atol 1e-10)",
        "",
        ("Wall time of one solve (one run each: these take seconds; compiled: the second call, "
         "after compilation, whose time is given separately; diffrax: median of repeats after "
         "jit). speed-up = torchdiffeq dopri5 / this, batch by batch; overhead = wall / (nfe x t_f) "
         "with t_f one evaluation of the torch Lorenz field on the batch, measured in the same run."),
        "",
        "| batch | solver | steps (acc/rej) | nfe | wall | overhead | speed-up vs torchdiffeq dopri5 |",
        "|---|---|---|---|---|---|---|",
    ]
    for batch in batches:
        y0 = lorenz_initial(batch)
        t_f = lorenz_t_f(y0)
        results: list[tuple[str, str, str, float]] = []
        if tdq is not None:
            for method in ("dopri5", "dopri8") if batch == 1 else ("dopri5",):
                calls = [0]

                def f(t, y, calls=calls):
                    calls[0] += 1
                    return lorenz(t, y)

                with torch.no_grad():
                    start = time.perf_counter()
                    tdq.odeint(f, y0, t, method=method, **tol)
                    wall = time.perf_counter() - start
                results.append((f"torchdiffeq {method}", "--", str(calls[0]), wall))
        for solver in ("tsit5", "dopri5", "dopri8"):
            with torch.no_grad():
                start = time.perf_counter()
                sol = attractor.odeint(lorenz, y0, t, solver=solver, max_steps=200_000, **tol)
                wall = time.perf_counter() - start
            st = sol.stats
            results.append((f"attractor {solver}", f"{st['accepted']}/{st['rejected']}", str(st["nfe"]), wall))
        for solver in ("dopri8",):
            with torch.no_grad():
                start = time.perf_counter()
                attractor.odeint(lorenz, y0, t, solver=solver, max_steps=200_000, compile=True, **tol)
                first = time.perf_counter() - start
                start = time.perf_counter()
                sol = attractor.odeint(lorenz, y0, t, solver=solver, max_steps=200_000, compile=True, **tol)
                wall = time.perf_counter() - start
            st = sol.stats
            results.append((f"attractor {solver} compile=True (compile {first:.0f} s)",
                            f"{st['accepted']}/{st['rejected']}", str(st["nfe"]), wall))
        if batch > 1:
            with torch.no_grad():
                sol = attractor.odeint(lorenz, y0, t, solver="dopri8", per_sample=True, max_steps=200_000, **tol)
                start = time.perf_counter()
                attractor.odeint(lorenz, y0, t, solver="dopri8", per_sample=True, max_steps=200_000, **tol)
                wall = time.perf_counter() - start
            st = sol.stats
            results.append(("attractor dopri8 per_sample=True", f"{int(st['accepted'].max())}/{int(st['rejected'].max())} (max)",
                            str(st["nfe_total"]), wall))
        results.extend(scipy_lorenz(y0, t, repeats))
        results.extend(diffrax_lorenz(y0, t, t_end, repeats))
        base = next((r[3] for r in results if r[0] == "torchdiffeq dopri5"), math.nan)
        out.append(f"| {batch} | t_f (torch Lorenz field) = {fmt_time(t_f)} | | | | | |")
        for name, steps, nfe, wall in results:
            over = f"{wall / (int(nfe) * t_f):.1f}" if nfe.isdigit() and not name.startswith(("scipy", "diffrax")) else "--"
            out.append(f"| {batch} | {name} | {steps} | {nfe} | {fmt_time(wall)} | {over} | {base / wall:.1f}x |")
    return out


def scipy_lorenz(y0: torch.Tensor, t: torch.Tensor, repeats: int):
    from scipy.integrate import solve_ivp

    y = y0.reshape(-1).numpy()
    B = y.size // 3

    def f(t_, v):
        v = v.reshape(B, 3)
        return np.stack([SIGMA * (v[:, 1] - v[:, 0]), v[:, 0] * (RHO - v[:, 2]) - v[:, 1],
                         v[:, 0] * v[:, 1] - BETA * v[:, 2]], -1).reshape(-1)

    fn = lorenz_np if B == 1 else f
    tt = t.numpy()
    sol = solve_ivp(fn, (tt[0], tt[-1]), y, method="DOP853", t_eval=tt, rtol=1e-8, atol=1e-10)
    wall = median_time(lambda: solve_ivp(fn, (tt[0], tt[-1]), y, method="DOP853", t_eval=tt,
                                         rtol=1e-8, atol=1e-10), max(1, repeats // 3))
    return [("scipy DOP853", "--", str(sol.nfev), wall)]


def diffrax_lorenz(y0: torch.Tensor, t: torch.Tensor, t_end: float, repeats: int):
    mods = _jax()
    if mods is None:
        return []
    jax, diffrax, _ = mods
    jnp = jax.numpy

    def field(t, y, args):
        return jnp.stack([SIGMA * (y[1] - y[0]), y[0] * (RHO - y[2]) - y[1], y[0] * y[1] - BETA * y[2]])

    ts = jnp.asarray(t.numpy())
    rows = []
    for name, solver in (("tsit5", diffrax.Tsit5()), ("dopri8", diffrax.Dopri8())):
        def solve(y, solver=solver):
            sol = diffrax.diffeqsolve(
                diffrax.ODETerm(field), solver, t0=0.0, t1=t_end, dt0=None, y0=y,
                stepsize_controller=diffrax.PIDController(rtol=1e-8, atol=1e-10),
                saveat=diffrax.SaveAt(ts=ts), max_steps=200_000,
            )
            return sol.ys, sol.stats["num_accepted_steps"], sol.stats["num_rejected_steps"]

        y = jnp.asarray(y0.numpy())
        run = jax.jit(solve if y.ndim == 1 else jax.vmap(solve))
        ys, acc, rej = run(y)
        ys.block_until_ready()
        wall = median_time(lambda run=run, y=y: run(y)[0].block_until_ready(), repeats)
        steps = f"{int(jnp.max(acc))}/{int(jnp.max(rej))}"
        rows.append((f"diffrax {name} (jit{', vmap' if y.ndim > 1 else ''})", steps, "--", wall))
    return rows


# ------------------------------------------------------------------------------------------
# 3. Work-precision
# ------------------------------------------------------------------------------------------
def van_der_pol(t, y):
    return torch.stack([y[..., 1], 2.0 * (1 - y[..., 0] ** 2) * y[..., 1] - y[..., 0]], -1)


def work_precision(repeats: int, quick: bool) -> list[str]:
    from scipy.integrate import solve_ivp

    t = torch.linspace(0, 10, 21, dtype=torch.float64)
    y0 = torch.tensor([2.0, 0.0], dtype=torch.float64)
    ref = solve_ivp(lambda t, y: [y[1], 2.0 * (1 - y[0] ** 2) * y[1] - y[0]], (0, 10), [2.0, 0.0],
                    method="DOP853", t_eval=t.numpy(), rtol=1e-13, atol=1e-14).y.T
    adaptive = ["bosh3", "dopri5", "tsit5", "dopri8", "heun"]
    fixed = ["euler", "midpoint", "ralston", "rk4"]
    tols = [1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10]
    steps = [100, 200, 400, 800, 1600, 3200]
    if quick:
        tols, steps = tols[::2], steps[::2]
    curves: dict[str, list[tuple[float, float, int]]] = {}
    for solver in adaptive + fixed:
        pts = []
        for x in (tols if solver in adaptive else steps):
            if solver == "heun" and x < 1e-6:
                continue
            kw = {"rtol": x, "atol": x} if solver in adaptive else {"dt": 10.0 / x}
            with torch.no_grad():
                sol = attractor.odeint(van_der_pol, y0, t, solver=solver, max_steps=1_000_000, **kw)
                wall = median_time(lambda solver=solver, kw=kw: attractor.odeint(
                    van_der_pol, y0, t, solver=solver, max_steps=1_000_000, **kw), max(1, repeats // 3))
            err = float(np.abs(sol.ys.numpy() - ref).max())
            pts.append((err, wall, sol.stats["nfe"]))
        curves[solver] = pts
    PLOTS.mkdir(parents=True, exist_ok=True)
    png = PLOTS / "ode_work_precision.png"
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, 2, figsize=(10, 4))
        for solver, pts in curves.items():
            err, wall, nfe = zip(*pts)
            style = "-o" if solver in adaptive else "--s"
            axes[0].loglog(wall, err, style, ms=3, label=solver)
            axes[1].loglog(nfe, err, style, ms=3, label=solver)
        axes[0].set_xlabel("wall time (s)")
        axes[1].set_xlabel("function evaluations")
        for ax in axes:
            ax.set_ylabel("max error")
            ax.grid(True, which="both", alpha=0.3)
        axes[1].legend(fontsize=7)
        fig.suptitle("attractor.odeint work-precision: Van der Pol (mu = 2), t in [0, 10]")
        fig.tight_layout()
        fig.savefig(png, dpi=80)
        plt.close(fig)
    except ImportError:
        png = None
    out = ["### Work-precision (Van der Pol, mu = 2, t in [0, 10], max error at 21 times)", ""]
    if png is not None:
        out += [f"![work-precision](../../docs/bench/{png.name})", ""]
    out += ["| solver | setting -> (error, wall, nfe) |", "|---|---|"]
    for solver, pts in curves.items():
        cells = ", ".join(f"({e:.1e}, {fmt_time(w)}, {n})" for e, w, n in pts)
        out.append(f"| {solver} | {cells} |")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="shorter Lorenz run, fewer points")
    parser.add_argument("--only", default="neural,lorenz,wp")
    parser.add_argument("--lorenz-batches", default="1,1024", help="comma-separated batch sizes")
    parser.add_argument("--out", default=str(RESULTS / "ode.md"))
    args = parser.parse_args()
    parts = set(args.only.split(","))
    lines = [
        "## ODE solvers (`attractor.odeint`)",
        "",
        (f"{datetime.date.today()}, {platform.machine()} ({os.cpu_count()} cores, shared), "
         f"torch {torch.__version__} (1 thread). Script: `benchmarks/bench_ode.py "
         f"--repeats {args.repeats}{' --quick' if args.quick else ''} --only {args.only}`. "
         f"Machine at the start: {machine_load()}."),
        "",
    ]
    if "neural" in parts:
        lines += neural_ode(args.repeats, args.quick) + [""]
        print("\n".join(lines), flush=True)
    if "lorenz" in parts:
        batches = tuple(int(b) for b in args.lorenz_batches.split(","))
        lines += lorenz_bench(args.repeats, args.quick, batches) + [""]
        print("\n".join(lines[-30:]), flush=True)
    if "wp" in parts:
        lines += work_precision(args.repeats, args.quick) + [""]
    lines += [f"Machine at the end: {machine_load()}.", ""]
    RESULTS.mkdir(exist_ok=True)
    out = pathlib.Path(args.out)
    body = "\n".join(lines) + "\n"
    if out.exists() and "<!-- commentary -->" in out.read_text():  # keep the hand-written notes
        body += "<!-- commentary -->" + out.read_text().split("<!-- commentary -->", 1)[1]
    out.write_text(body)
    print("\n".join(lines))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
