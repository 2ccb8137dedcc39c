"""The registry-wide check (boundedness, λ1 against the reference) and its recorded table.

The full sweep (every flow bounded, λ1 of every system against its reference) takes about
half an hour on two cores; it runs as ``python benchmarks/bench_lyapunov.py --registry``,
which writes ``benchmarks/results/systems_registry.md`` (systems that miss their reference
listed first). The slow test below repeats it for the systems whose reference is exact or
from the literature rather than from another estimator's database (``pytest -m slow``).
"""

from __future__ import annotations

import pathlib
import re

import pytest

from attractor.systems import get, names
from attractor.systems.checks import check_system

TABLE = pathlib.Path(__file__).resolve().parents[2] / "benchmarks" / "results" / "systems_registry.md"
# exact values and literature values (Sprott), not another estimator's database
TRUSTED = [
    n for n in names() if get(n).reference.source and not get(n).reference.source.startswith("dysts")
]


def test_recorded_table_covers_the_whole_registry():
    if not TABLE.exists():
        pytest.skip(f"{TABLE} not generated")
    rows = set(re.findall(r"^\| ([a-z0-9_]+) \|", TABLE.read_text(), flags=re.MULTILINE)) - {"system"}
    assert rows == set(names()), (
        "benchmarks/results/systems_registry.md is stale: rerun "
        "`python benchmarks/bench_lyapunov.py --registry`; "
        f"missing {sorted(set(names()) - rows)}, unknown {sorted(rows - set(names()))}"
    )


@pytest.mark.slow
@pytest.mark.parametrize("name", TRUSTED)
def test_trusted_references_are_reproduced(name):
    check = check_system(name)
    assert check.bounded and check.matches, (name, check.lambda1, check.reference)
