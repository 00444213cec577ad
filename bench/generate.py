"""A seeded, realistic corpus of news records for the benchmarks.

``generate(n, out, seed=...)`` writes ``n`` records in exactly the record format
(front-matter Markdown mostly; some ``.markdown``, YAML lists, JSON and JSONL):
providers and topics drawn from power laws, 0–5 related entries per record (a
share pointing at other generated records, a share at stubs), and a known share
of "facial recognition" mentions in titles, excerpts, bodies and topic names,
beside near misses ("face recognition", "facialrecognition", "facial expression
recognition") that must not match.

The same ``(n, seed)`` always writes the same bytes. A hidden ``.manifest.json``
(the loader ignores hidden files) records what was written, so a benchmark or a
test can check the answers without trusting the code under test.

This module never imports Strawberry, Starlette or the ``graph`` package.
"""

from __future__ import annotations

import base64
import json
import os
import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from pathlib import Path
from typing import Any

from bench.dialects import MIXED_WEIGHTS, STYLES
from bench.emit import FileJob, FileWriter

__all__ = ["generate", "Manifest", "PHRASE", "MANIFEST_NAME", "STYLES"]

PHRASE = "facial recognition"
MANIFEST_NAME = ".manifest.json"
FORMAT_VERSION = 1

# Shares of records; each is drawn independently per record.
SHARE_TITLE = 0.015        # the phrase in the title
SHARE_EXCERPT = 0.02       # ... in the excerpt
SHARE_BODY = 0.02          # ... in the body (sometimes wrapped across a line)
SHARE_TOPIC = 0.01         # tagged with a spelling of the "Facial Recognition" topic
SHARE_NEAR_MISS = 0.04     # a near miss somewhere, never the phrase
SHARE_BODY_PRESENT = 0.7   # records with a Markdown body
SHARE_RELATED_RECORD = 0.6  # related entries that point at another generated record
SHARE_DUPLICATE = 0.003    # records repeated under a tracking-parameter URL variant

# File forms, by share of records: the rest are front-matter ``.md`` files.
SHARE_MARKDOWN_SUFFIX = 0.03
SHARE_YAML_LIST = 0.03
SHARE_JSON = 0.02
SHARE_JSONL = 0.02

# Below this many records one process writes the files: a pool costs more than it saves.
PARALLEL_FROM = 5_000

_WORDS = (
    "city council police school data privacy court ruling government agency camera "
    "cameras surveillance law bill lawmakers watchdog company technology app users "
    "report investigation market shares climate weather heat record drought farmers "
    "election vote budget tax health hospital vaccine study researchers university "
    "students parents teachers housing rent workers union strike energy oil prices "
    "transport rail airport flights security border immigration trade tariffs export "
    "startup funding investors chip software cloud platform social media video "
    "streaming game sports league season coach players match stadium fans ticket "
    "identity verification biometric fingerprint scanner payment bank fraud online "
    "regulator fine settlement lawsuit judge appeal rights civil liberties groups "
    "campaigners protest officials minister ministry statement spokesperson week "
    "year month new first last million billion percent growth decline rise fall "
    "public private local national global rural urban district province region"
).split()
_N_WORDS = len(_WORDS)
_WORD_BITS = _N_WORDS.bit_length()
_TOPIC_WORDS = (
    "AI Privacy Policing Climate Weather Markets Energy Elections Health Education "
    "Housing Labor Transport Security Immigration Trade Startups Semiconductors Cloud "
    "Social Media Streaming Gaming Sports Football Basketball Identity Biometrics "
    "Payments Banking Fraud Regulation Courts Civil Liberties Protests Diplomacy "
    "Defense Science Space Agriculture Water Retail Travel Aviation Rail Cities "
    "Surveillance Robotics Data Computer Vision Machine Learning Cybersecurity"
).split()
_SYLLABLES = ("ka", "lo", "mi", "ra", "te", "su", "no", "vi", "da", "pe", "zu", "ho",
              "ri", "sa", "to", "ne", "bu", "la", "xi", "mo")
_TLDS = ("com", "com", "com", "org", "co.uk", "net", "news", "com.au")
_FR_TITLE = ("Facial Recognition", "facial recognition", "Facial-Recognition",
             "facial recognition's", "FACIAL RECOGNITION")
_FR_TOPIC = ("Facial Recognition", "facial-recognition", "FACIAL  RECOGNITION",
             "Facial recognition")
