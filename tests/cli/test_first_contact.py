"""What a new user and a fuzzer meet first: help, output files, signals, notes, odd tables."""

from __future__ import annotations

import gzip
import io
import json
import os
import signal
import stat
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.conftest import SAMPLE

DIABETES = str(SAMPLE / "diabetes.csv")
SMALL = "a,b,y\n1,2,3.5\n2,1,4\n3,5,8.5\n4,3,8\n5,4,10.1\n6,7,13\n"


def error_line(stderr: str) -> str:
    """The one error line of a failed run (and assert there is exactly one line)."""
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("regcli: error: "), stderr
    return lines[0]


# --- 1. help -------------------------------------------------------------------------------


def test_bare_regcli_prints_help_and_exits_0(cli):
    r = cli()
    assert r.exit_code == 0 and "Usage: regcli" in r.stdout and "fit" in r.stdout


@pytest.mark.parametrize("command", ["fit", "path", "cv", "compare", "predict"])
def test_bare_command_prints_its_help_and_exits_2(cli, command):
    r = cli(command)
    assert r.exit_code == 2 and r.stdout == ""
    assert f"Usage: regcli {command}" in r.stderr and "--help" in r.stderr


# --- 2-4. output files ---------------------------------------------------------------------


def test_new_files_get_the_umask_mode_and_replaced_files_keep_theirs(cli, tmp_path):
    old = os.umask(0o022)
    try:
        out, model = tmp_path / "out.json", tmp_path / "m.json"
        r = cli("fit", DIABETES, "--alpha", "1", "-o", out, "--save", model)
        assert r.exit_code == 0, r.stderr
        assert stat.S_IMODE(out.stat().st_mode) == 0o644
        assert stat.S_IMODE(model.stat().st_mode) == 0o644
        out.chmod(0o640)
        r = cli("fit", DIABETES, "--alpha", "2", "-o", out, "--force")
        assert r.exit_code == 0 and stat.S_IMODE(out.stat().st_mode) == 0o640
        assert json.loads(out.read_text())["alpha"] == 2
    finally:
        os.umask(old)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_force_never_replaces_a_link_or_a_directory(cli, tmp_path):
    real = tmp_path / "real.json"
    real.write_text("keep")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    r = cli("fit", DIABETES, "--alpha", "1", "-o", link, "--force")
    assert r.exit_code == 2 and "symbolic link" in error_line(r.stderr)
    assert link.is_symlink() and real.read_text() == "keep"
    r = cli("fit", DIABETES, "--alpha", "1", "-o", tmp_path, "--force")
    assert r.exit_code == 2 and "directory" in error_line(r.stderr)


def test_a_fifo_is_written_by_opening_it(cli, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received = []

    import threading

    def reader():
        with open(fifo) as fh:
            received.append(fh.read())

    t = threading.Thread(target=reader)
    t.start()
    r = cli("fit", DIABETES, "--alpha", "1", "-o", fifo, "-f", "json")
    t.join(10)
    assert r.exit_code == 0, r.stderr
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)  # still a FIFO, not replaced by a file
    assert json.loads(received[0])["alpha"] == 1


def test_dev_full_is_an_output_error_not_a_replaced_device(tmp_path):
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    cmd = [sys.executable, "-m", "regcli", "fit", DIABETES, "-t", "y", "--alpha", "1", "-f", "json"]
    r = subprocess.run([*cmd, "-o", "/dev/full", "--force"], capture_output=True, text=True)
    assert r.returncode == 74 and "No space left" in error_line(r.stderr)
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)
    with open("/dev/full", "w") as full:
        r = subprocess.run(cmd, stdout=full, stderr=subprocess.PIPE, text=True)
    assert r.returncode == 74 and "No space left" in error_line(r.stderr)


@pytest.mark.parametrize(
    "extra",
    [
        ["--save", "same.json", "--output", "same.json", "--force"],
        ["--junit", "same.xml", "--output", "same.xml", "--min-r2", "0"],
        ["--save", "same.json", "--junit", "same.json", "--min-r2", "0"],
    ],
)
def test_two_outputs_on_one_path_is_a_usage_error_before_writing(cli, tmp_path, extra):
    os.chdir(tmp_path)
    r = cli("fit", DIABETES, "--alpha", "1", *extra)
    assert r.exit_code == 2 and "both name" in error_line(r.stderr)
    assert list(tmp_path.iterdir()) == []


