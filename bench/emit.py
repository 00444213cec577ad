"""Render a generated corpus's files and write them, in one process or several.

The generator (:mod:`bench.generate`) draws the records from one seeded stream, in
order, and hands each file to write as a :class:`FileJob`: where it goes, the writer's
style, the form, and the records it holds. A file's bytes depend on its job alone —
the draws a writer makes (a flow or block layout, JSON indentation) come from a
``Random`` seeded by the corpus seed, the style and the file's path — so the jobs can be
written by any number of processes, in any order, and the files are the same byte for
byte as one process writes them.

This module never imports Strawberry, Starlette or the ``graph`` package.
"""

from __future__ import annotations

import json
import os
import random
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.dialects import finish, front_matter, json_ready, json_text, yaml_list

__all__ = ["FileJob", "FileWriter", "render"]

# Jobs sent to a worker at once, and chunks in flight per worker: enough to keep each
# busy, few enough that the records drawn ahead stay a few megabytes.
CHUNK = 256
IN_FLIGHT = 3


@dataclass(frozen=True, slots=True)
class FileJob:
    """One file of the corpus: its path under the root, the writer's style (``kind``),
    its form (``md``, ``markdown``, ``json``, ``yaml`` or ``jsonl``) and its records as
    ``(fields, body)``; ``single`` for a file of one record, else a list or feed."""

    path: str
    kind: str
    form: str
    items: tuple[tuple[dict[str, Any], str | None], ...]
    single: bool = True


def render(job: FileJob, seed: int, style: str) -> str:
    """Return the text of ``job``'s file: what the style's writer saves."""
    rng = random.Random(f"{seed}:{style}:{job.path}")
    kind, form = job.kind, job.form
    if job.single:
        fields, body = job.items[0]
        if form == "json":
            return json_text(dict(fields, body=body) if body else dict(fields), rng)
        text = f"---\n{front_matter(fields, kind, rng)}---\n"
        if body:
            text += f"\n{body}\n"
        return finish(text, kind)
    items = list(job.items)
    if form == "yaml":
        return finish(yaml_list(items, kind, rng), kind)
    if form == "json":
        ready = [dict(f, body=b) if b else dict(f) for f, b in items]
        if kind == "seed":  # as before styles existed
            return json.dumps(json_ready(ready), ensure_ascii=False, indent=1)
        return json_text(ready, rng)
    return "".join(json.dumps(json_ready(dict(f, body=b) if b else dict(f)),
                              ensure_ascii=False) + "\n" for f, b in items)


def write_jobs(root: str, seed: int, style: str, jobs: list[FileJob]) -> int:
    """Write ``jobs``' files under ``root``; return how many were written."""
    made: set[str] = set()
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0)
    for job in jobs:
        path = os.path.join(root, job.path)
        folder = os.path.dirname(path)
        if folder not in made:
            os.makedirs(folder, exist_ok=True)
            made.add(folder)
        data = render(job, seed, style).encode("utf-8")
        # One open, one write, one close: the syscalls are what a million files cost.
        fd = os.open(path, flags, 0o644)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)
    return len(jobs)


class FileWriter:
    """Write file jobs as they come, in this process (``workers=1``) or in a pool of
    ``workers`` processes fed in chunks; :meth:`close` waits for every file."""

    def __init__(self, root: Path, seed: int, style: str, workers: int = 1):
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers!r}")
        self.root, self.seed, self.style = str(root), seed, style
        self.written = 0
        self._chunk: list[FileJob] = []
        self._pool = ProcessPoolExecutor(workers) if workers > 1 else None
        self._pending: deque[Future[int]] = deque()
        self._limit = IN_FLIGHT * workers

    def add(self, job: FileJob) -> None:
        """Queue one file; it is written by the time :meth:`close` returns."""
        self._chunk.append(job)
        if len(self._chunk) >= CHUNK:
            self._flush()

    def _flush(self) -> None:
        jobs, self._chunk = self._chunk, []
        if not jobs:
            return
        if self._pool is None:
            self.written += write_jobs(self.root, self.seed, self.style, jobs)
            return
        while len(self._pending) >= self._limit:
            self.written += self._pending.popleft().result()
        self._pending.append(self._pool.submit(write_jobs, self.root, self.seed, self.style,
                                               jobs))

    def close(self) -> int:
        """Write what is queued, wait for every worker; return the files written."""
        try:
            self._flush()
            while self._pending:
                self.written += self._pending.popleft().result()
        finally:
            if self._pool is not None:
                self._pool.shutdown(cancel_futures=True)
        return self.written
