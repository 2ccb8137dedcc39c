"""The :class:`System` record: a vector field (flow) or an update rule (map) with its metadata."""

from __future__ import annotations

import dataclasses
import functools
import inspect
import math
import numbers
from collections.abc import Callable, Mapping
from typing import Any

import torch

from attractor._core.validation import check_tensor

FLOW = "flow"
MAP = "map"


@dataclasses.dataclass(frozen=True)
class Reference:
    """Published invariants of a system at its default parameters (``None`` where unknown).

    ``max_lyapunov`` is the largest Lyapunov exponent (per unit time for flows, per iteration
    for maps), ``lyapunov_spectrum`` the full spectrum where a trusted one exists,
    ``kaplan_yorke_dimension`` and ``correlation_dimension`` the attractor dimensions and
    ``source`` says where the numbers come from.

    ``independent_max_lyapunov`` (with its standard error ``independent_stderr``) is λ1
    recomputed with no attractor code — SciPy's DOP853 at ``rtol = 1e-10`` on the dysts
    package's own equations, Benettin/QR over several long orbits
    (``benchmarks/crosscheck_lyapunov.py``) — for systems whose published estimate disagreed
    with attractor's. Where it and ``max_lyapunov`` differ, the published value is suspect.
    ``suspect_note`` says why the published λ1 is doubtful where no independent value
    settles it (the double pendulum's was computed for another vector field).
    """

    max_lyapunov: float | None = None
    lyapunov_spectrum: tuple[float, ...] | None = None
    kaplan_yorke_dimension: float | None = None
    correlation_dimension: float | None = None
    source: str = ""
    independent_max_lyapunov: float | None = None
    independent_stderr: float | None = None
    suspect_note: str = ""

    def known(self) -> dict[str, Any]:
        """The fields that hold a value, as a dict."""
        return {k: v for k, v in dataclasses.asdict(self).items() if v not in (None, "")}

    @property
    def suspect(self) -> bool:
        """Whether the published λ1 is doubtful: the independent recomputation disagrees with
        it by the registry's criterion (:func:`attractor.systems.checks.agrees`), or a
        ``suspect_note`` says why."""
        if self.max_lyapunov is None:
            return False
        if self.suspect_note:
            return True
        if self.independent_max_lyapunov is None:
            return False
        from attractor.systems.checks import agrees

        return not agrees(self.max_lyapunov, self.independent_max_lyapunov)


