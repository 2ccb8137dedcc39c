"""Independent cross-check of the largest Lyapunov exponent for registry systems.

Why: the registry sweep (``bench_lyapunov.py --registry``) compares attractor's λ1 with a
reference, which for most flows is the dysts database's ``maximum_lyapunov_estimated``. Where
the two disagree, either attractor (its vector field or its estimator) or the reference is
wrong. This script decides which by computing λ1 a second way that shares no code with
attractor:

1. *Same equations?* attractor's vector field is compared with dysts's right-hand side at
   points of dysts's own trajectory (same parameters): the largest relative difference is
   reported.
2. *Independent estimate.* dysts's right-hand side (NumPy) is integrated with SciPy's DOP853
   at ``rtol = 1e-10`` together with the variational equation ``Q' = J Q``, ``J`` by central
   differences of dysts's right-hand side; the frame is re-orthonormalised by QR every
   quarter period (Benettin et al., Meccanica 15, 1980). Several initial states (dysts's
   reference state, kicked and decorrelated by a long transient) give a mean and a standard
   error.

Usage::

    python benchmarks/crosscheck_lyapunov.py --only sprott_g,aizawa [--periods 120 --members 4]
    python benchmarks/crosscheck_lyapunov.py              # rebuild the table only

Each system's row is appended to ``benchmarks/_out/crosscheck_rows.jsonl``; the table (all
rows so far) is written to ``benchmarks/results/lyapunov_crosscheck.md``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import pathlib
import sys
import time
import warnings

import numpy as np
from bench_lyapunov import ROWS_LOG, _append, _read_rows  # the registry sweep's row log

HERE = pathlib.Path(__file__).resolve().parent
ROWS = HERE / "_out" / "crosscheck_rows.jsonl"
OUT = HERE / "results" / "lyapunov_crosscheck.md"


def dysts_model(name: str):
    warnings.filterwarnings("ignore", message="Numba not installed")
    from dysts import flows

    camel = "".join(part.capitalize() for part in name.split("_"))
    aliases = {"ForcedFitzhughNagumo": "ForcedFitzHughNagumo", "BeerRnn": "BeerRNN"}
    return getattr(flows, aliases.get(camel, camel))()


def _rhs(model):
    # dysts's public right-hand side: its compiled `_rhs` where a system has one, else the
    # Python `rhs` of the systems written with parameter arrays
    def f(y):
        return np.asarray(model.rhs(y, 0.0), dtype=np.float64)

    return f


def _jacobian(f, y: np.ndarray) -> np.ndarray:
    d = y.size
    jac = np.empty((d, d))
    for j in range(d):
        h = 1e-6 * max(1.0, abs(y[j]))
        e = np.zeros(d)
        e[j] = h
        jac[:, j] = (f(y + e) - f(y - e)) / (2 * h)
    return jac


def field_difference(name: str, model, n_points: int = 50) -> float:
    """Largest relative difference between attractor's field and dysts's on dysts's orbit."""
    import torch

    from attractor.systems import get

    system = get(name)
    f = _rhs(model)
    from scipy.integrate import solve_ivp

    sol = solve_ivp(lambda t, y: f(y), (0.0, 20 * model.period), np.asarray(model.ic, float),
                    method="DOP853", rtol=1e-9, atol=1e-11, t_eval=np.linspace(0, 20 * model.period, n_points))
    pts = sol.y.T
    ours = system(torch.tensor(0.0, dtype=torch.float64), torch.tensor(pts, dtype=torch.float64)).numpy()
    theirs = np.stack([f(p) for p in pts])
    scale = np.abs(theirs).max(axis=1, keepdims=True).clip(min=1e-12)
    return float((np.abs(ours - theirs) / scale).max())


