"""Shared test helpers: synthetic problems, an independent objective, and a CLI runner."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data"


def make_problem(
    n: int, p: int, *, seed: int = 0, k: int = 5, rho: float = 0.3, noise: float = 1.0
):
    """Correlated Gaussian X (n, p) with an offset and scales, and y from k true features."""
    rng = np.random.default_rng(seed)
    X = np.sqrt(1 - rho) * rng.standard_normal((n, p)) + np.sqrt(rho) * rng.standard_normal((n, 1))
    X = X * rng.uniform(0.5, 5.0, size=p) + rng.uniform(-3, 3, size=p)
    beta = np.zeros(p)
    beta[: min(k, p)] = rng.choice([-2.0, -1.0, 1.0, 3.0], size=min(k, p))
    y = 4.0 + X @ beta + noise * rng.standard_normal(n)
    return X, y


def standardize(X: np.ndarray, w: np.ndarray | None = None):
    """Independent weighted standardization (divisor sum w), as the README defines it."""
    w = np.ones(X.shape[0]) if w is None else w
    v = w / w.sum()
    mean = v @ X
    sd = np.sqrt(v @ (X - mean) ** 2)
    sd[sd == 0] = 1.0
    return (X - mean) / sd, mean, sd


def objective(Xs, y, b, alpha, l1_ratio, w=None):
    """The documented objective on standardized X with the intercept profiled out."""
    w = np.ones(len(y)) if w is None else w
    v = w / w.sum()
    r = y - v @ y - (Xs - v @ Xs) @ b
    return 0.5 * v @ r**2 + alpha * (l1_ratio * np.abs(b).sum() + 0.5 * (1 - l1_ratio) * b @ b)


def only_notes(stderr: str) -> bool:
    """True when stderr holds nothing but `regcli: note:` lines (no warning, no error)."""
    return all(line.startswith("regcli: note: ") for line in stderr.splitlines())


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str

    def json(self):
        return json.loads(self.stdout)


@pytest.fixture
def cli():
    """Run regcli's real entry point (its error handling included) in-process."""
    from typer.testing import CliRunner

    from regcli.cli.app import main

    try:  # click 8.1 mixes stderr into stdout unless told; click 8.2 and later keep them apart
        runner = CliRunner(mix_stderr=False)
    except TypeError:
        runner = CliRunner()

    def run(*args: str, input: bytes | str | None = None) -> CliResult:
        with runner.isolation(input=input) as streams:
            out, err = streams[0], streams[1]
            code = main([str(a) for a in args])
            sys.stdout.flush()
            sys.stderr.flush()
            stdout, stderr = out.getvalue().decode(), err.getvalue().decode()
        return CliResult(code, stdout, stderr)

    return run


@pytest.fixture
def write_csv(tmp_path):
    def write(text: str, name: str = "data.csv") -> Path:
        path = tmp_path / name
        path.write_text(text)
        return path

    return write