_NEAR_MISSES = ("face recognition", "facialrecognition", "recognition of faces",
                "facial expression recognition", "facial scans and recognition",
                "recognition, facial")


@dataclass
class Manifest:
    """What a generated corpus holds: counts and the URLs the answers depend on."""

    records: int
    seed: int
    style: str = "seed"
    files: int = 0
    providers: int = 0
    topics: int = 0
    related: int = 0
    related_to_records: int = 0
    duplicates: int = 0
    forms: dict[str, int] = field(default_factory=dict)
    styles: dict[str, int] = field(default_factory=dict)
    mentioning: list[str] = field(default_factory=list)
    near_misses: list[str] = field(default_factory=list)
    format_version: int = FORMAT_VERSION

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _slug(name: str) -> str:
    return re.sub(r"[\W_]+", "-", name.lower()).strip("-")


def _zipf_weights(n: int, s: float) -> list[float]:
    return [1.0 / (k ** s) for k in range(1, n + 1)]


def _cumulative(weights: list[float]) -> list[float]:
    # What ``Random.choices(weights=...)`` sums on every call: summed once, the draws are
    # the same and no longer cost a pass over every provider or topic (at a million
    # records, 25,000 topics a record).
    return list(accumulate(weights))


class _Corpus:
    """The random choices behind one corpus; every draw comes from one seeded Random."""

    def __init__(self, n: int, seed: int):
        self.n = n
        self.rng = random.Random(seed)
        rng = self.rng
        n_providers = max(12, n // 150)
        n_topics = max(40, n // 40)
        self.providers = [self._provider(i) for i in range(n_providers)]
        self.provider_cum = _cumulative(_zipf_weights(n_providers, 1.1))
        names: list[str] = []
        seen: set[str] = set()
        while len(names) < n_topics:
            k = rng.choice((1, 1, 2, 2, 3))
            name = " ".join(rng.choice(_TOPIC_WORDS) for _ in range(k))
            if len(names) >= 60 and k == 1:
                name = f"{name} {self._word().title()}"
            if name.lower() not in seen:
                seen.add(name.lower())
                names.append(name)
        self.topics = names
        self.topic_cum = _cumulative(_zipf_weights(n_topics, 1.05))
        self.start = datetime(2019, 1, 1, tzinfo=UTC)

    def _word(self) -> str:
        return "".join(self.rng.choice(_SYLLABLES) for _ in range(self.rng.randint(2, 4)))

    def _provider(self, i: int) -> dict[str, str]:
        base = "".join(self.rng.choice(_SYLLABLES) for _ in range(self.rng.randint(2, 4)))
        domain = f"{base}{i}.{self.rng.choice(_TLDS)}"
        name = self.rng.choice(("The {} Post", "{} Daily", "{} News", "The {} Times",
                                "{} Wire", "{} Herald", "{}")).format(base.title())
        return {"name": name, "domain": domain}

    def sentence(self, lo: int, hi: int) -> str:
        # ``rng.choice(_WORDS)`` a word at a time, inlined: the same draws (CPython's
        # ``_randbelow``: k bits, again while out of range), a third of the time.
        bits = self.rng.getrandbits
        words = []
        for _ in range(self.rng.randint(lo, hi)):
            r = bits(_WORD_BITS)
            while r >= _N_WORDS:
                r = bits(_WORD_BITS)
            words.append(_WORDS[r])
        return " ".join(words).capitalize()

    def date(self) -> datetime:
        return self.start + timedelta(minutes=self.rng.randrange(6 * 365 * 24 * 60))

    def secured(self) -> str:
        raw = self.rng.randbytes(self.rng.randint(96, 420))
        return base64.b64encode(raw).decode() + ";" + base64.b64encode(
            self.rng.randbytes(16)).decode()

    def insert(self, text: str, phrase: str) -> str:
        words = text.split(" ")
        at = self.rng.randrange(len(words) + 1)
        return " ".join(words[:at] + [phrase] + words[at:])


def _records(c: _Corpus, man: Manifest) -> Iterator[dict[str, Any]]:
    rng = c.rng
    n = c.n
    # Each record's URL and headline are fixed first, so related entries can point
    # at records written later as well as earlier.
    provider_of = rng.choices(range(len(c.providers)), cum_weights=c.provider_cum, k=n)
    heads = []
    for i in range(n):
        p = c.providers[provider_of[i]]
        title = c.sentence(5, 12)
        slug = "-".join(title.lower().split()[:8])
        url = f"https://www.{p['domain']}/news/{100000 + i}/{slug}"
        heads.append((url, title, c.date()))
    stub_pool = max(50, n // 3)
    stubs: dict[int, tuple[str, str, datetime, int]] = {}
    for i in range(n):
        url, title, published = heads[i]
        p = c.providers[provider_of[i]]
        excerpt = c.sentence(15, 35) + "."
        body = None
        if rng.random() < SHARE_BODY_PRESENT:
            body = "\n\n".join(c.sentence(30, 90) + "." for _ in range(rng.randint(1, 4)))
        k = rng.choice((0, 1, 2, 2, 3, 3, 4, 5))
        topics = []
        for t in rng.choices(range(len(c.topics)), cum_weights=c.topic_cum, k=k):
            if c.topics[t] not in topics:
                topics.append(c.topics[t])
        mentions = False
        if rng.random() < SHARE_TITLE:
            title = c.insert(title, rng.choice(_FR_TITLE))
            mentions = True
        if rng.random() < SHARE_EXCERPT:
            excerpt = c.insert(excerpt, rng.choice(_FR_TITLE).lower())
            mentions = True
        if rng.random() < SHARE_BODY:
            body = c.insert(body or c.sentence(20, 40) + ".",
                            rng.choice(("facial recognition", "facial\nrecognition",
                                        "Facial Recognition")))
            mentions = True
        if rng.random() < SHARE_TOPIC:
            topics.append(rng.choice(_FR_TOPIC))
            mentions = True
        near = False
        if rng.random() < SHARE_NEAR_MISS:
            miss = rng.choice(_NEAR_MISSES)
            where = rng.randrange(3)
            if where == 0:
                title = c.insert(title, miss.title())
            elif where == 1:
                excerpt = c.insert(excerpt, miss)
            else:
                body = c.insert(body or c.sentence(20, 40) + ".", miss)
            near = True
        related = []
        for _ in range(rng.choice((0, 1, 1, 2, 2, 3, 3, 4, 5))):
            if rng.random() < SHARE_RELATED_RECORD:
                j = rng.randrange(n)
                if j == i:
                    continue
                r_url, r_title, r_date = heads[j]
                rp = c.providers[provider_of[j]]
                man.related_to_records += 1
            else:
                s = rng.randrange(stub_pool)
                if s not in stubs:  # a stub listed twice is the same story both times
                    sp = rng.choices(range(len(c.providers)), cum_weights=c.provider_cum)[0]
                    s_title = c.sentence(5, 12)
                    s_url = (f"https://{c.providers[sp]['domain']}/stories/{s}/"
                             + "-".join(s_title.lower().split()[:6]))
                    stubs[s] = (s_url, s_title, c.date(), sp)
                r_url, r_title, r_date, sp = stubs[s]
                rp = c.providers[sp]
            related.append({
                "title": r_title,
                "excerpt": c.sentence(15, 30) + " ...",
                "publishedDateTime": r_date,
                "webUrl": r_url,
                "type": "article",
                "provider": dict(rp),
                "quality": rng.randint(10, 80),
                "images": [_image(c)] if rng.random() < 0.7 else [],
            })
        man.related += len(related)
        web_url = url
        if rng.random() < 0.05:
            web_url = f"{url}?utm_source=feed&utm_medium=rss"
        fields: dict[str, Any] = {
            "category": rng.choice(("news", "news", "news", "opinion", "analysis")),
            "title": title,
            "excerpt": excerpt,
            "publishedDateTime": published,
            "originalUrl": url,
            "webUrl": web_url,
            "type": "article",
            "quality": rng.randint(5, 95),
            "heat": rng.randint(0, 100),
            "published": rng.random() < 0.8,
            "provider": dict(p),
            "topics": topics,
            "images": [_image(c) for _ in range(rng.choice((0, 1, 1, 1, 2)))],
            "related": related,
            "secured": c.secured(),
        }
        if mentions:
            man.mentioning.append(url)
        elif near:
            man.near_misses.append(url)
        yield {"fields": fields, "body": body}
        if rng.random() < SHARE_DUPLICATE:
            # The same story again, published a day later: one article, a warning.
            dup = dict(fields, webUrl=f"{url}?utm_campaign=dup",
                       publishedDateTime=published + timedelta(days=1))
            man.duplicates += 1
            yield {"fields": dup, "body": body, "duplicate": True}


def _image(c: _Corpus) -> dict[str, Any]:
    w = c.rng.choice((640, 800, 1024, 1200, 2000))
    return {"url": f"https://img.example.net/{c.rng.getrandbits(48):012x}.jpg",
            "width": w, "height": w * 9 // 16, "isCached": c.rng.random() < 0.8}


def generate(n: int, out: str | Path, *, seed: int = 0, style: str = "seed",
             progress: Callable[[int, int], None] | None = None,
             workers: int | None = None) -> Manifest:
    """Write ``n`` seeded records under ``out`` in a writer's ``style`` (see
    :mod:`bench.dialects`; ``mixed`` mixes them) and return (and write) their manifest.

    The records are the same whatever the style: only how they are written changes.
    ``progress(done, n)`` is called as records are drawn. The records are drawn in this
    process; ``workers`` processes (default: one per CPU, at most four) render and write
    the files, which are the same bytes whatever their number (:mod:`bench.emit`).

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     m = generate(30, d, seed=1)
    ...     (m.records, m.records == generate(30, d, seed=1, style="mixed").records)
    (30, True)
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n!r}")
    if style not in STYLES:
        raise ValueError(f"unknown style {style!r}; expected one of {', '.join(STYLES)}")
    if workers is None:
        workers = max(1, min(4, os.cpu_count() or 1)) if n >= PARALLEL_FROM else 1
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers!r}")
    root = Path(out)
    root.mkdir(parents=True, exist_ok=True)
    c = _Corpus(n, seed)
    # Which writer writes each record comes from a second Random, so every style writes
    # the same records (and the seed style the same bytes as before styles existed).
    writer = random.Random(f"{seed}:{style}")
    man = Manifest(records=n, seed=seed, style=style, providers=len(c.providers))
    topics: set[str] = set()
    forms: dict[str, int] = {}
    styles: dict[str, int] = {}
    batches: dict[tuple[str, str, str], list[tuple[dict[str, Any], str | None]]] = {}
    mixed_styles = list(MIXED_WEIGHTS)
    mixed_cum = list(accumulate(MIXED_WEIGHTS.values()))
    files = FileWriter(root, seed, style, workers)
    written = 0
    try:
        for rec in _records(c, man):
            fields, body = rec["fields"], rec["body"]
            topics.update(_slug(t) for t in fields["topics"])
            domain = fields["provider"]["domain"]
            name = f"{written:07d}"
            written += 1
            draw = c.rng.random()
            if draw < SHARE_YAML_LIST:
                form = "yaml"
            elif draw < SHARE_YAML_LIST + SHARE_JSON:
                form = "json"
            elif draw < SHARE_YAML_LIST + SHARE_JSON + SHARE_JSONL:
                form = "jsonl"
            elif draw < SHARE_YAML_LIST + SHARE_JSON + SHARE_JSONL + SHARE_MARKDOWN_SUFFIX:
                form = "markdown"
            else:
                form = "md"
            kind = (style if style != "mixed"
                    else writer.choices(mixed_styles, cum_weights=mixed_cum)[0])
            if kind == "json":
                form = "json" if form != "yaml" else "json-list"
            elif kind == "jsonl":
                form = "jsonl"
            styles[kind] = styles.get(kind, 0) + 1
            if form == "json-list":
                form = "json"
                batches.setdefault((domain, form, kind), []).append((fields, body))
            elif form == "json" and kind == "json":
                files.add(FileJob(f"{domain}/{name}.json", kind, form, ((fields, body),)))
            elif form in ("md", "markdown"):
                files.add(FileJob(f"{domain}/{name}.{form}", kind, form, ((fields, body),)))
            else:
                batches.setdefault((domain, form, kind), []).append((fields, body))
            forms[form] = forms.get(form, 0) + 1
            if progress is not None and not rec.get("duplicate"):
                progress(written - man.duplicates, n)
        for (domain, form, kind), items in sorted(batches.items()):
            size = 50 if kind == "jsonl" else 8
            for k in range(0, len(items), size):
                stem = f"feed-{k // size:04d}" + ("" if kind == "seed" else f"-{kind}")
                path = f"{domain}/{stem}.{'yml' if form == 'yaml' else form}"
                files.add(FileJob(path, kind, form, tuple(items[k : k + size]), single=False))
    finally:
        man.files = files.close()
    man.topics = len(topics)
    man.forms = forms
    man.styles = styles
    (root / MANIFEST_NAME).write_text(json.dumps(man.as_dict(), indent=1), encoding="utf-8")
    return man
