"""A fuzzer of the command line: generated tables (bytes, encodings, line endings, magnitudes)
and option sets, run through regcli's real entry point, checked against the exit-code contract.

Used by tests/test_fuzz.py (a bounded number of examples) and by benchmarks/fuzz.py (minutes).
"""

from __future__ import annotations

import contextlib
import io
import json
import signal
import sys
from dataclasses import dataclass
from functools import partial

from hypothesis import strategies as st

#: Exit codes a run may end with (70, internal error, is always a bug).
CONTRACT_CODES = {0, 1, 2, 65, 66}
#: Seconds one fuzzed run may take before it counts as a hang.
HANG_SECONDS = 30

NUMBERS = st.one_of(
    st.integers(-5, 5),
    st.floats(-10, 10, allow_nan=False, allow_infinity=False),
    st.sampled_from([0, 1, 1e300, -1e300, 1e155, 1e-300, 5e-324, 1e-160, 2**64 + 1, 1e16]),
    st.floats(allow_nan=True, allow_infinity=True),
)
TEXT = st.one_of(
    st.sampled_from(["", "a", "b", "NA", "nan", "true", "false", "yes", "1,5", " 3", "x y"]),
    st.text(max_size=6),
)
CELLS = st.one_of(NUMBERS.map(repr), TEXT)
#: Units a clean table's numeric column may come in (most often none).
UNITS = [1.0] * 8 + [1e-3, 1e3, 1e-8, 1e8, 1e-20, 1e20, 1e-100, 1e100, 1e-250, 1e250]
NAMES = st.one_of(
    st.sampled_from(["y", "target", "x", "x1", "x2", "firm", "w", "f", "Y", "a b", ""]),
    st.text(min_size=0, max_size=5),
)


def _in_unit(value: str, unit: float) -> str:
    return repr(float(value) * unit)


