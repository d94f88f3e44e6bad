"""CI checks: gate options (--min-r2, --max-nonzero, --require-feature, --sign, ...) and a checks
file (--checks FILE, TOML) with warn / error severities; JUnit and GitHub reports, written for
failed checks and also when the data is rejected (exit 65, 66)."""

from __future__ import annotations

import math
import os
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from regcli.errors import CheckFailed, UsageError

SEVERITIES = ("error", "warn")
#: The metrics each command can check (besides `feature` and `sign`, where it has coefficients).
#: What checks can see of a fitted model (``common.fit_metrics``), and of the cv that chose it.
FITTED_METRICS = (
    "r2",
    "n_nonzero",
    "converged",
    "alpha",
    "max_kkt_violation",
    "deviance",
    "null_deviance",
    "dev_ratio",
    "accuracy",
    "auc",
)
CV_METRICS = ("cv_r2", "cv_mean", "cv_se", *FITTED_METRICS)
METRICS: dict[str, tuple[str, ...]] = {
    "fit": FITTED_METRICS,
    "cv": CV_METRICS,
    "compare": CV_METRICS,
    "assess": (
        "n",
        "r2",
        "mse",
        "mae",
        "deviance",
        "null_deviance",
        "dev_ratio",
        "accuracy",
        "auc",
    ),
    "diff": (
        "max_coef_change",
        "n_support_added",
        "n_support_removed",
        "n_sign_flips",
        "same_support",
        "alpha_change",
    ),
}
FEATURE_METRICS = ("feature", "sign")
CHECK_KEYS = {"metric", "min", "max", "equals", "feature", "sign", "severity", "name"}


@dataclass(frozen=True)
class Check:
    """One check: a metric within bounds, or a feature that must be nonzero (``feature``) or
    have a sign (``sign``). ``features``: the model features a feature name stands for (a
    one-hot column's levels)."""

    name: str
    metric: str
    low: float | None = None
    high: float | None = None
    equals: Any = None
    features: tuple[str, ...] = ()
    sign: str | None = None
    severity: str = "error"

    def required(self) -> str:
        """What passing means, in words."""
        if self.metric == "feature":
            return "nonzero"
        if self.metric == "sign":
            return "> 0" if self.sign == "+" else "< 0"
        parts = []
        if self.equals is not None:
            parts.append(f"= {_fmt(self.equals)}")
        if self.low is not None:
            parts.append(f">= {_fmt(self.low)}")
        if self.high is not None:
            parts.append(f"<= {_fmt(self.high)}")
        return " and ".join(parts)

    def threshold(self) -> Any:
        if self.metric == "feature":
            return "nonzero"
        if self.metric == "sign":
            return self.sign
        if self.equals is not None:
            return self.equals
        return self.low if self.low is not None else self.high

    def evaluate(self, metrics: dict[str, Any], coefficients: dict[str, float]) -> dict[str, Any]:
        """The result record: name, metric, observed, threshold, required, passed, severity."""
        if self.metric in FEATURE_METRICS:
            values = [coefficients.get(f, 0.0) for f in self.features]
            observed: Any = max(values, key=abs) if values else 0.0
            if self.metric == "feature":
                passed = observed != 0
            else:
                passed = observed > 0 if self.sign == "+" else observed < 0
        else:
            observed = metrics.get(self.metric)
            passed = _within(observed, self.low, self.high, self.equals)
        return {
            "name": self.name,
            "metric": self.metric,
            "observed": observed,
            "threshold": self.threshold(),
            "required": self.required(),
            "passed": bool(passed),
            "severity": self.severity,
        }


def _within(value: Any, low: float | None, high: float | None, equals: Any) -> bool:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return False
    if equals is not None:
        return bool(value == equals)
    return (low is None or value >= low) and (high is None or value <= high)


@dataclass(frozen=True)
class CheckSet:
    """Every check of one run, and where its JUnit report goes."""

    checks: list[Check] = field(default_factory=list)
    junit: str | None = None

    @property
    def any(self) -> bool:
        return bool(self.checks)

    def evaluate(
        self, metrics: dict[str, Any], coefficients: dict[str, float] | None = None
    ) -> list[dict[str, Any]]:
        return [c.evaluate(metrics, coefficients or {}) for c in self.checks]


