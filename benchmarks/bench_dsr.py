"""Dynamical-systems reconstruction benchmark.

(1) Parallel-in-time evaluation of recurrences: the whole trajectory of a GRU (8 units, random
inputs) and of a GTF-forced shallow PLRNN (3 latent units, 50 hidden, forced with alpha 0.1 by a
Lorenz-63 series), sequentially (one step at a time, what BPTT does) and as one root problem by
``attractor.parallel_recurrence`` with DEER and quasi-DEER, for T = 1e3, 1e4, 1e5 steps,
float64, batch 1: iterations to tol 1e-10 (max-norm residual), wall time (median of repeats) and
the speed-up against the sequential loop. On a CPU the sequential loop pays one Python-level step
per time step; the parallel solvers pay a few dozen vectorised passes over all T.

(2) Reconstruction (``--reconstruct``): Lorenz-63, Rössler, Lorenz-96 (10 sites) and the 4-D
hyperchaotic Rössler system, 20,000 training samples with 5 % observation noise, standardised.
A shPLRNN (M = N, L = 50, lr 3e-3) trained by generalized teacher forcing, the same model
trained by plain BPTT on free-running sequences, SINDy (pysindy, quadratic library), a neural
ODE trained by multiple shooting and the ridge-regression quadratic field of
``examples/chaos_reconstruction.py`` (``_dsr_baselines.py``), on the same data, judged by the same
``dsr.evaluate``: D_stsp and D_H (published conventions), PE_20, the learned map's lambda_1
against the system's, and the fitting wall time; median and IQR over seeds.

Run:
    python benchmarks/bench_dsr.py [--repeats 3] [--reconstruct] [--out benchmarks/results/dsr.md]
"""

from __future__ import annotations

import argparse
import datetime
import pathlib
import platform
import statistics
import sys
import time

import torch

import attractor
from attractor import dsr

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

HERE = pathlib.Path(__file__).resolve().parent


def _timed(fn, repeats):
    fn()  # warm-up: the first torch.func transform of a process pays a one-time set-up
    times, out = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def recurrences():
    torch.manual_seed(0)
    cell = torch.nn.GRUCell(3, 8).double()
    gru = (lambda s, x: cell(x, s)), torch.zeros(1, 8, dtype=torch.float64), 3, None
    model = dsr.ShallowPLRNN(3, 3, hidden=50).double()
    step = dsr.training.forced_step(model)
    jac = dsr.training.forced_jacobian(model)
    series = dsr.observe_system("lorenz", 100_001, 2, noise=0.05).train
    return {"GRU (d=8)": (gru, None), "GTF shPLRNN (M=3, L=50)": ((step, None, 4, jac), series)}


def parallel_rows(repeats: int, lengths) -> list[str]:
    rows = ["| recurrence | T | method | iterations | wall (s) | speed-up vs sequential |",
            "|---|---:|---|---:|---:|---:|"]
    for name, ((f, s0, m, jac), series) in recurrences().items():
        for T in lengths:
            if series is None:
                inputs = torch.randn(T, 1, m, dtype=torch.float64)
                start = s0
            else:
                x = series[: T + 1].unsqueeze(1)
                inputs = torch.cat([x[:-1], torch.full((T, 1, 1), 0.1, dtype=torch.float64)], -1)
                inputs[0, :, -1] = 1.0
                start = torch.cat([x[0], torch.zeros(1, 0, dtype=torch.float64)], -1)
            with torch.no_grad():
                t_seq, ref = _timed(lambda f=f, start=start, inputs=inputs: attractor.parallel_recurrence(
                    f, start, inputs, method="sequential"), repeats)
                rows.append(f"| {name} | {T:.0e} | sequential | {T} | {t_seq:.3f} | 1.00 |")
                for method in ("deer", "quasi_deer"):
                    try:
                        t, sol = _timed(lambda f=f, start=start, inputs=inputs, method=method, jac=jac: (
                            attractor.parallel_recurrence(f, start, inputs, method=method, jacobian=jac, max_steps=200)), repeats)
                    except attractor.ConvergenceError as exc:
                        rows.append(f"| {name} | {T:.0e} | {method} | failed ({exc.status.tolist()}) | | |")
                        continue
                    err = float((sol.value - ref.value).abs().max())
                    assert err < 1e-6, (name, T, method, err)
                    rows.append(f"| {name} | {T:.0e} | {method} | {sol.stats['steps']} | {t:.3f} | {t_seq / t:.2f} |")
    return rows


SYSTEMS = {
    "Lorenz-63": ("lorenz", {}),
    "Rössler": ("rossler", {}),
    "Lorenz-96 (10 sites)": ("lorenz96", {"n": 10}),
    "hyperchaotic Rössler (4-D)": ("hyper_rossler", {}),
}


