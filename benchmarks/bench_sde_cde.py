"""SDE and CDE benchmark: attractor vs torchsde and torchcde, side by side in one process.

(1) SDE: MLP drift (16 -> 64 -> 64 -> 16, tanh) and diagonal diffusion 0.2 sigmoid(a y + b),
batch 512, 100 steps of dt = 0.01 on [0, 1], float32, CPU. For each solver pair (Ito: euler,
milstein; Stratonovich: heun, midpoint, reversible_heun; additive noise: srk) the forward
solve (no grad) and forward + backward (loss mean(y_T^2), gradients for all parameters and
y0) with direct backpropagation, plus the adjoints: the stochastic adjoint (ours "backsolve",
torchsde ``sdeint_adjoint`` with the midpoint adjoint solver) and reversible Heun's exact
adjoint (ours "reversible", torchsde ``adjoint_reversible_heun``). Each library uses its own
default Brownian motion; torchsde is also run with a BrownianInterval built outside the timed
region with Python-float end points ("torchsde, bm given"), because its default one, built
from float32 tensor end points, costs seconds per call in torchsde 0.2.6.

(2) Neural CDE: 128 irregular series of length 100 (time + 2 channels, 30% of values
missing), natural cubic spline, hidden 32, vector field MLP 32 -> 64 -> 32 x 3 (tanh); rk4
with one step per mean knot spacing, and adaptive dopri5 (rtol 1e-4, atol 1e-6; ours with
``batch_error="rms"``, the error norm torchdiffeq uses, for the same acceptance rule); forward,
forward + backward (direct), and forward + backward with the backsolve adjoint.

Reported: median wall time over repeats, nfe (drift/diffusion or vector-field evaluations,
counted by one wrapper for both libraries), the overhead ratio wall / (nfe x t_f) with t_f one
evaluation (for forward + backward: one evaluation's forward and backward) measured from a
hand-written chain of evaluations timed in alternation with the solves, and the speed-up over
the peer. Run:
    python benchmarks/bench_sde_cde.py [--repeats 5] [--out benchmarks/results/sde_cde.md]
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
from torch import nn

import attractor
from attractor.cde import NaturalCubicSpline

try:
    import torchsde
except ImportError:  # pragma: no cover - peer optional
    torchsde = None
try:
    import torchcde
except ImportError:  # pragma: no cover - peer optional
    torchcde = None

BATCH, DIM, WIDTH, STEPS = 512, 16, 64, 100
SDE_PAIRS = [  # (label, ours, torchsde, sde_type, noise)
    ("euler", "euler", "euler", "ito", "diagonal"),
    ("milstein", "milstein", "milstein", "ito", "diagonal"),
    ("heun", "heun", "heun", "stratonovich", "diagonal"),
    ("midpoint", "midpoint", "midpoint", "stratonovich", "diagonal"),
    ("reversible_heun", "reversible_heun", "reversible_heun", "stratonovich", "diagonal"),
    ("srk (additive)", "srk", "srk", "ito", "additive"),
]


def interleaved(fns: dict, repeats: int, warmup: bool = True) -> dict:
    """Median wall time of each function, timed in alternation so that load changes on the
    shared machine hit all of them alike."""
    if warmup:
        for fn in fns.values():
            fn()
    times = {k: [] for k in fns}
    for _ in range(repeats):
        for k, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[k].append(time.perf_counter() - start)
    return {k: statistics.median(v) for k, v in times.items()}


class Counter:
    def __init__(self):
        self.f = self.g = 0

    def reset(self):
        self.f = self.g = 0


class Fields(nn.Module):
    """Drift and diffusion; also the torchsde SDE object (``f``/``g`` with counters)."""

    def __init__(self, noise: str, sde_type: str):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(DIM, WIDTH), nn.Tanh(), nn.Linear(WIDTH, WIDTH),
                                 nn.Tanh(), nn.Linear(WIDTH, DIM))
        self.a = nn.Parameter(0.5 * torch.randn(DIM))
        self.b = nn.Parameter(torch.zeros(DIM))
        self.noise_type = noise
        self.sde_type = sde_type
        self.count = Counter()

    def f(self, t, y):
        self.count.f += 1
        return self.net(y)

    def g(self, t, y):
        self.count.g += 1
        if self.noise_type == "additive":
            return (0.2 * torch.sigmoid(self.b)).expand(y.shape[0], DIM).diag_embed()
        return 0.2 * torch.sigmoid(self.a * y + self.b)

    def g_ours(self, t, y):
        self.count.g += 1
        if self.noise_type == "additive":
            return (0.2 * torch.sigmoid(self.b)).expand(y.shape)
        return 0.2 * torch.sigmoid(self.a * y + self.b)


def eval_chains(fields: Fields, y0):
    """Hand-written chains of STEPS evaluations ``y <- y + f(y) h + g(y) dW`` with pregenerated
    noise, forward only and forward + backward: the cost of the evaluations themselves inside a
    solve, without any solver. Timed in alternation with the solves (the machine is shared, so
    t_f must be measured under the same load as the wall times it divides)."""
    t = torch.tensor(0.0)
    params = list(fields.parameters())
    dW = 0.1 * torch.randn(STEPS, *y0.shape)

    def chain(y):
        for n in range(STEPS):
            y = y + fields.f(t, y) * (1 / STEPS) + fields.g_ours(t, y) * dW[n]
        return y

    def fwd():
        with torch.no_grad():
            chain(y0)

    def fwd_bwd():
        y = y0.detach().requires_grad_()
        torch.autograd.grad(chain(y).square().mean(), [y, *params], allow_unused=True)

    return fwd, fwd_bwd


def sde_runners(fields, y0, ts, ours, theirs, sde_type, noise, grad, adjoint, their_adjoint):
    """Closures solving the benchmark SDE with attractor and with torchsde (same settings)."""
    params = list(fields.parameters())

    def run_ours():
        y = y0.detach().requires_grad_(grad)
        with torch.set_grad_enabled(grad):
            sol = attractor.sdeint(fields.f, fields.g_ours, y, ts, dt=1 / STEPS, solver=ours,
                                   sde_type=sde_type, noise=noise, adjoint=adjoint)
            if grad:
                torch.autograd.grad(sol.ys[-1].square().mean(), [y, *params], allow_unused=True)

    def run_theirs(bm_given=True):
        y = y0.detach().requires_grad_(grad)
        bm = None
        if bm_given:  # torchsde's recommended set-up: float end points and the step as hint
            levy = "space-time" if theirs == "srk" else "none"
            bm = torchsde.BrownianInterval(t0=0.0, t1=1.0, size=(BATCH, DIM), dt=1 / STEPS,
                                           levy_area_approximation=levy)
        with torch.set_grad_enabled(grad):
            if their_adjoint is None:
                ys = torchsde.sdeint(fields, y, ts, dt=1 / STEPS, method=theirs, bm=bm)
            else:
                ys = torchsde.sdeint_adjoint(fields, y, ts, dt=1 / STEPS, method=theirs,
                                             adjoint_method=their_adjoint, bm=bm,
                                             adjoint_params=params)
            if grad:
                torch.autograd.grad(ys[-1].square().mean(), [y, *params], allow_unused=True)

    return run_ours, run_theirs


def sde_rows(repeats: int):
    rows = []
    ts = torch.linspace(0, 1, 2)
    y0 = torch.randn(BATCH, DIM)
    for label, ours, theirs, sde_type, noise in SDE_PAIRS:
        torch.manual_seed(0)
        fields = Fields(noise, sde_type)
        chain_f, chain_fb = eval_chains(fields, y0)
        modes = [("forward", "direct", None), ("fwd+bwd", "direct", None)]
        if label == "heun":
            modes.append(("fwd+bwd", "backsolve", "midpoint"))
        if label == "reversible_heun":
            modes.append(("fwd+bwd", "reversible", "adjoint_reversible_heun"))
        for mode, adjoint, their_adjoint in modes:
            grad = mode != "forward"
            run_ours, run_theirs = sde_runners(fields, y0, ts, ours, theirs, sde_type, noise,
                                               grad, adjoint, their_adjoint)
            fields.count.reset()
            run_ours()
            nfe_ours = (fields.count.f, fields.count.g)
            fns = {"ours": run_ours, "chain": chain_fb if grad else chain_f}
            if torchsde is not None:
                fields.count.reset()
                run_theirs()
                nfe_theirs = (fields.count.f, fields.count.g)
                fns["theirs"] = run_theirs
            walls = interleaved(fns, repeats)
            unit = walls["chain"] / STEPS * _forward_nfe(label)
            row = {"case": label, "mode": mode if adjoint == "direct" else f"fwd+bwd ({adjoint})",
                   "ours": walls["ours"], "nfe_ours": nfe_ours, "overhead": walls["ours"] / unit}
            if torchsde is not None:
                row["nfe_theirs"] = nfe_theirs
                row["theirs_bm"] = walls["theirs"]
                # torchsde's own default Brownian motion from float32 times: seconds per call
                row["theirs_default"] = interleaved({"d": lambda r=run_theirs: r(False)}, 1,
                                                    warmup=False)["d"]
                row["theirs_overhead"] = walls["theirs"] / unit
            rows.append(row)
            print(row, flush=True)
    return rows


def _forward_nfe(label) -> int:
    """Drift + diffusion evaluations of a forward solve (the unit the overhead counts; a
    Milstein derivative counts as one)."""
    per_step = {"euler": 1, "milstein": 2, "heun": 2, "midpoint": 2, "reversible_heun": 1,
                "srk (additive)": 2}[label]
    return per_step * STEPS


# ----------------------------------------------------------------------------- CDE
N_SERIES, LENGTH, HIDDEN, CDE_WIDTH = 128, 100, 32, 64


class CDEField(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(HIDDEN, CDE_WIDTH), nn.Softplus(),
                                 nn.Linear(CDE_WIDTH, HIDDEN * channels), nn.Tanh())
        self.channels = channels
        self.calls = 0

    def forward(self, t, z):
        self.calls += 1
        return self.net(z).view(*z.shape[:-1], HIDDEN, self.channels)


def cde_data(seed=0):
    g = torch.Generator().manual_seed(seed)
    t = torch.sort(torch.rand(LENGTH, generator=g)).values
    t = (t - t[0]) / (t[-1] - t[0])
    x = torch.cumsum(0.3 * torch.randn(N_SERIES, LENGTH, 2, generator=g), 1)
    drop = torch.rand(x.shape, generator=g) < 0.3
    drop[:, 0] = False
    x = torch.where(drop, torch.full_like(x, float("nan")), x)
    return torch.cat([t.expand(N_SERIES, LENGTH).unsqueeze(-1), x], -1), t


def cde_rows(repeats: int):
    rows = []
    x, t = cde_data()
    ours_X = NaturalCubicSpline(x, t)
    their_X = torchcde.CubicSpline(torchcde.natural_cubic_coeffs(x, t), t) if torchcde else None
    torch.manual_seed(0)
    field = CDEField(3)
    z0 = torch.randn(N_SERIES, HIDDEN)
    params = list(field.parameters())
    h = 1.0 / (LENGTH - 1)
    ends = t[[0, -1]]
    tq = torch.tensor(0.5)
    dX = ours_X.derivative(tq)

    def chain(z):  # hand-written chain of LENGTH evaluations: the cost of the evaluations alone
        for _ in range(LENGTH):
            z = z + h * (field(tq, z) @ dX.unsqueeze(-1)).squeeze(-1)
        return z

    def f_only():
        with torch.no_grad():
            chain(z0)

    def f_fb():
        z = z0.detach().requires_grad_()
        torch.autograd.grad(chain(z).square().mean(), [z, *params], allow_unused=True)

    cases = [("rk4, step 1/99", "rk4", {"dt": h}, "rk4", {"options": {"step_size": h}}),
             ("dopri5, rtol 1e-4", "dopri5", {"rtol": 1e-4, "atol": 1e-6, "batch_error": "rms"},
              "dopri5",
              {"rtol": 1e-4, "atol": 1e-6})]
    for label, ours, ours_kw, theirs, theirs_kw in cases:
        for mode in ("forward", "fwd+bwd", "fwd+bwd (backsolve)"):
            grad = mode != "forward"
            adjoint = "backsolve" if "backsolve" in mode else "direct"
            run_ours, run_theirs = cde_runners(field, ours_X, their_X, z0, ends, ours, ours_kw,
                                               theirs, theirs_kw, grad, adjoint)
            field.calls = 0
            run_ours()
            nfe = field.calls
            fns = {"ours": run_ours, "chain": f_fb if grad else f_only}
            if torchcde is not None:
                field.calls = 0
                run_theirs()
                nfe_theirs = field.calls
                fns["theirs"] = run_theirs
            walls = interleaved(fns, repeats)
            t_eval = walls["chain"] / LENGTH  # forward, or forward + backward, per evaluation
            field.calls = 0  # forward evaluations only: the overhead unit
            with torch.no_grad():
                attractor.cdeint(field, ours_X, z0, ends, solver=ours, **ours_kw)
            unit = t_eval * field.calls
            row = {"case": f"CDE {label}", "mode": mode, "ours": walls["ours"], "nfe_ours": (nfe,),
                   "overhead": walls["ours"] / unit}
            if torchcde is not None:
                field.calls = 0
                with torch.no_grad():
                    torchcde.cdeint(their_X, field, z0, ends, method=theirs, **theirs_kw)
                their_unit = t_eval * field.calls
                row.update(nfe_theirs=(nfe_theirs,), theirs_bm=walls["theirs"],
                           theirs_default=walls["theirs"],
                           theirs_overhead=walls["theirs"] / their_unit)
            rows.append(row)
            print(row, flush=True)
    return rows


def cde_runners(field, ours_X, their_X, z0, ends, ours, ours_kw, theirs, theirs_kw, grad,
                adjoint):
    params = list(field.parameters())

    def run_ours():
        z = z0.detach().requires_grad_(grad)
        with torch.set_grad_enabled(grad):
            sol = attractor.cdeint(field, ours_X, z, ends, solver=ours, adjoint=adjoint, **ours_kw)
            if grad:
                torch.autograd.grad(sol.ys[-1].square().mean(), [z, *params], allow_unused=True)

    def run_theirs():
        z = z0.detach().requires_grad_(grad)
        with torch.set_grad_enabled(grad):
            kw = dict(theirs_kw)
            if adjoint == "backsolve":
                kw["adjoint_params"] = (*params, z)
            zs = torchcde.cdeint(their_X, field, z, ends, method=theirs,
                                 adjoint=adjoint == "backsolve", **kw)
            if grad:
                torch.autograd.grad(zs[:, -1].square().mean(), [z, *params], allow_unused=True)

    return run_ours, run_theirs


def render(sde, cde, repeats: int) -> str:
    now = datetime.date.today().isoformat()
    lines = [
        "## SDE and CDE (attractor vs torchsde / torchcde)",
        "",
        (f"{now}; {platform.processor() or platform.machine()}, torch {torch.__version__}, "
        f"{torch.get_num_threads()} thread(s), CPU, float32; median of {repeats} repeats. "
        "Set-up in `benchmarks/bench_sde_cde.py`. `nfe`: drift/diffusion evaluations (f, g) or "
        "vector-field evaluations; overhead = wall / (forward evaluations x t_f), with t_f the "
        "forward (or forward + backward) cost of one evaluation, timed in alternation with the "
        "solves; "
        "speed-up = peer / attractor."),
        "",
        ("| case | mode | attractor ms | nfe | overhead | peer ms | peer nfe | peer overhead "
        "| speed-up | peer ms (default bm) |"),
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in sde + cde:
        peer = r.get("theirs_bm", math.nan)
        lines.append(
            f"| {r['case']} | {r['mode']} | {1e3 * r['ours']:.1f} | "
            f"{'/'.join(map(str, r['nfe_ours']))} | {r['overhead']:.2f} | {1e3 * peer:.1f} | "
            f"{'/'.join(map(str, r.get('nfe_theirs', ())))} | {r.get('theirs_overhead', math.nan):.2f} | "
            f"{peer / r['ours']:.2f}x | {1e3 * r.get('theirs_default', math.nan):.0f} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--only", choices=["sde", "cde", "both"], default="both")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results",
                                                      "sde_cde.md"))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    sde = sde_rows(args.repeats) if args.only in ("sde", "both") else []
    cde = cde_rows(args.repeats) if args.only in ("cde", "both") else []
    text = render(sde, cde, args.repeats)
    print(text)
    with open(args.out, "w") as fh:
        fh.write(text)


if __name__ == "__main__":
    main()
