"""Transport benchmark: samplers, flow-matching training and parallel sampling, with the peers.

(1) Samplers at fixed nfe on exact Gaussian-mixture models (8 components, 2-D and 64-D,
float32): every sampler starts from the same noise and its error is the RMS distance (per
coordinate) of its samples from the exact probability-flow solution from that noise (dopri8
at rtol 1e-10 in float64, :meth:`MixtureField.exact_flow`). The model is the exact field,
evaluated in the parametrization each library asks for, at the noise level the library says
the state is at: diffusers' schedulers get epsilon at ``alphas_cumprod[t]`` of their own
1000-step linear-beta schedule (1e-4 to 0.02; DDIM with ``set_alpha_to_one``, DPM-Solver++ and
UniPC with ``final_sigmas_type="zero"``), HeunDiscrete at ``sigmas[step_index]``,
k-diffusion's samplers get the denoiser ``D(x; sigma)`` in its variance-exploding coordinates
(``x / sqrt(1 + sigma^2)`` is our VP state), on its Karras schedule (rho 7, sigma_min 0.002),
and flow_matching's ODE solver gets the velocity of the linear path. "VP" problems start at
diffusers' first noise level (sigma = 157, timestep 999) and end at the data; ours run on
``VPPath("cosine")`` started at that noise level (only the noise levels of a Gaussian path
matter). "linear" problems start from pure noise at ``t = 0`` of the linear path (the
flow-matching convention) and end at ``t = 1``. The overhead ratio is the wall time over the
time spent in the model, both measured in the same run (the model is timed call by call:
its cost depends on the noise level).

(2) Stochastic samplers (2-D): sliced 2-Wasserstein distance of 8192 samples to 8192 fresh
target samples (the floor row: two target draws).

(3) Training: OT-CFM from 8 Gaussians to two moons, torchcfm's tutorial set-up (MLP 3 -> 64
-> 64 -> 64 -> 2 with SELU, Adam 1e-3, batch 256, sigma 0.1, exact minibatch OT) with the same
initial weights and the same minibatches for both libraries (ours with either assignment
backend: SciPy's linear_sum_assignment, or POT's network simplex as torchcfm uses); W2 (exact, 2000 samples) of the
samples (our dopri5 at rtol 1e-5 on both trained networks) to fresh moons, and training wall
time. (4) Parallel sampling: DDIM chains of 100 and 1000 steps on the 2-D exact model, one
window over the whole chain, Picard and Anderson, against the sequential chain.

k-diffusion is loaded without its package ``__init__`` and with a stub for ``torchvision``
(which its sampling module imports only for image I/O): its wheel's declared dependencies pull
a CUDA build of torch. Run:
    python benchmarks/bench_transport.py [--repeats 3] [--quick] [--out benchmarks/results/transport.md]
"""

from __future__ import annotations

import argparse
import copy
import datetime
import importlib
import importlib.util
import math
import pathlib
import platform
import statistics
import sys
import time
import types

import torch

import attractor.transport as tr

HERE = pathlib.Path(__file__).resolve().parent
NFES = (5, 10, 20, 50)
SIGMA_MIN = 0.002


def load_kdiffusion():
    spec = importlib.util.find_spec("k_diffusion")
    if spec is None:
        return None
    root = pathlib.Path(spec.origin).parent
    pkg = types.ModuleType("k_diffusion")
    pkg.__path__ = [str(root)]
    sys.modules.setdefault("k_diffusion", pkg)
    if importlib.util.find_spec("torchvision") is None:
        tv, trs, fn = (types.ModuleType(n) for n in ("torchvision", "torchvision.transforms",
                                                    "torchvision.transforms.functional"))
        tv.transforms, trs.functional = trs, fn
        sys.modules.update({"torchvision": tv, "torchvision.transforms": trs,
                            "torchvision.transforms.functional": fn})
    return importlib.import_module("k_diffusion.sampling")


def optional(name):
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