def benettin(f, y0: np.ndarray, period: float, periods: float, rng) -> float:
    """λ1 from one orbit: transient of 50 periods, then ``periods`` periods of averaging."""
    from scipy.integrate import solve_ivp

    d = y0.size
    y = y0 + 1e-3 * rng.standard_normal(d) * max(1.0, float(np.sqrt(np.mean(y0**2))))
    y = solve_ivp(lambda t, z: f(z), (0.0, 50 * period), y, method="DOP853", rtol=1e-10, atol=1e-12).y[:, -1]

    def aug(t, z):
        state, q = z[:d], z[d:].reshape(d, d)
        return np.concatenate([f(state), (_jacobian(f, state) @ q).ravel()])

    q = np.linalg.qr(rng.standard_normal((d, d)))[0]
    tau = period / 4
    n = math.ceil(periods * 4)
    n_align = 40  # intervals (10 periods) to align the frame before averaging
    total = 0.0
    for i in range(n + n_align):
        z = solve_ivp(aug, (0.0, tau), np.concatenate([y, q.ravel()]), method="DOP853",
                      rtol=1e-10, atol=1e-12).y[:, -1]
        y = z[:d]
        q, r = np.linalg.qr(z[d:].reshape(d, d))
        if i >= n_align:
            total += math.log(abs(r[0, 0]))
    return total / (n * tau)


def crosscheck(name: str, periods: float, members: int) -> dict:
    from attractor.systems import get

    model = dysts_model(name)
    f = _rhs(model)
    start = time.perf_counter()
    rng = np.random.default_rng(0)
    lams = [benettin(f, np.asarray(model.ic, float), model.period, periods, rng) for _ in range(members)]
    ref = get(name).reference
    return {
        "name": name,
        "field_diff": field_difference(name, model),
        "lambda1": float(np.mean(lams)),
        "stderr": float(np.std(lams, ddof=1) / math.sqrt(members)) if members > 1 else float("nan"),
        "members": lams,
        "periods": periods,
        "period": model.period,
        "reference": ref.max_lyapunov,
        "source": ref.source,
        "dysts_estimate": float(model.maximum_lyapunov_estimated),
        "wall": time.perf_counter() - start,
    }


def table(rows: dict[str, dict]) -> str:
    lines = [
        "## Independent cross-check of λ1 (SciPy DOP853 on dysts's equations)",
        "",
        (f"{datetime.date.today().isoformat()}. Script: `benchmarks/crosscheck_lyapunov.py` (method in its "
        "docstring: dysts's right-hand side, SciPy DOP853 at rtol 1e-10 with the variational "
        "equation, QR every quarter period, averaged over several decorrelated orbits). "
        "`field diff` = largest relative difference between attractor's vector field and "
        "dysts's at 50 points of dysts's orbit. `attractor` = the registry sweep's λ1 "
        "(`results/systems_registry.md`)."),
        "",
        "| system | field diff | λ1 independent | ± | periods × orbits | attractor λ1 | ± | reference | ref source | dysts estimate |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    from attractor.systems import get

    registry = _read_rows(ROWS_LOG)
    for name in sorted(rows):
        r = rows[name]
        ref = get(name).reference  # today's reference, which may be newer than the row
        ours, ours_err = registry.get(name, {}).get("lam1"), registry.get(name, {}).get("se")
        lines.append(
            f"| {name} | {r['field_diff']:.1e} | {r['lambda1']:.4g} | {r['stderr']:.2g} | "
            f"{r['periods']:g} × {len(r['members'])} | {'—' if ours is None else f'{ours:.4g}'} | "
            f"{'—' if ours_err is None else f'{ours_err:.2g}'} | {ref.max_lyapunov:.4g} | "
            f"{ref.source.split(':')[0].split('(')[0].strip()} | {r['dysts_estimate']:.4g} |"
        )
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="", help="comma-separated registry names (none: only rebuild the table)")
    parser.add_argument("--periods", type=float, default=120.0)
    parser.add_argument("--members", type=int, default=4)
    args = parser.parse_args()
    ROWS.parent.mkdir(exist_ok=True)
    for name in [n.strip() for n in args.only.split(",") if n.strip()]:
        row = crosscheck(name, args.periods, args.members)
        print(json.dumps(row), flush=True)
        _append(ROWS, row)
    OUT.write_text(table(_read_rows(ROWS)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
