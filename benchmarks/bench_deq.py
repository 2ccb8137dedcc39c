"""DEQ layer benchmark: attractor vs TorchDEQ, side by side in one process.

The layer is z = tanh(W z + U x + b) (batch 256, width 256, float32, CPU). Two variants:
``standard``: Gaussian W scaled to spectral norm 0.9, unit-scale input injection;
``hard``: symmetric W with spectral norm 0.98 and a weak injection (0.1), so that tanh stays
near its linear regime and the Jacobian at the equilibrium has spectral radius close to 1
(nearly non-contractive: Picard needs ~10x the steps of Anderson/Broyden). For each solver pair (attractor name / TorchDEQ name) at the same absolute
per-sample tolerance, forward and backward with the same solver:

* forward wall time (no grad) and nfe (calls of f, counted by a wrapper for both libraries),
* overhead ratio wall / (nfe * t_f), t_f = one evaluation of f measured in the same run,
* forward + backward wall time (implicit gradients of loss = sum(z * probe) with a fixed
  Gaussian probe, so the adjoint right-hand sides are O(1) per sample; grads for W, U, b),
* peak extra memory of forward + backward (torch profiler allocation events on CPU).

Timings are medians over repeats (the machine is shared). Run:
    python benchmarks/bench_deq.py [--repeats 7] [--out benchmarks/results/deq.md]
"""

from __future__ import annotations

import argparse
import datetime
import math
import os
import platform
import statistics
import time

import torch

import attractor

BATCH, WIDTH = 256, 256
CASES = {"standard": ("gaussian", 0.9, 1.0), "hard": ("symmetric", 0.98, 0.1)}
PAIRS = [("anderson", "anderson"), ("broyden", "broyden"), ("picard", "fixed_point_iter")]
# attractor's defaults (Anderson forward, GMRES adjoint): no TorchDEQ counterpart
EXTRA = [("anderson", "gmres")]


class Layer:
    """Weights of z = tanh(W z + U x + b) with a prescribed spectral norm of W."""

    def __init__(self, kind: str, spectral_norm: float, injection: float, seed: int = 0, *,
                 batch: int = BATCH, width: int = WIDTH, device: str = "cpu") -> None:
        g = torch.Generator().manual_seed(seed)
        W = torch.randn(width, width, generator=g)
        if kind == "symmetric":
            W = W + W.t()
        W = W * (spectral_norm / torch.linalg.matrix_norm(W, ord=2))
        U = torch.randn(width, width, generator=g) * (injection / width**0.5)
        self.W = W.to(device).requires_grad_()
        self.U = U.to(device).requires_grad_()
        self.b = torch.zeros(width, device=device).requires_grad_()
        self.x = torch.randn(batch, width, generator=g).to(device)
        self.probe = torch.randn(batch, width, generator=g).to(device)
        self.calls = 0

    def loss(self, z: torch.Tensor) -> torch.Tensor:
        return (z * self.probe).sum()

    def cell(self):
        """f(z) with the input injection computed once per forward (as a DEQ layer does)."""
        injection = torch.addmm(self.b, self.x, self.U.t())
        Wt = self.W.t()

        def f(z):
            self.calls += 1
            return torch.tanh(torch.addmm(injection, z, Wt))

        return f


