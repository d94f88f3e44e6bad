"""Plumbing shared by the commands: option parsing, loading, emitting results.

Imported inside command functions only, so that `regcli --help` stays light.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

from regcli.cli.options import OutputFormat, Penalty
from regcli.errors import UsageError
from regcli.io.dataset import Dataset, load_dataset
from regcli.io.files import check_writable, write_atomic


def split_list(value: str | None, option: str) -> list[str] | None:
    """'a,b,c' -> ['a', 'b', 'c'] (None stays None)."""
    if value is None:
        return None
    items = [v.strip() for v in value.split(",")]
    if not all(items):
        raise UsageError(f"{option}: empty name in {value!r}")
    return items


def parse_floats(value: str, option: str, *, low: float = 0.0, high: float | None = None) -> list[float]:
    out = []
    for item in value.split(","):
        try:
            x = float(item)
        except ValueError:
            raise UsageError(f"{option}: {item.strip()!r} is not a number") from None
        if not (x >= low and (high is None or x <= high)) or x != x:
            bound = f"[{low:g}, {high:g}]" if high is not None else f">= {low:g}"
            raise UsageError(f"{option}: {x:g} is outside {bound}")
        out.append(x)
    if not out:
        raise UsageError(f"{option}: no values")
    return out


def resolve_l1_ratio(penalty: Penalty | None, l1_ratio: float | None) -> float:
    """The l1 ratio implied by --penalty and --l1-ratio."""
    if penalty is None:
        return 1.0 if l1_ratio is None else l1_ratio
    if penalty is Penalty.elasticnet:
        return 0.5 if l1_ratio is None else l1_ratio
    fixed = 1.0 if penalty is Penalty.l1 else 0.0
    if l1_ratio is not None and l1_ratio != fixed:
        raise UsageError(f"--l1-ratio: {l1_ratio:g} conflicts with --penalty {penalty.value}; "
                         "use --penalty elasticnet")
    return fixed


@dataclass(frozen=True)
class DataOptions:
    data: str
    target: str | None
    features: str | None
    exclude: str | None
    weights: str | None
    na: str

    def load(self, extra_columns: dict[str, str] | None = None) -> Dataset:
        return load_dataset(
            self.data,
            target=self.target,
            features=split_list(self.features, "--features"),
            exclude=split_list(self.exclude, "--exclude"),
            weights=self.weights,
            na=self.na,
            extra_columns=extra_columns,
        )


@dataclass(frozen=True)
class Emitter:
    """Where and how a result goes: stdout or a file, as table, csv or json."""

    fmt: OutputFormat
    output: str | None
    force: bool

    @classmethod
    def create(cls, fmt: OutputFormat | None, output: str | None, force: bool) -> Emitter:
        if output is not None:
            check_writable(output, force=force)  # fail before doing any work
        if fmt is None:
            if output is not None:
                fmt = OutputFormat.json if output.lower().endswith(".json") else (
                    OutputFormat.csv if output.lower().endswith((".csv", ".tsv")) else OutputFormat.json)
            else:
                fmt = OutputFormat.table if sys.stdout.isatty() else OutputFormat.csv
        return cls(fmt=fmt, output=output, force=force)

    @property
    def to_terminal(self) -> bool:
        return self.output is None and sys.stdout.isatty()

    def emit(self, text: str) -> None:
        if self.output is None:
            sys.stdout.write(text)
            sys.stdout.flush()
        else:
            write_atomic(self.output, text, force=self.force)


def warn(message: str) -> None:
    """One line on stderr."""
    sys.stderr.write(f"regcli: warning: {message}\n")
    sys.stderr.flush()


def json_text(payload: dict[str, Any]) -> str:
    import json

    return json.dumps(payload, indent=2, allow_nan=False) + "\n"
