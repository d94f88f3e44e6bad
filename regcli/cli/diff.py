"""`regcli diff OLD NEW`: how a model changed between two saved fits (drift), with CI gates."""

from __future__ import annotations

import math
from typing import Annotated, Any

import typer

from regcli.cli.options import (
    ChecksOption,
    ForceOption,
    FormatOption,
    JunitOption,
    MaxCoefChangeOption,
    NoSignFlipOption,
    OutputOption,
    QuietOption,
    SameSupportOption,
)

OldModel = Annotated[
    str, typer.Argument(metavar="OLD_MODEL", help="The earlier model file.", show_default=False)
]
NewModel = Annotated[
    str, typer.Argument(metavar="NEW_MODEL", help="The later model file.", show_default=False)
]


def model_changes(old: Any, new: Any) -> dict[str, Any]:
    """Per-feature old / new / change on the original and standardized scales, the support
    added and removed, sign flips, and the largest standardized change. A feature in one
    model only counts as 0 in the other (and is reported, not an error)."""
    old_coef = dict(zip(old.features, map(float, old.coef)))
    new_coef = dict(zip(new.features, map(float, new.coef)))
    import numpy as np

    with np.errstate(over="ignore"):  # an edited file's coefficient x scale may pass float64
        old_std = dict(zip(old.features, np.asarray(old.coef) * old.scales))
        new_std = dict(zip(new.features, np.asarray(new.coef) * new.scales))
    names = list(dict.fromkeys([*old.features, *new.features]))
    rows, added, removed, flips = [], [], [], []
    for f in names:
        a, b = old_coef.get(f, 0.0), new_coef.get(f, 0.0)
        sa, sb = float(old_std.get(f, 0.0)), float(new_std.get(f, 0.0))
        where = "both" if f in old_coef and f in new_coef else ("old" if f in old_coef else "new")
        if a == 0 and b != 0:
            added.append(f)
        elif a != 0 and b == 0:
            removed.append(f)
        elif a * b < 0:
            flips.append(f)
        rows.append(
            {
                "feature": f,
                "in": where,
                "old": a,
                "new": b,
                "change": b - a,
                "old_standardized": sa,
                "new_standardized": sb,
                "standardized_change": sb - sa,
            }
        )
    biggest = max(rows, key=lambda r: abs(r["standardized_change"]), default=None)
    return {
        "features": rows,
        "support_added": added,
        "support_removed": removed,
        "sign_flips": flips,
        "same_support": not added and not removed,
        "max_coef_change": abs(biggest["standardized_change"]) if biggest else 0.0,
        "max_coef_change_feature": biggest["feature"] if biggest else None,
    }


def _number_changes(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """old / new / change of every number the two documents' metrics both record."""
    out: dict[str, Any] = {}
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if isinstance(a, dict) or isinstance(b, dict):
            nested = _number_changes(
                a if isinstance(a, dict) else {}, b if isinstance(b, dict) else {}
            )
            if nested:
                out[key] = nested
            continue
        pair = _old_new(a, b)
        if pair["old"] is not None or pair["new"] is not None:
            out[key] = pair
    return out


def _old_new(a: Any, b: Any) -> dict[str, float | None]:
    """{old, new, change} of a number two files record (``_number``; change None unless both
    are numbers)."""
    x, y = _number(a), _number(b)
    return {"old": x, "new": y, "change": None if x is None or y is None else y - x}


def _recorded(model: Any) -> dict[str, Any]:
    """The metrics a model file records (an object; anything else counts as none)."""
    metrics = model.document.get("metrics")
    return metrics if isinstance(metrics, dict) else {}


def diff_command(
    old: OldModel,
    new: NewModel,
    same_support: SameSupportOption = False,
    max_coef_change: MaxCoefChangeOption = None,
    no_sign_flip: NoSignFlipOption = False,
    checks_file: ChecksOption = None,
    junit: JunitOption = None,
    fmt: FormatOption = None,
    output: OutputOption = None,
    force: ForceOption = False,
    quiet: QuietOption = False,
) -> None:
    """Compare two model files: coefficient changes, support added and removed, sign flips."""
    from regcli.cli import common, csvout, tables
    from regcli.cli.checks import Check, arm, report
    from regcli.cli.messages import set_quiet
    from regcli.io.model import load_model

    set_quiet(quiet)
    common.distinct_outputs(output=output, junit=junit)
    emitter = common.Emitter.create(fmt, output, force)
    arm(junit, command="diff", force=force)
    before, after = load_model(old), load_model(new)
    changes = model_changes(before, after)
    alpha = _old_new(before.document.get("alpha"), after.document.get("alpha"))
    gates = []
    if same_support:
        gates.append(Check("same_support", "same_support", equals=True))
    if no_sign_flip:
        gates.append(Check("no_sign_flip", "n_sign_flips", high=0))
    checks = common.check_set(
        "diff",
        junit=junit,
        checks_file=checks_file,
        features=after.features,
        columns={e.column: e.features for e in after.encodings},
        bounds=[("max_coef_change", "max_coef_change", None, max_coef_change)],
        extra=gates,
    )
    metrics = {
        "max_coef_change": changes["max_coef_change"],
        "n_support_added": len(changes["support_added"]),
        "n_support_removed": len(changes["support_removed"]),
        "n_sign_flips": len(changes["sign_flips"]),
        "same_support": changes["same_support"],
        "alpha_change": alpha["change"],
    }
    payload = {
        "command": "diff",
        "old": old,
        "new": new,
        "targets": {"old": before.target, "new": after.target},
        "family": {"old": before.family.name, "new": after.family.name},
        **(
            {"positive_class": {"old": before.classes[1], "new": after.classes[1]}}
            if before.classes is not None and after.classes is not None
            else {}
        ),
        **changes,
        "alpha": alpha,
        "l1_ratio": {
            "old": _number(before.document.get("l1_ratio")),
            "new": _number(after.document.get("l1_ratio")),
        },
        "metrics": _number_changes(_recorded(before), _recorded(after)),
        "checks": checks.evaluate(metrics, dict(zip(after.features, map(float, after.coef)))),
    }
    from regcli.cli.messages import warn

    if before.target != after.target:
        warn(f"the models predict different targets ({before.target!r}, {after.target!r})")
    if before.family.name != after.family.name:
        warn(
            f"the models are of different families ({before.family.name}, "
            f"{after.family.name}): their coefficients are on different scales"
        )
    elif before.classes is not None and after.classes is not None:
        if before.classes[1] != after.classes[1]:
            warn(
                f"the models model different classes as 1 ({before.classes[1]!r}, "
                f"{after.classes[1]!r}): the same fit has every coefficient's sign flipped"
            )
    emitter.result(payload, csvout.diff_csv, lambda con, p, _t: tables.draw_diff(con, p))
    report(payload["checks"], checks, command="diff", force=force)


def _number(value: object) -> float | None:
    """A recorded number as a finite float; None where the file holds anything else (text,
    true/false, and the NaN, infinities or integers beyond float range an edited file may
    hold)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None
