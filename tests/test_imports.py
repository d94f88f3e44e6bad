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
