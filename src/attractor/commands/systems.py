"""``attractor systems``: list the registry of flows and maps with their reference values."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("systems", help="list the chaotic flows and maps in the registry")
    p.add_argument("--kind", choices=["flow", "map"], default=None, help="only flows or only maps")
    p.add_argument("--verbose", "-v", action="store_true", help="also show parameters and citations")
    p.set_defaults(func=run)


def parse_params(items: list[str] | None) -> dict[str, float]:
    """``["rho=35", "beta=2"]`` -> ``{"rho": 35.0, "beta": 2.0}`` (shared by the commands)."""
    params: dict[str, float] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep:
            raise SystemExit(f"--param expects NAME=VALUE; got {item!r}")
        try:
            params[key.strip()] = float(value)
        except ValueError:
            raise SystemExit(f"--param {key}: {value!r} is not a number") from None
    return params


def _fmt(v: float | None) -> str:
    return "—" if v is None else f"{v:.4g}"


SUSPECT = "*"  # marks a published λ1 that the project's own cross-check contradicts


def _why_suspect(ref) -> str:
    if ref.independent_max_lyapunov is not None:
        return (f"an independent recomputation gives {ref.independent_max_lyapunov:.4g} ± "
                f"{ref.independent_stderr:.2g}")
    return ref.suspect_note


def run(args: argparse.Namespace) -> int:
    from attractor.systems import get, names

    rows = [get(n) for n in names(args.kind)]
    print(f"{'name':<26} {'kind':<5} {'dim':>3} {'dt':>7} {'λ1 ref':>9} {'D_KY ref':>8}  description")
    for s in rows:
        ref = s.reference
        lam = _fmt(ref.max_lyapunov) + (SUSPECT if ref.suspect else " ")
        print(
            f"{s.name:<26} {s.kind:<5} {s.dim:>3} {s.dt:>7.3g} {lam:>9} "
            f"{_fmt(ref.kaplan_yorke_dimension):>8}  {s.description}"
        )
        if args.verbose:
            ps = ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in s.params.items())
            print(f"{'':<26} params: {ps or '(none)'}")
            print(f"{'':<26} cite: {s.citation}")
            if ref.source:
                print(f"{'':<26} reference values: {ref.source}")
    n_flow = sum(s.kind == "flow" for s in rows)
    print(f"\n{len(rows)} systems ({n_flow} flows, {len(rows) - n_flow} maps). "
          "Reference λ1 per unit time (flows) or per iteration (maps).")
    suspect = [s for s in rows if s.reference.suspect]
    if suspect:
        print(f"{SUSPECT} published λ1 contradicted by the project's cross-check "
              "(benchmarks/results/lyapunov_crosscheck.md); `attractor lyapunov NAME` computes it:")
        for s in suspect:
            print(f"  {s.name:<24} {_fmt(s.reference.max_lyapunov)}: {_why_suspect(s.reference)}")
    return 0