# --- 5. signals ----------------------------------------------------------------------------


def _start(args, tmp_path):
    env = dict(os.environ, PYTHONPATH=str(SAMPLE.parent))
    return subprocess.Popen(
        [sys.executable, "-m", "regcli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env=env,
    )


@pytest.mark.parametrize(
    ("sig", "code", "word"),
    [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")],
)
def test_signals_end_with_one_line_and_no_temporary_file(tmp_path, sig, code, word):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 1500))
    data = tmp_path / "wide.csv"
    pd.DataFrame(X, columns=[f"x{j}" for j in range(1500)]).assign(y=X[:, 0]).to_csv(
        data, index=False
    )
    proc = _start(
        ["cv", str(data), "--l1-ratio", "0.05", "--repeats", "50", "-o", "out.json"], tmp_path
    )
    time.sleep(4)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == code
    assert err.splitlines()[-1] == f"regcli: error: {word}"
    assert not [p for p in tmp_path.iterdir() if p.suffix == ".tmp" or p.name == "out.json"]


# --- 7-9. notes ----------------------------------------------------------------------------


def test_target_chosen_by_position_is_named_on_stderr_whatever_the_format(cli, write_csv):
    path = write_csv("a,b,c\n1,2,3\n2,3,5\n3,1,1\n4,4,6\n")
    for fmt in ("csv", "json"):
        r = cli("fit", path, "--alpha", "0.1", "-f", fmt)
        assert r.exit_code == 0
        assert "regcli: note: target: 'c' (last column" in r.stderr


def test_zero_one_target_warns_and_alpha_above_alpha_max_is_explained(cli, write_csv):
    path = write_csv("a,b,y\n1,2,0\n2,3,1\n3,1,0\n4,4,1\n5,0,1\n")
    r = cli("fit", path, "--alpha", "0.01", "--target", "y")
    assert r.exit_code == 0 and "holds only 0 and 1" in r.stderr
    r = cli("fit", DIABETES, "--alpha", "1000", "-f", "json")
    assert r.exit_code == 0 and r.json()["n_nonzero"] == 0
    assert "at or above alpha_max = 45.16" in r.stderr


# --- 15, 21. tables ------------------------------------------------------------------------


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_line_endings_read_alike(cli, tmp_path, newline):
    path = tmp_path / "d.csv"
    path.write_bytes(SMALL.replace("\n", newline).encode())
    r = cli("fit", path, "--alpha", "0.1", "-f", "json")
    assert r.exit_code == 0, r.stderr
    assert r.json()["n_samples"] == 6


def test_utf16_and_bom_and_gzip(cli, tmp_path):
    ref = None
    for name, data in [
        ("bom.csv", b"\xef\xbb\xbf" + SMALL.encode()),
        ("u16.csv", SMALL.encode("utf-16")),
        ("plain.csv.gz", gzip.compress(SMALL.encode())),
    ]:
        (tmp_path / name).write_bytes(data)
        r = cli("fit", tmp_path / name, "--alpha", "0.1", "-f", "json")
        assert r.exit_code == 0, (name, r.stderr)
        coef = r.json()["coefficients"]
        assert ref is None or coef == ref
        ref = coef


@pytest.mark.parametrize(
    "data",
    [
        b"a,b\rx\x00\xff\xfe,\r1,2",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        b"a,b,y\n1,2\n",
        b"\xff\xfe\x00",
        b"a;b;y\n1,5;2;3\n2,5;1;4\n3,5;4;4\n",
    ],
)
def test_garbage_is_one_line_exit_65(cli, tmp_path, data):
    path = tmp_path / "bad.csv"
    path.write_bytes(data)
    r = cli("fit", path, "--alpha", "0.1")
    assert r.exit_code == 65, r.stderr
    error_line(r.stderr)


def test_a_header_field_of_200_kb_is_read(cli, write_csv):
    name = "x" * 200_000
    r = cli("fit", write_csv(name + ",y\n1,2\n3,4\n2,2.5\n"), "--alpha", "0.01", "-f", "json")
    assert r.exit_code == 0 and list(r.json()["coefficients"]) == [name]


