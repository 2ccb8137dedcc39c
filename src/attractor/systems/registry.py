"""The registry of named systems: ``register`` (the ``@flow`` / ``@discrete_map`` decorators),
``get`` and ``names``.

Systems are declared next to their vector field::

    @flow(seed=(-9.79, -15.04, 20.53), dt=0.01, citation="Lorenz (1963) ...")
    def lorenz(t, y, sigma=10.0, rho=28.0, beta=8 / 3):
        ...

The keyword defaults of the function are the system's parameters. Reference invariants come
from ``data/references.json`` (literature values, or the dysts database where no better
source exists; each entry names its source).
"""

from __future__ import annotations

import importlib
import inspect
import json
import re
from collections.abc import Callable
from importlib import resources
from typing import Any

from attractor.systems.base import FLOW, MAP, Reference, System

_REGISTRY: dict[str, System] = {}
_ALIASES: dict[str, str] = {}  # alias key -> registry key
_MODULES = (
    "attractor.systems.flows.classic",
    "attractor.systems.flows.polynomial",
    "attractor.systems.flows.models",
    "attractor.systems.flows.sprott",
    "attractor.systems.flows.hyperchaotic",
    "attractor.systems.flows.conservative",
    "attractor.systems.flows.extended",
    "attractor.systems.flows.variants",
    "attractor.systems.flows.circuits",
    "attractor.systems.flows.physics",
    "attractor.systems.flows.biochemistry",
    "attractor.systems.flows.forced",
    "attractor.systems.flows.mixing",
    "attractor.systems.maps",
    "attractor.systems.more_maps",
)
_loaded = False


def _key(name: str) -> str:
    """Normalised lookup key: ``"Sprott A"``, ``"sprott-a"``, ``"SprottA"`` -> ``"sprotta"``."""
    return re.sub(r"[^0-9a-z]", "", name.lower())


def _references() -> dict[str, dict[str, Any]]:
    text = resources.files("attractor.systems").joinpath("data/references.json").read_text()
    return json.loads(text)


_REFS: dict[str, dict[str, Any]] | None = None


def _reference_for(name: str) -> tuple[Reference, float | None]:
    global _REFS
    if _REFS is None:
        _REFS = _references()
    entry = _REFS.get(name, {})
    spectrum = entry.get("lyapunov_spectrum")
    ref = Reference(
        max_lyapunov=entry.get("max_lyapunov"),
        lyapunov_spectrum=tuple(spectrum) if spectrum else None,
        kaplan_yorke_dimension=entry.get("kaplan_yorke_dimension"),
        correlation_dimension=entry.get("correlation_dimension"),
        source=entry.get("source", ""),
        independent_max_lyapunov=entry.get("independent_max_lyapunov"),
        independent_stderr=entry.get("independent_stderr"),
        suspect_note=entry.get("suspect_note", ""),
    )
    return ref, entry.get("period")


def register(
    fn: Callable[..., Any],
    *,
    kind: str,
    seed: Any,
    dt: float,
    citation: str,
    settle: float = 0.0,
    periodic: tuple[int, ...] = (),
    tangent: Callable[..., Any] | None = None,
    name: str | None = None,
    forcing_phase: int | None = None,
    aliases: tuple[str, ...] = (),
) -> System:
    """Add a system to the registry (used by the ``@flow`` / ``@discrete_map`` decorators).

    ``forcing_phase`` marks a periodically forced flow written on the extended phase space
    (the index of its phase coordinate, which is also treated as ``periodic``; see
    :class:`System`); ``aliases`` are other names ``get`` accepts (dysts's spelling, where it
    differs)."""
    name = name or fn.__name__
    skip = 2 if kind == FLOW else 1  # (t, y) or (y,)
    sig = list(inspect.signature(fn).parameters.values())[skip:]
    defaults = {p.name: p.default for p in sig}
    missing = [k for k, v in defaults.items() if v is inspect.Parameter.empty]
    if missing:
        raise TypeError(f"system {name!r}: parameters {missing} need default values")
    reference, period = _reference_for(name)
    system = System(
        name=name,
        kind=kind,
        fn=fn,
        params=dict(defaults),
        defaults=dict(defaults),
        dt=float(dt),
        citation=citation,
        reference=reference,
        seed=seed,
        settle=float(settle),
        period=period,
        periodic=tuple(sorted(set(periodic) | ({forcing_phase} if forcing_phase is not None else set()))),
        tangent_fn=tangent,
        forcing_phase=forcing_phase,
    )
    for key in (_key(name), *map(_key, aliases)):
        if key in _REGISTRY or key in _ALIASES:
            raise ValueError(f"system {name!r}: the name {key!r} is registered twice")
    _REGISTRY[_key(name)] = system
    _ALIASES.update({_key(a): _key(name) for a in aliases})
    return system


def flow(**meta: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator: register ``fn(t, y, **params) -> dy/dt`` as a flow; returns ``fn`` unchanged."""

    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        register(fn, kind=FLOW, **meta)
        return fn

    return wrap


def discrete_map(**meta: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator: register ``fn(y, **params) -> y_next`` as a map; returns ``fn`` unchanged."""

    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        register(fn, kind=MAP, dt=1.0, **meta)
        return fn

    return wrap


def _load() -> None:
    global _loaded
    if not _loaded:
        _loaded = True
        for module in _MODULES:
            importlib.import_module(module)


def names(kind: str | None = None) -> list[str]:
    """Sorted names of the registered systems; ``kind="flow"`` or ``"map"`` filters."""
    _load()
    if kind not in (None, FLOW, MAP):
        raise ValueError(f"`kind` must be None, 'flow' or 'map'; got {kind!r}.")
    return sorted(s.name for s in _REGISTRY.values() if kind is None or s.kind == kind)


def get(name: str | System, **params: Any) -> System:
    """The system called ``name`` (case, spaces, ``-`` and ``_`` ignored), with ``params``
    overriding its default parameters. A :class:`System` passes through (with overrides)."""
    if isinstance(name, System):
        return name.with_params(**params) if params else name
    if not isinstance(name, str):
        raise TypeError(f"`name` must be a system name (str); got {type(name).__name__}.")
    _load()
    key = _key(name)
    system = _REGISTRY.get(_ALIASES.get(key, key))
    if system is None:
        close = [n for n in names() if _key(name)[:4] in _key(n)][:5]
        hint = f" Did you mean {close}?" if close else ""
        raise ValueError(
            f"unknown system {name!r}.{hint} `attractor.systems.names()` lists all "
            f"{len(_REGISTRY)} systems."
        )
    return system.with_params(**params) if params else system
