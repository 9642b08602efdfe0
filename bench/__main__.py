"""`make bench`: every benchmark, on SQLite and PostgreSQL, each beside its ceiling.

    .venv/bin/python -m bench [--sqlite-only]
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ["bench/registration_burst.py", "bench/checkin.py"]


def main() -> int:
    engines = [] if "--sqlite-only" in sys.argv else ["--postgres"]
    failed = 0
    for script in BENCHMARKS:
        if not (ROOT / script).exists():
            continue
        print(f"\n=== {script} ===", flush=True)
        result = subprocess.run([sys.executable, script, *engines], cwd=ROOT, check=False)
        failed += result.returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