def feature_members(
    name: str, option: str, features: list[str], columns: dict[str, list[str]]
) -> tuple[str, ...]:
    """The features ``name`` stands for: itself, or every level of a one-hot column."""
    if name in features:
        return (name,)
    if name in columns:
        return tuple(columns[name])
    raise UsageError(f"{option}: no feature {name!r}{_hint(features)}")


def gate_checks(
    *,
    r2_metric: str | None = None,
    r2_label: str | None = None,
    min_r2: float | None = None,
    max_nonzero: int | None = None,
    require: list[str] | None = None,
    signs: list[str] | None = None,
    require_converged: bool = False,
    bounds: list[tuple[str, str, float | None, float | None]] | None = None,
    features: list[str] | None = None,
    columns: dict[str, list[str]] | None = None,
) -> list[Check]:
    """The checks that gate options ask for (all of severity error). ``bounds``: (name,
    metric, low, high) of further options such as --max-mse."""
    features, columns = features or [], columns or {}
    out = []
    if min_r2 is not None and r2_metric is not None:
        label = r2_label or ("cross-validated" if r2_metric == "cv_r2" else "training")
        out.append(Check(f"min_r2 ({label})", r2_metric, low=min_r2))
    if max_nonzero is not None:
        out.append(Check("max_nonzero", "n_nonzero", high=max_nonzero))
    for name, metric, low, high in bounds or []:
        if low is not None or high is not None:
            out.append(Check(name, metric, low=low, high=high))
    for spec in require or []:
        for name in (part.strip() for part in spec.split(",")):
            members = feature_members(name, "--require-feature", features, columns)
            out.append(Check(f"require_feature {name}", "feature", features=members))
    for spec in signs or []:
        name, sign = _split_sign(spec)
        if name not in features:
            raise UsageError(f"--sign: no feature {name!r}{_hint(features)}")
        out.append(Check(f"sign {name}", "sign", features=(name,), sign=sign))
    if require_converged:
        out.append(Check("converged", "converged", equals=True))
    return out


def load_checks_file(
    path: str,
    command: str,
    *,
    features: list[str] | None = None,
    columns: dict[str, list[str]] | None = None,
) -> list[Check]:
    """The [[check]] tables of a TOML checks file; unknown keys or metrics are exit 2."""
    try:
        import tomllib  # type: ignore[import-not-found, unused-ignore]
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib  # type: ignore[import-not-found, no-redef, unused-ignore]

    from regcli.errors import InputError

    try:
        with open(path, "rb") as fh:
            doc = tomllib.load(fh)
    except FileNotFoundError:
        raise InputError(f"--checks: {path}: no such file") from None
    except OSError as exc:
        raise InputError(f"--checks: {path}: cannot read ({exc.strerror})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"--checks: {path}: not valid TOML ({exc})") from None
    extra = set(doc) - {"check"}
    if extra:
        raise UsageError(f"--checks: {path}: unknown table(s) {', '.join(sorted(extra))}")
    tables = doc.get("check", [])
    if not isinstance(tables, list):
        raise UsageError(f"--checks: {path}: 'check' must be an array of tables ([[check]])")
    known = METRICS[command]
    has_features = features is not None
    out = []
    for i, table in enumerate(tables, 1):
        where = f"--checks: {path}: check {i}"
        unknown = set(table) - CHECK_KEYS
        if unknown:
            raise UsageError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
        metric = table.get("metric")
        allowed = known + (FEATURE_METRICS if has_features else ())
        if metric not in allowed:
            raise UsageError(
                f"{where}: unknown metric {metric!r} for {command} (known: {', '.join(allowed)})"
            )
        severity = table.get("severity", "error")
        if severity not in SEVERITIES:
            raise UsageError(f"{where}: severity must be 'error' or 'warn', not {severity!r}")
        name = table.get("name")
        if metric in FEATURE_METRICS:
            feature = table.get("feature")
            if not isinstance(feature, str):
                raise UsageError(f'{where}: metric {metric!r} needs feature = "NAME"')
            members = feature_members(feature, where, features or [], columns or {})
            sign = table.get("sign")
            if metric == "sign" and sign not in ("+", "-"):
                raise UsageError(f'{where}: metric \'sign\' needs sign = "+" or "-"')
            label = name or (f"feature {feature}" if metric == "feature" else f"sign {feature}")
            out.append(Check(label, metric, features=members, sign=sign, severity=severity))
            continue
        low, high, equals = table.get("min"), table.get("max"), table.get("equals")
        for key, value in (("min", low), ("max", high)):
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, (int, float)) or value != value
            ):
                raise UsageError(f"{where}: {key} must be a number")
        if low is None and high is None and equals is None:
            raise UsageError(f"{where}: give min, max or equals")
        label = name or metric
        out.append(Check(label, metric, low=low, high=high, equals=equals, severity=severity))
    return out


