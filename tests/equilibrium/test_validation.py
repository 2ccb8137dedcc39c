"""Each bad input gives a clear error naming the argument."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import attractor
from attractor.equilibrium import Anderson, Broyden, Newton, Picard

Z = torch.zeros(2, 3)
F = torch.cos


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"f": 3.0}, TypeError, "`f` must be callable"),
        ({"z0": [0.0, 1.0]}, TypeError, "`z0` must be a torch.Tensor or a tuple of tensors"),
        ({"z0": 1.0}, TypeError, "`z0` must be a torch.Tensor"),
        (
            {"z0": torch.zeros(2, 3, dtype=torch.long)},
            ValueError,
            "`z0` must have a floating-point dtype",
        ),
        ({"z0": torch.tensor([[0.0, float("nan")]])}, ValueError, "`z0` must be finite"),
        ({"z0": torch.tensor([[0.0, float("inf")]])}, ValueError, "`z0` must be finite"),
        ({"z0": ()}, ValueError, "`z0` must be a tensor or a non-empty tuple"),
        (
            {"z0": (Z, torch.zeros(2, 3, dtype=torch.float64))},
            ValueError,
            "`z0\\[1\\]` must share dtype",
        ),
        ({"z0": (Z, torch.zeros(3, 3))}, ValueError, "`z0\\[1\\]` must have the batch shape"),
        (
            {"f": lambda z: z[:, :2]},
            ValueError,
            "`f` returned shape \\(2, 2\\); expected \\(2, 3\\)",
        ),
        (
            {"f": lambda z: z.double()},
            ValueError,
            "`f` returned dtype torch.float64; expected torch.float32",
        ),
        ({"f": lambda z: z.tolist()}, TypeError, "`f` must return a tensor"),
        ({"f": lambda z: (z, z)}, TypeError, "`f` must return a tensor"),
        ({"tol": -1.0}, ValueError, "`tol` must be a finite positive number"),
        ({"tol": 0.0}, ValueError, "`tol`"),
        ({"tol": float("nan")}, ValueError, "`tol`"),
        ({"tol": "1e-5"}, TypeError, "`tol` must be a real number"),
        ({"rtol": -0.1}, ValueError, "`rtol`"),
        ({"max_steps": 0}, ValueError, "`max_steps` must be >= 1"),
        ({"max_steps": 2.5}, ValueError, "`max_steps` must be an integer"),
        ({"solver": "newtonian"}, ValueError, "`solver` must be one of"),
        ({"solver": torch.optim.SGD}, TypeError, "`solver` must be a solver name"),
        ({"norm": "l3"}, ValueError, "`norm` must be one of"),
        ({"batch_ndim": 3}, ValueError, "`batch_ndim` must lie in \\[0, 2\\]"),
        ({"batch_ndim": "1"}, TypeError, "`batch_ndim` must be an int"),
        ({"args": 1.0}, TypeError, "`args` must be a tuple"),
        ({"backward": "adjoint"}, ValueError, "`backward` must be one of"),
        ({"backward_solver": "lu"}, ValueError, "`backward_solver` must be one of"),
        ({"backward_solver": "newton"}, ValueError, "`backward_solver` must be one of"),
        ({"backward_solver": Newton()}, ValueError, "`backward_solver` cannot be Newton"),
        ({"backward_solver": 3}, TypeError, "`backward_solver` must be a solver name"),
        ({"backward_tol": -1.0}, ValueError, "`backward_tol`"),
        ({"backward_max_steps": 0}, ValueError, "`backward_max_steps`"),
        ({"phantom_steps": 0}, ValueError, "`phantom_steps`"),
        ({"phantom_damping": 1.5}, ValueError, "`phantom_damping`"),
        ({"phantom_damping": 0.0}, ValueError, "`phantom_damping`"),
        ({"on_failure": "ignore"}, ValueError, "`on_failure` must be one of"),
        ({"trajectory": "yes"}, TypeError, "`trajectory` must be a bool"),
        ({"divergence": -1}, ValueError, "`divergence`"),
    ],
)
def test_fixed_point_bad_input(kwargs, error, match):
    call = {"f": F, "z0": Z, **kwargs}
    f, z0 = call.pop("f"), call.pop("z0")
    with pytest.raises(error, match=match):
        attractor.fixed_point(f, z0, **call)


def test_root_names_its_own_arguments():
    with pytest.raises(TypeError, match="`g` must be callable"):
        attractor.root(None, Z)
    with pytest.raises(ValueError, match="`x0` must be finite"):
        attractor.root(torch.sin, torch.tensor([float("nan")]))
    with pytest.raises(ValueError, match="`g` returned shape"):
        attractor.root(lambda x: x.sum(), Z)


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: Picard(damping=0.0), "`damping`"),
        (lambda: Picard(damping=1.5), "`damping`"),
        (lambda: Anderson(m=0), "`m`"),
        (lambda: Anderson(beta=2.0), "`beta`"),
        (lambda: Anderson(regularization=-1.0), "`regularization`"),
        (lambda: Broyden(memory=0), "`memory`"),
        (lambda: Newton(linear_solver="lu"), "`linear_solver`"),
        (lambda: Newton(forcing=1.0), "`forcing`"),
        (lambda: Newton(max_backtracks=-1), "`max_backtracks`"),
    ],
)
def test_solver_hyperparameters_are_checked(make, match):
    with pytest.raises(ValueError, match=match):
        make()
    with pytest.raises(TypeError, match="`line_search` must be a bool"):
        Newton(line_search="yes")


@settings(max_examples=25, deadline=None)
@given(
    tol=st.one_of(
        st.floats(max_value=0.0),
        st.just(float("inf")),
        st.just(float("nan")),
        st.text(max_size=3),
        st.booleans(),
    )
)
def test_any_invalid_tolerance_is_rejected_naming_tol(tol):
    with pytest.raises((ValueError, TypeError), match="`tol`"):
        attractor.fixed_point(F, Z, tol=tol)


@settings(max_examples=20, deadline=None)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3))
def test_shape_changing_f_is_rejected_naming_f(shape):
    z0 = torch.zeros(2, 3)
    if tuple(shape) == (2, 3):
        return
    with pytest.raises(ValueError, match="`f` returned shape"):
        attractor.fixed_point(lambda z: torch.zeros(shape), z0)
