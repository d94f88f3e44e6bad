"""Import guards: the core stays free of pandas/rich/typer; `regcli --help` stays light."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def loaded_after(code: str) -> set[str]:
    script = code + "\nimport sys\nprint(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return set(out.stdout.split())


def test_core_loads_no_pandas_rich_typer():
    mods = loaded_after("import regcli.core")
    assert not mods & {"pandas", "rich", "typer", "click", "pyarrow"}


def test_help_loads_no_pandas_scipy():
    code = (
        "import io, contextlib\nfrom regcli.cli.app import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n    main(['--help'])\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n    main(['fit', '--help'])"
    )
    mods = loaded_after(code)
    assert not mods & {"pandas", "scipy", "numpy", "pyarrow"}


def test_python_dash_m_works():
    out = subprocess.run(
        [sys.executable, "-m", "regcli", "--version"], capture_output=True, text=True, cwd=ROOT
    )
    assert out.returncode == 0 and out.stdout.startswith("regcli ")


def test_a_fit_on_a_table_of_numbers_loads_no_pandas():
    code = (
        "import io, contextlib\nfrom regcli.cli.app import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    assert main(['fit', 'sample_data/diabetes.csv', '--alpha', '1', '-q', '-f', 'json'])"
        " == 0"
    )
    mods = loaded_after(code)
    assert "pandas" not in mods and "numpy" in mods and "pyarrow" in mods


def test_a_small_fit_loads_no_scipy_and_gives_the_same_model():
    """Small systems are solved with NumPy while SciPy is not loaded (core.lapack); the fit is
    the one the SciPy route gives."""
    import json

    from regcli.core.fitting import fit
    from regcli.io.dataset import load_dataset

    for args in (
        ["--alpha", "1"],
        ["--alpha", "0.5", "--l1-ratio", "0.5"],
        ["--penalty", "l2", "--alpha", "2"],
        ["--alpha", "1", "--lower", "0"],
    ):
        code = (
            "import io, contextlib, json\nfrom regcli.cli.app import main\nbuf = io.StringIO()\n"
            "with contextlib.redirect_stdout(buf):\n"
            f"    assert main(['fit', 'sample_data/diabetes.csv', *{args!r}, '-q', '-f', 'json'])"
            " == 0\nprint(json.dumps(json.loads(buf.getvalue())['coefficients']))"
        )
        script = (
            code + "\nimport sys\nprint(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"
        )
        out = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT
        ).stdout.splitlines()
        mods = set(out[-1].split())
        assert not mods & {"scipy", "pandas", "rich"}, args
        ds = load_dataset(str(ROOT / "sample_data" / "diabetes.csv"))
        alpha = float(args[args.index("--alpha") + 1])
        ratio = 0.0 if "l2" in args else (0.5 if "--l1-ratio" in args else 1.0)
        ref = fit(ds.X, ds.y, alpha=alpha, l1_ratio=ratio, lower=0.0 if "--lower" in args else None)
        got = json.loads(out[0])
        for name, value in zip(ds.feature_names, ref.coef):
            assert abs(got[name] - value) <= 1e-9 * max(1.0, abs(value)), (args, name)


def test_openblas_spin_time_set_before_numpy_loads():
    """The package sets OpenBLAS's thread spin time before anything loads NumPy (OpenBLAS reads
    it then), and keeps a value the user set."""
    import os

    script = (
        "import sys, os\nimport regcli\nassert 'numpy' not in sys.modules\n"
        "print(os.environ['OPENBLAS_THREAD_TIMEOUT'])"
    )
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_THREAD_TIMEOUT"}
    run = dict(capture_output=True, text=True, check=True, cwd=ROOT)
    out = subprocess.run([sys.executable, "-c", script], env=env, **run)
    assert out.stdout.strip() == "20"
    out = subprocess.run(
        [sys.executable, "-c", script], env={**env, "OPENBLAS_THREAD_TIMEOUT": "8"}, **run
    )
    assert out.stdout.strip() == "8"
