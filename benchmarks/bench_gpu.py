"""GPU benchmark (CUDA): the DEQ layer and the neural ODE of the CPU benchmarks, on one GPU,
attractor and its peers side by side in one process.

* DEQ: z = tanh(W z + U x + b), the ``standard`` and ``hard`` layers of ``bench_deq.py`` at
  batch 256 / width 256, plus a larger standard layer (batch 2048, width 1024), float32;
  attractor anderson / broyden / picard against TorchDEQ anderson / broyden / fixed_point_iter,
  same absolute per-sample tolerance 1e-4, implicit backward with the same solver.
* Neural ODE: the MLP 32-64-64-32 of ``bench_ode.py``, float32, t in [0, 1], rtol 1e-6,
  atol 1e-8, batch 256 and 16384; attractor dopri5 / tsit5 (batch RMS error norm, as torchdiffeq),
  and dopri5 with ``compile=True`` / ``compile="reduce-overhead"`` (CUDA graphs; forward only),
  against torchdiffeq dopri5 and torchode dopri5.

Times are medians of interleaved repeats with ``torch.cuda.synchronize()`` around each call;
t_f is one evaluation of the function, timed the same way; overhead = wall / (nfe x t_f). On a
GPU these small problems are bound by kernel launches and host work, so the overhead ratio
counts how much host-side work a solver adds per evaluation. Without a CUDA device the script
says so and writes nothing. Run:
    python benchmarks/bench_gpu.py [--repeats 15] [--out benchmarks/results/gpu.md]
"""

from __future__ import annotations

import argparse
import datetime
import pathlib
import statistics
import sys
import time

import torch

import attractor

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from bench_deq import CASES, Layer, attractor_runner, torchdeq_runner
from bench_ode import Field, try_import

DEQ_SIZES = [("standard", 256, 256), ("hard", 256, 256), ("standard", 2048, 1024)]
DEQ_PAIRS = [("anderson", "anderson"), ("broyden", "broyden"), ("picard", "fixed_point_iter")]
ODE_BATCHES = (256, 16384)


def synced(fn) -> float:
    torch.cuda.synchronize()
    start = time.perf_counter()
    fn()
    torch.cuda.synchronize()
    return time.perf_counter() - start


def interleaved(fns: dict, repeats: int) -> dict:
    """Median seconds of each callable, the callables taking turns within each repeat."""
    for fn in fns.values():
        fn()
    times = {k: [] for k in fns}
    for _ in range(repeats):
        for k, fn in fns.items():
            times[k].append(synced(fn))
    return {k: statistics.median(v) for k, v in times.items()}


def fmt_ms(seconds: float) -> str:
    return f"{seconds * 1e3:.2f}"


def deq_rows(repeats: int, tol: float = 1e-4, max_steps: int = 300) -> list[str]:
    have_torchdeq = try_import("torchdeq") is not None
    lines = ["| layer (batch x width) | solver | library | fwd ms | nfe | overhead | fwd+bwd ms |",
             "|---|---|---|---:|---:|---:|---:|"]
    for case, batch, width in DEQ_SIZES:
        lines += _deq_case(case, batch, width, have_torchdeq, repeats, tol, max_steps)
    return lines


def _f_time(f, *args) -> float:
    """Seconds per evaluation of ``f(*args)`` (no grad; median of 5 synchronised runs of 20)."""
    with torch.no_grad():
        return statistics.median(synced(lambda: [f(*args) for _ in range(20)]) / 20 for _ in range(5))


def _deq_case(case, batch, width, have_torchdeq, repeats, tol, max_steps) -> list[str]:
    layer = Layer(*CASES[case], batch=batch, width=width, device="cuda")
    t_f = _f_time(layer.cell(), torch.zeros_like(layer.x))
    label = f"{case} ({batch} x {width})"
    lines = [f"| {label} | t_f = {t_f * 1e6:.0f} us | | | | | |"]
    for ours, theirs in DEQ_PAIRS:
        runners = {"attractor": attractor_runner(layer, ours, tol, max_steps)}
        if have_torchdeq:
            runners["torchdeq"] = torchdeq_runner(layer, theirs, tol, max_steps)
        nfe, fns = {}, {}
        for lib, (forward, train_step) in runners.items():
            layer.calls = 0
            forward()
            nfe[lib] = layer.calls
            fns[lib + " fwd"], fns[lib + " train"] = forward, train_step
        walls = interleaved(fns, repeats)
        for lib in runners:
            fwd = walls[lib + " fwd"]
            lines.append(f"| {label} | {ours if lib == 'attractor' else theirs} | {lib} | {fmt_ms(fwd)} | "
                         f"{nfe[lib]} | {fwd / (nfe[lib] * t_f):.2f} | {fmt_ms(walls[lib + ' train'])} |")
    return lines