def test_decimal_commas_are_detected_and_read_with_decimal(cli, write_csv):
    path = write_csv("a;b;y\n1,5;2;3,1\n2,5;1;4,2\n3,5;4;4,9\n4,5;3;6,0\n")
    r = cli("fit", path, "--alpha", "0.1")
    assert r.exit_code == 65 and "--decimal ," in error_line(r.stderr)
    r = cli("fit", path, "--alpha", "0.1", "--decimal", ",", "-f", "json")
    assert r.exit_code == 0 and r.json()["n_features"] == 2


def test_parquet_decimals_are_numbers_and_nested_columns_refused(cli, tmp_path):
    import decimal

    vals = [decimal.Decimal(f"{v:.2f}") for v in (1.0, 2.5, 3.25, 4.0, 5.5)]
    table = pa.table(
        {
            "a": pa.array(vals, pa.decimal128(6, 2)),
            "b": [1.0, 0.0, 2.0, 1.0, 3.0],
            "y": [1.0, 2.0, 4.0, 3.5, 6.0],
        }
    )
    pq.write_table(table, tmp_path / "d.parquet")
    r = cli("fit", tmp_path / "d.parquet", "--alpha", "0.01", "-f", "json")
    assert r.exit_code == 0 and list(r.json()["coefficients"]) == ["a", "b"]
    nested = table.append_column("tags", pa.array([[1], [2], [], [3, 4], [5]]))
    pq.write_table(nested, tmp_path / "n.parquet")
    r = cli("fit", tmp_path / "n.parquet", "--alpha", "0.01")
    assert r.exit_code == 65 and "'tags'" in error_line(r.stderr)


def test_integers_beyond_64_bits_are_numbers(cli, write_csv):
    rows = "\n".join(f"{(2**70) * (i % 7 + 1)},{i % 3},{i * 1.5}" for i in range(30))
    r = cli("fit", write_csv("big,b,y\n" + rows + "\n"), "--alpha", "0.01", "-f", "json")
    assert r.exit_code == 0, r.stderr
    assert "big" in r.json()["coefficients"]


# --- 16, 17, 19. magnitudes and edges ------------------------------------------------------


def test_values_near_the_float64_maximum_are_rescaled_without_overflow(cli, write_csv):
    # the largest power of two below 1.8e308 is 2^1023: the rescaling factor stays finite
    rows = [f"{v},{i % 4},{i * 0.7 + (i % 3)}" for i, v in enumerate(
        [1.7976931348623157e308, -6.9e306, 1e300, 0.0, 2.5e307, -1e308, 3e305, 7e307]
    )]  # fmt: skip
    path = write_csv("a,b,y\n" + "\n".join(rows) + "\n")
    for command in (["fit", "--alpha", "0.1"], ["compare", "--folds", "3"]):
        r = cli(command[0], path, *command[1:], "-f", "json", "-q")
        assert r.exit_code == 0 and r.stderr == "", r.stderr
        assert "NaN" not in r.stdout and "Infinity" not in r.stdout


def test_a_target_at_the_float64_maximum_is_refused_without_a_warning(cli, write_csv):
    # its size times sqrt(n) overflowed inside the check itself (fuzzer seed 34)
    path = write_csv("a,b,y\n1,0,1.7976931348623157e308\n2,1,3\n3,0,4\n4,1,5\n")
    r = cli("fit", path, "--alpha", "1e-300")
    assert r.exit_code == 65 and r.stderr.count("\n") == 1, r.stderr
    assert "too large to square" in r.stderr


def test_a_limit_beyond_float64_on_the_standardized_scale_is_no_limit(cli, write_csv):
    # --upper 1e300 times a column's scale overflows: the limit is infinite, not a warning
    rows = "\n".join(f"{1e12 * (i % 5)},{i % 3},{i * 0.5 + (i % 4)}" for i in range(20))
    path = write_csv("a,b,y\n" + rows + "\n")
    plain = cli("fit", path, "--alpha", "0.01", "-f", "json", "-q")
    r = cli("fit", path, "--alpha", "0.01", "--upper", "1e300", "-f", "json", "-q")
    assert r.exit_code == 0 and r.stderr == "", r.stderr
    assert r.json()["coefficients"] == pytest.approx(plain.json()["coefficients"], rel=1e-9)


