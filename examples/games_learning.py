"""Learning dynamics in games: where play goes and what the time averages do.

* replicator orbits of rock-paper-scissors conserve the product of the shares (a cycle),
* regret matching in Shapley's game: play keeps cycling but the average joint play approaches
  the coarse correlated equilibria (the CCE gap shrinks),
* optimistic Hedge's last iterate converges in rock-paper-scissors, plain Hedge's does not,
* extragradient and Halpern iterations converge in the last iterate on a bilinear saddle where
  gradient descent-ascent spirals out,
* the sink equilibria of the stag hunt and the share of noisy replicator runs ending in each.

Run:  python examples/games_learning.py
"""

import torch

from attractor.games import (
    Hedge,
    OptimisticHedge,
    bilinear_saddle,
    cce_gap,
    extragradient,
    halpern,
    learn,
    replicator,
    rock_paper_scissors,
    shapley_game,
    sink_distribution,
    sink_equilibria,
    stag_hunt,
)

dtype = torch.float64


def main() -> None:
    rps = rock_paper_scissors(dtype)
    x0 = torch.tensor([0.6, 0.3, 0.1], dtype=dtype)
    flow = replicator(rps, x0, torch.linspace(0, 30, 61, dtype=dtype), populations="single")
    product = flow.profiles[0].prod(-1)
    print(f"RPS replicator: x1*x2*x3 stays {float(product[0]):.6f} (max drift {float((product - product[0]).abs().max()):.1e}); "
          f"nfe {flow.solution.stats['nfe']}")

    shapley = shapley_game(dtype)
    start = (torch.tensor([0.6, 0.3, 0.1], dtype=dtype), torch.tensor([0.1, 0.3, 0.6], dtype=dtype))
    for steps in (100, 1000, 10000):
        result = learn(shapley, "regret_matching", start, steps=steps)
        print(f"Shapley, regret matching, {steps:5d} rounds: CCE gap of the average play {float(cce_gap(shapley, result.joint).max()):.4f}")

    for rule in (Hedge(0.3), OptimisticHedge(0.3)):
        result = learn(rps, rule, (torch.tensor([0.7, 0.2, 0.1], dtype=dtype), torch.tensor([0.2, 0.2, 0.6], dtype=dtype)), steps=2000)
        print(f"RPS, {type(rule).__name__}: last-iterate NashConv {float(rps.deviation_gains(result.strategies).sum()):.2e}")

    g = torch.Generator().manual_seed(0)
    Q, _ = torch.linalg.qr(torch.randn(4, 4, generator=g, dtype=dtype))
    A = Q * torch.linspace(1.0, 2.0, 4, dtype=dtype)
    F, z0, eta = bilinear_saddle(A), torch.randn(8, generator=g, dtype=dtype), 0.25
    z = z0.clone()
    for _ in range(300):
        z = z - eta * F(z)
    print(f"bilinear saddle: gradient descent-ascent |z| after 300 steps {float(z.norm()):.2e} (start {float(z0.norm()):.2f})")
    for solve in (extragradient, halpern):
        sol = solve(F, z0, step_size=eta, tol=1e-8, max_steps=5000, on_failure="status")
        print(f"  {solve.__name__}: |z| = {float(sol.value.norm()):.1e} after {int(sol.steps)} steps")

    hunt = stag_hunt(dtype)
    sinks = sink_equilibria(hunt)
    dist = sink_distribution(hunt, samples=256, t_final=40, segments=8)
    for profile, p, se in zip(sinks.sinks, dist.probabilities, dist.stderr):
        print(f"stag hunt sink {profile.tolist()}: {float(p):.3f} +- {float(se):.3f} of noisy replicator runs")


if __name__ == "__main__":
    main()
