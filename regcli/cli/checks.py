"""CI gates: --min-r2, --max-nonzero, --require-feature, --sign, --require-converged; JUnit and
GitHub reports, written for failed checks and also when the data is rejected (exit 65, 66)."""

from __future__ import annotations

import os
import sys
import time
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
    require_converged: bool = False

    @property
    def any(self) -> bool:
        return (
            self.min_r2 is not None
            or self.max_nonzero is not None
            or bool(self.require)
            or bool(self.signs)
            or self.require_converged
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
    converged: bool = True,
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
    if gates.require_converged:
        out.append(
            {
                "name": "converged",
                "observed": bool(converged),
                "threshold": True,
                "passed": bool(converged),
            }
        )
    return out


#: GitHub shows this many annotations of one kind per step; regcli prints at most these.
MAX_ANNOTATIONS = 10

#: Where the JUnit report goes if the command ends in a data or input error (set by ``arm``).
_armed: dict[str, Any] = {}


def arm(junit: str | None, *, command: str, force: bool) -> None:
    """Remember --junit so that a data or input error (65, 66) still writes a report."""
    _armed.clear()
    if junit is not None:
        from regcli.io.files import check_writable

        check_writable(junit, force=force, option="--junit")
        _armed.update(path=junit, command=command, force=force, start=time.perf_counter())


def disarm() -> None:
    _armed.clear()


def report_error(message: str, exit_code: int) -> None:
    """Write the armed JUnit report with one <error> test case (the run ended in 65 or 66)."""
    if not _armed or exit_code not in (65, 66):
        return
    from regcli.io.files import write_atomic

    elapsed = time.perf_counter() - _armed["start"]
    write_atomic(
        _armed["path"],
        junit_xml([], _armed["command"], error=message, seconds=elapsed),
        force=_armed["force"],
        option="--junit",
    )
    _armed.clear()


def report(checks: list[dict[str, Any]], gates: Gates, *, command: str, force: bool) -> None:
    """Write JUnit / GitHub reports, list failures on stderr, and raise CheckFailed (exit 1)."""
    seconds = time.perf_counter() - _armed["start"] if _armed else 0.0
    disarm()
    if gates.junit is not None:
        from regcli.io.files import write_atomic

        write_atomic(
            gates.junit,
            junit_xml(checks, command, seconds=seconds),
            force=force,
            option="--junit",
        )
    failed = [c for c in checks if not c["passed"]]
    github = os.environ.get("GITHUB_ACTIONS") == "true"
    for i, c in enumerate(failed):
        line = f"check failed: {c['name']}: observed {_fmt(c['observed'])}, required {_req(c)}"
        sys.stderr.write(f"regcli: {line}\n")
        if github and i < MAX_ANNOTATIONS:
            title = github_property(f"regcli {command}")
            sys.stderr.write(f"::error title={title}::{github_data(line)}\n")
    if github and len(failed) > MAX_ANNOTATIONS:
        more = len(failed) - MAX_ANNOTATIONS
        sys.stderr.write(f"regcli: {more} more failed checks are not annotated (see the summary)\n")
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary and checks:
        rows = "\n".join(
            f"| {_cell(c['name'])} | {_cell(_fmt(c['observed']))} | {_cell(_req(c))} | "
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


def github_data(text: str) -> str:
    """Escape the message of a GitHub workflow command (%, CR, LF), as GitHub documents."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def github_property(text: str) -> str:
    """Escape a property of a workflow command (also ':' and ',')."""
    return github_data(text).replace(":", "%3A").replace(",", "%2C")


def _cell(text: str) -> str:
    """Text for a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


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
    if name == "converged":
        return "true (max KKT violation within tolerance)"
    return "nonzero"


def junit_xml(
    checks: list[dict[str, Any]],
    command: str,
    *,
    error: str | None = None,
    seconds: float = 0.0,
) -> str:
    """The checks as a JUnit test suite; ``error``: the run ended in a data or input error,
    reported as one <error> test case. Test cases share the run's time."""
    failures = sum(not c["passed"] for c in checks)
    each = seconds / max(len(checks) + (error is not None), 1)
    cases = []
    for c in checks:
        body = ""
        if not c["passed"]:
            msg = f"observed {_fmt(c['observed'])}, required {_req(c)}"
            body = f"<failure message={quoteattr(msg)}>{escape(msg)}</failure>"
        cases.append(
            f'    <testcase classname="regcli.{command}" name={quoteattr(c["name"])} '
            f'time="{each:.3f}">{body}</testcase>'
        )
    if error is not None:
        cases.append(
            f'    <testcase classname="regcli.{command}" name="data" time="{each:.3f}">'
            f"<error message={quoteattr(error)}>{escape(error)}</error></testcase>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<testsuite name="regcli {command}" tests="{len(cases)}" failures="{failures}" '
        f'errors="{int(error is not None)}" time="{seconds:.3f}">\n'
        + "\n".join(cases)
        + "\n</testsuite>\n"
    )