def test_compare_with_an_unpenalized_column_that_fits_a_fold_exactly(cli, write_csv):
    # in a training fold the unpenalized levels of x0 fit y exactly: alpha_max 0 there
    path = write_csv(
        "x0,x1,x2,Y\nb,17.432,a,9.107\nb,-0.0,a,0.05\na,84.551,a,0.05\nc,23.099,a,-31.842\n"
        "a,61.055,a,0.0\n"
    )
    r = cli("compare", path, "--unpenalized", "x0", "--folds", "3", "-f", "json", "-q")
    assert r.exit_code == 0 and r.stderr == "", r.stderr
    assert "NaN" not in r.stdout


def test_a_column_below_the_normal_float64_range_is_refused(cli, write_csv):
    # 1e-320 keeps ~4 digits and its coefficient (~1e320) cannot be written: a clear refusal
    path = write_csv("a,b,y\n1e-320,1,1\n2e-320,2,2\n0,4,3\n3e-320,3,5\n")
    for engine in ("local", "stream"):
        r = cli("fit", path, "--alpha", "0.05", "--engine", engine)
        assert r.exit_code == 65 and "'a'" in r.stderr and "rescale" in r.stderr, r.stderr
        assert "Traceback" not in r.stderr and "warning" not in r.stderr


@pytest.mark.parametrize("scale", [1e155, 1e-300])
def test_extreme_magnitudes_are_rescaled_exactly_when_standardized(cli, tmp_path, scale):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 3))
    y = X @ [1.0, 2.0, 0.5] + 0.3 * rng.standard_normal(40)
    paths = {}
    for name, s in (("base", 1.0), ("odd", scale)):
        paths[name] = tmp_path / f"{name}.csv"
        frame = pd.DataFrame({"a": X[:, 0] * s, "b": X[:, 1], "c": X[:, 2], "y": y})
        frame.to_csv(paths[name], index=False)
    for command in (["fit", "--alpha", "0.1"], ["cv", "--folds", "4"], ["path"]):
        base = cli(command[0], paths["base"], *command[1:], "-f", "json", "-q")
        odd = cli(command[0], paths["odd"], *command[1:], "-f", "json", "-q")
        assert base.exit_code == odd.exit_code == 0 and odd.stderr == ""
        a, b = base.json(), odd.json()
        if command[0] == "fit":
            for k in "abc":
                assert b["standardized_coefficients"][k] == pytest.approx(
                    a["standardized_coefficients"][k], rel=1e-12
                )
            assert b["coefficients"]["a"] * scale == pytest.approx(a["coefficients"]["a"])
        elif command[0] == "cv":
            assert b["alpha_min"] == a["alpha_min"]
            np.testing.assert_allclose(b["cv_mean"], a["cv_mean"], rtol=1e-10)
        else:
            np.testing.assert_allclose(b["dev_ratio"], a["dev_ratio"], rtol=1e-10)
    r = cli("fit", paths["odd"], "--alpha", "0.1", "--no-standardize")
    assert r.exit_code == 65 and "'a'" in error_line(r.stderr)


def test_a_target_beyond_float64_squares_is_refused(cli, tmp_path):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 2))
    big_y = tmp_path / "bigy.csv"
    pd.DataFrame({"a": X[:, 0], "y": X[:, 1] * 1e155}).to_csv(big_y, index=False)
    r = cli("path", big_y, "-f", "csv")
    assert r.exit_code == 65 and "target column 'y'" in error_line(r.stderr)


def test_edges_that_were_internal_errors(cli, write_csv, tmp_path):
    const = write_csv("a,b,y\n1,2,1\n1,2,2\n1,2,4\n1,2,3\n", "const.csv")
    r = cli("path", const, "--alphas", "1,0.1")
    assert r.exit_code == 65 and "constant" in error_line(r.stderr)
    r = cli("cv", DIABETES, "--seed", "-1")
    assert r.exit_code == 2 and "--seed" in error_line(r.stderr)
    r = cli("cv", DIABETES, "--folds", "442", "--metric", "r2", "--n-alphas", "5", "-f", "json")
    assert r.exit_code == 0 and np.isfinite(r.json()["cv_mean"]).all()
    text = write_csv("c,a,y\n,1,1\nu,2,\n,3,3\n,4,2\n", "text.csv")
    r = cli("fit", text, "--na", "mean", "--alpha", "0.1")
    assert r.exit_code == 65 and "'c'" in error_line(r.stderr)


