"""Which tensors a vector field depends on, for the adjoints that run their own backward pass.

The checkpoint and backsolve adjoints are ``torch.autograd.Function``s, so every tensor that
should receive a gradient must be one of their inputs. They are found, in this order:
explicit ``adjoint_params``; else the parameters of ``f`` when it is an ``nn.Module`` (or a bound
method of one), the tensors in ``args`` that require grad, and every leaf tensor reached by
walking the autograd graph of one probe evaluation ``f(t0, y0)`` (closed-over tensors).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch


def graph_leaves(out: torch.Tensor, exclude: Iterable[torch.Tensor] = ()) -> list[torch.Tensor]:
    """Leaf tensors requiring grad that ``out`` was computed from (excluding ``exclude``)."""
    if out.grad_fn is None:
        return [out] if out.requires_grad and out.is_leaf else []
    skip = {id(e) for e in exclude}
    # the visited nodes themselves, not their ids: the Python objects for graph nodes are made
    # on access and freed when dropped, so an id can come back for another node (seen with
    # torch 2.11: whole branches of the graph were skipped); held here, they stay unique
    seen_nodes: set = set()
    found: dict[int, torch.Tensor] = {}
    stack = [out.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or node in seen_nodes:
            continue
        seen_nodes.add(node)
        variable = getattr(node, "variable", None)
        if isinstance(variable, torch.Tensor):
            if id(variable) not in skip:
                found.setdefault(id(variable), variable)
            continue
        stack.extend(n for n, _ in node.next_functions)
    return list(found.values())


def find_parameters(
    f: Any,
    args: tuple[Any, ...],
    probe: torch.Tensor | None,
    probe_input: torch.Tensor | None,
    explicit: Iterable[torch.Tensor] | None = None,
) -> list[torch.Tensor]:
    """The tensors the adjoint should differentiate with respect to (deduplicated, in order)."""
    out: dict[int, torch.Tensor] = {}

    def add(tensors: Iterable[torch.Tensor]) -> None:
        for p in tensors:
            if isinstance(p, torch.Tensor) and p.requires_grad:
                out.setdefault(id(p), p)

    if explicit is not None:
        add(explicit)
        return list(out.values())
    module = f if isinstance(f, torch.nn.Module) else getattr(f, "__self__", None)
    if isinstance(module, torch.nn.Module):
        add(module.parameters())
    add(a for a in args if isinstance(a, torch.Tensor))
    if probe is not None:
        add(graph_leaves(probe, exclude=[probe_input] if probe_input is not None else []))
    return list(out.values())
