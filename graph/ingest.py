"""Write records into a followed folder as files, and retract them, never half-written.

A record sent to :func:`ingest` is checked by exactly the rules a file is: it is
written out as the JSON file it will become, and that text is parsed and built as a
load would; a record a load would reject is refused with the load's reason. An
accepted record is written to ``<root>/ingested/<hash of its canonical URL>.json``
(a temporary hidden file, fsync, rename, fsync of the folder), so one canonical URL
is one file: sending it again updates that file or leaves it unchanged.

:func:`retract` moves the files holding an article's records into
``<root>/.retracted/`` (hidden, so never loaded); nothing is destroyed.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from graph.build import article_id, build_graph
from graph.errors import InvalidURLError, NewsgraphError
from graph.live import LiveGraph
from graph.normalize import canonical_url
from graph.records import ParsedFile, parse_text
from graph.report import LoadReport

__all__ = ["Outcome", "ingest", "retract", "remove_partial", "INGEST_FOLDER", "RETRACTED_FOLDER",
           "CREATED", "UPDATED", "UNCHANGED", "REJECTED", "RETRACTED"]

INGEST_FOLDER = "ingested"
RETRACTED_FOLDER = ".retracted"
CREATED, UPDATED, UNCHANGED, REJECTED, RETRACTED = (
    "CREATED", "UPDATED", "UNCHANGED", "REJECTED", "RETRACTED")


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one record: its article id and status, or why it was refused."""

    status: str
    id: str | None = None
    path: str | None = None
    error: str | None = None
    warnings: tuple[str, ...] = field(default=())


def _json_default(value: object) -> str:
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"a {type(value).__name__} is not a record value")


def _check(fields: Any, index: int) -> tuple[str, str] | Outcome:
    """Return the file text and canonical URL of a record, or its refusal."""
    if not isinstance(fields, dict):
        return Outcome(REJECTED, error=f"record {index}: expected a record (a mapping of "
                                       f"fields), got {type(fields).__name__}")
    try:
        text = json.dumps(fields, ensure_ascii=False, indent=2, sort_keys=True,
                          default=_json_default) + "\n"
    except (TypeError, ValueError) as e:
        return Outcome(REJECTED, error=f"record {index}: {e}")
    parsed = ParsedFile(f"record {index}")
    parse_text(text, ".json", parsed)
    report = LoadReport()
    build_graph(parsed.records, report)
    problems = parsed.errors + report.errors
    if problems:
        return Outcome(REJECTED, error="; ".join(p.reason for p in problems))
    rec = parsed.records[0]
    for key in ("webUrl", "originalUrl"):
        raw = rec.fields.get(key)
        if isinstance(raw, str) and raw.strip():
            try:
                return text, canonical_url(raw)
            except InvalidURLError:
                continue
    return Outcome(REJECTED, error=f"record {index}: no valid URL")  # pragma: no cover


def ingest(live: LiveGraph, records: list[Any]) -> list[Outcome]:
    """Write each acceptable record as a file in ``live``'s folder and apply the change.

    Returns one :class:`Outcome` per record, in order. A record is acknowledged
    (CREATED, UPDATED or UNCHANGED) only once its file is durably in place.
    """
    folder = _folder(live) / INGEST_FOLDER
    outcomes: list[Outcome] = []
    written: list[Path] = []
    for index, fields in enumerate(records):
        checked = _check(fields, index)
        if isinstance(checked, Outcome):
            outcomes.append(checked)
            continue
        text, url = checked
        name = hashlib.blake2b(url.encode(), digest_size=10).hexdigest() + ".json"
        path = folder / name
        data = text.encode()
        try:
            old = path.read_bytes()
        except FileNotFoundError:
            old = None
        if old == data:
            status = UNCHANGED
        else:
            _write_durably(path, data)
            written.append(path)
            status = CREATED if old is None else UPDATED
        outcomes.append(Outcome(status, article_id(url), str(path)))
    if written:
        live.apply(written)
    return outcomes


def retract(live: LiveGraph, url: str) -> Outcome:
    """Move the files holding the records of the article at ``url`` out of the corpus
    (into ``.retracted/``) and apply the change; refuse when a file holds other records."""
    try:
        node = article_id(canonical_url(url))
    except InvalidURLError as e:
        return Outcome(REJECTED, error=str(e))
    kg = live.current()
    if node not in kg or kg[node].get("is_stub"):
        return Outcome(REJECTED, id=node, error=f"no record of {node!r} in the corpus "
                                                "(a stub has no file of its own)")
    files = sorted({source.rsplit(":", 1)[0] if source.rsplit(":", 1)[-1].isdigit()
                    else source for source in kg[node]["sources"]})
    others = [f for f in files if live.records_in(f) > 1]
    if others:
        return Outcome(REJECTED, id=node, error=(
            f"{others[0]!r} holds other records too: edit that file to remove the story"))
    root = _folder(live)
    moved = []
    for name in files:
        src = Path(name)
        rel = os.path.relpath(src, root)
        dst = root / RETRACTED_FOLDER / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        os.replace(src, dst)
        _fsync_folder(src.parent)
        moved.append(src)
    live.apply(moved)
    return Outcome(RETRACTED, id=node, path=", ".join(files))


def remove_partial(root: Path) -> list[Path]:
    """Delete the temporary files a crash left in ``root/ingested`` (never loaded: hidden);
    return them. A record acknowledged before the crash is in its final file already."""
    folder = Path(root) / INGEST_FOLDER
    if not folder.is_dir():
        return []
    left = [p for p in folder.iterdir() if p.name.startswith(".") and p.name.endswith(".tmp")]
    for path in left:
        path.unlink(missing_ok=True)
    return left


def _folder(live: LiveGraph) -> Path:
    if not live.root.is_dir():
        raise NewsgraphError(f"records are written into a folder; {str(live.root)!r} is a file")
    return live.root


def _write_durably(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a crash leaves the old file or the new, whole."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")  # hidden: never loaded
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