diffusers = optional("diffusers")
torchcfm = optional("torchcfm")
flow_matching_solver = optional("flow_matching.solver")
K = load_kdiffusion()


class TimedField(tr.TransportField):
    """The exact field with every prediction timed (the model time of the overhead ratio)."""

    def __init__(self, field):
        self.inner, self.path = field, field.path
        self.seconds = 0.0
        self.calls = 0

    def predict(self, kind, x, t, cond=None):
        start = time.perf_counter()
        out = self.inner.predict(kind, x, t)
        self.seconds += time.perf_counter() - start
        self.calls += 1
        return out


# --------------------------------------------------------------------------- problems
def ddpm_sigma_max() -> float:
    betas = torch.linspace(1e-4, 0.02, 1000, dtype=torch.float64)
    abar = torch.cumprod(1 - betas, 0)[-1]
    return float(((1 - abar) / abar).sqrt())


class Problem:
    def __init__(self, dim: int, batch: int, kind: str):
        self.dim, self.batch, self.kind = dim, batch, kind
        self.target = tr.GaussianMixture.random(8, dim, seed=dim, scale=2.0, std=(0.3, 0.8))
        # references and peers on the cosine VP path, which reaches every noise level; our
        # samplers on DDPM's continuous linear-beta schedule (the peers' schedule)
        self.path = tr.VPPath("cosine") if kind == "VP" else tr.LinearPath()
        self.field = tr.MixtureField(self.path, self.target)
        self.ours = tr.MixtureField(tr.VPPath(), self.target) if kind == "VP" else self.field
        self.sigma_max = ddpm_sigma_max() if kind == "VP" else math.inf
        self.t_start = float(self.path.t_of_sigma(self.sigma_max)) if kind == "VP" else 0.0
        self.noise = torch.randn(batch, dim, generator=torch.Generator().manual_seed(1))
        self._refs: dict[float, torch.Tensor] = {}

    def reference(self, sigma_start: float) -> torch.Tensor:
        """The exact flow of ``self.noise`` (a VP state at ``sigma_start``) to the data."""
        if sigma_start not in self._refs:
            t0 = 0.0 if math.isinf(sigma_start) else float(self.path.t_of_sigma(sigma_start))
            self._refs[sigma_start] = self.field.exact_flow(self.noise.double(), t0, 1.0).float()
        return self._refs[sigma_start]

    def error(self, samples: torch.Tensor, sigma_start: float) -> float:
        return float(((samples - self.reference(sigma_start)) ** 2).mean().sqrt())


