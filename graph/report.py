"""The load report: what a load read, built, skipped and rejected, and why."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from graph.records import ParsedFile

__all__ = ["Problem", "LoadReport", "printable"]

# Control characters (C0 but the tab, DEL, C1) and the bidi embeddings, overrides and
# isolates: in a file name or a record's text they would drive the terminal a report is
# printed on (move the cursor, erase lines, start a line of their own) or reorder it.
_UNPRINTABLE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """Return ``text`` with its control characters written as escapes (``\\x1b``), to be
    printed on a terminal or in a log line: the text of a corpus is its writer's."""
    return _UNPRINTABLE.sub(lambda m: ascii(m.group())[1:-1], text)


@dataclass(frozen=True, slots=True)
class Problem:
    """One skipped file, rejected record or warning: where it is and what was wrong.

    ``line`` is 1-based, or ``None`` where the parser gives no line.
    """

    path: str
    line: int | None
    reason: str

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        return printable(f"{where}: {self.reason}")


@dataclass(slots=True)
class LoadReport:
    """The result of a load besides the graph itself.

    ``records`` counts the records loaded; ``articles`` counts article nodes, stubs
    included; ``edges`` counts edges by kind. ``errors`` are rejected files and
    records, ``skipped`` are files that hold no records, ``warnings`` are records
    that loaded with something dropped or overridden.
    """

    files: int = 0
    records: int = 0
    articles: int = 0
    stubs: int = 0
    providers: int = 0
    topics: int = 0
    edges: dict[str, int] = field(default_factory=dict)
    skipped: list[Problem] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    def count_file(self, parsed: ParsedFile) -> None:
        """Count one parsed file: read or skipped, with its errors and warnings."""
        if parsed.skipped:
            self.skipped.append(parsed.skipped)
        else:
            self.files += 1
        self.errors.extend(parsed.errors)
        self.warnings.extend(parsed.warnings)

    @property
    def ok(self) -> bool:
        """True when nothing was rejected."""
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        """Return the report as JSON-ready data, the shape of ``newsgraph load --json``."""
        return asdict(self)

    def summary(self) -> str:
        """Return a one-line summary of the counts."""
        edges = ", ".join(f"{n} {kind}" for kind, n in sorted(self.edges.items()))
        return (
            f"{self.records} records from {self.files} files → {self.articles} articles "
            f"({self.stubs} stubs), {self.providers} providers, {self.topics} topics; "
            f"edges: {edges or 'none'}; {len(self.errors)} errors, "
            f"{len(self.warnings)} warnings, {len(self.skipped)} skipped"
        )
