"""Start-up cost of the command line and of the SDK, as ratios to a bare Python start.

Runs each command N times in fresh processes of the same interpreter (alternating them, so a
busy machine slows all alike) and prints the median wall time of each and its ratio to
`python -c pass`:

1. `bassa --help` (goal: <= 6x a bare start): only typer is loaded, each command imports what it
   needs when it runs;
2. `python -c "import bassa_sdk"`: the package imports its public names on first use;
3. `python -c "from bassa_sdk import Bassa"`: what a program that makes a client pays.

Usage: .venv/bin/python benchmarks/cli_startup.py [--runs 21]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

PY = sys.executable
GOAL_HELP = 6.0


def _bassa() -> list[str]:
    script = Path(PY).with_name("bassa")
    found = script if script.exists() else shutil.which("bassa")
    if found is None:
        raise SystemExit("no bassa script next to this Python: ./scripts/setup server,dev")
    return [str(found)]


def _time(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=os.environ.copy())
    return time.perf_counter() - started


def main() -> None:
    """Measure, print one line per command, and exit non-zero if `--help` misses its goal."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    commands = {
        "python -c pass": [PY, "-c", "pass"],
        "bassa --help": [*_bassa(), "--help"],
        "import bassa_sdk": [PY, "-c", "import bassa_sdk"],
        "from bassa_sdk import Bassa": [PY, "-c", "from bassa_sdk import Bassa"],
    }
    for command in commands.values():  # warm the page cache and the bytecode
        _time(command)
    seen: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.runs):
        for name, command in commands.items():
            seen[name].append(_time(command))
    medians = {name: statistics.median(times) for name, times in seen.items()}
    base = medians["python -c pass"]
    print(f"median of {args.runs} runs each, alternating; baseline python -c pass")
    for name, median in medians.items():
        print(f"{name:30} {median * 1000:7.1f} ms  {median / base:5.2f}x")
    ratio = medians["bassa --help"] / base
    verdict = "meets" if ratio <= GOAL_HELP else "MISSES"
    print(f"bassa --help: {ratio:.2f}x a bare start ({verdict} the goal of <= {GOAL_HELP:g}x)")
    if ratio > GOAL_HELP:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
