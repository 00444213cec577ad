"""Find record files and parse each into records, reporting every problem with its place.

A broken file never stops a load and a broken record never takes its neighbours
with it: one bad line of a ``.jsonl``, one bad item of a YAML or JSON list, is
reported alone and the rest still load.
"""

from __future__ import annotations

import codecs
import errno
import json
import os
import re
import stat
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any

import yaml

from graph import fastyaml
from graph.errors import NewsgraphError, shown
from graph.report import Problem
from graph.textfields import as_written
from graph.values import MAX_VALUE_DEPTH, NotUnicode, TooLongInteger, key_text, max_int_digits
from graph.yamlscalars import timestamp_or_text

# The record checks every record goes through, compiled with the reader when it is
# (graph/fastyaml.py); their classes are graph.values' own either way.
_values = fastyaml.module("values")
clean_record, json_int, lone_surrogate = (
    _values.clean_record, _values.json_int, _values.lone_surrogate)

__all__ = [
    "check_include",
    "not_read_for_want",
    "Record",
    "ParsedFile",
    "Listing",
    "RECORD_SUFFIXES",
    "DEFAULT_MAX_FILE_BYTES",
    "list_files",
    "compose_items",
    "YamlFailure",
    "corpus_root",
    "parse_file",
    "parse_text",
]

MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})
# The record format's own file form: YAML front matter and a body, in a .txt file. Other
# .txt and .md files are common beside records (notes, licences, a README, an Obsidian
# vault's notes): without front matter, skipped.
TEXT_SUFFIXES = frozenset({".txt"})
FRONT_MATTER_SUFFIXES = MARKDOWN_SUFFIXES | TEXT_SUFFIXES
YAML_SUFFIXES = frozenset({".yaml", ".yml"})
JSON_SUFFIXES = frozenset({".json"})
JSONL_SUFFIXES = frozenset({".jsonl"})
RECORD_SUFFIXES = FRONT_MATTER_SUFFIXES | YAML_SUFFIXES | JSON_SUFFIXES | JSONL_SUFFIXES
# An --include'd file of another suffix is read as front matter, skipped without it.
_INCLUDED = ".txt"
DEFAULT_MAX_FILE_BYTES = 10 * 1024 * 1024
# A file that cannot be opened or read for want of a resource of the process or machine
# (file descriptors, memory) says nothing of the file: a load writes no snapshot holding
# that (every start from it would miss the file's records), and a followed folder reads
# the file again (graph/watch.py). Under a flood of connections the server ran out of
# descriptors, and a file dropped then stayed unread.
_WANTING = (errno.EMFILE, errno.ENFILE, errno.ENOMEM, errno.EAGAIN, errno.ENOBUFS)
_WANTING_REASONS = frozenset(f"cannot read file: {os.strerror(n)}" for n in _WANTING)
_WANTING_DIGESTS = frozenset(f"unreadable:{n}" for n in _WANTING)  # graph.filestate's


def not_read_for_want(problems: Sequence[Problem], digest: str | None = None) -> bool:
    """True when ``problems`` (a file's errors, or a report's) hold a file not read for want
    of a resource (descriptors, memory), or ``digest`` (:func:`graph.filestate.content_digest`)
    says so: a passing state of the process, not of the file."""
    return digest in _WANTING_DIGESTS or any(p.reason in _WANTING_REASONS for p in problems)
# Real records never use YAML anchors; a few are tolerated, a bomb is refused.
MAX_YAML_ALIASES = 100
# Few aliases can still expand exponentially: billion laughs needs under 100 of them.
MAX_YAML_EXPANDED_VALUES = 100_000

def _construct_int(loader: Any, node: yaml.ScalarNode) -> int | TooLongInteger:
    try:
        return yaml.SafeLoader.construct_yaml_int(loader, node)
    except ValueError:
        digits = sum(c.isdigit() for c in str(node.value))
        if digits > max_int_digits():
            return TooLongInteger(digits)  # the record's warning, not the file's error
        raise


_MERGE = "tag:yaml.org,2002:merge"
_NULL = "tag:yaml.org,2002:null"
_STR = "tag:yaml.org,2002:str"


# A repeated key: its text and line, and, when it is written otherwise than the key it
# repeats (`on` and `yes`, both true), that key's text and line and the value both are.
Duplicate = tuple[str, int, "tuple[str, int, str] | None"]


def _construct_mapping(loader: Any, node: yaml.MappingNode, deep: bool = False) -> Any:
    """The safe loader's mapping, noting each key the mapping repeats (its own keys:
    those a ``<<`` merge brings in may be overridden) in ``loader.duplicates``: written
    alike, or written apart but read as one value (``on`` and ``yes``; ``1`` and
    ``true``, one key to Python)."""
    if isinstance(node, yaml.MappingNode) and len(node.value) > 1:
        seen: set[tuple[str, str]] = set()
        values: dict[Any, yaml.ScalarNode] = {}
        for key, _ in node.value:
            if not isinstance(key, yaml.ScalarNode) or key.tag == _MERGE:
                continue
            if (key.tag, key.value) in seen:
                loader.duplicates.append((key.value, key.start_mark.line, None))
                continue
            seen.add((key.tag, key.value))
            if key.tag == _STR:
                continue  # text keys are one key only when written alike
            try:
                value = loader.construct_object(key)
                first = values.setdefault(value, key)
            except (TypeError, yaml.YAMLError):
                continue  # unhashable or unreadable: the construction says so
            if first is not key:
                loader.duplicates.append((key.value, key.start_mark.line, (
                    first.value, first.start_mark.line, key_text(value))))
    return yaml.SafeLoader.construct_mapping(loader, node, deep)


