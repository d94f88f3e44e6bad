"""Golden JSON: sample_data results must not drift (tests/golden/regenerate.py rewrites them)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from tests.golden.cases import CASES, run

GOLDEN = Path(__file__).resolve().parent / "golden"


def close(a, b, path="") -> None:
    if isinstance(b, dict):
        assert isinstance(a, dict) and a.keys() == b.keys(), path
        for k in b:
            close(a[k], b[k], f"{path}.{k}")
    elif isinstance(b, list):
        assert isinstance(a, list) and len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            close(x, y, f"{path}[{i}]")
    elif isinstance(b, float) and not isinstance(b, bool):
        assert math.isclose(a, b, rel_tol=1e-8, abs_tol=1e-10), f"{path}: {a} != {b}"
    else:
        assert a == b, f"{path}: {a!r} != {b!r}"


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden(name):
    expected = json.loads((GOLDEN / f"{name}.json").read_text())
    close(run(CASES[name]), expected, name)
