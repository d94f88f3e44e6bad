"""CI gates: --min-r2, --max-nonzero, --require-feature, --sign; JUnit and GitHub reports."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from regcli.errors import CheckFailed, UsageError


@dataclass(frozen=True)
class Gates:
    min_r2: float | None = None
    max_nonzero: int | None = None
    require: list[str] = field(default_factory=list)
    signs: list[str] = field(default_factory=list)
    junit: str | None = None

    @property
    def any(self) -> bool:
        return (
            self.min_r2 is not None
            or self.max_nonzero is not None
            or bool(self.require)
            or bool(self.signs)
        )

    def validate(
        self, features: list[str], *, force: bool, columns: dict[str, list[str]] | None = None
    ) -> dict[str, list[str]]:
        """Usage errors (exit 2) before any work is done on the data, once names are known.

        Returns each required name with the features it stands for: itself, or every level
        of a one-hot column named by its base name (``columns``: column -> its features).
        """
        known = set(features)
        columns = columns or {}
        required: dict[str, list[str]] = {}
        for spec in self.require:
            for name in (part.strip() for part in spec.split(",")):
                if name in known:
                    required[name] = [name]
                elif name in columns:
                    required[name] = list(columns[name])
                else:
                    raise UsageError(f"--require-feature: no feature {name!r}{_hint(features)}")
        for spec in self.signs:
            name, sign = _split_sign(spec)
            if name not in known:
                raise UsageError(f"--sign: no feature {name!r}{_hint(features)}")
        if self.junit is not None:
            from regcli.io.files import check_writable

            check_writable(self.junit, force=force, option="--junit")
        return required


def _hint(features: list[str]) -> str:
    shown = ", ".join(features[:10]) + (", ..." if len(features) > 10 else "")
    return f" (features: {shown})"


def _split_sign(spec: str) -> tuple[str, str]:
    name, _, sign = spec.rpartition(":")
    if not name or sign not in ("+", "-"):
        raise UsageError(f"--sign: expected NAME:+ or NAME:-, got {spec!r}")
    return name, sign


def evaluate(
    gates: Gates,
    *,
    r2: float,
    r2_label: str,
    coefficients: dict[str, float],
    n_nonzero: int,
    required: dict[str, list[str]] | None = None,
) -> list[dict[str, Any]]:
    """The checks as {name, observed, threshold, passed} records."""
    out: list[dict[str, Any]] = []
    if gates.min_r2 is not None:
        out.append(
            {
                "name": f"min_r2 ({r2_label})",
                "observed": r2,
                "threshold": gates.min_r2,
                "passed": bool(r2 >= gates.min_r2),
            }
        )
    if gates.max_nonzero is not None:
        out.append(
            {
                "name": "max_nonzero",
                "observed": n_nonzero,
                "threshold": gates.max_nonzero,
                "passed": bool(n_nonzero <= gates.max_nonzero),
            }
        )
    if required is None:
        required = {name: [name] for name in gates.require}
    for name, members in required.items():
        value = max((coefficients[m] for m in members), key=abs)
        out.append(
            {
                "name": f"require_feature {name}",
                "observed": value,
                "threshold": "nonzero",
                "passed": bool(value != 0),
            }
        )
    for spec in gates.signs:
        name, sign = _split_sign(spec)
        value = coefficients[name]
        ok = value > 0 if sign == "+" else value < 0
        out.append(
            {"name": f"sign {name}", "observed": value, "threshold": sign, "passed": bool(ok)}
        )
    return out


def report(checks: list[dict[str, Any]], gates: Gates, *, command: str, force: bool) -> None:
    """Write JUnit / GitHub reports, list failures on stderr, and raise CheckFailed (exit 1)."""
    if gates.junit is not None:
        from regcli.io.files import write_atomic

        write_atomic(gates.junit, junit_xml(checks, command), force=force, option="--junit")
    failed = [c for c in checks if not c["passed"]]
    github = os.environ.get("GITHUB_ACTIONS") == "true"
    for c in failed:
        line = f"check failed: {c['name']}: observed {_fmt(c['observed'])}, required {_req(c)}"
        sys.stderr.write(f"regcli: {line}\n")
        if github:
            sys.stderr.write(f"::error title=regcli {command}::{line}\n")
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary and checks:
        rows = "\n".join(
            f"| {c['name']} | {_fmt(c['observed'])} | {_req(c)} | "
            f"{'pass' if c['passed'] else '**FAIL**'} |"
            for c in checks
        )
        with open(summary, "a", encoding="utf-8") as fh:
            fh.write(
                f"### regcli {command} checks\n\n| check | observed | required | result |\n"
                f"| --- | --- | --- | --- |\n{rows}\n\n"
            )
    sys.stderr.flush()
    if failed:
        raise CheckFailed(f"{len(failed)} of {len(checks)} checks failed")


def _fmt(x: Any) -> str:
    return f"{x:.6g}" if isinstance(x, float) else str(x)


def _req(c: dict[str, Any]) -> str:
    name, t = c["name"], c["threshold"]
    if name.startswith("min_r2"):
        return f">= {_fmt(t)}"
    if name == "max_nonzero":
        return f"<= {t}"
    if name.startswith("sign"):
        return "> 0" if t == "+" else "< 0"
    return "nonzero"


def junit_xml(checks: list[dict[str, Any]], command: str) -> str:
    failures = sum(not c["passed"] for c in checks)
    cases = []
    for c in checks:
        body = ""
        if not c["passed"]:
            msg = f"observed {_fmt(c['observed'])}, required {_req(c)}"
            body = f"<failure message={quoteattr(msg)}>{escape(msg)}</failure>"
        cases.append(
            f'    <testcase classname="regcli.{command}" name={quoteattr(c["name"])}>'
            f"{body}</testcase>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<testsuite name="regcli {command}" tests="{len(checks)}" failures="{failures}" '
        'errors="0">\n' + "\n".join(cases) + "\n</testsuite>\n"
    )
