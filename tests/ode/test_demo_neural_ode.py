"""The neural-ODE spiral demo part: protocol, and quick mode learns."""

from attractor.demos import PARTS, neural_ode_spiral


def test_demo_protocol():
    assert "neural_ode_spiral" in PARTS
    assert isinstance(neural_ode_spiral.TITLE, str) and neural_ode_spiral.TITLE


def test_spiral_data_is_the_known_trajectory():
    t, ys = neural_ode_spiral.spiral_data(n=50)
    assert ys.shape == (50, 2) and float(t[-1]) == 25.0
    # |y| decays along the damped cubic spiral, starting from (2, 0)
    assert ys[0].tolist() == [2.0, 0.0]
    assert float(ys[-1].norm()) < float(ys[0].norm())


def test_quick_mode_learns():
    figures = neural_ode_spiral.run(quick=True)
    assert figures["iterations"] == 120
    assert figures["trajectory MSE"] < 0.5 * figures["trajectory MSE (untrained)"]
    assert figures["final window loss (L1)"] < 0.05
    assert 10 <= figures["nfe per forward (mean)"] <= 200