def timed(fn) -> tuple[float, float, object]:
    """(wall seconds, CPU seconds of this process, result) of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - wall, time.process_time() - cpu, out


def f_time(f, z: torch.Tensor, calls: int = 20) -> tuple[float, float]:
    """Wall and CPU seconds of one evaluation of f (mean over ``calls``, no grad)."""
    with torch.no_grad():
        f(z)
        wall, cpu, _ = timed(lambda: [f(z) for _ in range(calls)])
    return wall / calls, cpu / calls


def peak_memory(fn) -> float:
    """Peak extra CPU memory (MB) allocated by ``fn``, from profiler allocation/free events."""
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        fn()
    events = sorted(prof.events(), key=lambda e: e.time_range.start)
    current = peak = 0
    for e in events:
        current += e.self_cpu_memory_usage
        peak = max(peak, current)
    return peak / 2**20


def attractor_runner(
    layer: Layer, solver: str, tol: float, max_steps: int, backward_solver: str | None = None
):
    def forward():
        with torch.no_grad():
            return attractor.fixed_point(
                layer.cell(),
                torch.zeros_like(layer.x),
                solver=solver,
                tol=tol,
                max_steps=max_steps,
                on_failure="status",
                backward="none",
            )

    def train_step():
        sol = attractor.fixed_point(
            layer.cell(),
            torch.zeros_like(layer.x),
            solver=solver,
            tol=tol,
            max_steps=max_steps,
            backward_solver=backward_solver or solver,
            backward_tol=tol,
            backward_max_steps=max_steps,
            on_failure="status",
        )
        layer.loss(sol.value).backward()
        return sol

    return forward, train_step


def torchdeq_runner(layer: Layer, solver: str, tol: float, max_steps: int):
    from torchdeq import get_deq

    deq = get_deq(
        core="indexing",
        ift=True,
        f_solver=solver,
        b_solver=solver,
        f_max_iter=max_steps,
        b_max_iter=max_steps,
        f_tol=tol,
        b_tol=tol,
        f_stop_mode="abs",
        b_stop_mode="abs",
    )

    def forward():
        deq.eval()
        with torch.no_grad():
            return deq(layer.cell(), torch.zeros_like(layer.x))

    def train_step():
        deq.train()
        z_out, info = deq(layer.cell(), torch.zeros_like(layer.x))
        layer.loss(z_out[-1]).backward()
        return info

    return forward, train_step


def measure_pair(layer: Layer, runners: dict, repeats: int) -> dict:
    """Interleave the libraries' runs (the machine is shared): per repeat, time f, then each
    library's forward and forward+backward; report medians of times and of overhead ratios."""
    f = layer.cell()
    z = torch.zeros(BATCH, WIDTH)
    samples = {
        lib: {"wall": [], "cpu": [], "ratio": [], "ratio_cpu": [], "train": [], "train_cpu": []}
        for lib in runners
    }
    nfe = {}
    for lib, (forward, train_step) in runners.items():  # warm-up, nfe counts
        layer.calls = 0
        forward()
        nfe[lib] = layer.calls
        layer.calls = 0
        train_step()
        nfe[lib + "_train"] = layer.calls
    for _ in range(repeats):
        for lib, (forward, train_step) in runners.items():
            t_f, c_f = f_time(f, z)
            wall, cpu, _ = timed(forward)
            train, train_cpu, _ = timed(train_step)
            s = samples[lib]
            s["wall"].append(wall)
            s["cpu"].append(cpu)
            s["ratio"].append(wall / (nfe[lib] * t_f))
            s["ratio_cpu"].append(cpu / (nfe[lib] * c_f))
            s["train"].append(train)
            s["train_cpu"].append(train_cpu)
    results = {}
    for lib, s in samples.items():
        results[lib] = {k: statistics.median(v) for k, v in s.items()}
        results[lib].update(
            nfe=nfe[lib], nfe_train=nfe[lib + "_train"], memory=peak_memory(runners[lib][1])
        )
    return results


def bare_anderson(f, z0: torch.Tensor, tol: float, max_steps: int, m: int = 5) -> torch.Tensor:
    """Calibration only: the least work type-II Anderson can do per step in eager PyTorch.

    Per step: two in-place history writes, one projection of the residual on the history
    (one batched product), the new Gram row from it plus one norm, one batched small solve,
    one mixing product, and a batch-wide stopping test (one norm, one sync). No per-sample
    status, best-iterate tracking, divergence checks or singular-system safeguard; histories
    are allocated once and reused across calls (no page faults). Its overhead ratio is the
    floor this machine allows for Anderson-type methods."""
    batch, n = z0.shape
    key = (batch, n, m, z0.dtype)
    if _BARE_BUFFERS.get("key") != key:
        _BARE_BUFFERS.update(key=key, d_r=z0.new_zeros(batch, m, n), d_f=z0.new_zeros(batch, m, n))
    d_r, d_f = _BARE_BUFFERS["d_r"].zero_(), _BARE_BUFFERS["d_f"].zero_()
    d_r_t = d_r.transpose(1, 2)
    gram = torch.eye(m, dtype=z0.dtype).expand(batch, m, m).clone()
    z = z0
    fz = f(z)
    r = fz - z
    r_prev = f_prev = p_prev = None
    for k in range(max_steps):
        if float(torch.linalg.vector_norm(r, dim=1).max()) <= tol:
            break
        new = fz
        if k:
            j = (k - 1) % m
            torch.sub(r, r_prev, out=d_r[:, j])
            torch.sub(fz, f_prev, out=d_f[:, j])
            p = torch.bmm(r.unsqueeze(1), d_r_t).squeeze(1)
            size = torch.linalg.vector_norm(d_r[:, j], dim=1)
            p_prev[:, j] = p[:, j] - (1 + 1e-6) * size * size
            row = p - p_prev
            gram[:, j] = row
            gram[:, :, j] = row
            gamma = torch.linalg.solve_ex(gram, p.unsqueeze(2))[0]
            new = torch.baddbmm(fz.unsqueeze(1), gamma.transpose(1, 2), d_f, alpha=-1).squeeze(1)
            p_prev = p
        else:
            p_prev = torch.zeros(batch, m, dtype=z0.dtype)
        r_prev, f_prev = r, fz
        z = new
        fz = f(z)
        r = fz - z
    return z


_BARE_BUFFERS: dict = {}