class _SafeLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The safe loader, with integers too long to convert read as a marker and
    repeated keys noted."""

    construct_mapping = _construct_mapping

    def __init__(self, stream: str):
        super().__init__(stream)
        self.duplicates: list[Duplicate] = []


_SafeLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_SafeLoader.add_constructor("tag:yaml.org,2002:timestamp", timestamp_or_text)


def _construct_as_text(loader: Any, node: yaml.ScalarNode) -> str:
    return str(loader.construct_scalar(node))


# YAML 1.1 resolves a plain `=` to its `value` type and a plain `<<` to `merge`, which the
# safe loader cannot construct: the whole record was refused. YAML 1.2 writers (the npm
# `yaml` package, js-yaml) write both unquoted, as the text they are; a `<<` key still merges
# (the mapping is flattened before its values are constructed).
_AS_TEXT: dict[str | None, Any] = {"tag:yaml.org,2002:value": _construct_as_text,
                                   _MERGE: _construct_as_text}
for _tag, _constructor in _AS_TEXT.items():
    _SafeLoader.add_constructor(_tag, _constructor)
# libyaml refuses a block scalar whose first line opens with a tab after its indentation
# (`excerpt: |-` then `  \tText`, as the npm `yaml` package writes such a text), which
# YAML allows and PyYAML's own scanner reads: such a text is read again by it.
_LIBYAML_TAB = "found a tab character where an indentation space is expected"
# An anchor (&name) where YAML would read one: at a line start or after a space or
# flow indicator. Text like "Tom & Jerry" or "?a=1&b=2" does not look like one.
_ANCHOR = re.compile(r"(?:^|[\s\[\{,])&[^\s\[\]\{\},]")
_FENCE = re.compile(r"^---[ \t]*$")
_FRONT_START = re.compile(rb"(?:\xef\xbb\xbf)?---[ \t]*(?:\r\n?|\n|$)")
# A file without front matter is a note (a README, an Obsidian note) unless it was meant as a
# record: Hugo's TOML front matter, its JSON front matter naming a URL field, or a URL
# field written without the '---' lines. Those are errors that say how to fix them; a note
# is skipped.
_MEANT_AS_RECORD = re.compile(
    rb"\A(?:\xef\xbb\xbf)?\s*\+\+\+|^[ \t]*(?:-[ \t]+)?(?:webUrl|originalUrl)[ \t]*:"
    rb"|\A(?:\xef\xbb\xbf)?\s*\{[^\x00]*?[\"'](?:webUrl|originalUrl)[\"'][ \t]*:", re.M)
_CLOSING_FENCE = re.compile(r"^(?:---|\.\.\.)[ \t]*$")
# A closing fence as a line of a text whose line breaks are all "\n", with the break
# before it (a literal start: the search jumps from one line break to the next).
_CLOSING_LINE = re.compile(r"\n(?:---|\.\.\.)[ \t]*(?=\n|\Z)")
# The same where a line break may be "\r\n" too (Windows editors, the generator's crlf style).
_CLOSING_LINE_CRLF = re.compile(r"\n(?:---|\.\.\.)[ \t]*(?=\r?\n|\Z)")
_BLOCK_ITEM = re.compile(r"^-(?:[ \t]|$)", re.MULTILINE)
# A line that reads as a 'Key: value' field (Pelican's and MultiMarkdown's metadata).
_FIELD_LINE = re.compile(r"[A-Za-z][\w-]*:(?:[ \t]|$)")
# Lines as YAML counts them (str.splitlines also breaks at \x0b, \x0c and \x1c-\x1e).
_YAML_LINE = re.compile(r"[^\r\n]*(?:\r\n|\n|\r)|[^\r\n]+")


@dataclass(slots=True)
class Record:
    """One record as read from a file: its fields, its Markdown body and its place."""

    fields: dict[str, Any]
    path: str
    line: int | None = None
    body: str | None = None
    # What the build reads from this record alone, when a parse worker worked it out
    # (graph.build.prepare), and the load's workers then send ``fields`` empty; None
    # otherwise.
    prepared: Any = None

    def __reduce__(self) -> tuple[Any, ...]:
        # Parse workers pickle every record: a plain constructor call is quicker than
        # the generic slots-dataclass state (a list built and read back field by field).
        return (Record, (self.fields, self.path, self.line, self.body, self.prepared))


@dataclass(slots=True)
class ParsedFile:
    """What one file gave: its records and the problems found in it."""

    path: str
    records: list[Record] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    skipped: Problem | None = None
    # The file's (size, mtime_ns, inode, ctime_ns) as it was read (fstat of the open
    # file; a file not opened is stat'ed), as graph.snapshot.fingerprint reads them; None
    # when it could not be stat'ed. Not part of what the file gave: two parses of the
    # same bytes are equal (graph.filestate), whenever the file was touched.
    stat: tuple[int, int, int, int] | None = field(default=None, compare=False)

    def __reduce__(self) -> tuple[Any, ...]:
        return (ParsedFile, (self.path, self.records, self.errors, self.warnings, self.skipped,
                             self.stat))


@dataclass(slots=True)
class Listing:
    """The files of a corpus in sorted order, the folders that could not be read, and the
    entries left out with a note (symlinks out of the corpus folder, undecodable names)."""

    names: list[str] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    skipped: list[Problem] = field(default_factory=list)


# What graph/_native/filestats.c gives (its walk, its stats) changes with its VERSION.
FILESTATS_VERSION = 2


def compiled_filestats() -> Any:
    """Return ``graph._native.filestats`` (the listing and stat pass in C, built by
    setup.py when a C compiler is there), or None: not built, built from another
    version of it, or ``NEWSGRAPH_PURE_STATS`` set. Without it the same is done in
    Python (:func:`list_files`, :func:`graph.snapshot.fingerprint`)."""
    if os.environ.get("NEWSGRAPH_PURE_STATS"):
        return None
    try:
        from graph._native import filestats  # type: ignore[attr-defined]
    except ImportError:
        return None
    return filestats if getattr(filestats, "VERSION", None) == FILESTATS_VERSION else None


def list_files(root: Path, *, follow_symlinks: bool = False) -> Listing:
    """List the files under ``root`` (or ``root`` itself, a file) in sorted order.

    Hidden files and folders (a name starting with ``.``) are left out. A symlink is
    followed only when it points inside the corpus folder (the resolved ``root``),
    unless ``follow_symlinks``; one pointing outside is skipped with a note, so a link
    cannot serve a file from elsewhere on the machine. A folder or file reached twice
    through a symlink is read once, by its own path rather than a link's, the other
    noted as skipped; a symlink to a folder holding it (a loop) is an error. A name that
    is not valid UTF-8 is skipped: no answer could show it.
    """
    listing = Listing()
    if root.is_file() or (root.exists() and not root.is_dir()):
        # (a pipe or a device given as the path: a file, refused unread, not a folder)
        listing.names.append(str(root))
        return listing
    if not os.path.lexists(root):  # a mistyped name: not "cannot read folder"
        listing.errors.append(Problem(str(root), None, "no such file or folder"))
        return listing
    compiled = compiled_filestats()
    if compiled is not None:
        # A tree of plain folders and files (no symlink, every name UTF-8, every folder
        # readable: nothing to note) listed in C, in the order sorted below, with no
        # Python object an entry but its path (~2x less CPU; ~1.2 s at a million
        # records in Python); anything else, None, and the walk below.
        plain = compiled.list_plain(str(Path(root)))
        if plain is not None:
            listing.names = plain
            return listing
    real_root = os.path.realpath(root)
    inside = real_root if real_root.endswith(os.sep) else real_root + os.sep
    seen: dict[tuple[int, int], str] = {}
    stack = [str(Path(root))]
    linked: list[str] = []  # folders reached through a symlink: listed after all others
    files: list[str] = []
    via_link: set[str] = set()  # files that are symlinks
    while stack or linked:
        folder = stack.pop() if stack else linked.pop()
        try:
            st = os.stat(folder)
            first = seen.get((st.st_dev, st.st_ino))
            if first is not None:
                real = os.path.realpath(folder)
                holder = os.path.realpath(os.path.dirname(folder.rstrip(os.sep)))
                if holder == real or holder.startswith(real.rstrip(os.sep) + os.sep):
                    listing.errors.append(
                        Problem(folder, None, "symlink loop: this folder was already read"))
                else:
                    listing.skipped.append(Problem(
                        folder, None, f"the folder {first!r} again, through a symlink: "
                                      "read once"))
                continue
            seen[(st.st_dev, st.st_ino)] = folder
            with os.scandir(folder) as entries:
                found = list(entries)
        except OSError as e:
            listing.errors.append(Problem(folder, None, f"cannot read folder: {e.strerror}"))
            continue
        prefix = "" if folder == "." else folder if folder.endswith(os.sep) else folder + os.sep
        for entry in found:
            name = entry.name
            if name.startswith("."):
                continue
            path = prefix + name
            if lone_surrogate(name) is not None:
                printable = os.fsencode(path).decode("utf-8", "backslashreplace")
                listing.skipped.append(Problem(printable, None, "file name is not valid UTF-8: "
                                                                "never read"))
                continue
            is_link = entry.is_symlink()
            if not follow_symlinks and is_link:
                target = os.path.realpath(path)
                if target != real_root and not target.startswith(inside):
                    listing.skipped.append(Problem(
                        path, None, f"symlink to {target!r}, outside the corpus folder "
                                    f"{real_root!r}: not followed (--follow-symlinks "
                                    "follows it)"))
                    continue
            try:
                is_folder = entry.is_dir()
            except OSError:
                is_folder = False
            if is_folder:
                (linked if is_link else stack).append(path)
            else:
                if is_link:
                    via_link.add(path)
                files.append(path)
    if via_link:
        _read_each_file_once(files, via_link, listing)
    else:  # each folder is listed once, so no two names are one file: nothing to resolve
        listing.names = files
    # The order of Path objects: by parts, not by characters ("a/b" before "a-c"). With
    # the separator as NUL, which sorts first and no name holds, strings compare so.
    listing.names.sort(key=lambda name: name.replace(os.sep, "\0"))
    listing.errors.sort(key=lambda p: p.path.replace(os.sep, "\0"))
    listing.skipped.sort(key=lambda p: p.path.replace(os.sep, "\0"))
    return listing


def _read_each_file_once(files: list[str], via_link: set[str], listing: Listing) -> None:
    """Add ``files`` to ``listing.names``, a file reached twice once: by a path of its own
    over a link's, then the first in order; the others noted as skipped. Compared by real
    path, not inode: an overlay file system's inodes may repeat."""
    real_folder: dict[str, str] = {}

    def real(name: str) -> str:
        if name in via_link:
            return os.path.realpath(name)
        folder, base = os.path.split(name)
        if folder not in real_folder:
            real_folder[folder] = os.path.realpath(folder or ".")
        return os.path.join(real_folder[folder], base)

    kept: dict[str, str] = {}
    for name in sorted(files, key=lambda name: (name in via_link, name.replace(os.sep, "\0"))):
        first = kept.setdefault(real(name), name)
        if first == name:
            listing.names.append(name)
        else:
            listing.skipped.append(Problem(
                name, None, f"a symlink to {first!r}, read there: not read twice"))


def check_include(include: Sequence[str]) -> tuple[str, ...]:
    """Return the ``include`` globs; raise NewsgraphError for one that names no file
    (``''``, ``'.'``: pathlib's match raises for them, and each file the suffixes did not
    take became an error of its own, "ValueError: empty pattern")."""
    for pattern in include:
        try:
            PurePath("x").match(pattern)
        except ValueError:
            raise NewsgraphError(
                f"include pattern {pattern!r} names no file: give a glob matched against the "
                "end of each path, such as '*.html' or 'pages/*.htm'") from None
    return tuple(include)


def record_suffix(path: str | PurePath, include: Sequence[str] = ()) -> str | None:
    """Return the suffix a file is parsed by, or None when it is not a record file.

    A file of a record suffix (:data:`RECORD_SUFFIXES`) is read by its suffix; any
    other file whose path matches an ``include`` glob (matched from the right, as
    :meth:`pathlib.PurePath.match` does: ``*.html``, ``pages/*.htm``) is read as
    front matter, like a ``.txt`` file.
    """
    if isinstance(path, str):  # PurePath(path).suffix without making the path object
        base = os.path.basename(path)
        dot = base.rfind(".")
        if 0 < dot < len(base) - 1:
            suffix = base[dot:].lower()
            if suffix in RECORD_SUFFIXES:
                return suffix
    pure = PurePath(path)
    suffix = pure.suffix.lower()
    if suffix in RECORD_SUFFIXES:
        return suffix
    if any(pure.match(pattern) for pattern in include):
        return _INCLUDED
    return None


def corpus_root(root: Path, *, follow_symlinks: bool = False) -> str | None:
    """Return the real path every file read from the folder ``root`` must lie in, or None
    when nothing is checked (``follow_symlinks``, or ``root`` a file named by the caller)."""
    if follow_symlinks or not os.path.isdir(root):
        return None
    return os.path.realpath(root)


