"""Designing a game by gradient descent through its quantal response equilibrium.

A planner subsidizes the outcomes of a prisoner's dilemma.  The players are boundedly rational:
they play the logit QRE at temperature T.  The planner chooses subsidies s (paid to both players
at each outcome) to maximize the probability of mutual cooperation minus the expected cost of the
subsidies it pays.  ``attractor.games.qre`` is a fixed point with implicit gradients, so the
gradient of the objective with respect to s flows through the equilibrium without unrolling.

Second part: the same gradients with respect to the temperature fit a QRE to observed play by
maximum likelihood (McKelvey & Palfrey's estimation of the logit precision).

Run:  python examples/games_payoff_design.py
"""

import torch

from attractor.games import prisoners_dilemma, qre, random_game

torch.manual_seed(0)
dtype = torch.float64


def design(steps: int = 150, temperature: float = 0.5, price: float = 0.05) -> None:
    base = prisoners_dilemma(dtype)
    raw = torch.full((2, 2), -3.0, dtype=dtype, requires_grad=True)  # subsidy = softplus(raw) >= 0
    optimizer = torch.optim.Adam([raw], lr=0.1)
    previous = None  # warm start: each solve starts from the last equilibrium

    def objective(start=None):
        subsidy = torch.nn.functional.softplus(raw)
        game = base.with_payoffs(base.payoffs + subsidy)
        x, y = qre(game, temperature, x0=start)
        joint = torch.outer(x, y)
        cost = 2 * (joint * subsidy).sum()  # both players are paid
        return joint[0, 0] - price * cost, (x, y), cost

    # the implicit gradient agrees with finite differences
    value, _, _ = objective()
    (grad,) = torch.autograd.grad(value, raw)
    eps = 1e-6
    with torch.no_grad():
        raw[0, 0] += eps
        up = objective()[0]
        raw[0, 0] -= 2 * eps
        down = objective()[0]
        raw[0, 0] += eps
    print(f"d objective / d raw[C,C]: implicit {grad[0, 0].item():.8f}, "
          f"finite difference {((up - down) / (2 * eps)).item():.8f}")

    for step in range(steps + 1):
        optimizer.zero_grad()
        value, profile, cost = objective(previous)
        previous = tuple(x.detach() for x in profile)
        (-value).backward()
        optimizer.step()
        if step % 30 == 0:
            cooperation = (previous[0][0] * previous[1][0]).item()
            print(f"step {step:3d}: P(C, C) = {cooperation:.3f}, expected subsidy cost = {cost.item():.3f}")
    print("subsidies (rows: player 1's action C/D, columns: player 2's):")
    print(torch.nn.functional.softplus(raw).detach().numpy().round(3))


def fit_temperature(true_temperature: float = 0.3, observations: int = 2000) -> None:
    game = random_game((3, 3), seed=4, dtype=dtype)
    x_true, y_true = qre(game, true_temperature)
    counts = [torch.distributions.Multinomial(observations, probs=p).sample() for p in (x_true, y_true)]
    log_t = torch.tensor(0.0, dtype=dtype, requires_grad=True)  # start at T = 1
    optimizer = torch.optim.Adam([log_t], lr=0.1)
    previous = None
    for _ in range(100):
        optimizer.zero_grad()
        profile = qre(game, log_t.exp(), x0=previous)
        previous = tuple(p.detach() for p in profile)
        nll = -sum((c * p.log()).sum() for c, p in zip(counts, profile))
        nll.backward()
        optimizer.step()
    print(f"maximum-likelihood temperature {log_t.exp().item():.3f} (true {true_temperature})")


if __name__ == "__main__":
    design()
    fit_temperature()
