"""``attractor lyapunov NAME``: Lyapunov spectrum, its sum and the Kaplan–Yorke dimension,
beside the reference values."""

from __future__ import annotations

import argparse

from attractor.commands._types import nonnegative_float, positive_float, positive_int


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("lyapunov", help="Lyapunov spectrum of a registry system, with reference values")
    p.add_argument("name", help="system name (see `attractor systems`)")
    p.add_argument("--param", action="append", metavar="NAME=VALUE", help="override a parameter (repeatable)")
    p.add_argument("--exponents", type=positive_int, default=None, help="number of leading exponents (default all)")
    p.add_argument("--tol", type=nonnegative_float, default=0.01, help="relative statistical tolerance (default 0.01)")
    p.add_argument("--max-time", type=positive_float, default=None, help="averaging time budget per member")
    p.add_argument(
        "--ensemble", type=positive_int, default=None,
        help="ensemble size (default: 64 for small systems, fewer for large ones)",
    )
    p.add_argument("--progress", action="store_true", help="show a progress bar")
    p.set_defaults(func=run)


def _row(label: str, ours: str, ref: str) -> str:
    return f"  {label:<24} {ours:<28} {ref}"


def run(args: argparse.Namespace) -> int:
    from attractor._core.status import Status
    from attractor.analysis import lyapunov_spectrum
    from attractor.commands.systems import parse_params
    from attractor.systems import get

    try:
        system = get(args.name, **parse_params(args.param))
    except ValueError as exc:
        raise SystemExit(f"attractor lyapunov: {exc}") from None
    res = lyapunov_spectrum(
        system, n_exponents=args.exponents, tol=args.tol, max_time=args.max_time,
        ensemble=args.ensemble, on_failure="status", progress=args.progress,
    )
    ref = system.reference
    unit = "per unit time" if system.is_flow else "per iteration"
    print(f"{system!r}")
    print(f"Lyapunov exponents ({unit}); reference: {ref.source or 'none known'}")
    print(_row("", "computed (± std. error)", "reference"))
    spectrum = ref.lyapunov_spectrum or ()
    for i, (lam, se) in enumerate(zip(res.exponents.tolist(), res.stderr.tolist())):
        if i < len(spectrum):
            r = f"{spectrum[i]:.4f}"
        elif i == 0 and ref.max_lyapunov is not None:
            r = f"{ref.max_lyapunov:.4f}"
        else:
            r = "—"
        print(_row(f"λ{i + 1}", f"{lam:+.4f} ± {se:.4f}", r))
    if res.exponents.numel() == system.dim:
        ref_sum = f"{sum(spectrum):.4f}" if len(spectrum) == system.dim else "—"
        print(_row("sum", f"{res.sum.item():+.4f}", ref_sum))
        ky = ref.kaplan_yorke_dimension
        print(_row("Kaplan–Yorke dimension", f"{res.kaplan_yorke_dimension.item():.4f}", "—" if ky is None else f"{ky:.4f}"))
    if ref.independent_max_lyapunov is not None:
        print(_row("λ1 independent check", "", f"{ref.independent_max_lyapunov:.4f} ± {ref.independent_stderr:.4f} "
                   "(SciPy DOP853 on dysts's equations)"))
    if ref.suspect:
        print(f"  note: the published λ1 is contradicted by the project's cross-check"
              f"{': ' + ref.suspect_note if ref.suspect_note else ''}.")
    status = Status(int(res.status)).name
    print(f"status {status}; averaged {res.time.item():.4g} {'time units' if system.is_flow else 'iterations'} "
          f"x {1 if res.members is None else res.members.shape[0]} members in {res.stats['wall']:.1f} s")
    if status != "SUCCESS":
        print("warning: the statistical tolerance was not reached; raise --max-time or --tol.")
        return 1
    return 0