def _hint(features: list[str]) -> str:
    shown = ", ".join(features[:10]) + (", ..." if len(features) > 10 else "")
    return f" (features: {shown})"


def _split_sign(spec: str) -> tuple[str, str]:
    name, _, sign = spec.rpartition(":")
    if not name or sign not in ("+", "-"):
        raise UsageError(f"--sign: expected NAME:+ or NAME:-, got {spec!r}")
    return name, sign


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


def report(results: list[dict[str, Any]], checks: CheckSet, *, command: str, force: bool) -> None:
    """Write JUnit / GitHub reports, list failures on stderr, and raise CheckFailed (exit 1)
    when a check of severity error failed (a failed warn check is reported, exit 0)."""
    seconds = time.perf_counter() - _armed["start"] if _armed else 0.0
    disarm()
    if checks.junit is not None:
        from regcli.io.files import write_atomic

        write_atomic(
            checks.junit,
            junit_xml(results, command, seconds=seconds),
            force=force,
            option="--junit",
        )
    github = os.environ.get("GITHUB_ACTIONS") == "true"
    failed = [c for c in results if not c["passed"]]
    shown = {"error": 0, "warn": 0}
    for c in failed:
        severity = c.get("severity", "error")
        line = (
            f"check failed: {c['name']}: observed {_fmt(c['observed'])}, required {c['required']}"
        )
        prefix = "regcli: warning: " if severity == "warn" else "regcli: "
        sys.stderr.write(f"{prefix}{line}\n")
        kind = "warning" if severity == "warn" else "error"
        shown[severity] += 1
        if github and shown[severity] <= MAX_ANNOTATIONS:
            title = github_property(f"regcli {command}")
            sys.stderr.write(f"::{kind} title={title}::{github_data(line)}\n")
    for severity, count in shown.items():
        if github and count > MAX_ANNOTATIONS:
            more = count - MAX_ANNOTATIONS
            kind = "warnings" if severity == "warn" else "failed checks"
            sys.stderr.write(f"regcli: {more} more {kind} are not annotated (see the summary)\n")
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary and results:
        rows = "\n".join(
            f"| {_cell(c['name'])} | {_cell(_fmt(c['observed']))} | {_cell(c['required'])} | "
            f"{_verdict(c)} |"
            for c in results
        )
        with open(summary, "a", encoding="utf-8") as fh:
            fh.write(
                f"### regcli {command} checks\n\n| check | observed | required | result |\n"
                f"| --- | --- | --- | --- |\n{rows}\n\n"
            )
    sys.stderr.flush()
    errors = [c for c in failed if c.get("severity", "error") == "error"]
    if errors:
        raise CheckFailed(f"{len(errors)} of {len(results)} checks failed")


def _verdict(c: dict[str, Any]) -> str:
    if c["passed"]:
        return "pass"
    return "warn" if c.get("severity") == "warn" else "**FAIL**"


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


def junit_xml(
    results: list[dict[str, Any]],
    command: str,
    *,
    error: str | None = None,
    seconds: float = 0.0,
) -> str:
    """The checks as a JUnit test suite; a failed warn check passes with its warning in
    <system-out>; ``error``: the run ended in a data or input error, reported as one <error>
    test case. Test cases share the run's time."""
    from xml.sax.saxutils import escape, quoteattr  # imports urllib: only when writing JUnit

    failures = sum(not c["passed"] and c.get("severity", "error") == "error" for c in results)
    each = seconds / max(len(results) + (error is not None), 1)
    cases = []
    for c in results:
        body = ""
        if not c["passed"]:
            msg = f"observed {_fmt(c['observed'])}, required {c['required']}"
            if c.get("severity", "error") == "warn":
                body = f"<system-out>{escape('warning: ' + msg)}</system-out>"
            else:
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