def test_least_squares_on_collinear_columns_is_minimum_norm(cli, tmp_path):
    rng = np.random.default_rng(1)
    n = 40
    g = rng.choice(["a", "b", "c"], n)
    x = rng.standard_normal(n)
    y = x + (g == "a") * 2 + rng.standard_normal(n)
    path = tmp_path / "col.csv"
    pd.DataFrame({"x": x, "x2": x, "g": g, "y": y}).to_csv(path, index=False)
    r = cli("fit", path, "--alpha", "0", "--tol", "1e-6", "-f", "json")
    assert r.exit_code == 0, r.stderr
    out = r.json()
    coef = out["coefficients"]
    assert coef["x"] == pytest.approx(coef["x2"], rel=1e-9)  # the weight is shared
    assert max(abs(v) for v in coef.values()) < 10
    D = np.column_stack([x, (g == "a"), (g == "b"), np.ones(n)]).astype(float)
    resid = y - D @ np.linalg.lstsq(D, y, rcond=None)[0]
    assert out["r2"] == pytest.approx(1 - resid @ resid / ((y - y.mean()) ** 2).sum(), rel=1e-9)
    assert out["converged"] and "did not converge" not in r.stderr


# --- 20. warnings --------------------------------------------------------------------------


def test_library_warnings_become_one_line(cli, monkeypatch):
    import warnings

    import regcli.core

    real = regcli.core.fit

    def noisy(*args, **kwargs):
        warnings.warn("something odd\nwith a second line", RuntimeWarning, stacklevel=1)
        return real(*args, **kwargs)

    monkeypatch.setattr(regcli.core, "fit", noisy)
    r = cli("fit", DIABETES, "--alpha", "1", "--target", "y", "-f", "json")
    assert r.exit_code == 0
    assert r.stderr == "regcli: warning: something odd with a second line\n"


# --- 18. model files -----------------------------------------------------------------------


@pytest.fixture
def model_file(cli, tmp_path):
    path = tmp_path / "m.json"
    assert cli("fit", DIABETES, "--alpha", "1", "--save", path).exit_code == 0
    return path


def _edit(path, change) -> None:
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc))


@pytest.mark.parametrize(
    "change,match",
    [
        (lambda d: d["coefficients"].update(age=10**400), "finite"),
        (lambda d: d.update(intercept="1"), "number"),
        (lambda d: d["features"].append(d["features"][0]), "twice"),
        (lambda d: d["encoding"].append(d["encoding"][0]), "twice"),
    ],
)
def test_bad_model_files_are_exit_65(cli, model_file, change, match):
    _edit(model_file, change)
    r = cli("predict", model_file, DIABETES)
    assert r.exit_code == 65 and match in error_line(r.stderr)


def test_deeply_nested_and_repeated_levels_are_exit_65(cli, model_file, tmp_path):
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    r = cli("predict", deep, DIABETES)
    assert r.exit_code == 65 and "nested" in error_line(r.stderr)
    data = tmp_path / "d.csv"
    data.write_text("g,x,y\na,1,1\nb,2,3\na,3,3\nb,4,6\nc,5,5\n")
    onehot = tmp_path / "oh.json"
    assert cli("fit", data, "--alpha", "0.01", "--save", onehot).exit_code == 0

    def repeat_level(doc):
        enc = doc["encoding"][0]
        enc["levels"][1] = enc["levels"][0]

    _edit(onehot, repeat_level)
    r = cli("predict", onehot, data)
    assert r.exit_code == 65 and "twice" in error_line(r.stderr)


def test_predictions_beyond_float64_are_refused(cli, model_file):
    _edit(model_file, lambda d: d["coefficients"].update(age=1e307))
    r = cli("predict", model_file, DIABETES)
    assert r.exit_code == 65 and "overflow" in error_line(r.stderr) and r.stdout == ""


# --- 14. smaller things --------------------------------------------------------------------


def test_unknown_output_extension_gets_csv_like_a_pipe(cli, tmp_path):
    out = tmp_path / "out.txt"
    r = cli("fit", DIABETES, "--alpha", "1", "-o", out)
    assert r.exit_code == 0 and out.read_text().startswith("feature,coefficient")


def test_predict_formats(cli, tmp_path):
    model = tmp_path / "m.json"
    assert cli("fit", DIABETES, "--alpha", "1", "--save", model).exit_code == 0
    csv_out = cli("predict", model, DIABETES, "--keep", "age")
    assert csv_out.stdout.splitlines()[0] == "age,prediction"
    out = cli("predict", model, DIABETES, "-f", "json").json()
    assert out["n_predictions"] == 442 and len(out["predictions"]) == 442
    first = float(csv_out.stdout.splitlines()[1].split(",")[1])
    assert out["predictions"][0] == first
    table = cli("predict", model, DIABETES, "-f", "table")
    assert table.exit_code == 0 and "442 predictions of y" in table.stdout