def _methods(epochs: int):
    import _dsr_baselines as baselines

    def trained(forcing):
        def fit(data, seed, ref):
            M = data.train.shape[1]
            torch.manual_seed(seed)
            model = dsr.ShallowPLRNN(M, M, hidden=50)
            record = dsr.train(model, data.train.float(), forcing=forcing, epochs=epochs, lr=3e-3,
                               generator=torch.Generator().manual_seed(seed))
            return model, record.wall_time
        return fit

    def fitted(fn, seeded=False):
        def fit(data, seed, ref):
            start = time.perf_counter()
            extra = {"generator": torch.Generator().manual_seed(seed)} if seeded else {}
            model = fn(data.train, data.dt, **extra)
            return model, time.perf_counter() - start
        return fit

    methods = {"shPLRNN + GTF (alpha 0.1)": trained(dsr.GeneralizedForcing(0.1)),
               "shPLRNN + BPTT": trained("none"),
               "ridge quadratic (example)": fitted(baselines.ridge_polynomial),
               "NeuralODE, multiple shooting": fitted(baselines.neural_ode_shooting, seeded=True)}
    try:
        import pysindy  # noqa: F401

        methods["SINDy (pysindy, degree 2)"] = fitted(baselines.sindy)
    except ImportError:
        print("pysindy not installed: SINDy skipped")
    return methods


def reconstruction_rows(seeds: int, epochs: int, only: set[str] | None = None) -> list[str]:
    from attractor.analysis import lyapunov_spectrum
    from attractor.systems import get

    rows = ["| system | method | D_stsp | D_H | PE_20 | lambda_1 error | fit (s) |",
            "|---|---|---|---|---|---|---|"]
    methods = _methods(epochs)
    for label, (name, params) in SYSTEMS.items():
        if only and name not in only:
            continue
        system = get(name, **params)
        ref = system.reference.max_lyapunov
        if ref is None:  # not in the registry at these parameters: compute it
            ref = float(lyapunov_spectrum(system, n_exponents=1, on_failure="status").exponents.reshape(-1)[0])
        data0 = dsr.observe_system(system, 20_000, 10_000, noise=0.05, generator=torch.Generator().manual_seed(0))
        from attractor.analysis import power_spectrum_distance, state_space_divergence

        other = data0.train[-data0.test.shape[0]:]  # the same system, another stretch of it
        rows.append(f"| {label} | floor: another noisy stretch of the data | "
                    f"{float(state_space_divergence(data0.test, other)):.3f} | {float(power_spectrum_distance(data0.test, other)):.3f} | | | |")
        for method, fit in methods.items():
            runs = []
            for seed in range(seeds):
                data = dsr.observe_system(system, 20_000, 10_000, noise=0.05, generator=torch.Generator().manual_seed(seed))
                model, seconds = fit(data, seed, ref)
                params = list(model.parameters())
                dtype = params[0].dtype if params else torch.float64
                scores = dsr.evaluate(model.to(dtype), data.test.to(dtype), dt=data.dt, reference_lyapunov=ref)
                scores["fit_seconds"] = seconds
                runs.append(scores)
            s = dsr.summarize(runs)

            def cell(key, fmt="{:.3f}", s=s):
                v = s[key]
                return f"{fmt.format(v['median'])} [{fmt.format(v['q25'])}, {fmt.format(v['q75'])}]"

            rows.append(f"| {label} | {method} | {cell('D_stsp')} | {cell('D_H')} | {cell('PE_20', '{:.4f}')} | "
                        f"{cell('lambda_1_error')} | {cell('fit_seconds', '{:.0f}')} |")
            print(rows[-1], flush=True)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="T up to 1e4 only")
    parser.add_argument("--reconstruct", action="store_true", help="also run the (long) reconstruction table")
    parser.add_argument("--no-parallel", action="store_true", help="skip the parallel-in-time table")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--systems", default="", help="comma-separated registry names (default: all four)")
    parser.add_argument("--out", default=str(HERE / "results" / "dsr.md"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    lengths = (1000, 10_000) if args.quick else (1000, 10_000, 100_000)
    lines = ["## Dynamical-systems reconstruction and parallel-in-time recurrences", "",
             ("Parallel-in-time evaluation of a whole trajectory (float64, batch 1, tol 1e-10; median of "
              f"{args.repeats} runs; every parallel result equals the sequential one to 1e-6):"), ""]
    if not args.no_parallel:
        lines += parallel_rows(args.repeats, lengths)
    if args.reconstruct:
        lines += ["", (f"Reconstruction from 20,000 samples with 5 % noise (shPLRNN M = N, L = 50, lr 3e-3, {args.epochs} "
                       f"epochs of 50 batches; median [IQR] over {args.seeds} seed(s); test: 10,000 steps after a "
                       "2,500-step burn-in; lambda_1 of the learned map against the system's):"), ""]
        lines += reconstruction_rows(args.seeds, args.epochs, {t for t in args.systems.split(",") if t})
    lines += ["", f"{platform.processor() or platform.machine()}, 1 thread, torch {torch.__version__}, "
              f"Python {platform.python_version()}, {datetime.date.today()}. "
              "Reproduce: `python benchmarks/bench_dsr.py" + (" --reconstruct" if args.reconstruct else "") + "`."]
    pathlib.Path(args.out).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
