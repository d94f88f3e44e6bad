"""Rewrite the golden JSON files from the current code (review the diff before committing).

python tests/golden/regenerate.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from tests.golden.cases import CASES, run  # noqa: E402

if __name__ == "__main__":
    for name, args in CASES.items():
        (HERE / f"{name}.json").write_text(json.dumps(run(args), indent=1, sort_keys=True) + "\n")
        print(f"wrote {name}.json")
