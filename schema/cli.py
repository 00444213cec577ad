"""The ``newsgraph`` command: load, serve, query, schema, export; and the commands other
packages add through entry points (bench/: ``bench``, ``generate``), loaded when they run.

Errors become one clear line on stderr and an exit status: 0 for success, 1 when
something was rejected (a file or record the load refused, a query that answered
with errors), 2 for a usage error (a bad flag, a path that does not exist), 3 when
the path holds no record at all (``serve --allow-empty`` serves an empty graph).
"""

from __future__ import annotations

import argparse
import errno
import functools
import json
import logging
import math
import os
import socket
import sys
from collections.abc import Callable, Sequence
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING, Any

import graph
from graph.records import DEFAULT_MAX_FILE_BYTES, RECORD_SUFFIXES, missing_path
from graph.report import printable
from schema.push import CONCURRENCY

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

# What only some commands need is imported in them: `newsgraph push` is a process started
# for one story, whose start is most of its way to the page on a busy machine, and it
# needs neither the installed distributions' entry points (importlib.metadata reads every
# one's metadata), nor serve's settings and process starter, nor the snapshot cache.

EXIT_OK, EXIT_REJECTED, EXIT_USAGE, EXIT_EMPTY = 0, 1, 2, 3
COMMANDS_GROUP = "newsgraph.commands"  # entry points of commands other packages add
SERVING_LOOP = "uvloop" if find_spec("uvloop") else "asyncio"  # uvloop: not on Windows


class EmptyCorpus(graph.NewsgraphError):
    """The path holds no record: nothing to load, serve or query."""


class _Parser(argparse.ArgumentParser):
    commands: dict[str, argparse.ArgumentParser]  # the top parser's, by name

    def error(self, message: str) -> Any:  # argparse's own exits with 2 too; keep one line
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)

    def parse_args(self, args: Any = None, namespace: Any = None) -> Any:
        """argparse's, an argument no command takes said by that command's parser, with
        the nearest option (argparse's top parser said ``unrecognized arguments: --jsn``
        under its own usage, naming neither the command nor what it takes)."""
        parsed, extra = self.parse_known_args(args, namespace)
        if extra:
            command = getattr(self, "commands", {}).get(getattr(parsed, "command", ""), self)
            command.error(_unrecognized(command, extra[0]))
        return parsed


def _unrecognized(parser: argparse.ArgumentParser, argument: str) -> str:
    """The error of an argument ``parser`` does not take: the nearest option it has."""
    options = sorted(o for a in parser._actions for o in a.option_strings
                     if o.startswith("--") and a.help != argparse.SUPPRESS)
    said = f"unrecognized argument {argument!r}"
    takes = f"`{parser.prog} --help` lists what it takes"
    if not argument.startswith("-"):
        if not any(not a.option_strings for a in parser._actions):
            return f"{said}; it takes no argument ({takes})"
        return f"{said}: one more than it takes ({takes}; quote a value holding spaces)"
    import difflib

    near = difflib.get_close_matches(argument.split("=", 1)[0], options, n=1, cutoff=0.6)
    if near:
        return f"{said}; did you mean {near[0]}? ({takes})"
    return f"{said} ({takes})"


