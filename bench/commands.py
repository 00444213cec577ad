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

from bench.dialects import STYLES

__all__ = ["bench", "generate", "bench_parser", "generate_parser"]


def bench_parser(prog: str = "newsgraph bench") -> argparse.ArgumentParser:
    """Return the parser of ``newsgraph bench``: the runner's options (bench/run.py)."""
    from bench.run import add_arguments

    p = argparse.ArgumentParser(prog=prog, description=(
        "Run the benchmark suite: load, memory, traversal, GraphQL and HTTP, side by side."))
    add_arguments(p)
    return p


def bench(argv: Sequence[str], prog: str = "newsgraph bench") -> int:
    """Run the benchmark suite with the options in ``argv``."""
    from bench.run import run

    return run(bench_parser(prog).parse_args(argv))


def generate_parser(prog: str = "newsgraph generate") -> argparse.ArgumentParser:
    """Return the parser of ``newsgraph generate``."""
    p = argparse.ArgumentParser(prog=prog, description=(
        "Write a seeded synthetic corpus of N records in the record format."))
    p.add_argument("n", type=int, help="how many records")
    p.add_argument("out", type=Path, help="the folder to write them to")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    p.add_argument("--style", choices=STYLES, default="seed",
                   help="how the records are written: as the seed file (seed), as "
                        "yaml.safe_dump writes (safe_dump), in flow style (flow), with block "
                        "scalars (block), with CRLF and a BOM (crlf_bom), as JSON or JSONL, or "
                        "all of these mixed (default: %(default)s)")
    p.add_argument("--workers", type=int, default=None,
                   help="processes that render and write the files; the files are the same "
                        "whatever their number (default: one per CPU, at most four, from "
                        "5,000 records)")
    p.add_argument("-q", "--quiet", action="store_true",
                   help="no progress on the terminal (it is shown only on a terminal anyway)")
    return p


def generate(argv: Sequence[str], prog: str = "newsgraph generate") -> int:
    """Write a seeded synthetic corpus in the record format; print what was written."""
    from bench.generate import PHRASE
    from bench.generate import generate as write

    p = generate_parser(prog)
    args = p.parse_args(argv)
    if args.n < 1:
        p.error(f"n must be at least 1, got {args.n}")
    if args.workers is not None and args.workers < 1:
        p.error(f"--workers must be at least 1, got {args.workers}")
    from schema.progress import terminal_progress

    printer = terminal_progress(args.quiet)
    if args.out.exists() and not args.out.is_dir():
        p.error(f"cannot write to {str(args.out)!r}: it is a file; OUT is the folder the "
                "records are written to")
    try:
        manifest = write(args.n, args.out, seed=args.seed, style=args.style,
                         workers=args.workers,
                         progress=printer.records if printer is not None else None)
    except OSError as e:  # a file where the folder goes, a read-only place, a full disk
        p.error(f"cannot write to {str(args.out)!r}: {e.strerror or e}")
    print(f"wrote {manifest.records:,} records ({manifest.duplicates} repeated) in "
          f"{manifest.files:,} files to {args.out}; {len(manifest.mentioning):,} mention "
          f"{PHRASE!r}, {len(manifest.near_misses):,} are near misses")
    return 0
