"""Start-up: a whole `regcli fit` process on a small CSV against `python -c "import numpy,
pyarrow.csv"` (the floor: reading a table into NumPy), and `regcli --help`.

    python benchmarks/bench_startup.py            # 15 rounds, alternating; medians
    python benchmarks/bench_startup.py --rounds 30

Run it with the interpreter of an installed regcli (`pip install .`, not editable: an editable
install adds its own import hook).  Also prints which heavy modules the fit loaded.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    regcli = shutil.which("regcli") or str(Path(sys.executable).parent / "regcli")
    with tempfile.TemporaryDirectory() as d:
        small = Path(d) / "small.csv"
        lines = (ROOT / "sample_data" / "diabetes.csv").read_text().splitlines()[:60]
        small.write_text("\n".join(lines) + "\n")
        fit = [regcli, "fit", str(small), "--alpha", "1", "--format", "json", "--quiet"]
        floor, whole, helps = [], [], []
        for _ in range(args.rounds):
            floor.append(timed([sys.executable, "-c", "import numpy, pyarrow.csv"]))
            whole.append(timed(fit))
            helps.append(timed([regcli, "--help"]))
        probe = (
            "import sys, io, contextlib\nfrom regcli.cli.app import main\n"
            f"with contextlib.redirect_stdout(io.StringIO()):\n    main({fit[1:]!r})\n"
            "print(' '.join(sorted(m for m in ('scipy', 'pandas', 'rich', 'pydantic') "
            "if m in sys.modules)))"
        )
        loaded = subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, check=True
        ).stdout.strip()
    b, f, h = (statistics.median(x) for x in (floor, whole, helps))
    print(f"python -c 'import numpy, pyarrow.csv'  {b:.3f} s")
    print(f"regcli fit (60-row CSV)               {f:.3f} s  ({f / b:.2f}x; target <= 3x)")
    print(f"regcli --help                         {h:.3f} s  (target < 0.15 s)")
    print(f"heavy modules the fit loaded: {loaded or 'none'}")


if __name__ == "__main__":
    main()
