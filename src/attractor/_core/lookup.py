"""Accept solvers as objects or as their lower-case names."""

from __future__ import annotations

from typing import Any, TypeVar

T = TypeVar("T")


def resolve(argname: str, spec: Any, registry: dict[str, type], base: type | tuple[type, ...], **defaults: Any):
    """Turn ``spec`` (a name, a class, or an instance) into a solver instance.

    ``registry`` maps lower-case names to classes; ``defaults`` are keyword arguments used when
    the solver is built from a name or class.
    """
    if isinstance(spec, base):
        return spec
    if isinstance(spec, str):
        key = spec.lower()
        if key not in registry:
            raise ValueError(f"`{argname}` must be one of {sorted(registry)} or a solver object; got {spec!r}.")
        return registry[key](**defaults)
    if isinstance(spec, type) and issubclass(spec, base if isinstance(base, tuple) else (base,)):
        return spec(**defaults)
    names = base.__name__ if isinstance(base, type) else "/".join(b.__name__ for b in base)
    raise TypeError(
        f"`{argname}` must be a solver name {sorted(registry)} or a {names} instance; got {type(spec).__name__}."
    )