class _TokenOnCommandLine(argparse.Action):
    """``--ingest-token VALUE``: refused without echoing VALUE. argparse would otherwise
    take it for ``--ingest-token-file`` and print the token as a missing file's name."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        parser.error("the ingest token is not taken on the command line (any user of the "
                     "machine can read it there): set NEWSGRAPH_INGEST_TOKEN, or put it in a "
                     "file and pass --ingest-token-file FILE")


def _add_load_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--include", action="append", default=[], metavar="GLOB",
                   help="also read files matching GLOB (matched against the end of the "
                        "path, e.g. '*.html') as records with YAML front matter; repeatable. "
                        f"Always read: {', '.join(sorted(RECORD_SUFFIXES))}")
    p.add_argument("--follow-symlinks", action="store_true",
                   help="follow symlinks that point outside the corpus folder too (by "
                        "default they are skipped with a note)")
    p.add_argument("-q", "--quiet", action="store_true",
                   help="no progress on the terminal (it is shown only on a terminal anyway)")


def _add_max_file_mb(p: argparse.ArgumentParser) -> None:
    p.add_argument("--max-file-mb", type=_megabytes, default=DEFAULT_MAX_FILE_BYTES / 2**20,
                   metavar="MB", help="reject files larger than this (default: %(default)g)")


def positive_number(unit: str, like: str) -> Callable[[str], float]:
    """An argparse type: a positive, finite number of ``unit`` (float() also takes nan and
    inf, and nan passes every comparison); ``like`` gives examples for the error."""
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or value <= 0:
            raise argparse.ArgumentTypeError(
                f"expected a positive number of {unit}, like {like}, got {text!r}")
        return value
    return parse


_megabytes = positive_number("megabytes", "10 or 0.5")


def _path(text: str) -> Path:
    """A path argument; "" is refused (argparse's Path("") is "."): `newsgraph load
    "$CORPUS"` with CORPUS unset read the current folder."""
    if not text.strip():
        raise argparse.ArgumentTypeError(
            f"an empty path ({text!r}): give a folder or file of records ('.' for the "
            "current folder)")
    return Path(text)


def _at_least_one(text: str) -> int:
    """A count argument: a whole number, at least 1."""
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number, at least 1, got {text!r}")
    return n


def _add_path(p: argparse.ArgumentParser) -> None:
    from graph import cachefolder

    p.add_argument("path", nargs="?", type=_path, default=None,
                   help="a folder of records (read recursively) or one file; "
                        "the bundled data/ by default")
    _add_load_options(p)
    _add_max_file_mb(p)
    p.add_argument("--cache", nargs="?", const=True, default=None, metavar="DIR",
                   help="start from a signed snapshot of an unchanged corpus, and write one "
                        "after a full load (serve: on by default); DIR defaults to "
                        "$NEWSGRAPH_CACHE, else $XDG_CACHE_HOME/newsgraph or "
                        "~/.cache/newsgraph")
    p.add_argument("--no-cache", dest="cache", action="store_const", const=False,
                   help="neither read nor write a snapshot")
    p.add_argument("--cache-max-mb", type=float, default=None, metavar="MB",
                   help="keep the snapshot cache folder under MB, the least recently used "
                        "snapshots removed first, never one in use (default: "
                        f"$NEWSGRAPH_CACHE_MAX_MB, else {cachefolder.DEFAULT_MAX_MB})")


class _PrintVersion(argparse.Action):
    """``--version``: the installed version, looked up only when asked (argparse's
    ``version`` action takes the text made, a read of the distribution's metadata on
    every start)."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS,
                 default: Any = argparse.SUPPRESS, help: str | None = None) -> None:
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        print(f"newsgraph {_version()}")
        parser.exit()


_EXIT_STATUSES = (
    f"exit statuses: {EXIT_OK} done; {EXIT_REJECTED} something was rejected (a file or record "
    f"refused, a query answered with errors); {EXIT_USAGE} a usage error (a bad flag or value, "
    f"a path that does not exist, a server that cannot be reached); {EXIT_EMPTY} no record in "
    "the path (docs/records.md, Exit statuses)")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """Return the argument parser of the ``newsgraph`` command; with ``command`` (one of
    its own), a parser of that command alone, whose arguments, help and errors are the
    same (what ``main`` runs a command with: the others' options not built)."""
    parser = _Parser(prog="newsgraph", description="A GraphQL knowledge-graph server for news.",
                     epilog=_EXIT_STATUSES)
    parser.add_argument("--version", action=_PrintVersion, help="print the version and exit")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    if command is not None and command not in _COMMANDS:
        raise ValueError(f"{command!r} is not one of newsgraph's own commands")

    def wanted(name: str) -> bool:
        return command is None or command == name

    if wanted("load"):
        p = sub.add_parser("load", help="load records and print the load report")
        _add_path(p)
        p.add_argument("--json", action="store_true", help="print the report as JSON")
    if wanted("serve"):
        _add_serve(sub.add_parser("serve", help="serve the graph over GraphQL with uvicorn"))
    if wanted("push"):
        _add_push(sub.add_parser("push", help="send record files to a server's ingest "
                                              "mutation"))
    if wanted("query"):
        _add_query(sub.add_parser("query", help="run one GraphQL query in-process and print "
                                                "the JSON"))
    if wanted("schema"):
        sub.add_parser("schema", help="print the GraphQL schema (SDL)")
    if wanted("export"):
        _add_export(sub.add_parser("export", help="write the graph, or a selection of it, for "
                                                  "Gephi, Cytoscape or networkx"))
    if command is None:
        for name, entry in sorted(added_commands().items()):
            sub.add_parser(name, add_help=False, help=(
                f"from {entry.module.split('.')[0]}/: `newsgraph {name} --help` for its "
                "options"))
    parser.commands = dict(sub.choices)
    return parser


def _add_serve(p: argparse.ArgumentParser) -> None:
    from schema.settings import add_arguments

    _add_path(p)
    p.add_argument("--host", default="127.0.0.1", help="interface to bind (default: %(default)s)")
    p.add_argument("--port", type=int, default=8000,
                   help="port to bind, 0 to 65535 (default: %(default)s)")
    p.add_argument("--no-watch", dest="watch", action="store_false",
                   help="serve the folder as loaded at start; by default its changes are "
                        "followed, each a new graph version")
    p.add_argument("--watch-poll", action="store_true",
                   help="follow changes by polling the folder (network filesystems, some "
                        "containers); also NEWSGRAPH_WATCH_POLL=1")
    p.add_argument("--ingest-token-file", type=Path, default=None, metavar="FILE",
                   help="the bearer token the ingest and retract mutations require, read "
                        "from FILE (else NEWSGRAPH_INGEST_TOKEN); without one they refuse")
    p.add_argument("--ingest-token", action=_TokenOnCommandLine, help=argparse.SUPPRESS)
    p.add_argument("--ingest", action=argparse.BooleanOptionalAction, default=None,
                   help="the ingest and retract mutations (default: on, answering only "
                        "requests with the token; in --production, on only with a token, "
                        "and --ingest without one refuses to start)")
    p.add_argument("--workers", type=int, default=None, metavar="N",
                   help="serve from N worker processes forked after the load, sharing the "
                        "graph's memory (default: one process); see docs/scaling.md")
    p.add_argument("--max-requests", type=int, default=None, metavar="N",
                   help="with --workers: replace a worker by a fresh fork after about N "
                        "requests, which shares the graph's pages again (default: never)")
    p.add_argument("--cpus", default=None, metavar="LIST",
                   help="hold the serving threads to a CPU (Linux): one server to the "
                        "first of LIST (1, 0,1 or 0-1), worker i to its i-th in turn; "
                        "on a machine left to the server, fewer hand-overs between CPUs "
                        "(default: free to move); see docs/scaling.md")
    add_arguments(p)


def _add_push(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="+", type=_path, metavar="FILE",
                   help="record files or folders of them")
    p.add_argument("--server", required=True, metavar="URL",
                   help="the server, e.g. http://127.0.0.1:8000")
    p.add_argument("--token-file", type=Path, default=None, metavar="FILE",
                   help="the ingest token, read from FILE (else NEWSGRAPH_INGEST_TOKEN)")
    p.add_argument("--batch", type=int, default=100,
                   help="records per request (default: %(default)s)")
    p.add_argument("--concurrency", type=_at_least_one, default=CONCURRENCY, metavar="N",
                   help="batches in flight at once (default: %(default)s); the summary "
                        "is in the files' order whatever N is")
    _add_max_file_mb(p)


def _add_query(p: argparse.ArgumentParser) -> None:
    p.add_argument("query", help="the GraphQL document, or @FILE to read it from a file")
    p.add_argument("--data", type=_path, default=None, metavar="PATH",
                   help="records to load (default: the bundled data/)")
    p.add_argument("--variables", default=None, metavar="JSON", help="variables as a JSON object")
    p.add_argument("--ignore-load-errors", action="store_true",
                   help="exit 0 even when the load rejected files or records (they are "
                        "still printed on stderr)")
    _add_load_options(p)
    _add_max_file_mb(p)


def _add_export(p: argparse.ArgumentParser) -> None:
    _add_path(p)
    p.add_argument("--format", required=True,
                   choices=("graphml", "gexf", "node-link", "cytoscape", "cyjs", "graphology"),
                   help="graphml or gexf (Gephi, yEd), node-link (networkx and d3 JSON), "
                        "cytoscape (Cytoscape.js elements), cyjs (Cytoscape desktop .cyjs) "
                        "or graphology (sigma.js)")
    p.add_argument("-o", "--output", type=Path, default=None, metavar="FILE",
                   help="write to FILE (default: standard output)")
    p.add_argument("--from", dest="seeds", action="append", default=[], metavar="ID",
                   help="walk from this node id or article URL (repeatable)")
    p.add_argument("--hops", type=int, default=None, help="how far to walk from --from "
                                                           "(default: 1)")
    p.add_argument("--via", action="append", default=None, metavar="KIND",
                   help="edge kind to keep and walk: RELATED, PUBLISHED_BY, TAGGED or "
                        "SAME_STORY (repeatable; default: the first three)")
    p.add_argument("--mentions", default=None, metavar="PHRASE",
                   help="keep articles holding this phrase")
    p.add_argument("--topic", action="append", default=[], help="keep articles with any of "
                                                                 "these topics (repeatable)")
    p.add_argument("--provider", action="append", default=[],
                   help="keep articles by any of these providers (repeatable)")
    p.add_argument("--after", default=None, metavar="DATE",
                   help="keep articles published at or after DATE (ISO 8601)")
    p.add_argument("--before", default=None, metavar="DATE",
                   help="keep articles published at or before DATE (ISO 8601)")
    p.add_argument("--layout", choices=("force",), default=None,
                   help="add seeded force-directed x, y to every node")


def _version() -> str:
    """The installed newsgraph's version."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("newsgraph")
    except PackageNotFoundError:  # run from a source tree never installed
        return "unknown (not installed)"


class _Stderr(logging.Handler):
    """Log lines on whatever ``sys.stderr`` is at the time (tests swap it)."""

    def emit(self, record: logging.LogRecord) -> None:
        print(f"newsgraph: {self.format(record)}", file=sys.stderr, flush=True)


def _say_logs() -> None:
    """Show newsgraph's own log lines (snapshot fallbacks, ...) on stderr, once."""
    logger = logging.getLogger("newsgraph")
    if not any(isinstance(h, _Stderr) for h in logger.handlers):
        logger.addHandler(_Stderr())
        logger.setLevel(logging.INFO)
        logger.propagate = False


def added_commands() -> dict[str, EntryPoint]:
    """Return the commands other packages add (entry points ``newsgraph.commands``), by name.

    bench/ adds ``bench`` and ``generate``; each is loaded only when it runs."""
    from importlib.metadata import entry_points

    return {e.name: e for e in entry_points(group=COMMANDS_GROUP) if e.name not in _COMMANDS}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``newsgraph`` command; return its exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in _COMMANDS:  # one of its own: no other command's options built
        parser = build_parser(argv[0])
    else:
        added = added_commands()
        if argv and argv[0] in added:  # it parses its own options
            return int(added[argv[0]].load()(argv[1:], prog=f"newsgraph {argv[0]}"))
        parser = build_parser()
    args = parser.parse_args(argv)
    _say_logs()
    try:
        _cache_cap(args)
        # Before anything is served or read: `serve` says it serves, then loads.
        graph.records.check_include(getattr(args, "include", None) or ())
        return _COMMANDS[args.command](args)
    except EmptyCorpus as e:
        print(f"newsgraph: error: {e}", file=sys.stderr)
        return EXIT_EMPTY
    except graph.NewsgraphError as e:
        print(f"newsgraph: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:  # pragma: no cover
        return 130
    except BrokenPipeError:  # pragma: no cover - output piped into `head` and the like
        sys.stderr.close()
        return EXIT_OK


def _cache_cap(args: argparse.Namespace) -> None:
    """Check the snapshot cache's cap now (``--cache-max-mb``, handed to graph/ as
    ``$NEWSGRAPH_CACHE_MAX_MB``, or that variable): a bad one is said at start."""
    mb = getattr(args, "cache_max_mb", None)
    if mb is not None:
        if not 0 <= mb < float("inf"):
            raise graph.NewsgraphError(f"--cache-max-mb must be a number of MiB, 0 or more "
                                       f"(0 keeps only the snapshot in use), got {mb:g}")
        os.environ["NEWSGRAPH_CACHE_MAX_MB"] = f"{mb:g}"
    if getattr(args, "cache", None) is not False and hasattr(args, "cache"):
        from graph import cachefolder

        cachefolder.max_bytes()


def _load(path: Path | None, max_file_mb: float, cache: str | bool | None = None, *,
          args: argparse.Namespace | None = None, allow_empty: bool = False,
          hint: str = "") -> graph.KnowledgeGraph:
    """Load the corpus; a path holding no record is :class:`EmptyCorpus` unless allowed."""
    from schema.progress import terminal_progress

    progress = terminal_progress(bool(getattr(args, "quiet", False)))
    if max_file_mb <= 0:
        raise graph.NewsgraphError(f"--max-file-mb must be positive, got {max_file_mb!r}")
    kg = graph.load(path, max_file_bytes=int(max_file_mb * 2**20), progress=progress,
                    cache=cache, include=getattr(args, "include", None) or (),
                    follow_symlinks=bool(getattr(args, "follow_symlinks", False)))
    if kg.report.records == 0 and not allow_empty:
        raise EmptyCorpus(_empty_message(path, kg.report) + hint)
    return kg


def _empty_message(path: Path | None, report: graph.LoadReport) -> str:
    shown = str(path) if path is not None else str(graph.default_data_path())
    if report.errors:
        # Records were found, in files of the right kind, and each was rejected: what to
        # fix is in the errors, not in which files are read.
        errors = len(report.errors)
        return (f"no record loaded from {shown!r}: every record found was rejected "
                f"({errors} error{'s' if errors != 1 else ''} in {report.files} files read, "
                f"{len(report.skipped)} skipped); the first: {report.errors[0]}")
    return (f"no record found in {shown!r} ({report.files} files read, "
            f"{len(report.skipped)} skipped, {len(report.errors)} errors). Records are files "
            f"ending {', '.join(sorted(RECORD_SUFFIXES))} (a .md or .txt needs YAML front matter); "
            "--include GLOB reads more")


_TOKEN_ALLOWED = "a token file holds the token on one line (a final newline is fine)"


def _token_from_file(path: Path, option: str) -> str:
    """The token in ``path``, stripped of surrounding whitespace; NewsgraphError saying
    what was wrong and what is allowed for a file no bearer token can be read from."""
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise graph.NewsgraphError(f"cannot read {option} {str(path)!r}: {e.strerror}") from e
    try:
        token = raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise graph.NewsgraphError(f"{option} {str(path)!r} is not UTF-8 text: "
                                   f"{_TOKEN_ALLOWED}") from None
    if not token:
        raise graph.NewsgraphError(f"{option} {str(path)!r} is empty: {_TOKEN_ALLOWED}")
    if "\n" in token or "\r" in token:
        raise graph.NewsgraphError(f"{option} {str(path)!r} holds more than one line: "
                                   f"{_TOKEN_ALLOWED}")
    if not token.isprintable():  # an Authorization header cannot carry it
        raise graph.NewsgraphError(f"{option} {str(path)!r} holds a control character: "
                                   f"{_TOKEN_ALLOWED}, of printable characters")
    _warn_if_others_read(path, option)
    return token


def _warn_if_others_read(path: Path, option: str) -> None:
    """Warn on stderr when users besides the owner may read the token file: whoever can
    read it may ingest and retract stories (used all the same, as before)."""
    if os.name != "posix":
        return
    try:
        mode = path.stat().st_mode & 0o777
    except OSError:
        return
    if mode & 0o044:
        print(f"newsgraph: warning: {option} {str(path)!r} can be read by other users "
              f"(mode {mode:04o}): chmod 600 {str(path)!r}", file=sys.stderr)


def _ingest_token(args: argparse.Namespace) -> str | None:
    if args.ingest_token_file is not None:
        return _token_from_file(args.ingest_token_file, "--ingest-token-file")
    return os.environ.get("NEWSGRAPH_INGEST_TOKEN", "").strip() or None


def _print_report(report: graph.LoadReport, *, stream: Any = None,
                  summary: bool = True) -> None:
    """The report: its summary line (unless the log said it already) and its problems."""
    stream = stream or sys.stdout
    if summary:
        print(report.summary(), file=stream)
    for title, problems in (("errors", report.errors), ("warnings", report.warnings),
                            ("skipped", report.skipped)):
        if problems:
            print(f"{title}:", file=stream)
            for p in problems:
                print(f"  {p}", file=stream)


def cmd_load(args: argparse.Namespace) -> int:
    kg = _load(args.path, args.max_file_mb, args.cache, args=args, allow_empty=True)
    write = getattr(kg, "snapshot_write", None)
    if write is not None:  # written after the load returned: this command is done then
        write.wait()
    if args.json:  # the report as JSON whatever it says, an empty corpus's too
        json.dump(kg.report.as_dict(), sys.stdout, indent=2, ensure_ascii=False)
        print()
    else:
        _print_report(kg.report)
    if kg.report.records == 0:
        raise EmptyCorpus(_empty_message(args.path, kg.report))
    return EXIT_OK if kg.report.ok else EXIT_REJECTED


def _bind(host: str, port: int) -> socket.socket:
    """Bind the listening socket, or raise NewsgraphError saying why not, in one line."""
    if not 0 <= port <= 65535:
        raise graph.NewsgraphError(f"--port must be from 0 to 65535, got {port}")
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    except socket.gaierror as e:
        raise graph.NewsgraphError(f"cannot serve on host {host!r}: {e.strerror}") from None
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(2048)
    except OSError as e:
        sock.close()
        why = ("it is in use (another server listens there)" if e.errno == errno.EADDRINUSE
               else e.strerror)
        raise graph.NewsgraphError(f"cannot serve on {host}:{port}: {why}") from None
    sock.setblocking(False)
    return sock


def cmd_serve(args: argparse.Namespace) -> int:
    import multiprocessing
    import signal

    import uvicorn

    from graph import cachefolder
    from graph.watch import polling_wanted
    from schema.app import create_app
    from schema.httpprotocol import GraphQLHttpToolsProtocol
    from schema.settings import from_arguments

    settings = from_arguments(args)
    if args.path is not None and not os.path.exists(args.path):
        # Said now, as load and query say it (a usage error), not by the load thread
        # after the port is bound and the server said it was serving.
        raise missing_path(args.path)
    token = _ingest_token(args) if args.ingest is not False else None
    if settings.production and not token:
        if args.ingest:
            raise graph.NewsgraphError(
                "--production refuses to start ingest without a token: set "
                "NEWSGRAPH_INGEST_TOKEN or --ingest-token-file FILE, or drop --ingest")
        if args.ingest is None:
            print("newsgraph: production mode: ingest off (no NEWSGRAPH_INGEST_TOKEN or "
                  "--ingest-token-file)", file=sys.stderr)
    # Followed, each state of the folder a version (--no-watch only stops following),
    # unless a snapshot is asked for and changes are not.
    follow = args.watch or not args.cache
    # A snapshot is kept by default (a restart is then seconds, not a cold load), in
    # the per-user cache folder, under its cap; --no-cache keeps none.
    if args.cache is None:
        args.cache = True
    poll = args.watch_poll or polling_wanted()
    if follow and token:
        from graph.ingest import remove_partial

        root = args.path if args.path is not None else graph.default_data_path()
        if root.is_dir():
            for left in remove_partial(root):
                print(f"newsgraph: removed {left}, a temporary file an interrupted ingest "
                      "left", file=sys.stderr)
    if args.workers is not None:
        _check_workers(args.workers, follow=follow, watch=args.watch, ingest=token is not None)
    if args.max_requests is not None and (args.workers is None or args.max_requests < 1):
        raise graph.NewsgraphError(f"--max-requests must be a positive number of requests "
                                   f"and goes with --workers, got {args.max_requests}"
                                   + ("" if args.workers else " without --workers"))
    cpus: tuple[int, ...] = ()
    if args.cpus is not None:
        from schema.affinity import parse_cpus

        try:
            cpus = parse_cpus(args.cpus)
        except ValueError as e:
            raise graph.NewsgraphError(str(e)) from None
    # Bind first: a port in use is said at once, not after a load of minutes; then the
    # server answers /healthz and /readyz (with progress) while the graph loads.
    sock = _bind(args.host, args.port)
    server: uvicorn.Server | None = None
    failed = EXIT_OK

    def on_loaded(kg: graph.KnowledgeGraph | None, error: Exception | None, *,
                  logged: bool = True) -> None:
        """``logged``: the app's log said "newsgraph: loaded: <summary>" already."""
        nonlocal failed
        if kg is not None:
            if not logged:
                print(f"newsgraph: loaded: {kg.report.summary()}", file=sys.stderr)
            _print_report(kg.report, stream=sys.stderr, summary=False)
            if kg.report.records or settings.allow_empty:
                if kg.version is not None:
                    how = ("not following changes (--no-watch)" if not args.watch
                           else "following changes by polling" if poll
                           else "following changes")
                    print(f"newsgraph: version {kg.version}, {how}", file=sys.stderr)
                print("newsgraph: ready; storylines, centrality and the search index are "
                      "computed in the background (see /readyz)", file=sys.stderr,
                      flush=True)
                return
            failed = EXIT_EMPTY
            error = EmptyCorpus(_empty_message(args.path, kg.report) + "; `newsgraph serve "
                                "--allow-empty` serves an empty graph")
        else:
            failed = EXIT_REJECTED
        print(f"newsgraph: error: {error}", file=sys.stderr, flush=True)
        if server is not None:
            server.should_exit = True

    config: dict[str, Any] = {
        # The C parser and libuv loop (dependencies): a third less of uvicorn's own work a
        # request than h11 on asyncio's loop, which "auto" falls back to without saying.
        # uvloop is not built for Windows: asyncio's loop there. Its refusals (a GET's URL
        # past 65,535 bytes) are GraphQL errors, not uvicorn's plain text.
        "http": functools.partial(GraphQLHttpToolsProtocol,
                                  cors_origins=settings.cors_origins,
                                  head_timeout=max(1.0, settings.timeout)),
        "loop": SERVING_LOOP,
        "log_level": "warning", "server_header": not settings.production,
        # A WebSocket message is held whole and decoded on the event loop: one past what an
        # HTTP body may hold is refused as its frames arrive (1009), not at uvicorn's 16 MB.
        "ws_max_size": settings.max_body_bytes,
        "timeout_graceful_shutdown": max(1, math.ceil(settings.timeout)) + 2}
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    print(f"newsgraph: serving GraphQL at http://{shown}:{port}/graphql (loading the graph; "
          "/readyz says when it is ready)", file=sys.stderr, flush=True)
    if args.cache:
        from graph.snapshot import default_cache_dir  # numpy, networkx: not for push

        folder = default_cache_dir() if args.cache is True else Path(args.cache)
        print(f"newsgraph: snapshot cache {folder} (at most "
              f"{cachefolder.max_bytes() / 2**20:,.0f} MB, the least recently used removed "
              "first; --no-cache keeps none)", file=sys.stderr, flush=True)
    if settings.production:
        print("newsgraph: production mode: introspection "
              f"{'on' if settings.introspection_enabled else 'off'}, GraphiQL "
              f"{'on' if settings.graphiql_enabled else 'off'}, CORS origins: "
              f"{', '.join(settings.cors_origins) or 'none'}", file=sys.stderr, flush=True)
    # The graph loads in a thread beside the page that answers meanwhile: the parse pool's
    # workers then come from a fork server, not a fork of this threaded process.
    if (multiprocessing.get_start_method(allow_none=True) is None
            and "forkserver" in multiprocessing.get_all_start_methods()):
        multiprocessing.set_start_method("forkserver")
    if args.workers is not None:
        return _serve_workers(args, sock, settings, config, on_loaded, follow=follow,
                              poll=poll, token=token, cpus=cpus)
    # The empty-corpus check is on_loaded's, to say it as the other commands do.
    app = create_app(args.path, settings.replace(allow_empty=True), background=True,
                     on_loaded=on_loaded, max_file_bytes=int(args.max_file_mb * 2**20),
                     cache=args.cache, include=args.include or (),
                     follow_symlinks=bool(args.follow_symlinks), follow=follow,
                     watch=args.watch and follow, poll=poll, ingest_token=token)
    # On SIGTERM or SIGINT uvicorn stops accepting and lets requests in flight finish;
    # each ends by its deadline, so drain for that long. SIGHUP must not kill them.
    server = uvicorn.Server(uvicorn.Config(app, **config))
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, _ignore_hangup)
    if cpus:
        from schema.affinity import hold

        hold(cpus[0])  # this thread, and those it starts: the loop's, the operations'
    server.run(sockets=[sock])
    return failed


