"""``newsgraph bench`` and ``newsgraph generate``: the commands bench/ adds to ``newsgraph``.

They are registered as entry points of the group ``newsgraph.commands`` (pyproject.toml),
the way Flask finds ``flask.commands``: ``newsgraph`` (schema/cli.py) lists them by name
and loads one only when it runs, so schema/ never imports bench/. Each is
``command(argv, prog) -> exit status`` and parses its own options.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

__all__ = ["bench", "generate"]


def bench(argv: Sequence[str], prog: str = "newsgraph bench") -> int:
    """Run the benchmark suite (bench/run.py) with the options in ``argv``."""
    from bench.run import main

    return main(argv, prog=prog)


def generate(argv: Sequence[str], prog: str = "newsgraph generate") -> int:
    """Write a seeded synthetic corpus in the record format; print what was written."""
    from bench.generate import PHRASE
    from bench.generate import generate as write

    p = argparse.ArgumentParser(prog=prog, description=(
        "Write a seeded synthetic corpus of N records in the record format."))
    p.add_argument("n", type=int, help="how many records")
    p.add_argument("out", type=Path, help="the folder to write them to")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    args = p.parse_args(argv)
    if args.n < 1:
        p.error(f"n must be at least 1, got {args.n}")
    manifest = write(args.n, args.out, seed=args.seed)
    print(f"wrote {manifest.records:,} records ({manifest.duplicates} repeated) in "
          f"{manifest.files:,} files to {args.out}; {len(manifest.mentioning):,} mention "
          f"{PHRASE!r}, {len(manifest.near_misses):,} are near misses")
    return 0