@dataclasses.dataclass(frozen=True, eq=False)
class System:
    """A chaotic flow ``dy/dt = f(t, y; p)`` or map ``y_{n+1} = F(y_n; p)`` from the registry.

    Calling the system evaluates its right-hand side: ``system(t, y)`` for a flow (the
    ``attractor.odeint`` signature) and ``system(y)`` for a map. States have shape
    ``(*batch, dim)``; every vector field here acts on the last dimension only, so leading
    dimensions are independent samples and parameters may be tensors that broadcast against
    the batch (``get("lorenz", rho=torch.tensor([[28.0], [35.0]]))``) or require gradients.

    Attributes
    ----------
    name: registry name (snake case).
    kind: ``"flow"`` or ``"map"``.
    fn: the right-hand side ``fn(t, y, **params)`` (flow) or ``fn(y, **params)`` (map).
    params: the parameter values in use.
    defaults: the default parameter values (those of the references).
    dt: a sensible sampling step (flows: roughly 1/100 of the dominant period; maps: 1).
    citation: where the system was introduced.
    reference: published invariants at the default parameters; empty once parameters change.
    period: dominant period of the oscillation (flows), when known.
    seed, settle: a starting state and how long (time for flows, iterations for maps) to run
        it so that it lies on the attractor; :attr:`y0` is the result.
    periodic: indices of angle-like coordinates that wind without bound (boundedness checks
        skip them).
    tangent_fn: optional analytic tangent map ``J v`` (``tangent_fn(t, y, v, **params)`` for
        flows, ``tangent_fn(y, v, **params)`` for maps, ``v`` of shape ``(*batch, dim, k)``);
        a speed-up for Lyapunov spectra, checked against autograd in the tests.
    forcing_phase: for a periodically forced (non-autonomous) flow ``x' = g(x, ωt)``, the
        index of the forcing phase ``θ`` in the state (see below); ``None`` otherwise.

    Non-autonomous flows are written, as in the dysts database, on the extended phase space:
    the forcing phase is a state coordinate with ``θ' = ω`` (or ``θ' = 1`` for a forcing of
    period ``τ`` in time), and the field ignores ``t``. A state then determines its future, so
    the reference state, ensembles of initial states and Lyapunov spectra need no start time,
    and dysts's reference values, computed on the same extended state, apply (its spectrum
    includes the zero exponent of the flow direction). The phase winds without bound and is
    listed in :attr:`periodic`; drop column ``forcing_phase`` to keep only the physical state.
    """

    name: str
    kind: str
    fn: Callable[..., torch.Tensor]
    params: Mapping[str, Any]
    defaults: Mapping[str, Any]
    dt: float
    citation: str
    reference: Reference
    seed: tuple[float, ...] | Callable[[Mapping[str, Any]], tuple[float, ...]]
    settle: float = 0.0
    period: float | None = None
    periodic: tuple[int, ...] = ()
    tangent_fn: Callable[..., torch.Tensor] | None = None
    forcing_phase: int | None = None

    # -- evaluation -------------------------------------------------------------------------
    def __call__(self, *args: Any) -> torch.Tensor:
        if self.kind == FLOW:
            t, y = args[0], args[1]
            return self.fn(t, y, **self.params)
        return self.fn(args[0], **self.params)

    def rhs(self, t: Any, y: torch.Tensor) -> torch.Tensor:
        """The vector field (flows) or update rule (maps; ``t`` is ignored) at ``y``."""
        return self(t, y) if self.kind == FLOW else self(y)

    @property
    def has_tangent(self) -> bool:
        """Whether the system has an analytic tangent map (else autograd is used)."""
        return self.tangent_fn is not None

    def tangent(self, t: Any, y: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        """``J(y) v`` from the analytic tangent map, for ``v`` of shape ``(*batch, dim, k)``."""
        if self.tangent_fn is None:
            raise ValueError(f"{self.name!r} has no analytic tangent map; use `jacobian`.")
        if self.kind == FLOW:
            return self.tangent_fn(t, y, v, **self.params)
        return self.tangent_fn(y, v, **self.params)

    def jacobian(self, y: torch.Tensor, t: float | torch.Tensor = 0.0) -> torch.Tensor:
        """Batched Jacobian ``∂f/∂y`` of shape ``(*batch, dim, dim)`` by forward-mode autograd.

        One JVP per state dimension, vectorised: the state is repeated ``dim`` times along a
        new leading axis with the unit vectors as tangents, which works because every field
        treats leading dimensions independently.
        """
        check_tensor("y", y, min_dim=1)
        d = y.shape[-1]
        eye = torch.eye(d, dtype=y.dtype, device=y.device)
        tangents = eye.reshape((d,) + (1,) * (y.dim() - 1) + (d,)).expand((d,) + y.shape)
        primal = y.unsqueeze(0).expand_as(tangents).contiguous()
        tangents = tangents.contiguous()
        _, cols = torch.func.jvp(lambda z: self.rhs(t, z), (primal,), (tangents,))
        return cols.movedim(0, -1)  # cols[j] = J e_j, so J[..., i, j]

    # -- states -----------------------------------------------------------------------------
    @property
    def dim(self) -> int:
        return len(self._seed_values())

    @property
    def is_flow(self) -> bool:
        return self.kind == FLOW

    @property
    def autonomous(self) -> bool:
        """False for a periodically forced flow (its forcing phase is then part of the state)."""
        return self.forcing_phase is None

    @property
    def description(self) -> str:
        """First line of the vector field's docstring."""
        doc = inspect.getdoc(self.fn) or ""
        return doc.splitlines()[0] if doc else ""

    def _seed_values(self) -> tuple[float, ...]:
        seed = self.seed(self.params) if callable(self.seed) else self.seed
        return tuple(float(v) for v in seed)

    @functools.cached_property
    def _y0(self) -> torch.Tensor:
        y = torch.tensor(self._seed_values(), dtype=torch.float64)
        if self.settle > 0:
            from attractor.systems.simulate import advance

            y = advance(self, y, self.settle)
        return y

    @property
    def y0(self) -> torch.Tensor:
        """Reference initial state on the attractor (float64, shape ``(dim,)``; a fresh copy)."""
        return self._y0.clone()

    def initial_state(
        self, *, dtype: torch.dtype | None = None, device: torch.device | str | None = None
    ) -> torch.Tensor:
        """:attr:`y0` in the given dtype/device (default float64 on the CPU)."""
        return self._y0.to(dtype=dtype or torch.float64, device=device)

    # -- variants ---------------------------------------------------------------------------
    @property
    def uses_defaults(self) -> bool:
        return all(_same(self.params[k], v) for k, v in self.defaults.items())

    def with_params(self, **params: Any) -> System:
        """A copy with some parameters replaced; its :attr:`reference` is empty unless the
        values equal the defaults (published invariants hold at the published parameters)."""
        unknown = sorted(set(params) - set(self.defaults))
        if unknown:
            raise ValueError(
                f"`{self.name}` has no parameter(s) {unknown}; its parameters are "
                f"{sorted(self.defaults)}."
            )
        for key, value in params.items():
            _check_param(self.name, key, value)
        merged = {**self.params, **params}
        new = dataclasses.replace(self, params=merged)
        if not new.uses_defaults:
            new = dataclasses.replace(new, reference=Reference())
        return new

    def __repr__(self) -> str:
        ps = ", ".join(f"{k}={_fmt(v)}" for k, v in self.params.items())
        return f"System({self.name!r}, {self.kind}, dim={self.dim}, {ps})"


def _check_param(system: str, key: str, value: Any) -> None:
    """A parameter override is a real number or a tensor, and finite: a NaN parameter would
    surface much later as a non-finite state the user never gave."""
    ok = isinstance(value, torch.Tensor) or (isinstance(value, numbers.Real) and not isinstance(value, bool))
    if not ok:
        raise TypeError(f"parameter `{key}` of `{system}` must be a real number or a tensor; "
                        f"got {type(value).__name__} {value!r}.")
    if isinstance(value, torch.Tensor):
        bad = int((~torch.isfinite(value.detach())).sum()) if value.is_floating_point() else 0
        if bad:
            raise ValueError(f"parameter `{key}` of `{system}` must be finite; got a tensor of shape "
                             f"{tuple(value.shape)} with {bad} NaN/inf entr{'y' if bad == 1 else 'ies'}.")
    elif not math.isfinite(value):
        raise ValueError(f"parameter `{key}` of `{system}` must be finite; got {value!r}.")


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        dev = a.device if isinstance(a, torch.Tensor) else b.device
        a_t = torch.as_tensor(a, dtype=torch.float64, device=dev).detach()
        b_t = torch.as_tensor(b, dtype=torch.float64, device=dev).detach()
        if a_t.numel() == 1 and b_t.numel() == 1:  # a 0-d tensor equals a number
            a_t, b_t = a_t.reshape(()), b_t.reshape(())
        return a_t.shape == b_t.shape and bool(torch.allclose(a_t, b_t))
    return a == b


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.6g}"
    if isinstance(v, torch.Tensor):
        return f"tensor{tuple(v.shape)}" if v.numel() > 1 else f"{v.item():.6g}"
    return repr(v)