MAX_WORKERS = 64


def _check_workers(workers: int, *, follow: bool, watch: bool, ingest: bool) -> None:
    if not 1 <= workers <= MAX_WORKERS:
        raise graph.NewsgraphError(f"--workers must be from 1 to {MAX_WORKERS}, got {workers}")
    if workers > 1 and follow and ingest and not watch:
        # Each worker follows the folder on its own: without a watcher, a record one
        # worker ingests would never reach the others.
        raise graph.NewsgraphError(
            "--workers with ingest on needs the folder watched, so that every worker sees "
            "what one ingests: drop --no-watch, or --no-ingest")


def _serve_workers(args: argparse.Namespace, sock: socket.socket, settings: Any,
                   config: dict[str, Any], on_loaded: Any, *, follow: bool, poll: bool,
                   token: str | None, cpus: tuple[int, ...] = ()) -> int:
    """``serve --workers N``: load here, then fork N workers (schema/workers.py)."""
    import signal

    from schema.app import create_app
    from schema.workers import Supervisor

    def load(progress: Any) -> graph.KnowledgeGraph | graph.LiveGraph:
        options: dict[str, Any] = {"max_file_bytes": int(args.max_file_mb * 2**20),
                                   "include": args.include or (),
                                   "follow_symlinks": bool(args.follow_symlinks)}
        source: graph.KnowledgeGraph | graph.LiveGraph
        if follow:
            source = graph.follow(args.path if args.path is not None
                                  else graph.default_data_path(), cache=args.cache,
                                  progress=progress, **options)
            kg = source.current()
        else:
            source = kg = graph.load(args.path, progress=progress, cache=args.cache, **options)
        on_loaded(kg, None, logged=False)  # loaded here, not by an app that logs it
        if not kg.report.records and not settings.allow_empty:
            raise EmptyCorpus(_empty_message(args.path, kg.report) + "; `newsgraph serve "
                              "--allow-empty` serves an empty graph")
        return source

    def make_app(source: Any, analytics: Any, share: int) -> Any:
        return create_app(source, settings.replace(allow_empty=True), background=True,
                          follow=follow, watch=args.watch and follow, poll=poll,
                          ingest_token=token, analytics=analytics, cache_share=share)

    def say(line: str) -> None:
        print(f"newsgraph: {line}", file=sys.stderr, flush=True)

    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, _ignore_hangup)
    _, error = Supervisor(_listener(sock), args.workers, load, make_app, config, say,
                          max_requests=args.max_requests, cpus=cpus).run()
    if isinstance(error, EmptyCorpus):
        return EXIT_EMPTY  # on_loaded said it
    if error is not None:
        print(f"newsgraph: error: {error}", file=sys.stderr, flush=True)
        return EXIT_REJECTED
    return EXIT_OK


