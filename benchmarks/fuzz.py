"""Fuzz the command line for a while: generated tables and options against the exit-code
contract (0, 1, 2, 65, 66 with one stderr error line; no raw warning, hang, NaN or bad JSON).

    python benchmarks/fuzz.py --seconds 600

Prints how many cases ran, the exit codes seen, and each case that broke the contract.
The test suite runs the same generator on a bounded number of examples (tests/test_fuzz.py).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fuzzing import main_loop  # noqa: E402

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    main_loop(args.seconds, args.seed)
