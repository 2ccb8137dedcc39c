import pytest
import torch

import attractor
from attractor._core.errors import raise_if_failed
from attractor._core.lookup import resolve
from attractor._core.norms import batch_norm, flat_batch
from attractor._core.status import Status, all_ok, is_ok
from attractor._core.validation import (
    all_finite,
    check_choice,
    check_int,
    check_positive,
    check_tensor,
)


def test_status_success_codes():
    status = torch.tensor([0, 1, 5, 3])
    assert is_ok(status).tolist() == [True, False, True, False]


def test_raise_if_failed_reports_failed_samples():
    status = torch.tensor([0, int(Status.MAX_STEPS), int(Status.NONFINITE)])
    residual = torch.tensor([1e-9, 0.5, float("nan")])
    with pytest.raises(attractor.ConvergenceError) as info:
        raise_if_failed("fixed_point", status, {"residual": residual, "max_steps": 10})
    err = info.value
    assert "2 of 3" in str(err)
    assert "MAX_STEPS" in str(err) and "NONFINITE" in str(err)
    assert "sample 1" in str(err) and "sample 0" not in str(err)
    assert torch.equal(err.status, status)


def test_raise_if_failed_passes_on_success():
    raise_if_failed("x", torch.tensor([0, 5]))


def test_all_ok_matches_is_ok():
    for codes in ([0, 0], [0, 5], [5, 5], [0, 1], [5, 3], [6], []):
        status = torch.tensor(codes, dtype=torch.long)
        assert all_ok(status) == bool(is_ok(status).all()), codes


def test_all_finite_exact_for_bad_entries_and_overflowing_sums():
    big = torch.full((8,), 3e38, dtype=torch.float32)  # finite entries whose sum overflows
    assert all_finite(big)
    assert all_finite(torch.zeros(0)) and all_finite(torch.arange(5))
    for bad in (float("nan"), float("inf"), float("-inf")):
        for dtype in (torch.float32, torch.float64, torch.complex64):
            x = torch.ones(7, 3, dtype=dtype)
            x[4, 1] = bad
            assert not all_finite(x), (bad, dtype)
    mixed = torch.tensor([float("inf"), -float("inf"), 1.0])  # sums to NaN, not a finite value
    assert not all_finite(mixed)
    with pytest.raises(ValueError, match="1 NaN/inf entry"):
        check_tensor("y0", torch.tensor([1.0, float("nan")]))


def test_batch_norm_kinds():
    x = torch.tensor([[3.0, 4.0], [1.0, -2.0]])
    assert torch.allclose(batch_norm(x, 1, "l2"), torch.tensor([5.0, 5.0**0.5]))
    assert torch.allclose(batch_norm(x, 1, "max"), torch.tensor([4.0, 2.0]))
    assert torch.allclose(batch_norm(x, 1, "rms"), torch.tensor([(12.5) ** 0.5, (2.5) ** 0.5]))
    assert flat_batch(torch.zeros(2, 3, 4, 5), 2).shape == (6, 20)
    assert flat_batch(torch.zeros(4, 5), 0).shape == (1, 20)


def test_validation_messages_name_the_argument():
    with pytest.raises(ValueError, match="`tol` must be positive"):
        check_positive("tol", -1.0)
    with pytest.raises(ValueError, match="`max_steps` must be >= 1"):
        check_int("max_steps", 0)
    with pytest.raises(ValueError, match="`z0` must be finite"):
        check_tensor("z0", torch.tensor([1.0, float("nan")]))
    with pytest.raises(ValueError, match="floating-point"):
        check_tensor("z0", torch.tensor([1, 2]))
    with pytest.raises(TypeError, match="`z0` must be a torch.Tensor"):
        check_tensor("z0", [1.0])
    with pytest.raises(ValueError, match="one of"):
        check_choice("norm", "l3", ["l2", "max"])


def test_resolve_solver_spec():
    class Base:
        pass

    class A(Base):
        def __init__(self, k=1):
            self.k = k

    registry = {"a": A}
    assert isinstance(resolve("solver", "A", registry, Base), A)
    inst = A(k=3)
    assert resolve("solver", inst, registry, Base) is inst
    with pytest.raises(ValueError, match="`solver` must be one of"):
        resolve("solver", "b", registry, Base)
    with pytest.raises(TypeError):
        resolve("solver", 3, registry, Base)


def test_cli_help_runs(capsys):
    from attractor.cli import main

    assert main([]) == 0
    assert "attractor" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "option"),
    [(["simulate", "lorenz", "--steps", "-1"], "--steps"), (["simulate", "lorenz", "--dt", "0"], "--dt"),
     (["lyapunov", "henon", "--max-time", "-5"], "--max-time"), (["lyapunov", "henon", "--tol", "x"], "--tol"),
     (["nash", "game.nfg", "--digits", "0"], "--digits")],
)
def test_cli_rejects_bad_option_values_by_name(argv, option, capsys):
    from attractor.cli import main

    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert f"argument {option}:" in capsys.readouterr().err


def test_cli_reports_library_errors_in_one_line(capsys, tmp_path):
    from attractor.cli import main

    assert main(["lyapunov", "henon", "--exponents", "5"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("attractor lyapunov:") and "n_exponents" in err and "Traceback" not in err
    out = tmp_path / "l.csv"
    assert main(["simulate", "henon", "--steps", "20", "--out", str(out), "--plot", str(tmp_path / "no" / "x.png")]) == 1
    assert "No such file or directory" in capsys.readouterr().err
    assert out.exists()