# --------------------------------------------------------------------------- our samplers
def ours(problem: Problem):
    """name -> make(nfe) -> sampler"""
    if problem.kind == "VP":
        return {
            "DDIM": lambda n: tr.DDIM(n),
            "DPM-Solver++ 2M": lambda n: tr.DPMSolverPP(n, "uniform", order=2),
            "DPM-Solver++ 3M": lambda n: tr.DPMSolverPP(n, "uniform", order=3),
            "UniPC-2 bh2": lambda n: tr.UniPC(n, "uniform", order=2),
            "UniPC-3 bh2": lambda n: tr.UniPC(n, "uniform", order=3),
            "UniPC-3 bh2, logSNR grid": lambda n: tr.UniPC(n, "logsnr", order=3),
            "UniPC-3 bh2, Karras grid (sigma_min 0.02)": lambda n: tr.UniPC(n, tr.KarrasGrid(sigma_min=0.02), order=3),
            "SA-Solver 3/4 (tau=0)": lambda n: tr.SASolver(n, "uniform", tau=0.0),
            "EDM Heun": lambda n: tr.EDMHeun((n + 1) // 2, "uniform"),
            "EDM Heun, Karras grid": lambda n: tr.EDMHeun((n + 1) // 2, "karras"),
        }
    return {
        "Euler (= DDIM)": lambda n: tr.DDIM(n),
        "midpoint": lambda n: tr.ProbabilityFlowODE("midpoint", steps=n // 2),
        "Heun": lambda n: tr.ProbabilityFlowODE("heun", steps=n // 2),
        "DPM-Solver++ 2M": lambda n: tr.DPMSolverPP(n, "uniform", order=2),
        "DPM-Solver++ 3M": lambda n: tr.DPMSolverPP(n, "uniform", order=3),
        "UniPC-2 bh2": lambda n: tr.UniPC(n, "uniform", order=2),
        "UniPC-3 bh2": lambda n: tr.UniPC(n, "uniform", order=3),
        "SA-Solver 3/4 (tau=0)": lambda n: tr.SASolver(n, "uniform", tau=0.0),
    }


def run_ours(problem: Problem, sampler) -> tuple[torch.Tensor, int, float, float]:
    field = TimedField(problem.ours)
    t_start = 0.0 if problem.kind == "VP" else problem.t_start
    out = tr.sample(field, problem.noise, sampler, t_start=t_start)
    return out.samples, out.nfe, field.seconds, float(problem.ours.path.sigma(t_start))


# --------------------------------------------------------------------------- peers
def _vp_time(field_path, sigma: float) -> float:
    return float(field_path.t_of_sigma(torch.tensor(sigma, dtype=torch.float64)))


def diffusers_samplers():
    if diffusers is None:
        return {}
    common = {"beta_start": 1e-4, "beta_end": 0.02, "beta_schedule": "linear"}

    def ddim(n):
        s = diffusers.DDIMScheduler(clip_sample=False, set_alpha_to_one=True, timestep_spacing="trailing", **common)
        return s, n, "abar"

    def dpm(order):
        return lambda n: (diffusers.DPMSolverMultistepScheduler(solver_order=order, **common), n, "sigmas")

    def unipc(order):
        return lambda n: (diffusers.UniPCMultistepScheduler(solver_order=order, **common), n, "sigmas")

    def heun(n):
        return diffusers.HeunDiscreteScheduler(**common), (n + 1) // 2, "heun"
    return {"DDIM": ddim, "DPM-Solver++ 2M": dpm(2), "DPM-Solver++ 3M": dpm(3), "UniPC-2 bh2": unipc(2),
            "UniPC-3 bh2": unipc(3), "Heun (HeunDiscrete)": heun}


def run_diffusers(problem: Problem, make, nfe: int):
    scheduler, steps, mode = make(nfe)
    scheduler.set_timesteps(steps)
    field = TimedField(problem.field)
    abar = scheduler.alphas_cumprod.double()
    path = problem.path
    sample = problem.noise * scheduler.init_noise_sigma
    sigma_start = None
    for i, t in enumerate(scheduler.timesteps):
        if mode == "abar":
            sigma = float(((1 - abar[t]) / abar[t]).sqrt())
            model_in = sample
        else:
            index = scheduler.step_index if scheduler.step_index is not None else 0
            sigma = float(scheduler.sigmas[index if mode == "heun" else i])
            model_in = scheduler.scale_model_input(sample, t) if mode == "heun" else sample
        sigma_start = sigma if sigma_start is None else sigma_start
        eps = field.predict("noise", model_in, _vp_time(path, sigma))
        sample = scheduler.step(eps, t, sample).prev_sample
    return sample, field.calls, field.seconds, sigma_start


def kdiffusion_samplers():
    if K is None:
        return {}
    return {"Euler (k-diffusion)": (K.sample_euler, 1), "Heun (k-diffusion)": (K.sample_heun, 2),
            "DPM-Solver++ 2M (k-diffusion)": (K.sample_dpmpp_2m, 1), "LMS-4 (k-diffusion)": (K.sample_lms, 1),
            "DPM-2 (k-diffusion)": (K.sample_dpm_2, 2)}


def run_kdiffusion(problem: Problem, fn, per_step: int, nfe: int):
    steps = nfe if per_step == 1 else (nfe + 1) // 2
    sigmas = K.get_sigmas_karras(steps, SIGMA_MIN, problem.sigma_max, rho=7.0)
    field = TimedField(problem.field)
    path = problem.path

    def denoiser(x, sigma):  # k-diffusion's VE coordinates: x / sqrt(1 + sigma^2) is our VP state
        s = float(sigma.reshape(-1)[0])
        scale = 1.0 / math.sqrt(1.0 + s * s)
        return field.predict("data", x * scale, _vp_time(path, s))
    x = problem.noise * math.sqrt(1.0 + problem.sigma_max**2)
    out = fn(denoiser, x, sigmas, disable=True) if fn is not K.sample_lms else fn(denoiser, x, sigmas, disable=True, order=4)
    return out, field.calls, field.seconds, problem.sigma_max


def run_flow_matching(problem: Problem, method: str, nfe: int):
    per = {"euler": 1, "midpoint": 2}[method]
    steps = nfe // per
    field = TimedField(problem.field)

    class Velocity(torch.nn.Module):
        def forward(self, x, t, **extras):
            return field.predict("velocity", x, float(t))
    solver = flow_matching_solver.ODESolver(velocity_model=Velocity())
    out = solver.sample(x_init=problem.noise, step_size=1.0 / steps, method=method,
                        time_grid=torch.tensor([0.0, 1.0]))
    return out, field.calls, field.seconds, math.inf


# --------------------------------------------------------------------------- (1) samplers
def median_run(fn, repeats: int):
    walls, results = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        results = fn()
        walls.append(time.perf_counter() - start)
    return results, statistics.median(walls)


def sampler_table(problem: Problem, repeats: int, nfes=NFES) -> list[dict]:
    rows = []

    def record(name, library, nfe, fn):
        walls, ratios = [], []
        try:
            fn()  # warm-up (first-call allocations), untimed, for every library alike
            for _ in range(repeats):
                start = time.perf_counter()
                samples, used, model_s, sigma_start = fn()
                walls.append(time.perf_counter() - start)
                ratios.append(walls[-1] / model_s)
        except Exception as exc:  # a peer that fails on a setting is reported, not hidden
            rows.append({"sampler": name, "library": library, "nfe": nfe, "error": f"fails: {type(exc).__name__}",
                         "used": None, "overhead": None})
            return
        rows.append({"sampler": name, "library": library, "nfe": nfe, "used": used,
                     "error": problem.error(samples, sigma_start), "wall": statistics.median(walls),
                     "overhead": statistics.median(ratios)})

    for nfe in nfes:
        for name, make in ours(problem).items():
            def fn(make=make):
                return run_ours(problem, make(nfe))
            try:
                make(nfe)
            except ValueError:
                continue
            record(name, "attractor", nfe, fn)
        if problem.kind == "VP":
            for name, make in diffusers_samplers().items():
                record(name, "diffusers", nfe, lambda make=make: run_diffusers(problem, make, nfe))
            for name, (fn_, per) in kdiffusion_samplers().items():
                record(name, "k-diffusion", nfe, lambda f=fn_, p=per: run_kdiffusion(problem, f, p, nfe))
        elif flow_matching_solver is not None:
            for method in ("euler", "midpoint"):
                record(method, "flow_matching", nfe, lambda m=method: run_flow_matching(problem, m, nfe))
    return rows


def format_sampler_table(problem: Problem, rows: list[dict], nfes=NFES) -> list[str]:
    lines = [f"**{problem.kind} problem, {problem.dim}-D** (batch {problem.batch}): RMS error per coordinate "
             "against the exact flow (nfe used in brackets where it differs), and the overhead ratio "
             "(median over the nfe columns).", "",
             "| sampler | library | " + " | ".join(f"nfe {n}" for n in nfes) + " | overhead |",
             "|---|---|" + "---:|" * (len(nfes) + 1)]
    keys = list(dict.fromkeys((r["sampler"], r["library"]) for r in rows))
    best: dict[tuple[int, str], float] = {}
    for r in rows:
        if isinstance(r["error"], float) and r["used"] <= r["nfe"]:  # within the budget
            lib = "attractor" if r["library"] == "attractor" else "peers"
            k = (r["nfe"], lib)
            best[k] = min(best.get(k, math.inf), r["error"])
    for name, lib in keys:
        cells, overheads = [], []
        for n in nfes:
            r = next((r for r in rows if (r["sampler"], r["library"], r["nfe"]) == (name, lib, n)), None)
            if r is None:
                cells.append("–")
                continue
            if not isinstance(r["error"], float):
                cells.append(r["error"])
                continue
            note = f" ({r['used']})" if r["used"] not in (None, n) else ""
            cells.append(f"{r['error']:.2e}{note}")
            if r["overhead"] is not None:
                overheads.append(r["overhead"])
        oh = f"{statistics.median(overheads):.2f}" if overheads else "–"
        lines.append(f"| {name} | {lib} | " + " | ".join(cells) + f" | {oh} |")
    summary = []
    for n in nfes:
        a, p = best.get((n, "attractor")), best.get((n, "peers"))
        if a is not None and p is not None:
            summary.append(f"nfe {n}: {a:.2e} vs {p:.2e} ({p / a:.1f}x)")
    lines += ["", "Best attractor sampler vs best peer within each budget (error ratio peer/attractor): "
              + "; ".join(summary) + "."]
    return lines


# --------------------------------------------------------------------------- (2) stochastic
def stochastic_table(repeats: int, quick: bool) -> list[str]:
    problem = Problem(2, 8192, "VP")
    target = problem.target.sample(8192, generator=torch.Generator().manual_seed(7)).float()
    floor = tr.sliced_wasserstein(problem.target.sample(8192, generator=torch.Generator().manual_seed(8)).float(),
                                  target, projections=512, generator=torch.Generator().manual_seed(0))
    cases = []
    for n in (10, 20, 50):
        cases += [
            ("SDE (natural epsilon), Euler-Maruyama", "attractor", n, lambda n=n: tr.SDESampler(n)),
            ("DDIM eta=1 (DDPM)", "attractor", n, lambda n=n: tr.DDIM(n, eta=1.0)),
            ("SA-Solver 3/4 tau=1", "attractor", n, lambda n=n: tr.SASolver(n, tau=1.0)),
        ]
    lines = ["**Stochastic samplers, VP problem, 2-D**: sliced W2 to the target (8192 samples; "
             f"floor: two target draws {floor:.3f}).", "", "| sampler | library | nfe 10 | nfe 20 | nfe 50 |",
             "|---|---|---:|---:|---:|"]
    results: dict[tuple[str, str], dict[int, str]] = {}

    def sw(samples):
        return tr.sliced_wasserstein(samples.float(), target, projections=512, generator=torch.Generator().manual_seed(0))
    for name, lib, n, make in cases:
        out = tr.sample(problem.field, problem.noise, make(), t_start=problem.t_start,
                        generator=torch.Generator().manual_seed(3))
        results.setdefault((name, lib), {})[n] = f"{sw(out.samples):.3f}"
    if diffusers is not None:
        for n in (10, 20, 50):
            s = diffusers.DDIMScheduler(clip_sample=False, set_alpha_to_one=True, timestep_spacing="trailing",
                                        beta_start=1e-4, beta_end=0.02)
            s.set_timesteps(n)
            field = problem.field
            abar = s.alphas_cumprod.double()
            x = problem.noise.clone()
            g = torch.Generator().manual_seed(3)
            for t in s.timesteps:
                sigma = float(((1 - abar[t]) / abar[t]).sqrt())
                x = s.step(field.noise(x, _vp_time(problem.path, sigma)), t, x, eta=1.0, generator=g).prev_sample
            results.setdefault(("DDIM eta=1 (DDPM)", "diffusers"), {})[n] = f"{sw(x):.3f}"
    if K is not None:
        for name, fn in (("Euler ancestral", K.sample_euler_ancestral), ("DPM-Solver++ 2M SDE", K.sample_dpmpp_2m_sde),
                         ("DPM-Solver++ 3M SDE", K.sample_dpmpp_3m_sde)):
            for n in (10, 20, 50):
                torch.manual_seed(3)
                try:
                    out, *_ = run_kdiffusion(problem, fn, 1, n)
                    results.setdefault((name, "k-diffusion"), {})[n] = f"{sw(out):.3f}"
                except Exception as exc:
                    results.setdefault((name, "k-diffusion"), {})[n] = f"fails: {type(exc).__name__}"
    for (name, lib), cells in results.items():
        lines.append(f"| {name} | {lib} | " + " | ".join(cells.get(n, "–") for n in (10, 20, 50)) + " |")
    return lines


# --------------------------------------------------------------------------- (3) training
class MLP(torch.nn.Module):
    """torchcfm's ``MLP(dim=2, time_varying=True, w=64)`` architecture."""

    def __init__(self, w: int = 64):
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Linear(3, w), torch.nn.SELU(), torch.nn.Linear(w, w), torch.nn.SELU(),
                                       torch.nn.Linear(w, w), torch.nn.SELU(), torch.nn.Linear(w, 2))

    def forward(self, x, t):
        return self.net(torch.cat([x, t.reshape(-1, 1)], -1))


def training_table(steps: int, seeds: int) -> list[str]:
    sigma = 0.1
    rows = {"attractor (SciPy LSA)": [], "attractor (POT emd)": [], "torchcfm": []}
    for seed in range(seeds):
        torch.manual_seed(seed)
        base = MLP()
        g = torch.Generator().manual_seed(100 + seed)
        batches = [(tr.eight_gaussians(256, generator=g), tr.two_moons(256, generator=g)) for _ in range(steps)]
        eval_x0 = tr.eight_gaussians(2000, generator=g)
        eval_x1 = tr.two_moons(2000, generator=g)
        path = tr.StochasticInterpolant(epsilon=sigma**2, gamma="constant", source="data")
        libs = {"attractor (SciPy LSA)": "scipy", "attractor (POT emd)": "pot"}
        if torchcfm is not None:
            libs["torchcfm"] = torchcfm.ExactOptimalTransportConditionalFlowMatcher(sigma=sigma)
        for lib, fm in libs.items():
            net = copy.deepcopy(base)
            opt = torch.optim.Adam(net.parameters(), lr=1e-3)
            torch.manual_seed(1000 + seed)
            start = time.perf_counter()
            if lib.startswith("attractor"):
                loss = tr.TransportLoss(path, "velocity", coupling=tr.ExactOTCoupling(backend=fm))
                it = iter(batches)
                tr.train(net, loss, lambda n: next(it)[1], steps=steps, batch_size=256, optimizer=opt,
                         source=_aligned(batches))
            else:
                for x0, x1 in batches:
                    t, xt, ut = fm.sample_location_and_conditional_flow(x0, x1)
                    value = ((net(xt, t) - ut) ** 2).mean()
                    opt.zero_grad(set_to_none=True)
                    value.backward()
                    opt.step()
            wall = time.perf_counter() - start
            with torch.no_grad():
                out = tr.sample(net, eval_x0, tr.ProbabilityFlowODE(rtol=1e-5, atol=1e-5), path=path)
            rows[lib].append((tr.wasserstein2(out.samples, eval_x1), wall, out.nfe))
    lines = [f"**OT-CFM training**, 8 Gaussians -> moons, {steps} steps, {seeds} seeds (median [min, max]).", "",
             "| library | W2 to data | train wall s | sampler nfe (dopri5) |", "|---|---:|---:|---:|"]
    for lib, vals in rows.items():
        if not vals:
            continue
        w2 = [v[0] for v in vals]
        wall = [v[1] for v in vals]
        lines.append(f"| {lib} | {statistics.median(w2):.3f} [{min(w2):.3f}, {max(w2):.3f}] | "
                     f"{statistics.median(wall):.1f} [{min(wall):.1f}, {max(wall):.1f}] | "
                     f"{statistics.median([v[2] for v in vals]):.0f} |")
    g = torch.Generator().manual_seed(5)
    floor = tr.wasserstein2(tr.two_moons(2000, generator=g), tr.two_moons(2000, generator=g))
    lines += ["", f"W2 between two draws of 2000 moons (the floor): {floor:.3f}."]
    return lines


def _aligned(batches):
    """The source batches in the order the target batches are drawn (both from ``batches``)."""
    it = iter(batches)
    return lambda n: next(it)[0]


# --------------------------------------------------------------------------- (4) parallel
def parallel_table(repeats: int) -> list[str]:
    problem = Problem(2, 1024, "VP")
    lines = ["**Parallel sampling** (DDIM on the 2-D exact model, batch 1024, tol 1e-5; one window over "
             "the chain unless stated): batched model calls (the sequential depth), model evaluations per "
             "sample, wall time on this CPU, and the largest deviation from the sequential chain.", "",
             "| steps | method | calls | nfe | wall ms | max deviation |", "|---:|---|---:|---:|---:|---:|"]
    for steps in (100, 1000):
        seq, wall = median_run(lambda: tr.sample(problem.field, problem.noise, tr.DDIM(steps), t_start=problem.t_start),
                               repeats)
        lines.append(f"| {steps} | sequential | {seq.stats['calls']} | {seq.nfe} | {wall * 1e3:.0f} | 0 |")
        for solver, window in (("picard", None), ("anderson", None), ("picard", steps // 10)):
            par, wall = median_run(lambda: tr.parallel_sample(problem.field, problem.noise, tr.DDIM(steps),
                                                              t_start=problem.t_start, solver=solver, tol=1e-5,
                                                              window=window, max_steps=200), repeats)
            dev = float((par.samples - seq.samples).abs().max())
            label = solver if window is None else f"{solver}, windows of {window}"
            lines.append(f"| {steps} | {label} | {par.stats['calls']} | {par.nfe} | {wall * 1e3:.0f} | {dev:.1e} |")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="fewer training steps and seeds")
    parser.add_argument("--out", default=str(HERE / "results" / "transport.md"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    sections = []
    for dim, batch in ((2, 4096), (64, 1024)):
        for kind in ("VP", "linear"):
            problem = Problem(dim, batch, kind)
            rows = sampler_table(problem, args.repeats)
            sections.append("\n".join(format_sampler_table(problem, rows)))
            print(sections[-1], flush=True)
    sections.append("\n".join(stochastic_table(args.repeats, args.quick)))
    print(sections[-1], flush=True)
    sections.append("\n".join(training_table(500 if args.quick else 3000, 1 if args.quick else 3)))
    print(sections[-1], flush=True)
    sections.append("\n".join(parallel_table(args.repeats)))
    print(sections[-1], flush=True)
    versions = ", ".join(f"{m.__name__.split('.')[0]} {getattr(sys.modules[m.__name__.split('.')[0]], '__version__', '?')}"
                         for m in (diffusers, torchcfm) if m is not None)
    header = [
        "## Transport: samplers, flow-matching training and parallel sampling",
        "",
        f"Date: {datetime.date.today()}. Machine: {platform.machine()} ({torch.get_num_threads()} thread), "
        f"torch {torch.__version__}, {versions}, flow_matching {'yes' if flow_matching_solver else 'no'}, "
        f"k-diffusion {'yes' if K else 'no'}. CPU only. Reproduce: `python benchmarks/bench_transport.py`.",
        "",
    ]
    pathlib.Path(args.out).write_text("\n".join(header) + "\n" + "\n\n".join(sections) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