def parse_file(path: str | os.PathLike[str], *, max_bytes: int = DEFAULT_MAX_FILE_BYTES,
               include: Sequence[str] = (), within: str | None = None) -> ParsedFile:
    """Read one file and parse it into records by its suffix.

    ``path`` as a string is kept as given (a listing's names are normalized already:
    the parse workers pass them so, not a ``Path`` made and turned back into a string
    each file); a ``Path`` is read by its ``str``.

    With ``within`` (a real folder path, from :func:`corpus_root`), the file opened must
    lie in it: the path is resolved on the open file, so a file or folder swapped for a
    symlink to elsewhere after :func:`list_files` listed it is refused, never read.
    Never raises: whatever reading or parsing the file raises becomes an error of
    the file, with its path and reason.
    """
    try:
        result = _parse_file(path, max_bytes, include, within)
    except Exception as e:  # noqa: BLE001 - the boundary: one file never stops a load
        result = ParsedFile(str(path))
        result.errors.append(Problem(str(path), None,
                                     f"could not be read: {type(e).__name__}: {e}"))
    if result.stat is None:  # not opened (skipped, or it could not be): as listed
        try:
            result.stat = _stat_of(os.stat(path))
        except OSError:
            pass
    return result


def missing_path(root: Path) -> NewsgraphError:
    """The error for a corpus path that is not there: a mistyped name, or a symlink that
    leads nowhere (which exists as a name: 'no such file' puzzled)."""
    if os.path.islink(root):
        return NewsgraphError(f"{str(root)!r} is a symlink that leads nowhere (a loop of "
                              "symlinks, or one to a missing file)")
    return NewsgraphError(f"no such file or folder: {str(root)!r}")


def _is_socket(path: str | os.PathLike[str]) -> bool:
    try:
        return stat.S_ISSOCK(os.stat(path).st_mode)
    except OSError:
        return False


def _stat_of(st: os.stat_result) -> tuple[int, int, int, int]:
    return (st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)


def _parse_file(path: str | os.PathLike[str], max_bytes: int, include: Sequence[str],
                within: str | None = None) -> ParsedFile:
    name = str(path)
    result = ParsedFile(name)
    suffix = record_suffix(name, include)
    if suffix is None:
        allowed = ", ".join(sorted(RECORD_SUFFIXES))
        result.skipped = Problem(name, None, f"not a record file: expected one of {allowed} "
                                             "(or a name matched by --include)")
        return result
    try:
        # Opened without blocking and checked on the open file: a pipe, a device such as
        # /dev/zero or a file swapped after listing is refused, never read; and at most
        # the limit is read, even from a file that grows.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | _BINARY)
        try:
            st = os.fstat(fd)
            result.stat = _stat_of(st)
            if within is not None:
                real = _opened_path(fd)
                if real is not None and not _lies_in(real, within):
                    raise _Outside(real, within)
            if not stat.S_ISREG(st.st_mode):
                raise _NotAFile
            if st.st_size > max_bytes:
                raise _FileTooBig(st.st_size)
            data = _read_upto(fd, st.st_size + 1)  # not max_bytes: a read allocates what it asks
            if len(data) > st.st_size:  # it grew, or its size lies (/proc): read on, to the limit
                data += _read_upto(fd, max_bytes + 1 - len(data))
        finally:
            os.close(fd)
    except _Outside as e:
        result.errors.append(Problem(
            name, None, f"opens {e.real!r}, outside the corpus folder {e.root!r} (it was "
                        "swapped for a symlink after the folder was listed): not read "
                        "(--follow-symlinks reads it)"))
        return result
    except _NotAFile:
        result.errors.append(Problem(name, None, "not a regular file (a pipe, device or "
                                                 "socket): never read"))
        return result
    except _FileTooBig as e:
        result.errors.append(
            Problem(name, None, f"file is {_human(e.size)}, over the {_human(max_bytes)} "
                                f"limit{_RAISE_LIMIT}")
        )
        return result
    except OSError as e:
        if e.errno == errno.ENXIO and _is_socket(path):  # a socket cannot be opened at all
            result.errors.append(Problem(name, None, "not a regular file (a pipe, device or "
                                                     "socket): never read"))
        else:
            result.errors.append(Problem(name, None, f"cannot read file: {e.strerror or e}"))
        return result
    if len(data) > max_bytes:  # the file grew between stat and read
        result.errors.append(
            Problem(name, None, f"file is {_human(len(data))}, over the {_human(max_bytes)} "
                                f"limit{_RAISE_LIMIT}")
        )
        return result
    marked = _MARKED_ENCODINGS.get(data[:4]) or _MARKED_ENCODINGS.get(data[:2])
    why = "it opens with its byte order mark"
    if marked == "utf-16" and _utf8_behind_mark(data):
        marked = None
        data = data[2:]
        result.warnings.append(Problem(
            name, None, "opens with a UTF-16 byte order mark but is written in UTF-8: read as "
                        "UTF-8 (remove the mark's first two bytes)"))
    if marked is None:
        marked = _unmarked_utf16(data)
        why = ("read so for the NUL byte beside each of its first characters; it has no "
               "byte order mark")
    if marked is not None:  # read it as UTF-8 from here
        try:
            data = data.decode(marked).encode("utf-8")
        except UnicodeDecodeError as e:
            result.errors.append(Problem(name, None, f"not valid {marked.upper()} ({why}): "
                                         f"{e.reason} at offset {e.start}"))
            return result
    if suffix in FRONT_MATTER_SUFFIXES and not _FRONT_START.match(data) \
            and (suffix in TEXT_SUFFIXES or data.strip()) and not _MEANT_AS_RECORD.search(data):
        # (an empty .md stays an error: a record caught before it was written)
        result.skipped = Problem(name, None, f"no YAML front matter: {PurePath(name).name!r} "
                                             "is not a record (a record's file starts with a "
                                             "'---' line), so it is skipped")
        return result
    not_utf8: list[Problem] = []
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        if suffix in JSONL_SUFFIXES:  # a line in another encoding costs only that line
            text, not_utf8 = _utf8_lines(data, result.path)
            if not text.strip():
                result.errors.extend(not_utf8)
                return result
        else:
            line = data.count(b"\n", 0, e.start) + 1
            result.errors.append(
                Problem(name, line, f"not valid UTF-8: byte 0x{data[e.start]:02x} at offset "
                                    f"{e.start}{_NOT_UTF8}"))
            return result
    try:
        parse_text(text, suffix, result)
    except Exception as e:  # noqa: BLE001 - the boundary: what one file raises is its error
        result.records.clear()
        result.errors.append(Problem(name, None, f"could not be read: {type(e).__name__}: {e}"))
    if not_utf8:  # in line order with the lines' other errors
        result.errors = sorted(result.errors + not_utf8, key=lambda p: p.line or 0)
        if result.skipped is not None and not result.records:  # not 'holds no record'
            result.skipped = None
    return result


_NOT_UTF8 = ("; records are read as UTF-8, or as UTF-16 or UTF-32 with a byte order mark: "
             "convert the file, e.g. with `iconv -f WINDOWS-1252 -t UTF-8`")


def _utf8_lines(data: bytes, path: str) -> tuple[str, list[Problem]]:
    """The text of a .jsonl file with each line that is not UTF-8 left blank, and an
    error of each such line (a scraper appends lines from many sites, in their encodings)."""
    lines = data.removeprefix(codecs.BOM_UTF8).split(b"\n")
    texts: list[str] = []
    problems: list[Problem] = []
    for number, raw in enumerate(lines, start=1):
        try:
            texts.append(raw.decode("utf-8"))
        except UnicodeDecodeError as e:
            problems.append(Problem(path, number, f"not valid UTF-8: byte 0x{raw[e.start]:02x} "
                                                  f"at offset {e.start} of the line{_NOT_UTF8}"))
            texts.append("")
    return "\n".join(texts), problems


_BINARY = getattr(os, "O_BINARY", 0)  # Windows: no newline translation
# What Notepad's "Unicode" and PowerShell 5's Out-File write: the mark names the encoding.
# (UTF-32's little-endian mark starts with UTF-16's: looked up by 4 bytes first.)
_MARKED_ENCODINGS = {codecs.BOM_UTF32_LE: "utf-32", codecs.BOM_UTF32_BE: "utf-32",
                     codecs.BOM_UTF16_LE: "utf-16", codecs.BOM_UTF16_BE: "utf-16"}


# UTF-16 without a byte order mark, as .NET's Encoding.Unicode.GetBytes and some exporters
# write it: four ASCII characters, each beside a NUL byte, which UTF-8 text never holds.
_UTF16_LE_START = re.compile(rb"(?:[\x01-\x7f]\x00){4}")
_UTF16_BE_START = re.compile(rb"(?:\x00[\x01-\x7f]){4}")


def _utf8_behind_mark(data: bytes) -> bool:
    """Whether a file opening with a UTF-16 mark is UTF-8 after it: a record's UTF-16 holds
    a NUL beside each ASCII character of its first line, UTF-8 text none, and the rest is
    valid UTF-8 (UTF-16 text seldom is)."""
    head = data[2:66]
    if b"\x00" in head or not head.strip():
        return False
    try:
        data[2:].decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _unmarked_utf16(data: bytes) -> str | None:
    """The UTF-16 a file without a byte order mark is in, by its first bytes; or None."""
    if _UTF16_LE_START.match(data):
        return "utf-16-le"
    if _UTF16_BE_START.match(data):
        return "utf-16-be"
    return None


def _read_upto(fd: int, size: int) -> bytes:
    """Read ``size`` bytes from ``fd``, fewer only at the end of the file (a file object's
    ``read(size)``, without making one)."""
    data = os.read(fd, size)
    if 0 < len(data) < size:
        parts = [data]
        got = len(data)
        while got < size:
            more = os.read(fd, size - got)
            if not more:
                break
            parts.append(more)
            got += len(more)
        data = b"".join(parts)
    return data


