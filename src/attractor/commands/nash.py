"""``attractor nash game.nfg``: the Nash equilibria of a game in Gambit's .nfg format."""

from __future__ import annotations

import argparse
import json
import sys
import warnings

from attractor.commands._types import nonnegative_float, positive_int

METHODS = ["vertex", "support", "lemke_howson", "lp", "pure", "qre"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "nash",
        help="Nash equilibria of a strategic-form game read from a Gambit .nfg file",
        description="Read a Gambit .nfg file (payoff or outcome version) and print its Nash equilibria. "
        "Two-player games default to vertex enumeration (all extreme equilibria), "
        "n-player games to the logit QRE homotopy (one equilibrium).",
    )
    p.add_argument("file", help="path of the .nfg file ('-' reads standard input)")
    p.add_argument("--method", choices=METHODS, default=None, help="solution method (default: vertex for 2 players, qre otherwise)")
    p.add_argument("--json", action="store_true", help="print a JSON document instead of text")
    p.add_argument("--tol", type=nonnegative_float, default=1e-8, help="accepted relative deviation gain (default 1e-8)")
    p.add_argument("--label", type=int, default=None, help="starting label for --method lemke_howson (default: all)")
    p.add_argument("--digits", type=positive_int, default=6, help="digits printed per probability (text output)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from attractor.games import NFGFormatError, nash_equilibria, parse_nfg, read_nfg

    try:
        game = parse_nfg(sys.stdin.read(), source="<stdin>") if args.file == "-" else read_nfg(args.file)
    except (OSError, NFGFormatError) as exc:
        print(f"attractor nash: {exc}", file=sys.stderr)
        return 2
    options = {"label": args.label} if args.label is not None and args.method == "lemke_howson" else {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            eqs = nash_equilibria(game, args.method, tol=args.tol, **options)
        except (ValueError, RuntimeError) as exc:
            print(f"attractor nash: {exc}", file=sys.stderr)
            return 1
    notes = [str(w.message) for w in caught]
    profiles = [[x.tolist() for x in profile] for profile in eqs]
    if args.json:
        doc = {
            "title": game.title,
            "players": list(game.players),
            "actions": [list(a) for a in game.actions],
            "method": eqs.method,
            "degenerate": eqs.degenerate,
            "complete": eqs.complete,
            "equilibria": [
                {"profile": prof, "payoffs": game.expected_payoffs(eq).tolist()} for prof, eq in zip(profiles, eqs)
            ],
            "notes": notes,
        }
        print(json.dumps(doc, indent=2))
        return 0
    title = f" {game.title!r}" if game.title else ""
    shape = " x ".join(str(a) for a in game.num_actions)
    print(f"game{title}: {game.n_players} players, {shape} actions")
    print(f"method: {eqs.method}; {len(eqs)} equilibri{'um' if len(eqs) == 1 else 'a'}"
          + (" (degenerate game: extreme equilibria of the components)" if eqs.degenerate else ""))
    for k, (prof, eq) in enumerate(zip(profiles, eqs), 1):
        payoffs = game.expected_payoffs(eq).tolist()
        print(f"equilibrium {k}:")
        for player, names, probs, value in zip(game.players, game.actions, prof, payoffs):
            mix = "  ".join(f"{name}={p:.{args.digits}f}" for name, p in zip(names, probs))
            print(f"  {player}: {mix}   payoff {value:.{args.digits}g}")
    for note in notes:
        print(f"note: {note}")
    return 0
