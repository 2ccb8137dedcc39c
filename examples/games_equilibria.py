"""A tour of equilibrium computation with attractor.games.

* a game written to and read back from Gambit's .nfg format,
* all Nash equilibria by vertex enumeration, one per label by Lemke-Howson, zero-sum by LP,
* a degenerate game (reported, extreme equilibria returned),
* the welfare-maximizing correlated equilibrium,
* the logit QRE branch of a 3-player game traced to its Nash equilibrium.

Run:  python examples/games_equilibria.py
"""

import tempfile
import warnings
from pathlib import Path

import torch

from attractor.games import (
    DegenerateGameWarning,
    NormalFormGame,
    chicken,
    correlated_equilibrium,
    exploitability,
    logit_homotopy,
    nash_equilibria,
    qre_nash,
    random_game,
    read_nfg,
    write_nfg,
    zero_sum_game,
)


def show(profile) -> str:
    return "  ".join("(" + ", ".join(f"{p:.3f}" for p in x.tolist()) + ")" for x in profile)


def main() -> None:
    game = chicken(torch.float64)
    path = Path(tempfile.mkdtemp()) / "chicken.nfg"
    write_nfg(game, path)
    game = read_nfg(path)
    print(f"{game} read from {path.name}")
    for method in ("vertex", "lemke_howson", "support"):
        eqs = nash_equilibria(game, method)
        print(f"  {method:>13}: " + " | ".join(show(p) for p in eqs))

    zs = zero_sum_game(6, 4, seed=0, dtype=torch.float64)
    (x, y), = nash_equilibria(zs, "lp")
    print(f"zero-sum 6x4 by LP: value {float(x @ zs.payoffs[0] @ y):.4f}, NashConv {float(exploitability(zs, (x, y))):.1e}")

    degenerate = NormalFormGame.from_bimatrix(torch.tensor([[3.0, 3.0], [2.0, 5.0], [0.0, 6.0]]),
                                              torch.tensor([[3.0, 3.0], [2.0, 6.0], [3.0, 1.0]]))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DegenerateGameWarning)
        eqs = nash_equilibria(degenerate)
    print(f"degenerate game: {len(eqs)} extreme equilibria; warning: {caught[0].message}")

    aumann = NormalFormGame.from_bimatrix(torch.tensor([[6.0, 2.0], [7.0, 0.0]], dtype=torch.float64),
                                          torch.tensor([[6.0, 7.0], [2.0, 0.0]], dtype=torch.float64))
    ce = correlated_equilibrium(aumann, "welfare")
    best_nash = max(float(aumann.expected_payoffs(p).sum()) for p in nash_equilibria(aumann))
    print(f"Aumann's chicken: the best CE has welfare {ce.objective:.2f} (best Nash {best_nash:.2f}), distribution\n"
          f"{ce.distribution.numpy().round(3)}")

    three = random_game((3, 3, 3), seed=0, dtype=torch.float64)
    path = logit_homotopy(three, lambda_max=50.0)
    print(f"3-player logit branch: {len(path.lambdas)} points up to lambda = {float(path.lambdas[-1]):.1f}")
    nash, info = qre_nash(three, return_info=True)
    print(f"  its Nash equilibrium: {show(nash)} after {info['steps']} steps; "
          f"max deviation gain {float(three.deviation_gains(nash).max()):.1e}")


if __name__ == "__main__":
    main()