@st.composite
def wide_tables(draw) -> bytes:  # type: ignore[no-untyped-def]
    """A table with more feature columns than rows (the lazy, homotopy and dual routes), its
    numbers drawn by NumPy from a drawn seed: independent, correlated, with duplicated or
    constant columns, or in mixed units; a numeric, count or 0/1 target."""
    import numpy as np

    n = draw(st.integers(3, 40))
    p = draw(st.integers(n + 1, 300))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    shape = draw(st.sampled_from(["independent", "correlated", "duplicates", "constant", "units"]))
    X = rng.standard_normal((n, p))
    if shape == "correlated":
        X = 0.95 * rng.standard_normal((n, 1)) + 0.3 * X
    elif shape == "duplicates":
        X[:, 1::2] = X[:, ::2][:, : p // 2]
    elif shape == "constant":
        X[:, rng.random(p) < 0.3] = 1.5
    elif shape == "units":
        X *= 10.0 ** rng.integers(-12, 13, p)
    signal = X[:, :3].sum(axis=1) / (np.abs(X[:, :3]).sum(axis=1).max() + 1e-300)
    target = draw(st.sampled_from(["numbers", "counts", "classes"]))
    if target == "numbers":
        y = signal + 0.3 * rng.standard_normal(n)
    elif target == "counts":
        y = rng.poisson(np.exp(signal)).astype(float)
    else:
        y = (signal + 0.5 * rng.standard_normal(n) > 0).astype(float)
    lines = [",".join([f"x{j}" for j in range(p)] + ["y"])]
    lines += [",".join(f"{v:.6g}" for v in (*row, t)) for row, t in zip(X, y)]
    return ("\n".join(lines) + "\n").encode()


@st.composite
def tables(draw) -> bytes:  # type: ignore[no-untyped-def]
    """The bytes of a small delimited table (or of something that only looks like one), now
    and then a wide one (``wide_tables``)."""
    if draw(st.integers(0, 30)) == 0:
        return draw(st.binary(max_size=200))
    if draw(st.integers(0, 9)) == 0:
        return draw(wide_tables())
    clean = draw(st.booleans())  # half the tables are plausible data, with a rare odd cell
    n_cols = draw(st.integers(2 if clean else 1, 6))
    n_rows = draw(st.integers(4, 40) if clean else st.integers(0, 12))
    if clean:
        names = [f"x{j}" for j in range(n_cols - 1)] + [draw(st.sampled_from(["y", "Y", "t"]))]
    else:
        names = draw(st.lists(NAMES, min_size=n_cols, max_size=n_cols))
    numeric = [clean or draw(st.booleans()) or draw(st.booleans()) for _ in range(n_cols)]
    odd = 30 if clean else 9
    plain = st.floats(-100, 100, allow_nan=False).map(lambda v: repr(round(v, 3)))
    small_ints = st.integers(0, 3).map(str)
    levels = st.sampled_from(["a", "b", "c"])
    kinds = [
        draw(st.sampled_from([plain, plain, plain, small_ints, levels])) if clean else None
        for _ in range(n_cols)
    ]
    if clean:  # the target: numbers, counts, or two classes (binomial and Poisson fits run)
        classes = st.sampled_from(["0", "1"]) | st.sampled_from(["yes", "no"])
        kinds[-1] = draw(st.sampled_from([plain, plain, small_ints, classes]))
        # a numeric column in other units: every tolerance and floor must follow them
        for j, kind in enumerate(kinds):
            unit = draw(st.sampled_from(UNITS))
            if unit != 1.0 and (kind is plain or kind is small_ints):
                kinds[j] = kind.map(partial(_in_unit, unit=unit))
    rows = []
    for _ in range(n_rows):
        row = []
        for j in range(n_cols):
            strategy = kinds[j] if clean else (NUMBERS.map(repr) if numeric[j] else CELLS)
            if draw(st.integers(0, odd)) == 0:
                strategy = CELLS if draw(st.booleans()) else NUMBERS.map(repr)
            row.append(draw(strategy))
        if draw(st.integers(0, 60 if clean else 15)) == 0:  # a ragged row
            row = row[: draw(st.integers(0, n_cols))]
        rows.append(row)
    sep = "," if clean and draw(st.booleans()) else draw(st.sampled_from([",", ";", "\t", "|"]))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    quote = draw(st.booleans()) and not draw(st.booleans())

    def field(v: str) -> str:
        if quote or sep in v or '"' in v or "\n" in v or "\r" in v:
            return '"' + v.replace('"', '""') + '"'
        return v

    text = newline.join(sep.join(field(v) for v in r) for r in [names, *rows])
    if draw(st.booleans()):
        text += newline
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8", "utf-8-sig", "utf-16", "latin-1"]))
    return text.encode(encoding, errors="replace")


EDGE_FLOATS = st.one_of(
    st.sampled_from(["0.001", "0.01", "0.1", "0.5", "1", "2"]),
    st.sampled_from(["0", "1e-300", "1e300", "-1", "nan", "inf", "abc", "1e-12", "100"]),
)


@st.composite
def option_sets(draw) -> list[str]:  # type: ignore[no-untyped-def]
    """A command and a few options, their values at the edges."""
    command = draw(
        st.sampled_from(["fit", "fit", "path", "cv", "compare", "predict", "assess", "diff"])
    )
    if command in ("predict", "assess", "diff"):
        return draw(model_option_sets(command))
    args: list[str] = [command]
    if command == "fit" and draw(st.integers(0, 4)):
        args += ["--alpha", draw(EDGE_FLOATS)]
    pool = {
        "--penalty": st.sampled_from(["l1", "l2", "elasticnet", "lasso"]),
        "--l1-ratio": st.sampled_from(["0", "0.5", "1", "1.5", "0,1", "0.1,0.9", "nan"]),
        "--target": st.one_of(st.sampled_from(["y", "x0", "x1", "t"]), NAMES),
        "--na": st.sampled_from(["error", "drop", "mean"]),
        "--weights": st.one_of(st.sampled_from(["x0", "x1"]), NAMES),
        "--folds": st.sampled_from(["2", "3", "1", "1000"]),
        "--seed": st.sampled_from(["0", "-1", "7"]),
        "--n-alphas": st.sampled_from(["1", "2", "5"]),
        "--eps": EDGE_FLOATS,
        "--alphas": st.sampled_from(["1,0.1", "0", "-1", "1e300", "1e-300,1"]),
        "--tol": EDGE_FLOATS,
        "--max-iter": st.sampled_from(["1", "2", "0"]),
        "--metric": st.sampled_from(["mse", "mae", "r2", "deviance", "class", "auc"]),
        "--decimal": st.sampled_from([",", "."]),
        "--min-r2": EDGE_FLOATS,
        "--penalty-factor": st.sampled_from(
            ["x0=0", "x1=2,x0=0.5", "x0=-1", "nope=1", "x0", "y=1"]
        ),
        "--unpenalized": st.sampled_from(["x0", "x0,x1", "nope", "x0,,x1"]),
        "--lower": st.sampled_from(["0", "-1", "1", "x0=-0.5", "-inf", "nan", "x0=abc"]),
        "--upper": st.sampled_from(["0", "1e-300", "x1=2", "-1", "inf", "1e300"]),
        "--positive": None,
        "--relax": None,
        "--gamma": st.sampled_from(["0", "0.5", "1", "2", "0,1", "nan"]),
        "--select": st.sampled_from(["aic", "bic", "ebic", "min", "1se"]),
        "--features": st.sampled_from(["x0", "x0,x1", "nope", "", "y", "x1,x1"]),
        "--exclude": st.sampled_from(["x0", "y", "nope", "x0,x1,x2,x3"]),
        "--fold-col": st.sampled_from(["x0", "x1", "y", "nope"]),
        "--group-col": st.sampled_from(["x0", "x1", "y", "nope"]),
        "--repeats": st.sampled_from(["1", "2", "0"]),
        "--fold-grid": st.sampled_from(["common", "own"]),
        "--test-size": st.sampled_from(["0.2", "0.5", "0", "1", "0.99"]),
        "--positive-class": st.sampled_from(["1", "0", "yes", "no", "a", "zz"]),
        "--min-auc": EDGE_FLOATS,
        "--max-deviance": EDGE_FLOATS,
        "--max-nonzero": st.sampled_from(["0", "1", "100"]),
        "--require-feature": st.sampled_from(["x0", "nope", "y"]),
        "--sign": st.sampled_from(["x0:+", "x1:-", "x0:?", "nope:+", "x0"]),
        "--require-converged": None,
        "--threads": st.sampled_from(["1", "2", "0"]),
        "--engine": st.sampled_from(["local", "stream", "auto", "spark"]),
        "--family": st.sampled_from(["gaussian", "binomial", "poisson", "gamma"]),
        "--progress": None,
        "--no-standardize": None,
        "--no-intercept": None,
    }
    extras = [
        "--engine",
        "--family",
        "--progress",
        "--no-standardize",
        "--no-intercept",
        "--features",
        "--exclude",
        "--positive-class",
        "--threads",
    ]
    gates = ["--min-auc", "--max-deviance", "--max-nonzero", "--require-feature", "--sign"]
    folds = ["--fold-col", "--group-col", "--repeats", "--fold-grid"]
    controls = ["--penalty-factor", "--unpenalized", "--lower", "--upper", "--positive"]
    allowed = {
        "fit": [
            "--penalty",
            "--l1-ratio",
            "--target",
            "--na",
            "--weights",
            "--tol",
            "--max-iter",
            "--decimal",
            "--min-r2",
            *controls,
            "--relax",
            "--gamma",
            *extras,
            *gates,
            "--require-converged",
        ],
        "path": [
            "--penalty",
            "--l1-ratio",
            "--target",
            "--na",
            "--weights",
            "--n-alphas",
            "--eps",
            "--alphas",
            "--tol",
            "--max-iter",
            "--decimal",
            *controls,
            "--relax",
            "--gamma",
            "--select",
            *extras,
        ],
        "cv": [
            "--penalty",
            "--l1-ratio",
            "--target",
            "--na",
            "--weights",
            "--folds",
            "--seed",
            "--n-alphas",
            "--alphas",
            "--metric",
            "--decimal",
            "--min-r2",
            *controls,
            "--relax",
            "--gamma",
            "--select",
            *extras,
            *gates,
            *folds,
        ],
        "compare": [
            "--target",
            "--na",
            "--weights",
            "--folds",
            "--seed",
            "--decimal",
            "--select",
            "--test-size",
            *controls,
            *extras,
            *folds,
        ],
    }[command]
    for option in draw(st.lists(st.sampled_from(allowed), max_size=4, unique=True)):
        flag = pool[option] is None
        args += [option] if flag else [option, draw(pool[option])]
    if command in ("cv", "compare") and "--folds" not in args:
        args += ["--folds", "3"]
    if command in ("path", "cv") and "--n-alphas" not in args and "--alphas" not in args:
        args += ["--n-alphas", "5"]
    args += ["--format", draw(st.sampled_from(["json", "csv", "table"]))]
    return args


#: Placeholders that run_case replaces: the fuzzed model file and a valid one.
MODEL, BASE_MODEL = "{MODEL}", "{BASE_MODEL}"


@st.composite
def model_option_sets(draw, command: str) -> list[str]:  # type: ignore[no-untyped-def]
    """predict / assess MODEL DATA, or diff MODEL BASE_MODEL, with a few options."""
    args = [command, MODEL] + ([BASE_MODEL] if command == "diff" else [])
    pool = {
        "predict": ["--na", "--unknown", "--decimal", "--type"],
        "assess": ["--na", "--unknown", "--min-r2", "--max-mse", "--target", "--weights"],
        "diff": ["--max-coef-change", "--same-support", "--no-sign-flip"],
    }[command]
    values = {
        "--na": st.sampled_from(["error", "drop", "mean"]),
        "--unknown": st.sampled_from(["error", "zero"]),
        "--type": st.sampled_from(["response", "link", "class", "nope"]),
        "--decimal": st.sampled_from([",", "."]),
        "--min-r2": EDGE_FLOATS,
        "--max-mse": EDGE_FLOATS,
        "--max-coef-change": EDGE_FLOATS,
        "--target": st.sampled_from(["y", "x0", "nope"]),
        "--weights": st.sampled_from(["x1", "nope"]),
    }
    for option in draw(st.lists(st.sampled_from(pool), max_size=3, unique=True)):
        if option in ("--same-support", "--no-sign-flip"):
            args.append(option)
        else:
            args += [option, draw(values[option])]
    return args + ["--format", draw(st.sampled_from(["json", "csv", "table"]))]


_BASE: dict[str, str] = {}


def base_model(family: str = "gaussian") -> str:
    """The JSON text of a valid model of ``family`` (a lasso on a small table of x0, x1, a
    category x2 and the target: y, two classes 'no'/'yes', or counts)."""
    if family not in _BASE:
        import tempfile
        from pathlib import Path

        from regcli.cli.app import main

        folder = Path(tempfile.mkdtemp(prefix="regcli-fuzz-model-"))
        rows = [
            f"{i % 7},{(i * 3) % 5},{'abc'[i % 3]},{i % 7 + 0.5 * (i % 5)},"
            f"{'yes' if (i * 5) % 7 > 2 else 'no'},{(i * 3) % 4}"
            for i in range(30)
        ]
        (folder / "t.csv").write_text("x0,x1,x2,y,c,k\n" + "\n".join(rows) + "\n")
        target, others = {
            "gaussian": ("y", "c,k"),
            "binomial": ("c", "y,k"),
            "poisson": ("k", "y,c"),
        }[family]
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            code = main(
                [
                    "fit",
                    str(folder / "t.csv"),
                    "--alpha",
                    "0.01",
                    "--target",
                    target,
                    "--exclude",
                    others,
                    "--family",
                    family,
                    "--save",
                    str(folder / "m.json"),
                    "-q",
                ]
            )
        assert code == 0
        _BASE[family] = (folder / "m.json").read_text()
    return _BASE[family]


ODD_VALUES = st.sampled_from([None, "x", 1e308, -1, 0, [], {}, True, [1, 2], {"a": 1}, 10**400])


@st.composite
def model_texts(draw) -> str:  # type: ignore[no-untyped-def]
    """A model file's text (of any family): valid, or with a key removed or replaced, or
    truncated."""
    text = base_model(draw(st.sampled_from(["gaussian", "gaussian", "binomial", "poisson"])))
    kind = draw(st.sampled_from(["valid", "valid", "drop", "replace", "nested", "cut"]))
    if kind == "valid":
        return text
    if kind == "cut":
        return text[: draw(st.integers(0, len(text) - 1))]
    doc = json.loads(text)
    paths = [(k,) for k in doc] + [(k, j) for k, v in doc.items() if isinstance(v, dict) for j in v]
    path = draw(st.sampled_from(paths))
    target = doc
    for key in path[:-1]:
        target = target[key]
    if kind == "drop":
        del target[path[-1]]
    elif kind == "replace":
        value = draw(ODD_VALUES)
        target[path[-1]] = value
    else:
        target[path[-1]] = {"deeper": [target[path[-1]]]}
    return json.dumps(doc)


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str
    seconds_exceeded: bool = False


class _Hang(BaseException):
    pass


def run_case(data_path: str, args: list[str], model_text: str | None = None) -> Outcome:
    """Run regcli in this process on ``data_path`` with ``args`` (the data path is inserted
    after the command, or after the model file), capturing stdout and stderr, bounded by
    HANG_SECONDS. MODEL and BASE_MODEL in ``args`` become files holding ``model_text`` and a
    valid model."""
    from pathlib import Path

    from regcli.cli.app import main

    if MODEL in args:
        folder = Path(data_path).parent
        (folder / "model.json").write_text(model_text if model_text is not None else "")
        (folder / "base.json").write_text(base_model())
        args = [
            str(folder / "model.json")
            if a == MODEL
            else str(folder / "base.json")
            if a == BASE_MODEL
            else a
            for a in args
        ]
        if args[0] != "diff":  # predict / assess MODEL DATA
            args = [args[0], args[1], data_path, *args[2:]]
        data_path = ""

    out, err = io.StringIO(), io.StringIO()

    def alarm(signum, frame):  # type: ignore[no-untyped-def]
        raise _Hang()

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(HANG_SECONDS)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main([args[0], data_path, *args[1:]] if data_path else args)
    except _Hang:
        return Outcome(-1, out.getvalue(), err.getvalue(), seconds_exceeded=True)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    return Outcome(code, out.getvalue(), err.getvalue())


def contract_violations(outcome: Outcome, args: list[str]) -> list[str]:
    """What a run did against the contract: exit codes, one error line, no raw warnings or
    tracebacks, valid JSON, no NaN or infinity in the output."""
    problems = []
    if outcome.seconds_exceeded:
        return [f"hang (> {HANG_SECONDS} s)"]
    if outcome.code not in CONTRACT_CODES:
        problems.append(f"exit {outcome.code}: {outcome.stderr.strip()[-200:]}")
    lines = outcome.stderr.splitlines()
    if any(not line.startswith("regcli: ") for line in lines):
        problems.append("a stderr line not from regcli (raw warning or traceback)")
    # a library's warning passed on as a regcli line ("overflow encountered in divide") says
    # nothing a user can act on: the code should have avoided or caught the case
    leaked = [line for line in lines if "encountered in" in line]
    if leaked:
        problems.append(f"a floating-point warning from NumPy: {leaked[0][:120]}")
    errors = [line for line in lines if line.startswith("regcli: error: ")]
    if outcome.code in (2, 65, 66) and len(errors) != 1:
        problems.append(f"{len(errors)} error lines")
    if outcome.code == 0:
        if errors:
            problems.append("an error line with exit 0")
        text = outcome.stdout
        fmt = args[args.index("--format") + 1] if "--format" in args else "csv"
        if fmt == "json":

            def refuse(constant: str) -> float:
                raise ValueError(constant)

            try:
                json.loads(text, parse_constant=refuse)
            except ValueError as exc:
                problems.append(f"invalid JSON or NaN/Infinity in it ({exc})")
        elif fmt == "csv":
            import csv

            for row in csv.reader(io.StringIO(text)):
                cells = [c.strip().lower() for c in row[1:]]  # the first cell names the row
                if any(c in ("nan", "inf", "-inf", "infinity", "-infinity") for c in cells):
                    problems.append("NaN or infinity in a CSV cell")
                    break
    return problems


def main_loop(seconds: float, seed: int = 0) -> None:  # pragma: no cover - a developer tool
    """Run generated cases for ``seconds`` and print what broke the contract."""
    import tempfile
    import time
    from pathlib import Path

    from hypothesis import HealthCheck, given, settings
    from hypothesis import seed as seed_of

    found: list[tuple[list[str], bytes, list[str]]] = []
    count = [0]
    codes: dict[int, int] = {}
    stop = time.monotonic() + seconds
    folder = Path(tempfile.mkdtemp(prefix="regcli-fuzz-"))

    def case(data: bytes, args: list[str], model: str) -> None:
        count[0] += 1
        path = folder / "t.csv"
        path.write_bytes(data)
        outcome = run_case(str(path), args, model)
        codes[outcome.code] = codes.get(outcome.code, 0) + 1
        problems = contract_violations(outcome, args)
        if problems:
            found.append((args, data, problems))
            (folder / f"case{len(found)}.csv").write_bytes(data)
            (folder / f"case{len(found)}.model.json").write_text(model)
            (folder / f"case{len(found)}.txt").write_text(
                " ".join(args) + "\n" + "; ".join(problems) + "\n" + outcome.stderr
            )

    rounds = 0
    while time.monotonic() < stop:  # rounds of 100 examples, each from its own seed
        rounds += 1
        run = settings(
            max_examples=100,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )(
            seed_of(seed * 100_003 + rounds)(
                given(data=tables(), args=option_sets(), model=model_texts())(case)
            )
        )
        run()
    print(
        f"{count[0]} cases in {seconds:.0f} s (seed {seed}); {len(found)} broke the contract "
        f"(cases in {folder})"
    )
    print("exit codes: " + ", ".join(f"{k}: {v}" for k, v in sorted(codes.items())))
    for args, data, problems in found[:50]:
        print(f"- {'; '.join(problems)}: regcli {' '.join(args)} on {data[:120]!r}")
    sys.exit(1 if found else 0)