def _listener(bound: socket.socket) -> Any:
    """Return a function binding one more listening socket on ``bound``'s address.

    With SO_REUSEPORT (Linux) each worker gets a socket of its own and the kernel spreads
    connections over them; ``bound``, bound without it, has already shown the port free
    (another server holding it, with or without SO_REUSEPORT, makes that bind fail)."""
    if not hasattr(socket, "SO_REUSEPORT"):  # pragma: no cover - every worker shares it
        return lambda: bound.dup()
    family, proto, address = bound.family, bound.proto, bound.getsockname()
    bound.close()

    def listen() -> socket.socket:
        # The protocol named, as _bind's getaddrinfo names it: asyncio turns Nagle's
        # algorithm off (TCP_NODELAY) only on connections of a socket whose proto says
        # TCP; with proto 0, each answer on a kept-alive connection waited ~40 ms for the
        # client's delayed ACK.
        sock = socket.socket(family, socket.SOCK_STREAM, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(address)
        sock.listen(2048)
        sock.setblocking(False)
        return sock

    return listen


def _ignore_hangup(signum: int, frame: Any) -> None:
    print("newsgraph: SIGHUP ignored (nothing to reload: restart to load a new corpus; "
          "SIGTERM stops after requests in flight)", file=sys.stderr, flush=True)


def cmd_push(args: argparse.Namespace) -> int:
    from schema.push import push

    token = (_token_from_file(args.token_file, "--token-file") if args.token_file is not None
             else os.environ.get("NEWSGRAPH_INGEST_TOKEN", "").strip() or None)
    summary = push(args.files, args.server, token, batch=args.batch,
                   concurrency=args.concurrency, max_file_bytes=int(args.max_file_mb * 2**20))
    for problem in summary.problems + summary.warnings + summary.skipped:
        print(f"  {printable(problem)}", file=sys.stderr)
    print(summary.line())
    return EXIT_OK if summary.ok else EXIT_REJECTED


def cmd_query(args: argparse.Namespace) -> int:
    from schema.query import execute

    document = args.query
    if document.startswith("@"):
        try:
            document = Path(document[1:]).read_text(encoding="utf-8")
        except OSError as e:
            raise graph.NewsgraphError(
                f"cannot read query file {document[1:]!r}: {e.strerror}") from e
    if not document:  # else a traceback: strawberry's MissingQueryError
        where = f"the file {args.query[1:]!r} is empty" if args.query.startswith("@") else \
            "no document was given"
        raise graph.NewsgraphError(f"the query is empty ({where}): pass a GraphQL document, "
                                   "like '{ stats { articles } }', or @FILE to read one")
    variables = None
    if args.variables is not None:
        try:
            variables = json.loads(args.variables)
        except json.JSONDecodeError as e:
            raise graph.NewsgraphError(f"--variables is not valid JSON: {e.msg}") from e
        if not isinstance(variables, dict):
            raise graph.NewsgraphError("--variables must be a JSON object like '{\"n\": 5}'")
    kg = _load(args.data, args.max_file_mb, args=args)
    errors = kg.report.errors
    if errors:
        what = "ignored" if args.ignore_load_errors else "--ignore-load-errors to go on"
        things = "file or record" if len(errors) == 1 else "files or records"
        print(f"newsgraph: the load rejected {len(errors)} {things} ({what}):",
              file=sys.stderr)
        for problem in errors:
            print(f"  {problem}", file=sys.stderr)
    response = execute(kg, document, variables)
    json.dump(response, sys.stdout, indent=2, ensure_ascii=False)
    print()
    if errors and not args.ignore_load_errors:
        return EXIT_REJECTED
    return EXIT_REJECTED if response.get("errors") else EXIT_OK


def cmd_schema(args: argparse.Namespace) -> int:
    from schema.query import schema

    print(schema.as_str())
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from schema.exports import (
        ExportRequest,
        hops_without_from,
        select_export,
        selection_of,
        write_export,
    )

    if args.hops is not None and not args.seeds:
        raise graph.NewsgraphError("--" + hops_without_from(args.hops, "--from", "--from ID"))
    kg = _load(args.path, args.max_file_mb, args.cache, args=args)
    if not kg.report.ok:
        print(f"newsgraph: {kg.report.summary()}", file=sys.stderr)
    request = ExportRequest(
        format=args.format, seeds=tuple(args.seeds), hops=1 if args.hops is None else args.hops,
        via=tuple(args.via) if args.via else None,
        selection=selection_of(args.mentions, args.topic, args.provider, args.after,
                               args.before),
        layout=args.layout)
    sub = select_export(kg, request)
    if args.output is None:
        write_export(kg, request, sub, sys.stdout.buffer)  # streamed, a chunk at a time
        sys.stdout.flush()
    else:
        try:
            with args.output.open("wb") as out:
                write_export(kg, request, sub, out)
                size = out.tell()
        except OSError as e:
            raise graph.NewsgraphError(f"cannot write {str(args.output)!r}: {e.strerror}") from e
        print(f"newsgraph: wrote {args.output} ({size} bytes)", file=sys.stderr)
    return EXIT_OK


_COMMANDS = {"export": cmd_export, "load": cmd_load, "serve": cmd_serve, "query": cmd_query,
             "schema": cmd_schema, "push": cmd_push}

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