def test_require_feature_takes_base_names_and_lists(cli, write_csv):
    rows = "\n".join(
        f"{'abc'[i % 3]},{i % 5},{(i * 7) % 11},{2.0 * (i % 3) + (i % 5) + 0.1 * (i % 4)}"
        for i in range(60)
    )
    path = write_csv("firm,wt,hp,y\n" + rows + "\n")
    r = cli("fit", path, "--alpha", "0.01", "--require-feature", "firm", "-f", "json")
    assert r.exit_code == 0, r.stderr
    assert r.json()["checks"][0]["name"] == "require_feature firm"
    r = cli("fit", path, "--alpha", "0.01", "--require-feature", "wt,hp", "-f", "json")
    assert r.exit_code in (0, 1) and len(r.json()["checks"]) == 2


def test_fit_chooses_alpha_with_folds_seed_and_select(cli):
    out = cli("fit", DIABETES, "--folds", "5", "--seed", "3", "--select", "min", "-f", "json")
    sel = out.json()["alpha_selection"]
    assert (sel["n_folds"], sel["seed"], sel["select"]) == (5, 3, "min")
    assert out.json()["alpha"] == sel["alpha_min"] and "cv_s" in out.json()["timings"]
    r = cli("fit", DIABETES, "--alpha", "1", "--folds", "5")
    assert r.exit_code == 2 and "only without --alpha" in error_line(r.stderr)


@pytest.mark.parametrize(
    "args,hint",
    [
        (["--lambda", "1"], "did you mean --alpha"),
        (["--penalty", "lasso"], "the lasso is l1"),
        (["--alpha", "1", "--min-r2", "nan"], "finite"),
    ],
)
def test_usage_errors_with_hints(cli, args, hint):
    r = cli("fit", DIABETES, *args)
    line = error_line(r.stderr)
    assert r.exit_code == 2 and hint in line and "Value error" not in line


def test_wording_counts(cli, write_csv):
    r = cli("fit", DIABETES, "--alpha", "40", "-f", "table")
    assert "1 solves" not in r.stdout
    assert "(s)" not in r.stdout


def test_a_number_column_with_a_stray_text_cell_is_named(cli, write_csv):
    path = write_csv("a,b,y\n1.5,1,2\n2.5,2,3\noops,3,4\n4.5,4,4\n5.5,5,6\n6.5,7,8\n")
    r = cli("fit", path, "--alpha", "0.1")
    assert r.exit_code == 65 and "'a' holds numbers but also 'oops'" in error_line(r.stderr)
    levels = write_csv("a,b,y\nlow,1,2\nhigh,2,3\nlow,3,4\nmid,4,4\n")
    assert cli("fit", levels, "--alpha", "0.1").exit_code == 0


def test_the_guessed_target_is_never_the_weights_column(cli, write_csv):
    path = write_csv("a,b,w\n1,2,1\n2,3,2\n3,1,1\n4,4,3\n5,2,1\n")
    r = cli("fit", path, "--weights", "w", "--alpha", "0.01", "-f", "json")
    assert r.exit_code == 0 and r.json()["target"] == "b"
    r = cli("fit", path, "--weights", "w", "--target", "w", "--alpha", "0.01")
    assert r.exit_code == 2 and "weights" in error_line(r.stderr)


def test_weights_on_one_row_are_refused(cli, write_csv):
    path = write_csv("x,w,y\n1,1e-300,1\n2,3,2\n3,0.5,5\n4,1.8e19,3\n5,5,4\n6,2.6,7\n")
    r = cli("compare", path, "--weights", "w", "--folds", "3")
    assert r.exit_code == 65 and "effective sample size" in error_line(r.stderr)


# --- 10. progress --------------------------------------------------------------------------


def test_progress_bar_when_asked_and_quiet_silences_notes(cli):
    r = cli("cv", DIABETES, "--folds", "3", "--progress", "-f", "json")
    assert r.exit_code == 0 and "regcli: cv" in r.stderr and "points" in r.stderr
    json.loads(r.stdout)  # stdout still carries only the result
    r = cli("cv", DIABETES, "--folds", "3", "--quiet", "-f", "json")
    assert r.exit_code == 0 and r.stderr == ""
    r = cli("cv", DIABETES, "--folds", "3", "-f", "json")  # not a terminal: no bar
    assert "points" not in r.stderr


