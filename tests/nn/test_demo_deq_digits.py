"""The DEQ digits demo part: quick mode trains; the full run reaches 95% test accuracy."""

import pytest

pytest.importorskip("sklearn")

from attractor.demos import PARTS, deq_digits


def test_demo_protocol():
    assert "deq_digits" in PARTS
    assert isinstance(deq_digits.TITLE, str) and deq_digits.TITLE


def test_quick_mode_trains_and_reports():
    figures = deq_digits.run(quick=True)
    assert figures["epochs"] == 3
    # ten classes: chance is 10%; three epochs already learn most of the task
    assert figures["test accuracy"] > 0.85
    assert figures["train accuracy"] > 0.85
    assert 1 <= figures["mean solver steps per batch"] <= 60
    assert 1 <= figures["solver steps (test set)"] <= 60
    assert figures["training time (s)"] > 0


def test_untrained_model_is_at_chance():
    data = deq_digits.load_digits_data()
    assert data.x_train.shape == (1347, 64) and data.x_test.shape == (450, 64)
    model = deq_digits.DigitsDEQ()
    acc, steps = deq_digits.accuracy(model, data.x_test, data.y_test)
    assert acc < 0.4 and steps >= 1


@pytest.mark.slow
def test_full_demo_reaches_95_percent():
    figures = deq_digits.run(quick=False)
    assert figures["test accuracy"] >= 0.95
