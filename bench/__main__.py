"""`make bench`: every benchmark section in one run, printing the figures the README reports.

Each section is a module with `run(quick: bool) -> None` that prints its own lines. Sections run
one after another (never in parallel) so they do not compete for the two cores.

    python -m bench [--quick] [SECTION ...]
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time

SECTIONS = (
    "router",
    "blind",
    "learned",
    "kb",
    "intake",
    "sweep",
    "outbox",
    "duplicates",
    "fleet",
    "public",
    "web",
)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    parser.add_argument("sections", nargs="*", metavar="SECTION", help=", ".join(SECTIONS))
    args = parser.parse_args()
    unknown = set(args.sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")
    failed = 0
    for name in args.sections or SECTIONS:
        try:
            module = importlib.import_module(f"bench.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"bench.{name}":
                raise
            print(f"== {name}: not available")
            continue
        print(f"== {name}", flush=True)
        started = time.perf_counter()
        try:
            module.run(args.quick)
        except Exception as exc:  # a broken section must not hide the others' figures
            failed += 1
            print(f"   FAILED: {exc!r}", flush=True)
        print(f"   ({time.perf_counter() - started:.1f} s)", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