def residual_of(layer: Layer, z: torch.Tensor) -> float:
    with torch.no_grad():
        return float((layer.cell()(z) - z).norm(dim=1).max())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--tol", type=float, default=1e-4)
    parser.add_argument("--max-steps", type=int, default=300)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--cases", nargs="*", default=list(CASES))
    parser.add_argument("--out", default=None, help="write a markdown table here")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    rows = []
    for case in args.cases:
        layer = Layer(*CASES[case])
        print(
            f"[{case}] W: {CASES[case][0]}, spectral norm {CASES[case][1]}, injection scale {CASES[case][2]}"
        )
        for ours, theirs in PAIRS:
            runners = {
                "attractor": attractor_runner(layer, ours, args.tol, args.max_steps),
                "torchdeq": torchdeq_runner(layer, theirs, args.tol, args.max_steps),
            }
            results = measure_pair(layer, runners, args.repeats)
            for lib, name in (("attractor", ours), ("torchdeq", theirs)):
                r = results[lib]
                out = runners[lib][0]()
                value = out.value if lib == "attractor" else out[0][-1]
                r.update(case=case, lib=lib, solver=name, residual=residual_of(layer, value))
                rows.append(r)
                print(
                    f"  {lib:9s} {name:16s} fwd {r['wall'] * 1e3:8.2f} ms (cpu {r['cpu'] * 1e3:8.2f})  nfe {r['nfe']:4d}  "
                    f"ratio {r['ratio']:5.2f} (cpu {r['ratio_cpu']:5.2f})  fwd+bwd {r['train'] * 1e3:8.2f} ms "
                    f"(cpu {r['train_cpu'] * 1e3:8.2f}, nfe {r['nfe_train']:4d})  peak {r['memory']:7.1f} MB  "
                    f"res {r['residual']:.1e}",
                    flush=True,
                )

        def floor(layer=layer):
            return bare_anderson(layer.cell(), torch.zeros(BATCH, WIDTH), args.tol, args.max_steps)

        reference = {"attractor": (floor, lambda: None)}
        with torch.no_grad():
            r = measure_pair(layer, reference, args.repeats)["attractor"]
        r.update(
            case=case,
            lib="reference",
            solver="bare Anderson loop (floor)",
            train=float("nan"),
            train_cpu=float("nan"),
            nfe_train=0,
            memory=float("nan"),
            residual=float("nan"),
        )
        rows.append(r)
        print(
            f"  reference bare Anderson loop fwd {r['wall'] * 1e3:8.2f} ms  nfe {r['nfe']:4d}  ratio {r['ratio']:5.2f} "
            f"(cpu {r['ratio_cpu']:5.2f})",
            flush=True,
        )
        for solver, adjoint in EXTRA:
            runners = {
                "attractor": attractor_runner(layer, solver, args.tol, args.max_steps, adjoint)
            }
            r = measure_pair(layer, runners, args.repeats)["attractor"]
            r.update(
                case=case,
                lib="attractor",
                solver=f"{solver} + {adjoint} adjoint",
                residual=residual_of(layer, runners["attractor"][0]().value),
            )
            rows.append(r)
            print(
                f"  attractor {r['solver']:16s} fwd {r['wall'] * 1e3:8.2f} ms  fwd+bwd {r['train'] * 1e3:8.2f} ms",
                flush=True,
            )
    if args.out:
        write_markdown(args.out, rows, args)


def write_markdown(path: str, rows: list[dict], args) -> None:
    header = (
        f"Date: {datetime.date.today().isoformat()}. Machine: {platform.machine()} "
        f"({os.cpu_count()} cores, shared), torch {torch.__version__}, {args.threads} thread(s), CPU only."
    )
    setup = (
        f"Layer z = tanh(Wz + Ux + b), batch {BATCH}, width {WIDTH}, float32; tolerance {args.tol:g} "
        f"(absolute, per sample, l2) forward and backward; max {args.max_steps} steps; medians of "
        f"{args.repeats} interleaved runs. Backward: implicit (IFT) with the same solver as forward."
    )
    lines = [
        "## DEQ benchmark: attractor vs TorchDEQ",
        "",
        header,
        setup,
        "",
        (
            "| case | solver | library | fwd ms | nfe | overhead wall/(nfe·t_f) | overhead (CPU time) "
            "| fwd+bwd ms | nfe fwd+bwd | peak MB (fwd+bwd) | residual |"
        ),
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]

    def cell(value: float, spec: str) -> str:
        return "–" if math.isnan(value) else format(value, spec)  # NaN: not measured

    for r in rows:
        lines.append(
            f"| {r['case']} | {r['solver']} | {r['lib']} | {r['wall'] * 1e3:.1f} | {r['nfe']} | "
            f"{r['ratio']:.2f} | {r['ratio_cpu']:.2f} | {cell(r['train'] * 1e3, '.1f')} | "
            f"{r['nfe_train'] or '–'} | {cell(r['memory'], '.1f')} | {cell(r['residual'], '.1e')} |"
        )
    with open(path, "w") as fh:
        fh.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
