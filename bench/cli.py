"""The command line the benchmarks share: ``--quick`` for a smoke run,
``--json FILE`` to also write the figures, and for those that run parts of
themselves in processes of their own, the internal ``--one ARGS...``."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any


def bench_main(
    doc: str | None,
    run: Callable[..., dict[str, Any]],
    report: Callable[[dict[str, Any]], str],
    argv: Sequence[str] | None = None,
    *,
    one: Callable[[list[str]], dict[str, Any]] | None = None,
) -> int:
    """Parse ``argv``, run, print the report (or, with ``--one``, the one
    part's figures as JSON, for the parent process to read)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0] if doc else None)
    parser.add_argument("--quick", action="store_true", help="short figures, for a smoke run")
    parser.add_argument("--json", type=argparse.FileType("w"), help="also write the figures here")
    if one is not None:
        parser.add_argument("--one", nargs="+", help="internal: one part, in this process")
    args = parser.parse_args(argv)
    if one is not None and args.one:
        sys.stdout.write(json.dumps(one(args.one)) + "\n")
        return 0
    results = run(quick=args.quick)
    sys.stdout.write(report(results))
    if args.json is not None:
        json.dump(results, args.json, indent=2)
    return 0