def test_progress_counts_path_points():
    from regcli.core import compute_path
    from regcli.core.progress import listening

    rng = np.random.default_rng(0)
    X = rng.standard_normal((50, 8))
    seen = []
    with listening(seen.append):
        res = compute_path(X, X[:, 0] + rng.standard_normal(50), n_alphas=30)
    assert sum(seen) == len(res.alphas)


def test_empty_header_names_are_named_by_position(cli, write_csv):
    r = cli("fit", write_csv(",x,y\n1,2,3\n2,3,5\n3,1,1\n4,5,2\n"), "--alpha", "0.1", "-f", "json")
    assert r.exit_code == 0 and list(r.json()["coefficients"]) == ["column1", "x"]


# --- 11. tables at 80 columns --------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["compare", DIABETES, "--folds", "5"],
        ["cv", DIABETES, "--l1-ratio", "0.1,0.5,0.9,1", "--folds", "5"],
        ["fit", DIABETES, "--alpha", "1"],
        ["path", DIABETES],
    ],
)
def test_tables_fit_80_columns_uncut(cli, args):
    from rich.console import Console

    from regcli.cli import tables

    out = cli(*args, "-f", "json").json()
    buf = io.StringIO()
    con = Console(file=buf, width=80, force_terminal=True, color_system=None)
    draw = {
        "compare": lambda: tables.draw_compare(con, out),
        "cv": lambda: tables.draw_cv(con, out, thin=True),
        "fit": lambda: tables.draw_fit(con, out),
        "path": lambda: tables.draw_path(con, out, thin=True),
    }[args[0]]
    draw()
    text = buf.getvalue()
    assert "…" not in text  # no header or cell cut short
    assert max(len(line) for line in text.splitlines()) <= 80


@pytest.mark.parametrize("engine", ["local", "stream"])
@pytest.mark.parametrize(
    "data, named",
    [
        (b"a,b\x00,y\n1,2,3\n2,1,5\n3,4,4\n4,2,7\n", "the name of column 2 ('b\\x00')"),
        (b"a,b,y\n1,x,3\n2,\x00,5\n3,z,4\n4,x,7\n5,z,8\n", "column 'b' holds a NUL byte"),
    ],
)
def test_a_nul_byte_in_a_name_or_a_text_cell_is_refused(cli, tmp_path, engine, data, named):
    """A NUL byte (binary data, UTF-16 without its byte-order mark) would become a feature
    name or a one-hot level that no terminal or CSV reader shows as written: exit 65 naming
    the column, on both readers."""
    path = tmp_path / "nul.csv"
    path.write_bytes(data)
    r = cli("fit", path, "--alpha", "0.1", "--engine", engine, "-f", "csv")
    assert r.exit_code == 65, r.stderr
    assert named in error_line(r.stderr)
    assert "\x00" not in r.stdout + r.stderr


def test_a_nul_byte_in_a_class_target_is_refused(cli, tmp_path):
    rows = ["a,y"] + [f"{i},{'yes' if i % 2 else 'no'}" for i in range(20)] + ["20,\x00"]
    path = tmp_path / "nul.csv"
    path.write_text("\n".join(rows) + "\n")
    r = cli("fit", path, "--alpha", "0.01", "--family", "binomial", "-f", "csv")
    assert r.exit_code == 65, r.stderr
    assert "target column 'y' holds a NUL byte" in error_line(r.stderr)


def test_every_command_takes_quiet(cli, tmp_path):
    """Scripts pass -q to every command: predict took none (a usage error, exit 2)."""
    model = tmp_path / "m.json"
    assert cli("fit", DIABETES, "--alpha", "1", "--save", model, "-q", "-f", "csv").exit_code == 0
    for args in (
        ("predict", model, DIABETES),
        ("predict", model, DIABETES, "--stream"),
        ("assess", model, DIABETES),
        ("diff", model, model),
        ("path", DIABETES, "--n-alphas", "3"),
    ):
        r = cli(*args, "-q", "-f", "csv")
        assert r.exit_code == 0 and r.stderr == "", (args, r.stderr)