def ode_rows(repeats: int) -> list[str]:
    lines = ["| batch | method | nfe | fwd ms | overhead | fwd+bwd ms | speed-up fwd / fwd+bwd vs torchdiffeq |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for batch in ODE_BATCHES:
        lines += _ode_batch(batch, repeats)
    return lines


def _ode_cases(f, y0, t, batch) -> dict:
    """name -> a solve returning the final state (grad: whether fwd+bwd is timed too)."""
    tdq, tode = try_import("torchdiffeq"), try_import("torchode")
    tol = {"rtol": 1e-6, "atol": 1e-8}
    cases = {}
    for method in ("dopri5", "tsit5"):
        cases[f"attractor {method}"] = lambda m=method: attractor.odeint(
            f, y0, t, solver=m, batch_error="rms", **tol).ys[-1]
    for mode in (True, "reduce-overhead"):  # forward only: the compiled step has no autograd
        cases[f"attractor dopri5 compile={mode}"] = lambda mode=mode: attractor.odeint(
            f, y0, t, solver="dopri5", batch_error="rms", compile=mode, **tol).ys[-1]
    if tdq is not None:
        cases["torchdiffeq dopri5"] = lambda: tdq.odeint(f, y0, t, method="dopri5", **tol)[-1]
    if tode is not None:
        term = tode.ODETerm(f)
        solver = tode.AutoDiffAdjoint(tode.Dopri5(term=term), tode.IntegralController(term=term, **tol))
        problem = tode.InitialValueProblem(y0=y0, t_eval=t.expand(batch, 2))
        cases["torchode dopri5"] = lambda: solver.solve(problem).ys[:, -1]
    return cases


def _ode_batch(batch: int, repeats: int) -> list[str]:
    torch.manual_seed(0)
    f = Field().cuda()
    y0 = torch.randn(batch, 32, device="cuda")
    t = torch.tensor([0.0, 1.0], device="cuda")
    params = list(f.parameters())
    cases = _ode_cases(f, y0, t, batch)
    t_f = _f_time(f, 0.0, y0)
    nfe, fns = {}, {}
    for name, run in cases.items():
        f.calls = 0
        with torch.no_grad():
            run()
        nfe[name] = f.calls

        def fwd(run=run):
            with torch.no_grad():
                run()

        def fb(run=run):
            torch.autograd.grad(run().pow(2).mean(), params)

        fns[name + " fwd"] = fwd
        if "compile" not in name:
            fns[name + " fb"] = fb
    walls = interleaved(fns, repeats)
    lines = [f"| {batch} | t_f = {t_f * 1e6:.0f} us | | | | | |"]
    base_fwd, base_fb = walls.get("torchdiffeq dopri5 fwd"), walls.get("torchdiffeq dopri5 fb")
    for name in cases:
        fw, fbw = walls[name + " fwd"], walls.get(name + " fb")
        speed = "--"
        if base_fwd is not None:
            speed = f"{base_fwd / fw:.2f}x / " + (f"{base_fb / fbw:.2f}x" if fbw else "--")
        lines.append(f"| {batch} | {name} | {nfe[name]} | {fmt_ms(fw)} | {fw / (nfe[name] * t_f):.2f} | "
                     f"{fmt_ms(fbw) if fbw else '--'} | {speed} |")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--out", default=str(pathlib.Path(__file__).resolve().parent / "results" / "gpu.md"))
    parser.add_argument("--only", default="deq,ode")
    args = parser.parse_args()
    if not torch.cuda.is_available():
        print("bench_gpu: no CUDA device here; nothing measured, nothing written.")
        return 0
    parts = set(args.only.split(","))
    torch.backends.cuda.matmul.allow_tf32 = False  # float32 as on the CPU runs
    name = torch.cuda.get_device_name()
    header = (f"{datetime.date.today()}, {name}, torch {torch.__version__}, float32 (TF32 off); "
              f"medians of {args.repeats} interleaved repeats, synchronised. Script: "
              "`benchmarks/bench_gpu.py`.")
    lines = ["## GPU (CUDA): DEQ layer and neural ODE", "", header, ""]
    if "deq" in parts:
        lines += ["### DEQ layer (tolerance 1e-4 absolute per sample, implicit backward with the same solver)",
                  "", *deq_rows(args.repeats), ""]
        print("\n".join(lines), flush=True)
    if "ode" in parts:
        lines += ["### Neural ODE (MLP 32-64-64-32, t in [0, 1], rtol 1e-6, atol 1e-8)", "",
                  *ode_rows(args.repeats), ""]
    out = pathlib.Path(args.out)
    out.parent.mkdir(exist_ok=True)
    out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