class _NotAFile(Exception):
    pass


class _Outside(Exception):
    def __init__(self, real: str, root: str):
        self.real, self.root = real, root


def _lies_in(real: str, root: str) -> bool:
    return real == root or real.startswith(root if root.endswith(os.sep) else root + os.sep)


def _opened_path(fd: int) -> str | None:
    """Return the real path of an open file, as the kernel resolved it at open; None where
    the system cannot tell (neither /proc nor F_GETPATH)."""
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        pass
    try:
        import fcntl
    except ImportError:  # Windows
        return None
    get_path = getattr(fcntl, "F_GETPATH", None)  # macOS, BSDs
    if get_path is None:
        return None
    try:
        raw = fcntl.fcntl(fd, get_path, bytes(1024))
    except OSError:
        return None
    return os.fsdecode(raw.split(b"\0", 1)[0])


_RAISE_LIMIT = " (--max-file-mb, or graph.load's max_file_bytes, raises it)"


class _FileTooBig(Exception):
    def __init__(self, size: int):
        self.size = size


def _human(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{n} bytes"


def parse_text(text: str, suffix: str, result: ParsedFile) -> None:
    """Parse the text of a file with the given suffix, adding records and errors to ``result``."""
    name = result.path
    if not text.strip():
        result.errors.append(Problem(name, None, "empty file: no record in it"))
        return
    nul = text.find("\0")
    # In a .jsonl line or a YAML list item, the parser refuses the NUL with its line or item.
    if nul >= 0 and suffix not in JSONL_SUFFIXES | YAML_SUFFIXES:
        line = text.count("\n", 0, nul) + 1
        result.errors.append(Problem(name, line, "contains a NUL byte: not a text file"))
        return
    if suffix in FRONT_MATTER_SUFFIXES:
        _parse_markdown(text, result)
    elif suffix in YAML_SUFFIXES:
        _parse_yaml(text, result, first_line=1)
    elif suffix in JSON_SUFFIXES:
        _parse_json(text, result)
    else:
        _parse_jsonl(text, result)
    if not result.records and not result.errors and result.skipped is None:
        early = _closed_before_fields(text) if suffix in FRONT_MATTER_SUFFIXES else None
        if early is not None:  # '---' twice: the record's fields were read as the body
            close, at, written = early
            result.errors.append(Problem(name, close, (
                f"the front matter is closed on line {close} before any field, and the "
                f"record's fields follow it (line {at}: {shown(written)}): a '---' line too "
                f"many; take out the one on line {close}")))
            return
        # Read, and nothing in it: said, not silent (a folder of such files loaded nothing
        # with '0 skipped, 0 errors').
        result.skipped = Problem(name, None, _nothing_in(text, suffix))


_URL_FIELD = re.compile(r"(?:webUrl|originalUrl)[ \t]*:")


def _closed_before_fields(text: str) -> tuple[int, int, str] | None:
    """For front matter holding no field whose body holds a webUrl or originalUrl line
    (a '---' line written twice): the closing fence's line, that line's, and its text."""
    lines = _YAML_LINE.findall(text)
    for i in range(1, len(lines)):
        if _CLOSING_FENCE.match(lines[i].rstrip("\r\n")):
            break
    else:
        return None
    for j in range(i + 1, len(lines)):
        if _URL_FIELD.match(lines[j]):
            return i + 1, j + 1, lines[j].rstrip("\r\n")
    return None


def _nothing_in(text: str, suffix: str) -> str:
    """Why a file read without a problem gave no record: what it holds instead."""
    if suffix in FRONT_MATTER_SUFFIXES:
        what = ("its front matter holds no field (as a Jekyll page's may): not a record, "
                "whose front matter holds its webUrl and title")
    elif re.sub(r"(?m)^\s*(?:#.*|---|\.\.\.)?\s*$", "", text).strip().replace(" ", "") == "[]":
        what = "holds an empty list: no record in it"
    else:
        what = "holds no record (only comments or an empty document)"
    return f"{what}, so it is skipped"


def _parse_markdown(text: str, result: ParsedFile) -> None:
    split = front_matter(text)
    if split is None:
        _parse_markdown_lines(text, result)
        return
    front, body = split
    items = _yaml_items(front, result, first_line=2, allow_list=False, front=True)
    for value, line in items:
        _add_record(value, line, result, body=body or None)


def front_matter(text: str) -> tuple[str, str] | None:
    """Return ``(front matter, body)`` of a text whose line breaks are ``\n`` or ``\r\n``
    that opens with a ``---`` line and closes it, found with two searches instead of a
    split into lines (the body is most of a file): the front matter as written, the
    body's line breaks made ``\n``, as :func:`_parse_markdown_lines` gives them. None for
    anything else (a lone ``\r`` ends a line too), which that function reads line by
    line and reports."""
    crlf = "\r" in text
    if crlf and text.count("\r") != text.count("\r\n"):
        return None
    first = text.find("\n")
    if first < 0:
        return None
    # The first line, less its break's "\r" (the line reader strips it so).
    if not _FENCE.match(text, 0, first - 1 if crlf and text[first - 1 : first] == "\r"
                        else first):
        return None
    close = (_CLOSING_LINE_CRLF if crlf else _CLOSING_LINE).search(text, first)
    if close is None:
        return None
    if crlf:  # the closing line's break and the body's, each made "\n", stripped
        return text[first + 1 : close.start() + 1], \
            text[close.end() :].replace("\r\n", "\n").strip("\n")
    return text[first + 1 : close.start() + 1], text[close.end() + 1 :].strip("\n")


def _parse_markdown_lines(text: str, result: ParsedFile) -> None:
    lines = _YAML_LINE.findall(text)
    if lines and lines[0].rstrip("\r\n").strip() == "+++":
        result.errors.append(Problem(result.path, 1, "TOML front matter ('+++', as Hugo writes "
                                     "it) is not read: the front matter must be YAML between "
                                     "'---' lines (`hugo convert toYAML` rewrites a Hugo "
                                     "site's front matter so)"))
        return
    if text.lstrip("\ufeff \t\r\n").startswith("{"):
        result.errors.append(Problem(result.path, 1, "JSON front matter ('{', as Hugo reads "
                                     "it) is not read: the front matter must be YAML between "
                                     "'---' lines (`hugo convert toYAML` rewrites a Hugo "
                                     "site's front matter so); a file of JSON records ends "
                                     ".json or .jsonl"))
        return
    if not lines or not _FENCE.match(lines[0].rstrip("\r\n")):
        reason = "no YAML front matter: the file must start with a '---' line"
        first = lines[0].rstrip("\r\n") if lines else ""
        if re.match(r"---[ \t]+\S", first):  # '--- !!omap', as a YAML library may write
            reason = (f"no YAML front matter: its first line ({shown(first)}) holds more than "
                      "the '---' that opens front matter, alone on its line: put what "
                      f"follows it on the next line ({shown(first[3:].strip())})")
        elif _FIELD_LINE.match(first):  # fields without fences, as Pelican writes them
            reason += (f"; its first line ({shown(first)}) reads as a field, so put a '---' "
                       "line before it and one after the last field, before the body")
        result.errors.append(Problem(result.path, 1, reason))
        return
    for i in range(1, len(lines)):
        if _CLOSING_FENCE.match(lines[i].rstrip("\r\n")):
            break
    else:
        result.errors.append(
            Problem(result.path, 1, "front matter opened on line 1 is never closed by a '---' line")
        )
        return
    front = "".join(lines[1:i])
    # A body's line breaks are "\n", whatever the editor wrote (CRLF, a lone CR): as
    # Python's universal newlines and Markdown read them; a break is not text.
    body = re.sub(r"\r\n?", "\n", "".join(lines[i + 1 :])).strip("\n")
    items = _yaml_items(front, result, first_line=2, allow_list=False, front=True)
    for value, line in items:
        _add_record(value, line, result, body=body or None)


# graph.blockyaml's reader, compiled by mypyc when the install could (graph/fastyaml.py).
_fast_reader = fastyaml.reader()


def _parse_yaml(text: str, result: ParsedFile, *, first_line: int) -> None:
    for value, line in _yaml_items(text, result, first_line=first_line, allow_list=True):
        _add_record(value, line, result)


def _yaml_items(
    text: str, result: ParsedFile, *, first_line: int, allow_list: bool, front: bool = False
) -> list[tuple[Any, int | None]]:
    """Return the top-level values of a YAML text with their lines; a list yields its items.
    ``front``: the text is front matter, whose opening '---' starts its document."""
    if _MAY_OPEN_WITH_DIRECTIVES.match(text):
        end, found = _directives(text)
        if found:
            problem = _directive_problem(found)
            if problem is not None:
                result.errors.append(Problem(result.path, problem[0] + first_line, problem[1]))
                return []
            if front:  # read as PyYAML reads the directives written before a '---'
                lines = _YAML_LINE.findall(text)
                rest = "".join(lines[end:])
                if all(_BLANK_OR_COMMENT.fullmatch(line.rstrip("\r\n")) for line in lines[end:]):
                    return []  # directives, and no field
                # The directives, the '---' the opening line stands for, then the rest at
                # its own lines: what the directive lines were are blank lines.
                shift = end + 1
                before = len(result.errors)
                items = _yaml_items("".join(lines[:end]) + "---\n" + "\n" * end + rest, result,
                                    first_line=first_line - shift, allow_list=allow_list)
                result.errors[before:] = [  # a mistake in a %TAG, at its own line
                    Problem(p.path, p.line + shift, p.reason)
                    if p.line is not None and p.line < first_line - 1 else p
                    for p in result.errors[before:]]
                return items
    fast = _fast_reader.read(text, first_line, allow_list)  # plain block YAML, PyYAML's values
    if fast is not None:
        return fast
    duplicates: list[Duplicate] = []
    unused: list[tuple[str, str, int]] = []
    try:
        items = list(compose_items(text, first_line, allow_list, duplicates, unused=unused))
        result.warnings.extend(_duplicate_warnings(result.path, duplicates))
        result.warnings.extend(
            Problem(result.path, line, f"anchor '&{anchor}' is never used: YAML reads "
                    f"'&{anchor}' before a value as a name for it, and the value is "
                    f"{shown(value)}; if '&{anchor}' is part of the text, quote the whole "
                    f"value: {shown(f'&{anchor} {value}')}")
            for anchor, value, line in unused)
        return items
    except YamlFailure as failure:
        if allow_list and _BLOCK_ITEM.search(text) and text.lstrip(" \t\r\n").startswith("-"):
            # A broken block list: parse it item by item, so one bad item costs only itself.
            return _salvage_block_list(text, result, first_line)
        result.errors.append(Problem(result.path, failure.line, failure.reason))
        return []


# YAML's directives, written before a document's '---': `%YAML 1.1`, `%TAG ! tag:...`.
# Of the versions, 1.1 and 1.2 are those both of PyYAML's loaders read (libyaml refuses
# 1.0 and 1.3, PyYAML's own reads any 1.x), each as YAML 1.1.
_YAML_VERSION = re.compile(r"%YAML[ \t]+0*1\.0*[12](?:[ \t]+#.*|[ \t]*)")
_BLANK_OR_COMMENT = re.compile(r"[ \t]*(?:#.*)?")
_MAY_OPEN_WITH_DIRECTIVES = re.compile(r"[ \t\r\n]*[%#]")
_ALLOWED_DIRECTIVES = ("the directives read are %YAML 1.1 or %YAML 1.2, and %TAG, at the top "
                       "of the front matter or before a YAML file's '---' line (either version "
                       "is read as YAML 1.1, as PyYAML reads it)")


def _directives(text: str) -> tuple[int, list[tuple[int, str]]]:
    """The lines the directives opening a YAML text take (blank and comment lines among
    them too), and each directive with its 0-based line, as written."""
    found: list[tuple[int, str]] = []
    end = 0
    for i, line in enumerate(_YAML_LINE.findall(text)):
        bare = line.rstrip("\r\n")
        if bare.startswith("%"):
            found.append((i, bare))
            end = i + 1
        elif not _BLANK_OR_COMMENT.fullmatch(bare):
            break
    return end, found


def _directive_problem(found: list[tuple[int, str]]) -> tuple[int, str] | None:
    """The first directive PyYAML would refuse or read otherwise than it is meant, with its
    0-based line and why; None when every one is read. A %TAG is PyYAML's to check."""
    versions = 0
    for i, bare in found:
        written = re.sub(r"[ \t]+#.*", "", bare).rstrip()
        name = written[1:].split(None, 1)[0] if written[1:].strip() else ""
        if name == "YAML":
            versions += 1
            if not _YAML_VERSION.fullmatch(bare):
                what = (f"{written!r} names a YAML version newsgraph does not read"
                        if written != "%YAML" else "'%YAML' names no YAML version")
            elif versions > 1:
                what = (f"a second %YAML directive ({written!r}): a document names its YAML "
                        "version once")
            else:
                continue
        elif name == "TAG":
            continue
        else:
            what = (f"{written!r} is no YAML directive (a line opening with '%' is one); if "
                    "it is text, quote it")
        return i, f"invalid YAML: {what}; {_ALLOWED_DIRECTIVES}"
    return None


def _directive_hint(text: str, at: int, first_line: int) -> str | None:
    """Where a directive goes, for a text YAML stopped reading at line ``at`` (0-based)
    for want of a document start: a directive at or before it."""
    lines = text.split("\n")
    top = True
    for i, line in enumerate(lines[:at + 1]):
        if line.startswith("%"):
            shown_line = line.rstrip("\r")
            if top:
                return (f"a directive ({shown_line!r}, line {i + first_line}) starts a "
                        "document's header: a '---' line must follow it, then the fields")
            return (f"a directive ({shown_line!r}, line {i + first_line}) goes at the top "
                    "of the front matter or YAML file, before any field; if it is text, "
                    "indent or quote it")
        if not _BLANK_OR_COMMENT.fullmatch(line.rstrip("\r")):
            top = False
    return None


def _empty_document(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == _NULL and node.value == "" \
        and not node.style


def _duplicate_warnings(path: str, duplicates: list[Duplicate]) -> list[Problem]:
    return [Problem(path, line, f"duplicate key {key!r}: " + (
        "" if same is None else
        f"{same[0]!r} (line {same[1]}) and {key!r} are read as the same key, {same[2]}; "
        "quote them to keep both as written; ") +
        "a key may appear once in a mapping; the last value is kept")
        for key, line, same in sorted(duplicates, key=lambda d: d[1])]


_STANDARD_TAGS = ("!!str, !!int, !!float, !!bool, !!null, !!timestamp, !!binary, !!set, !!seq, "
                  "!!map, !!omap")


# Past some hundreds of levels (Python's recursion; libyaml stops at 1,000) a file cannot be
# read at all; below, a value past MAX_VALUE_DEPTH costs its field only (graph/values.py).
_TOO_DEEP_TO_READ = (f"nested too deeply to be read: a record's values nest a few levels "
                     f"(a field nested past {MAX_VALUE_DEPTH} levels is dropped with a warning; "
                     "some hundreds of levels cannot be read at all)")


def _yaml_hint(reason: str, text: str, mark: Any, first_line: int) -> str | None:
    """How to fix the mistakes hand-written front matter makes most, which PyYAML's words
    name but do not say how to fix."""
    if "exceeded maximum nesting depth" in reason:  # libyaml's limit of 1,000 levels
        return _TOO_DEEP_TO_READ
    if "scanning a quoted scalar" in reason and "end of stream" in reason and mark is not None:
        lines = text.split("\n")  # `title: "Unfinished`: its mark is where the quote opens
        quote = lines[mark.line][mark.column:mark.column + 1] if mark.line < len(lines) else ""
        if quote in ("'", '"'):
            return (f"the quote ({quote}) opening the value on line {mark.line + first_line} is "
                    "never closed, so the lines below are read as its text: close it where "
                    "the value ends, or, if it is part of the text, quote the whole value "
                    "with the other quote")
    if "mapping values are not allowed" in reason:  # title: Note: a colon
        return (_indented_field_hint(text.split("\n"), mark, first_line)
                or "quote a value holding ': ' (a colon and a space): title: \"...\"")
    if "mappings for merging" in reason:  # `<<: text`
        return ("a '<<' key merges a mapping into this one (<<: *base); quote it to use "
                "'<<' as a key of its own: '<<': ...")
    if "directive" in reason:  # a %TAG's (a %YAML's were checked before)
        return ("a %TAG directive is written '%TAG !name! tag:example.com,2000:' (a handle "
                f"and a prefix); {_ALLOWED_DIRECTIVES}")
    if "could not determine a constructor for the tag" in reason:
        return (f"only YAML's standard tags are read ({_STANDARD_TAGS}): write the value "
                "without its tag")
    if "cannot start any token" in reason and mark is not None:
        lines = text.split("\n")
        found = lines[mark.line][mark.column:mark.column + 1] if mark.line < len(lines) else ""
        if found == "\t":
            return "indent with spaces: YAML does not allow tabs"
        if found in ("@", "`"):
            return f"quote a value that starts with {found!r}: YAML reserves it"
    if mark is None:
        return None
    if "document start" in reason and "%" in text:
        hint = _directive_hint(text, mark.line, first_line)
        if hint is not None:
            return hint
    lines = text.split("\n")
    return _opening_hint(lines, mark.line) or _no_break_indent_hint(lines, mark.line,
                                                                    first_line)


_INDENTED_FIELD = re.compile(r"(?P<indent>[ ]+)(?P<key>[^\s#:'\"\[\]{}-][^:]*):(?:[ \t]|$)")


def _indented_field_hint(lines: list[str], mark: Any, first_line: int) -> str | None:
    """For a `key: value` line indented under a line whose value is text (` webUrl:`
    under `title: T`), which YAML reads as more of that text: where to start it."""
    if mark is None or mark.line >= len(lines):
        return None
    line = lines[mark.line].rstrip("\r")
    field = _INDENTED_FIELD.match(line)
    above = next((i for i in range(mark.line - 1, -1, -1)
                  if not _BLANK_OR_COMMENT.fullmatch(lines[i].rstrip("\r"))), None)
    if field is None or above is None:
        return None
    holder = _KEY_VALUE.match(lines[above].rstrip("\r"))
    if holder is None or len(field["indent"]) <= len(holder["lead"]) - len(
            holder["lead"].lstrip(" ")):
        return None
    key = holder["lead"].strip().removeprefix("-").strip().rstrip(":").strip()
    return (f"line {mark.line + first_line} ({shown(line.strip())}) is indented under line "
            f"{above + first_line} ({shown(lines[above].strip())}), whose value is text, so "
            f"it is read as more of that text: start it where {key!r} starts")


# What YAML reads a value opening so as, when text follows it on the line (`title: [Video]
# Protests`, `title: "Squid Game" star wins`, `title: *Breaking* news`).
_OPENINGS = {"[": "a list", "{": "a mapping", '"': "a quoted text, ending at its closing quote",
             "'": "a quoted text, ending at its closing quote", "*": "an alias (*name)",
             "%": "a directive", "|": "a block of text on the lines below",
             ">": "a block of text on the lines below", "- ": "a list item",
             "? ": "a mapping key"}
_KEY_VALUE = re.compile(r"^(?P<lead>[ \t]*(?:-[ \t]+)?[^\s#\[\]{},:'\"][^:]*?:[ \t]+)"
                        r"(?P<value>\S.*?)[ \t]*$")


def _opening_hint(lines: list[str], at: int) -> str | None:
    """Say to quote a `key: value` line's value, on the line YAML stopped at, that opens
    with what YAML reads as something else and goes on as text."""
    m = _KEY_VALUE.match(lines[at]) if at < len(lines) else None
    if m is None:
        return None
    value = m["value"]
    opening = value[:2] if value[:2] in ("- ", "? ") else value[0]
    reads_as = _OPENINGS.get(opening)
    if reads_as is None:
        return None
    if opening in "[{\"'" and not _text_after_closing(value):
        return None  # a list or text never closed: said where it opens, not this
    fixed = f"'{value}'" if "'" not in value else json.dumps(value, ensure_ascii=False)
    return (f"quote the whole value, as YAML reads one starting with {opening!r} as "
            f"{reads_as}: {m['lead'].strip()} {fixed}")


def _text_after_closing(value: str) -> bool:
    """Whether a value opening with a bracket or quote closes it and text follows."""
    opening, depth, i = value[0], 0, 0
    while i < len(value):
        c = value[i]
        if opening in "\"'":
            if i > 0 and c == opening:
                if opening == "'" and value[i + 1:i + 2] == "'":  # '' inside '...'
                    i += 2
                    continue
                break
            if opening == '"' and c == "\\":
                i += 1
        elif c in "[{":
            depth += 1
        elif c in "]}":
            depth -= 1
            if depth == 0:
                break
        i += 1
    rest = value[i + 1:].strip()
    return i < len(value) and bool(rest) and not rest.startswith("#")


# Spaces YAML does not indent with, which text pasted from a web page or a word
# processor carries: the no-break space above all.
_ODD_INDENT = re.compile(r"^[ \t]*([\u00a0\u2000-\u200a\u202f\u3000])")


def _no_break_indent_hint(lines: list[str], at: int, first_line: int) -> str | None:
    """Name the first line, up to the one YAML stopped at, indented with a space YAML
    does not read as one."""
    for i, text in enumerate(lines[:at + 1]):
        m = _ODD_INDENT.match(text)
        if m is not None:
            name = unicodedata.name(m[1], "a space").lower()
            return (f"line {i + first_line} is indented with a {name} "
                    f"(U+{ord(m[1]):04X}), as text pasted from a web page or a word "
                    "processor may be: indent with spaces")
    return None


class YamlFailure(Exception):
    """A YAML text PyYAML refuses: ``reason`` in words, ``line`` 1-based or None."""

    def __init__(self, reason: str, line: int | None):
        self.reason = reason
        self.line = line


def compose_items(
    text: str, first_line: int, allow_list: bool,
    duplicates: list[Duplicate] | None = None,
    anchors: dict[str, yaml.Node] | None = None,
    unused: list[tuple[str, str, int]] | None = None,
    pure: bool = False,
) -> Iterator[tuple[Any, int | None]]:
    """Yield the top-level values of a YAML text with their lines, read by PyYAML (safe,
    aliases bounded); a list yields its items when ``allow_list``. The reference the
    fast reader (:mod:`graph.blockyaml`) must agree with; raise YamlFailure on a text
    PyYAML refuses. ``anchors``, when given, are the anchors of the texts read before
    (the items of one list read one by one), which the text's aliases may name; the
    text's own are added to it once it is read. ``pure`` reads it with PyYAML's
    pure-Python loader, as an anchor does."""
    guarded = pure or anchors is not None or bool(_ANCHOR.search(text))
    loader = None
    again = False
    try:  # the pure-Python loader reads (and may refuse) the text as it is built
        loader = _AliasCountingLoader(text) if guarded else _SafeLoader(text)
        known = None
        if anchors is not None:
            known = loader.anchors = dict(anchors)  # the composer adds the text's own
        nodes = []
        while loader.check_node():
            node = loader.get_node()
            if node is not None:
                nodes.append(node)
        if len(nodes) > 1:  # a '---' beside a record opens an empty document: no record
            records = [node for node in nodes if not _empty_document(node)]
            nodes = records or nodes[:1]
        if "omap" in text:  # `!!omap`, however its tag is written
            nodes = _omaps_as_mappings(nodes)
        if guarded:
            sizes: dict[int, int | None] = {}
            for node in nodes:
                _expanded_size(node, sizes)
        out = []
        for node in nodes:
            if allow_list and isinstance(node, yaml.SequenceNode):
                parts = [(item, item.start_mark.line + first_line) for item in node.value]
            else:
                parts = [(node, node.start_mark.line + first_line)]
            for part, line in parts:
                as_written(part)  # a record's text fields: a plain scalar is its text
                out.append((loader.construct_document(part), line))
        if duplicates is not None:
            duplicates.extend((key, line + first_line, same and (same[0], same[1] + first_line,
                                                                  same[2]))
                              for key, line, same in loader.duplicates)
        if unused is not None and isinstance(loader, _AliasCountingLoader):
            unused.extend((anchor, value, line + first_line)
                          for anchor, value, line in loader.unused_anchors())
        if anchors is not None and known is not None:
            anchors.update(known)
        yield from out
    except yaml.MarkedYAMLError as e:
        if guarded or e.problem != _LIBYAML_TAB:
            raise _marked_failure(e, text, first_line) from None
        again = True
    except _AliasBomb as bomb:
        raise YamlFailure(
            f"YAML alias bomb: {bomb.what}; records never need aliases (*name), "
            "so the file is refused",
            None,
        ) from None
    except yaml.reader.ReaderError as e:  # a character YAML never allows, such as NUL
        code = e.character if isinstance(e.character, int) else ord(e.character or "?")
        what = "a NUL byte" if code == 0 else f"the character U+{code:04X}"
        line = text.count("\n", 0, max(e.position, 0)) + first_line
        raise YamlFailure(f"invalid YAML: contains {what}, which YAML does not allow",
                           line) from None
    except RecursionError:
        raise YamlFailure(f"YAML {_TOO_DEEP_TO_READ}", None) from None
    except (yaml.YAMLError, ValueError, TypeError, OverflowError) as e:
        raise YamlFailure(f"invalid YAML: {e}", None) from None
    finally:
        if loader is not None:
            loader.dispose()
    if again:
        yield from compose_items(text, first_line, allow_list, duplicates, anchors, unused,
                                 pure=True)


_OMAP = "tag:yaml.org,2002:omap"
_MAP = "tag:yaml.org,2002:map"


def _omaps_as_mappings(nodes: list[yaml.Node]) -> list[yaml.Node]:
    """Return ``nodes`` with each ``!!omap`` under them the mapping it is: a sequence of
    one-pair mappings, whose keys are unique and keep their order, as a record's fields and
    a dict's keys do. PyYAML's safe loader gives a list of pairs, and a record so written
    was refused; as a mapping, its text fields are read as written and a repeated key is
    said, as in any mapping. One node stands for each (an alias names the one its anchor
    does); a malformed one is left for PyYAML's constructor to refuse, saying why."""
    made: dict[int, yaml.Node] = {}

    def mapping(node: yaml.Node) -> yaml.Node:
        if node.tag != _OMAP or not isinstance(node, yaml.SequenceNode) or not all(
                isinstance(item, yaml.MappingNode) and len(item.value) == 1
                for item in node.value):
            return node
        if id(node) not in made:
            made[id(node)] = yaml.MappingNode(_MAP, [item.value[0] for item in node.value],
                                              node.start_mark, node.end_mark, node.flow_style)
        return made[id(node)]

    roots = [mapping(node) for node in nodes]
    seen: set[int] = set()
    stack = list(roots)
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            node.value = [(mapping(k), mapping(v)) for k, v in node.value]
            stack.extend(n for pair in node.value for n in pair)
        elif isinstance(node, yaml.SequenceNode):
            node.value = [mapping(item) for item in node.value]
            stack.extend(node.value)
    return roots


def _marked_failure(e: yaml.MarkedYAMLError, text: str, first_line: int) -> YamlFailure:
    mark = e.problem_mark or e.context_mark
    if e.context_mark is not None and "end of stream" in (e.problem or ""):
        mark = e.context_mark  # what was never closed: where it opened
    line = mark.line + first_line if mark is not None else None
    reason = " ".join(str(x) for x in (e.context, e.problem) if x)
    hint = _yaml_hint(reason, text, mark, first_line)
    return YamlFailure(f"invalid YAML: {reason}{'; ' + hint if hint else ''}", line)


class _AliasBomb(Exception):
    def __init__(self, what: str):
        self.what = what


def _expanded_size(node: yaml.Node, sizes: dict[int, int | None]) -> int:
    """Return how many values ``node`` holds with every alias expanded; raise past the limit."""
    known = sizes.get(id(node), 0)
    if known:
        return known
    if id(node) in sizes:  # still being counted: the node holds itself
        raise _AliasBomb("an alias (*name) refers to a value that contains it")
    sizes[id(node)] = None
    size = 1
    if isinstance(node, yaml.SequenceNode):
        size += sum(_expanded_size(item, sizes) for item in node.value)
    elif isinstance(node, yaml.MappingNode):
        size += sum(_expanded_size(k, sizes) + _expanded_size(v, sizes) for k, v in node.value)
    if size > MAX_YAML_EXPANDED_VALUES:
        raise _AliasBomb(f"aliases expand it to more than {MAX_YAML_EXPANDED_VALUES:,} values")
    sizes[id(node)] = size
    return size


class _AliasCountingLoader(yaml.SafeLoader):
    """The pure-Python safe loader, counting aliases so a bomb is refused before it grows."""

    yaml_constructors = {**yaml.SafeLoader.yaml_constructors,
                         "tag:yaml.org,2002:int": _construct_int,
                         "tag:yaml.org,2002:timestamp": timestamp_or_text, **_AS_TEXT}

    construct_mapping = _construct_mapping

    def __init__(self, stream: str):
        super().__init__(stream)
        self.aliases = 0
        self.duplicates: list[Duplicate] = []
        self.used: set[str] = set()  # the anchors aliases name
        self.plain_anchors: list[tuple[str, yaml.ScalarNode]] = []  # `&name value`

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_YAML_ALIASES:
                raise _AliasBomb(f"more than {MAX_YAML_ALIASES} aliases in one file")
            self.used.add(self.peek_event().anchor)
        return super().compose_node(parent, index)

    def compose_scalar_node(self, anchor: Any) -> Any:
        node = super().compose_scalar_node(anchor)
        if anchor is not None and node.style is None:
            self.plain_anchors.append((anchor, node))
        return node

    def unused_anchors(self) -> list[tuple[str, str, int]]:
        """Each anchor on a plain value that no alias names, with the value and its line
        (0-based): `title: &Co news` is the title 'news', which its writer never meant."""
        return [(anchor, node.value, node.start_mark.line)
                for anchor, node in self.plain_anchors if anchor not in self.used]


def _salvage_block_list(
    text: str, result: ParsedFile, first_line: int
) -> list[tuple[Any, int | None]]:
    lines = _YAML_LINE.findall(text)
    starts = [i for i, line in enumerate(lines) if _BLOCK_ITEM.match(line)]
    items: list[tuple[Any, int | None]] = []
    # An item may merge or name what another item anchored (<<: *base): the anchors of the
    # items read so far are kept for the next, as a whole-file read would have them.
    anchors: dict[str, yaml.Node] = {}
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        chunk = "".join(lines[start:end])
        duplicates: list[Duplicate] = []
        try:
            items.extend(compose_items(chunk, first_line + start, allow_list=True,
                                       duplicates=duplicates, anchors=anchors))
            result.warnings.extend(_duplicate_warnings(result.path, duplicates))
        except YamlFailure as failure:
            result.errors.append(Problem(result.path, failure.line, failure.reason))
    return items


class _JsonKeys:
    """JSON decoding as ``json`` does it (a repeated key keeps its last value), noting each
    key an object repeats in ``repeated`` (about a fifth more decoding time: a record's
    JSON is a few µs of its ~400)."""

    __slots__ = ("repeated", "decoder")

    def __init__(self) -> None:
        self.repeated: list[str] = []
        self.decoder = json.JSONDecoder(object_pairs_hook=self._object)

    def _object(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        value = dict(pairs)
        if len(value) != len(pairs):
            seen: set[str] = set()
            for key, _ in pairs:
                if key in seen:
                    self.repeated.append(key)
                seen.add(key)
        return value

    def loads(self, text: str) -> Any:
        """``json.loads``, reading integers too long to convert as a marker rather than
        raising."""
        try:
            return self.decoder.decode(text)
        except json.JSONDecodeError:
            raise
        except ValueError:  # "Exceeds the limit (4300 digits) for integer string conversion"
            self.repeated.clear()
            return json.JSONDecoder(object_pairs_hook=self._object,
                                    parse_int=json_int).decode(text)

    def warnings(self, path: str, line: int | None) -> list[Problem]:
        """The repeated keys noted since the last call, as warnings at ``line``."""
        said = [Problem(path, line, f"duplicate key {key!r}: a key may appear once in an "
                                    "object; the last value is kept") for key in self.repeated]
        self.repeated.clear()
        return said


_JSON_SPACE = re.compile(r"[ \t\n\r]*")


def _json_list(text: str, keys: _JsonKeys,
               path: str) -> list[tuple[Any, int, list[Problem]]] | None:
    """Return the items of a JSON text that is a list, each with the line it starts on
    and the warnings of the keys it repeats; None for any other text, or one the
    item-by-item read cannot take (invalid, nested too deeply, an integer too long to
    convert): ``_parse_json`` reads and reports it."""
    i = _skip_space(text, 0)
    if not text.startswith("[", i):
        return None
    items: list[tuple[Any, int, list[Problem]]] = []
    line, counted = 1, 0
    i = _skip_space(text, i + 1)
    if not text.startswith("]", i):
        while True:
            line += text.count("\n", counted, i)
            counted = i
            try:
                value, i = keys.decoder.raw_decode(text, i)
            except (ValueError, RecursionError):
                keys.repeated.clear()
                return None
            items.append((value, line, keys.warnings(path, line)))
            i = _skip_space(text, i)
            if not text.startswith(",", i):
                break
            i = _skip_space(text, i + 1)
    if not text.startswith("]", i) or _skip_space(text, i + 1) != len(text):
        return None
    return items


def _skip_space(text: str, i: int) -> int:
    found = _JSON_SPACE.match(text, i)  # matches always: the pattern may match nothing
    return found.end() if found is not None else i


def _parse_json(text: str, result: ParsedFile) -> None:
    if text.startswith("\x1e"):
        # `jq --seq` (RFC 7464): a record separator opens each JSON text. JSON allows
        # none anywhere, raw, so each is read as the space between texts.
        text = _SEQ_SEPARATOR.sub(" ", text)
    keys = _JsonKeys()
    listed = _json_list(text, keys, result.path)
    if listed is not None:  # a feed's list: each record with its line
        for index, (item, line, repeated) in enumerate(listed):
            result.warnings.extend(repeated)
            _add_record(item, line, result, item=index)
        return
    try:
        value = keys.loads(text)
    except json.JSONDecodeError as e:
        stream = _json_stream(text, _JsonKeys(), result.path) if e.msg == "Extra data" else None
        if stream is None:
            result.errors.append(Problem(result.path, e.lineno, _invalid_json(e)))
            return
        result.warnings.append(Problem(result.path, 1, (
            f"{len(stream):,} JSON values one after another (as jq writes them): each read "
            "as a record; a .json holds one record or a list of them, a .jsonl one record "
            "a line")))
        _add_stream(stream, result)
        return
    except RecursionError:
        result.errors.append(Problem(result.path, None, f"JSON {_TOO_DEEP_TO_READ}"))
        return
    result.warnings.extend(keys.warnings(result.path, None if isinstance(value, list) else 1))
    if isinstance(value, list):
        for index, item in enumerate(value):
            _add_record(item, None, result, item=index)
    else:
        _add_record(value, 1, result)


_SEQ_SEPARATOR = re.compile(r"(?:^|(?<=\n))\x1e")
_CONTROL_NAMES = {"\t": " (a tab)", "\r": " (a carriage return)"}


def _invalid_json(e: json.JSONDecodeError) -> str:
    """The parser's words, and what JSON allows where a writer wrote JavaScript or Python:
    a comment, a trailing comma, single quotes; a control character written raw in a
    string (Python's words, "Invalid control character at", name neither it nor where)."""
    if e.msg == "Invalid control character at" and e.pos < len(e.doc):
        code = ord(e.doc[e.pos])
        named = f"U+{code:04X}{_CONTROL_NAMES.get(e.doc[e.pos], '')}"
        return (f"invalid JSON: a control character, {named}, written raw inside a string "
                f"at column {e.colno}: JSON writes it escaped, as \\u{code:04x}")
    at = e.doc[e.pos:e.pos + 2]
    before = e.doc[:e.pos].rstrip()
    if at in ("//", "/*") or at[:1] == "#":
        hint = "; JSON holds no comments ('//', '/* */' or '#'): take them out"
    elif at[:1] in ("}", "]") and before.endswith(","):
        hint = f"; a comma before {at[:1]!r} ends nothing: JSON allows no trailing comma"
    elif at[:1] == "'":
        hint = "; JSON quotes names and text with \" (double quotes), not '"
    else:
        hint = ""
    return f"invalid JSON: {e.msg}{hint}"


def _json_stream(text: str, keys: _JsonKeys,
                 path: str) -> list[tuple[Any, int, list[Problem]]] | None:
    """Return the JSON values of a text holding several one after another (as ``jq``
    writes them, pretty-printed or ``-c``), each with the line it starts on and the
    warnings of the keys it repeats; None unless the whole text is two or more objects
    so, or one spanning several lines."""
    values: list[tuple[Any, int, list[Problem]]] = []
    i, line, counted = _skip_space(text, 0), 1, 0
    while i < len(text):
        if not text.startswith("{", i):
            return None
        line += text.count("\n", counted, i)
        counted = i
        try:
            value, i = keys.decoder.raw_decode(text, i)
        except (ValueError, RecursionError):
            return None
        values.append((value, line, keys.warnings(path, line)))
        i = _skip_space(text, i)
    if len(values) < 2 and "\n" not in text.strip():
        return None
    return values or None


def _add_stream(stream: list[tuple[Any, int, list[Problem]]], result: ParsedFile) -> None:
    for value, line, repeated in stream:
        result.warnings.extend(repeated)
        _add_record(value, line, result)


def _parse_jsonl(text: str, result: ParsedFile) -> None:
    if "\n" not in text and "\r" in text:
        # Lines ended by CR alone (classic Mac OS, some spreadsheets' exports): JSON holds
        # no raw CR inside a value, so each is a line's end.
        text = text.replace("\r", "\n")
    lines = ParsedFile(result.path)
    _parse_jsonl_lines(text, lines)
    if lines.errors and (stream := _json_stream(text, _JsonKeys(), result.path)) is not None:
        # Records over several lines (`jq '.articles[]'` without -c): each line was an
        # error, every record lost.
        result.warnings.append(Problem(result.path, 1, (
            "records span several lines (pretty-printed, as jq writes them without -c): "
            f"read as {len(stream):,} JSON values one after another; a .jsonl holds one "
            "record a line (jq -c)")))
        _add_stream(stream, result)
        return
    result.records.extend(lines.records)
    result.errors.extend(lines.errors)
    result.warnings.extend(lines.warnings)


def _parse_jsonl_lines(text: str, result: ParsedFile) -> None:
    # Lines end at "\n" only: U+2028, U+0085 and the like are valid inside JSON strings.
    keys = _JsonKeys()
    marked: list[int] = []
    for lineno, line in enumerate(text.split("\n"), start=1):
        if line.startswith("\ufeff"):
            # A byte order mark opening a line: files written each with one (Windows
            # tools, PowerShell) and joined (`cat *.json > all.jsonl`). JSON refuses it
            # ("Expecting value", saying nothing of the invisible mark): read without it.
            line = line[1:]
            marked.append(lineno)
        if line.startswith("\x1e"):
            # `jq --seq` (RFC 7464) opens each JSON text with a record separator; a
            # space in its place keeps the columns an error names.
            line = " " + line[1:]
        if not line.strip():
            continue
        try:
            value = keys.loads(line)
        except json.JSONDecodeError as e:
            result.errors.append(Problem(result.path, lineno, _invalid_json(e)))
            keys.repeated.clear()
            continue
        except RecursionError:
            result.errors.append(Problem(result.path, lineno, f"JSON {_TOO_DEEP_TO_READ}"))
            keys.repeated.clear()
            continue
        result.warnings.extend(keys.warnings(result.path, lineno))
        _add_record(value, lineno, result)
    if marked:
        lines = ", ".join(str(n) for n in marked[:5]) + (", ..." if len(marked) > 5 else "")
        result.warnings.append(Problem(result.path, marked[0], (
            f"{len(marked):,} line{'s' if len(marked) != 1 else ''} ({lines}) "
            f"open{'' if len(marked) != 1 else 's'} with a byte order mark (U+FEFF), as "
            "files written each with one and joined give: read without it")))


def _add_record(
    value: Any, line: int | None, result: ParsedFile, *, body: str | None = None,
    item: int | None = None,
) -> None:
    where = f"item {item}: " if item is not None else ""
    if not isinstance(value, dict):
        result.errors.append(
            Problem(result.path, line,
                    f"{where}expected a record (a mapping of fields), got {_no_record(value)}")
        )
        return
    try:
        fields, notes = clean_record(value)
    except NotUnicode as e:
        result.errors.append(Problem(result.path, line, f"{where}{e}"))
        return
    if body is None and "body" in fields:
        written = fields.pop("body")
        if isinstance(written, str):
            body = written
        elif isinstance(written, int | float) and not isinstance(written, bool):
            body = str(written)
        elif written is not None:  # went nowhere, unsaid (the body is no field of extra)
            kind = ("a list" if isinstance(written, list) else "a mapping"
                    if isinstance(written, dict) else f"a {type(written).__name__}")
            notes.append(f"body dropped: expected text (the story's Markdown), got {kind} "
                         f"{shown(written)}")
    reason = _record_problem(fields)
    if reason:
        result.errors.append(Problem(result.path, line, where + reason))
        return
    result.warnings.extend(Problem(result.path, line, where + note) for note in notes)
    result.records.append(Record(fields, result.path, line, body))


def _no_record(value: Any) -> str:
    """What a value read where a record was expected is, and how to write the record."""
    if value is None:
        return "nothing"
    if isinstance(value, set | frozenset):
        keys = ", ".join(shown(k) for k in sorted(value, key=str)[:5])
        return (f"a !!set (keys without values: {keys}{', ...' if len(value) > 5 else ''}): "
                "write the fields as a mapping, each with its value, without the tag")
    if isinstance(value, list) and value and all(isinstance(v, tuple) for v in value):
        return ("!!pairs (a list of key: value pairs, whose keys may repeat): write the "
                "fields as a mapping (or !!omap), without the tag")
    if isinstance(value, str):
        return f"the text {shown(value)}"
    if isinstance(value, bool):
        return f"the value {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    return type(value).__name__


# Other writers' names for an article's URL (Hugo's `url`, Jekyll's `permalink`, Ghost's
# `canonical_url`, a feed's `link`), and `webUrl` in other cases and spellings.
OTHER_URL_NAMES = ("url", "link", "href", "permalink", "canonicalUrl", "canonical_url")
_URL_LIKE = frozenset(n.lower() for n in (*OTHER_URL_NAMES, "webUrl", "web_url",
                                          "originalUrl", "original_url"))


def url_type_problem(value: Any) -> str | None:
    """What is wrong with a URL field's value that is not text (a list, a mapping, a
    number, a boolean, as other tools write one), and what is allowed; None for text or
    no value."""
    if value is None or isinstance(value, str):
        return None
    kind = ("a list" if isinstance(value, list) else "a mapping" if isinstance(value, dict)
            else "a boolean" if isinstance(value, bool)
            else "a number" if isinstance(value, int | float) else type(value).__name__)
    written = str(value).lower() if isinstance(value, bool) else shown(value)  # as YAML has it
    return (f"must be text (one http(s) URL), got {kind} {written}: write the "
            "article's URL alone, like 'https://example.com/story'")


def _record_problem(fields: dict[str, Any]) -> str | None:
    """Return why a record cannot be loaded, or None when it can.

    A record needs a URL, its identity; a missing or unusable title is the build's
    to replace (see :mod:`graph.build`).
    """
    if not any(isinstance(fields.get(k), str) and fields[k].strip()
               for k in ("webUrl", "originalUrl")):
        for key in ("webUrl", "originalUrl"):
            problem = url_type_problem(fields.get(key))
            if problem is not None:  # it has one, of the wrong type: "no URL" misled
                return f"record has no valid URL: {key} {problem}"
        reason = "record has no URL: expected a 'webUrl' or 'originalUrl' field"
        named = next((k for k in fields if isinstance(k, str) and k.lower() in _URL_LIKE
                      and k not in ("webUrl", "originalUrl")), None)
        if named is not None:  # the URL under another writer's name
            reason += f"; it has {named!r}: if that is the article's URL, rename it 'webUrl'"
        elif (wrapped := _wrapped_list(fields)) is not None:
            keys, n = wrapped
            reason += (f"; it holds a list of {n:,} object{'s' if n != 1 else ''} under "
                       f"{'.'.join(keys)!r}, as a news API's answer, a JSON feed or a feed "
                       "converted from XML wraps its stories: a record file holds the "
                       "records themselves (one, a list of them, or one a line in .jsonl), "
                       f"e.g. `jq -c '{_jq_path(keys)}[]' FILE > stories.jsonl`, each with "
                       "its URL as 'webUrl'")
        elif (holding := _holding_url(fields)) is not None:  # Obsidian Web Clipper's `source`
            key, url = holding
            reason += (f"; it has {key!r}, holding a URL ({shown(url)}): if that is the "
                       "article's URL, rename it 'webUrl'")
        return reason
    return None


def _holding_url(fields: dict[str, Any]) -> tuple[str, str] | None:
    """The first field whose value is an http(s) URL, and the URL; None when none is."""
    for k, v in fields.items():
        if isinstance(k, str) and isinstance(v, str) and _HTTP_URL.match(v):
            return k, v.strip()
    return None


_HTTP_URL = re.compile(r"\s*https?://[^\s/?#]", re.IGNORECASE)
# Fields of a record holding lists of objects: its own, not records it wraps.
_RECORD_LISTS = frozenset({"related", "images", "topics", "provider"})


def _wrapped_list(fields: dict[str, Any], depth: int = 3) -> tuple[tuple[str, ...], int] | None:
    """The keys to and length of the longest list of objects an object without a URL
    holds (NewsAPI's 'articles', JSON Feed's 'items'; an RSS feed converted from XML holds
    them under 'rss', 'channel', 'item'), looking ``depth`` objects down; None when it
    holds none."""
    found: list[tuple[int, tuple[str, ...]]] = []
    for k, v in fields.items():
        if not isinstance(k, str) or k in _RECORD_LISTS:
            continue
        if isinstance(v, list) and v and all(isinstance(item, dict) for item in v):
            found.append((len(v), (k,)))
        elif isinstance(v, dict) and depth > 1:
            inner = _wrapped_list(v, depth - 1)
            if inner is not None:
                found.append((inner[1], (k, *inner[0])))
    if not found:
        return None
    n, keys = max(found, key=lambda f: (f[0], -len(f[1])))
    return keys, n


def _jq_path(keys: tuple[str, ...]) -> str:
    """jq's path to the keys: `.rss.channel.item`, `.data["top stories"]`."""
    path = "".join(f".{k}" if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", k)
                   else "[" + json.dumps(k, ensure_ascii=False) + "]" for k in keys)
    return path if path.startswith(".") else "." + path
