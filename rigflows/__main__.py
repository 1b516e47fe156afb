"""Command line: `python -m rigflows check [DIR]` validates a data directory.

Exits 0 when the data is valid, 1 with every problem listed (file, line, column) when not.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rigflows.config import settings_from_env
from rigflows.dataset import find_problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rigflows", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="validate a data directory")
    check.add_argument("data_dir", nargs="?", type=Path, help="defaults to RIGFLOWS_DATA_DIR or ./data")
    args = parser.parse_args(argv)

    data_dir = args.data_dir or settings_from_env().data_dir
    if not data_dir.is_dir():
        print(f"{data_dir}: not a directory", file=sys.stderr)
        return 1
    problems = find_problems(data_dir)
    if problems:
        print(f"{data_dir}: {len(problems)} problem(s)", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    print(f"{data_dir}: all tables valid")
    return 0


if __name__ == "__main__":
    sys.exit(main())
