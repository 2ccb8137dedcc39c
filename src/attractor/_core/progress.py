"""A progress bar for long work: tqdm when installed, silent otherwise."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def progress(iterable: Iterable[Any], *, total: int | None = None, desc: str = "", enable: bool = True):
    if not enable:
        return iterable
    try:
        from tqdm.auto import tqdm
    except ImportError:  # optional dependency
        return iterable
    return tqdm(iterable, total=total, desc=desc, leave=False, dynamic_ncols=True)
