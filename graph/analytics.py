"""What is computed once per load: syndicated copies, storylines, centrality, co-topics,
provider overlap and timelines.

:class:`Analytics` is built lazily, once, by :attr:`KnowledgeGraph.analytics`; each
of its parts is itself computed on first use and kept, since the graph never changes
after loading. Requests only read it.

The article graph
    Storylines and centrality are read off an undirected, weighted graph of articles
    (stubs included). A ``RELATED`` listing (either way) joins two stories with weight
    1, and so does a ``SAME_STORY`` pair. A topic of ``n`` stories, taken in order of
    publication, joins each story to the :data:`TOPIC_BAND` stories after it (so to
    up to twice that many neighbours, the nearest in time), each link weighing
    ``1 / min(n - 1, 2 * TOPIC_BAND)``: a story draws weight about 1 from each topic it
    has however broad the topic, a small topic (``n <= TOPIC_BAND + 1``) joins every
    pair, and a broad one adds links in proportion to its stories, not to their pairs.
    Weights of several links add up. Topics of more than :data:`HUB_TOPIC_ARTICLES`
    stories join none: they say little about a story and would chain unrelated ones.
Storylines
    Louvain communities of the article graph (networkx, seed :data:`LOUVAIN_SEED`,
    resolution :data:`LOUVAIN_RESOLUTION`) of at least two stories, largest first, each
    named after its central story (:func:`storyline_id`);
    :meth:`Analytics.storylines_at` computes them at another resolution.
Centrality
    PageRank over the article graph: :attr:`Analytics.pagerank` (id → score),
    :meth:`Analytics.central` (``(id, score)`` pairs, highest first).
Syndicated copies (``SAME_STORY``)
    Articles from different providers whose :func:`story_key` is equal.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from itertools import combinations
from typing import TYPE_CHECKING, Any

import networkx as nx

from graph import compact
from graph.build import ARTICLE, RELATED, TAGGED, provider_id, topic_id
from graph.cotopics import CoTopics
from graph.errors import InvalidArgument, NotReady
from graph.normalize import tokens
from graph.search import SearchIndex, build_search_index
from graph.select import Selection, checked, select_articles

if TYPE_CHECKING:
    from graph.budget import Budget
    from graph.kg import KnowledgeGraph

__all__ = ["SAME_STORY", "WHOLE_GRAPH", "Analytics", "Storyline", "Bucket", "story_key",
           "storyline_id",
           "INTERVALS", "HUB_TOPIC_ARTICLES", "TOPIC_BAND", "LOUVAIN_SEED",
           "LOUVAIN_RESOLUTION"]

SAME_STORY = "SAME_STORY"
HUB_TOPIC_ARTICLES = 500
TOPIC_BAND = 3
LOUVAIN_SEED = 4
LOUVAIN_RESOLUTION = 1.0  # networkx's default: what storylines are served at
RELATED_WEIGHT = 1.0
SAME_STORY_WEIGHT = 1.0
INTERVALS = ("DAY", "WEEK", "MONTH")
# What takes the whole graph to compute (Louvain alone took 469 s at 100k records): a
# server computes them off the request path (graph/background.py).
WHOLE_GRAPH = ("search_index", "pagerank", "central_articles", "storylines", "co_topics",
               "provider_overlap")
_LOOKUPS = ("storyline_of", "storyline_by_id")
MAX_BUCKETS = 10_000
# A title key keeps this many leading letters of each word: a crude stemmer under which
# "defends" and "defense" (the two Oregon copies of the seed) agree.
_KEY_LETTERS = 5
_KEY_MIN_WORDS = 3


def story_key(title: str) -> str | None:
    """Return the key under which syndicated copies of a headline agree, or None.

    The title's lowercase words, each cut to its first five letters; titles of fewer
    than three words have no key (a "Weather" from two providers is not one story).

    Examples
    --------
    >>> story_key("Oregon agency defends use of facial recognition tech")
    'orego agenc defen use of facia recog tech'
    >>> story_key("Oregon agency DEFENSE use of facial-recognition tech")
    'orego agenc defen use of facia recog tech'
    >>> story_key("Weather") is None
    True
    """
    words = tokens(title)
    if len(words) < _KEY_MIN_WORDS:
        return None
    return " ".join(w[:_KEY_LETTERS] for w in words)


def storyline_id(central: str) -> str:
    """Return the id of the storyline whose central story is ``central``:
    ``storyline:`` and 16 hex digits of a hash of that story's id.

    Named after its central story, not numbered by size: a numbered id was a place in one
    version's list, so after a change a client holding ``storyline:1`` was given another
    storyline. This id names the same storyline in every version where that story is
    still its centre, and none (null) once it is not.

    >>> storyline_id("article:https://news.example/a")
    'storyline:e9dc217f7716a01a'
    """
    digest = hashlib.blake2b(central.encode("utf-8", "surrogatepass"), digest_size=8)
    return f"storyline:{digest.hexdigest()}"


@dataclass(frozen=True, slots=True)
class Storyline:
    """A community of stories: its members, central story, topics, providers and dates."""

    id: str
    articles: tuple[str, ...]  # article ids, by id
    central: str
    topics: tuple[tuple[str, int], ...]  # (topic id, stories), most first
    providers: tuple[tuple[str, int], ...]  # (provider id, stories), most first
    starts_at: datetime | None
    ends_at: datetime | None

    @property
    def size(self) -> int:
        return len(self.articles)


class StorylineOf(Mapping[str, Storyline]):
    """Article id → its storyline, held as each article's number in the storylines: a
    dict of one storyline object an article was visited value by value by every full
    collection (26,000 at 20k records, made after the server froze its graph); one of
    numbers the collector stops tracking once it has seen it (serve36)."""

    __slots__ = ("_at", "_storylines")

    def __init__(self, storylines: Sequence[Storyline]) -> None:
        self._storylines = tuple(storylines)
        self._at = {a: i for i, s in enumerate(self._storylines) for a in s.articles}

    def __getitem__(self, article: str) -> Storyline:
        return self._storylines[self._at[article]]

    def __iter__(self) -> Iterator[str]:
        return iter(self._at)

    def __len__(self) -> int:
        return len(self._at)


@dataclass(frozen=True, slots=True)
class Bucket:
    """One bucket of a timeline: ``[start, end)``, a label and how many articles."""

    start: datetime
    end: datetime
    label: str
    count: int


class Analytics:
    """Per-load analytics of a knowledge graph; every part is computed once, on first use."""

    def __init__(self, kg: KnowledgeGraph):
        self.kg = kg
        self._timelines: dict[str, list[Bucket]] = {}
        # The whole-graph parts (WHOLE_GRAPH and their lookups), once computed or installed.
        self._parts: dict[str, Any] = {}
        # Set by defer(): the parts are computed elsewhere, and this says how far.
        self._status: Callable[[], dict[str, Any]] | None = None
        self._stage: Callable[[str], None] = _quiet

    # -- the whole-graph parts: computed here on first use, or in the background ---

    def defer(self, status: Callable[[], dict[str, Any]]) -> None:
        """Leave the :data:`WHOLE_GRAPH` parts to a background job (graph/background.py).

        Until :meth:`install` hands them over, reading one raises :class:`NotReady` at
        once, with what ``status()`` says (``{"status": "computing", "stage": ...,
        "progress": 0.4}``), instead of computing it on the caller's time.
        """
        self._status = status

    def install(self, parts: dict[str, Any]) -> None:
        """Take over whole-graph parts computed elsewhere (names from :data:`WHOLE_GRAPH`)."""
        if "storylines" in parts:
            found = parts["storylines"]
            # The lookups first, so no reader sees the storylines without them.
            self._parts["storyline_of"] = StorylineOf(found)
            self._parts["storyline_by_id"] = {s.id: s for s in found}
        for name in WHOLE_GRAPH:
            if name in parts:
                self._parts[name] = parts[name]
        if "search_index" in parts:
            # The graph's phrases are found from the search index's candidates from now
            # on; a followed corpus's next versions carry it on (graph/reindex.py).
            self.kg.index.hold_text_once(parts["search_index"])

    def peek(self, name: str) -> Any:
        """Return a whole-graph part if it is computed already, else None; never computes
        more than a lookup of parts that are (``storyline_of`` of the storylines)."""
        if name not in self._parts and name in _LOOKUPS and "storylines" in self._parts:
            return getattr(self, name)
        return self._parts.get(name)

    @property
    def ready(self) -> bool:
        """True once every whole-graph part is computed."""
        return all(name in self._parts for name in WHOLE_GRAPH)

    def compute_all(self, stage: Callable[[str], None] = lambda what: None) -> dict[str, Any]:
        """Compute every whole-graph part here and return them by name; ``stage(what)``
        hears where it stands, in words."""
        return dict(self.compute_each(stage))

    def compute_each(self, stage: Callable[[str], None] = lambda what: None,
                     ) -> Iterator[tuple[str, Any]]:
        """Compute the whole-graph parts here, yielding each ``(name, value)`` as soon as
        it is done (what a background job sends back, the search index first)."""
        saved, self._status, self._stage = self._status, None, stage
        try:
            for name in WHOLE_GRAPH:
                stage(name.replace("_", " "))
                yield name, getattr(self, name)
        finally:
            self._status, self._stage = saved, _quiet

    def _part(self, name: str, compute: Callable[[], Any]) -> Any:
        try:
            return self._parts[name]
        except KeyError:
            pass
        if self._status is not None:
            status = self._status()
            what = name.replace("_", " ")
            if status.get("status") == "failed":
                raise NotReady(f"{what} could not be computed after the load: "
                               f"{status.get('error')}", **status)
            progress = status.get("progress")
            done = f", {progress:.0%} done" if isinstance(progress, float) else ""
            raise NotReady(
                f"{what} not ready yet: whole-graph analytics are computed in the "
                f"background after the load (now: {status.get('stage') or 'starting'}"
                f"{done}); ask again in a moment", **status)
        value = self._parts[name] = compute()
        return value

    # -- the articles and their links --------------------------------------------

    @cached_property
    def articles(self) -> list[str]:
        """Article ids in id order."""
        return self.kg.index.ids_in_order(ARTICLE)

    @cached_property
    def same_story(self) -> dict[str, tuple[str, ...]]:
        """Article id → ids of its syndicated copies (other providers, equal story key)."""
        g = self.kg.nx
        groups: dict[str, list[str]] = defaultdict(list)
        for node in self.articles:
            data = g.nodes[node]
            if data["title"] == data["url"]:  # no title of its own
                continue
            key = story_key(data["title"])
            if key is not None:
                groups[key].append(node)
        # Kept for the next version of a followed corpus (graph/reindex.py).
        self.__dict__["story_groups"] = {k: tuple(v) for k, v in groups.items()}
        copies: dict[str, list[str]] = defaultdict(list)
        for members in groups.values():
            for a, b in combinations(members, 2):
                if g.nodes[a]["provider"] != g.nodes[b]["provider"]:
                    copies[a].append(b)
                    copies[b].append(a)
        return {node: tuple(sorted(others)) for node, others in sorted(copies.items())}

    @cached_property
    def same_story_pos(self) -> dict[int, tuple[int, ...]]:
        """:attr:`same_story` over index positions, for walks."""
        pos = self.kg.index.pos
        return {pos[a]: tuple(pos[b] for b in others) for a, others in self.same_story.items()}

    def same_story_edges(self) -> list[tuple[str, str]]:
        """Return each ``SAME_STORY`` pair once, ``(smaller id, larger id)``, sorted."""
        return [(a, b) for a, others in self.same_story.items() for b in others if a < b]

    def same_story_evidence(self, a: str, b: str) -> tuple[str, ...]:
        """Return the records that carry the two headlines: the sources of both, once each."""
        g = self.kg.nx
        out: list[str] = []
        for node in (a, b):
            for source in g.nodes[node].get("sources") or ():
                if source not in out:
                    out.append(source)
        return tuple(out)

    @cached_property
    def article_graph(self) -> nx.Graph:
        """The weighted, undirected article graph described in the module docstring."""
        g = self.kg.nx
        ag = nx.Graph()
        ag.add_nodes_from(self.articles)

        def join(a: str, b: str, weight: float) -> None:
            if ag.has_edge(a, b):
                ag[a][b]["weight"] += weight
            else:
                ag.add_edge(a, b, weight=weight)

        related = sorted({tuple(sorted(pair)) for pair in compact.edges_keyed(g, RELATED)})
        for a, b in related:
            join(a, b, RELATED_WEIGHT)
        for a, b in self.same_story_edges():
            join(a, b, SAME_STORY_WEIGHT)
        far = datetime.max.replace(tzinfo=UTC)
        for _, members in sorted(self.topic_articles.items()):
            n = len(members)
            if n < 2 or n > HUB_TOPIC_ARTICLES:
                continue
            weight = 1.0 / min(n - 1, 2 * TOPIC_BAND)
            by_date = sorted(members, key=lambda a: (g.nodes[a].get("published_at") or far, a))
            for i, a in enumerate(by_date):
                for b in by_date[i + 1 : i + 1 + TOPIC_BAND]:
                    low, high = sorted((a, b))
                    join(low, high, weight)
        return ag

    @cached_property
    def topic_articles(self) -> dict[str, tuple[str, ...]]:
        """Topic id → the ids of the articles tagged with it, sorted."""
        out: dict[str, list[str]] = defaultdict(list)
        for u, v in compact.edges_keyed(self.kg.nx, TAGGED):
            out[v].append(u)
        return {t: tuple(sorted(a)) for t, a in out.items()}

    # -- search, centrality and storylines ------------------------------------------

    @property
    def search_index(self) -> SearchIndex:
        """The inverted index ``search(text:)`` reads (graph/search.py)."""
        return self._part("search_index", self._search_index)

    def _search_index(self) -> SearchIndex:
        return build_search_index(self.kg)

    @property
    def pagerank(self) -> dict[str, float]:
        """Article id → PageRank over the article graph (the scores sum to 1)."""
        return self._part("pagerank", self._pagerank)

    def _pagerank(self) -> dict[str, float]:
        if not self.articles:
            return {}
        # Rounded, so that symmetric stories tie exactly and ties go by id.
        rank = nx.pagerank(self.article_graph, weight="weight")
        return {a: round(r, 12) for a, r in rank.items()}

    @property
    def central_articles(self) -> tuple[str, ...]:
        """Article ids by PageRank, highest first; ties by id (a tuple: the collector
        stops tracking it)."""
        return self._part("central_articles", self._central_articles)

    def _central_articles(self) -> tuple[str, ...]:
        rank = self.pagerank
        return tuple(sorted(self.articles, key=lambda a: (-rank[a], a)))

    def central(self, selection: Selection | None = None,
                budget: Budget | None = None) -> list[tuple[str, float]]:
        """Return ``(article id, PageRank)`` of the articles ``selection`` keeps, highest
        first; a filter looks at ``budget``'s deadline as it goes."""
        rank = self.pagerank
        return [(a, rank[a]) for a in self.central_ids(selection, budget)]

    def central_ids(self, selection: Selection | None = None,
                    budget: Budget | None = None) -> Sequence[str]:
        """Return the ids of :meth:`central`, without their scores: with no filter, the
        ranking itself (not a copy), so a page of it costs the page."""
        if selection is not None and not isinstance(selection, Selection):
            raise TypeError(f"central takes a graph.select.Selection (or None for every "
                            f"article); got {type(selection).__name__} {selection!r:.60}")
        ids = self.central_articles
        if selection is not None and not selection.empty:
            keep = selection.predicate(self.kg, budget)
            return [a for a in checked(ids, budget) if keep(a)]
        return ids

    @property
    def storylines(self) -> list[Storyline]:
        """Storylines, largest first; ties go to the earliest start, then the central id."""
        return self._part("storylines", self._storylines)

    def _storylines(self) -> list[Storyline]:
        return self.storylines_at(LOUVAIN_RESOLUTION, self._stage)

    def storylines_at(self, resolution: float = 1.0,
                      progress: Callable[[str], None] | None = None) -> list[Storyline]:
        """Compute storylines at a Louvain ``resolution``, reporting each level to ``progress``.

        :attr:`storylines` (what a server serves) is this at resolution 1, computed once;
        this computes afresh on every call, and keeps nothing.

        Parameters
        ----------
        resolution : float
            Louvain's resolution, a positive number: above 1 favours more, smaller
            storylines; below 1 fewer, larger ones.
        progress : callable, optional
            Called with a line of text as each Louvain level ends (``print`` will do).

        Returns
        -------
        list of Storyline
            Largest first, ties to the earliest start, then the central id; each id
            is :func:`storyline_id` of its central story.

        Raises
        ------
        InvalidArgument
            If ``resolution`` is not a positive, finite number.
        """
        if (isinstance(resolution, bool) or not isinstance(resolution, int | float)
                or not 0 < resolution < float("inf")):
            raise InvalidArgument(
                f"resolution must be a positive, finite number (1 is the default), "
                f"got {resolution!r}")
        report = progress if progress is not None else _quiet
        # louvain_communities is the last of these levels; walked here to report each one.
        communities: list[set[str]] = []
        for level, partition in enumerate(nx.community.louvain_partitions(
                self.article_graph, weight="weight", resolution=resolution,
                seed=LOUVAIN_SEED), start=1):
            communities = partition
            report(f"storylines: Louvain level {level} done, "
                   f"{len(partition):,} communities")
        found = [self._storyline(sorted(c)) for c in communities if len(c) >= 2]
        far = datetime.max.replace(tzinfo=UTC)
        found.sort(key=lambda s: (-s.size, s.starts_at or far, s.central))
        return [Storyline(storyline_id(s.central), s.articles, s.central, s.topics,
                          s.providers, s.starts_at, s.ends_at) for s in found]

    def _storyline(self, members: list[str]) -> Storyline:
        g = self.kg.nx
        rank = self.pagerank
        # Ranks equal but for the last bits of a sum (members of one story, linked alike)
        # are a tie, decided by id: the central story, and so the storyline's id, must not
        # turn on the order a power iteration added them in.
        central = min(members, key=lambda a: (-float(f"{rank[a]:.9g}"), a))
        topics: Counter[str] = Counter()
        providers: Counter[str] = Counter()
        dates = []
        for a in members:
            data = g.nodes[a]
            topics.update(topic_id(slug) for slug in data.get("topics") or ())
            providers[provider_id(data['provider'])] += 1
            if data.get("published_at") is not None:
                dates.append(data["published_at"])
        return Storyline("", tuple(members), central, _most_first(topics),
                         _most_first(providers), min(dates, default=None),
                         max(dates, default=None))

    @property
    def storyline_of(self) -> Mapping[str, Storyline]:
        """Article id → its storyline (articles of no storyline are absent)."""
        return self._part("storyline_of", self._storyline_of)

    def _storyline_of(self) -> Mapping[str, Storyline]:
        return StorylineOf(self.storylines)

    @property
    def storyline_by_id(self) -> dict[str, Storyline]:
        """Storyline id → storyline."""
        return self._part("storyline_by_id", self._storyline_by_id)

    def _storyline_by_id(self) -> dict[str, Storyline]:
        return {s.id: s for s in self.storylines}

    # -- topics and providers ------------------------------------------------------

    @property
    def co_topics(self) -> CoTopics:
        """Topic id → ``(other topic, shared articles, weight)``, most shared first, then by id.

        ``weight`` is the Jaccard index of the two topics' articles: shared / either.
        A read-only mapping held in arrays (graph/cotopics.py), equal to the dict of
        lists it stands for.
        """
        return self._part("co_topics", self._co_topics)

    def _co_topics(self) -> CoTopics:
        shared: dict[str, Counter[str]] = defaultdict(Counter)
        g = self.kg.nx
        for a in self.articles:
            slugs = sorted(set(g.nodes[a].get("topics") or ()))
            for s, t in combinations(slugs, 2):
                shared[topic_id(s)][topic_id(t)] += 1
                shared[topic_id(t)][topic_id(s)] += 1
        sizes = {t: len(a) for t, a in self.topic_articles.items()}
        return CoTopics.of({
            t: sorted(((u, n, round(n / (sizes[t] + sizes[u] - n), 6))
                       for u, n in counts.items()), key=lambda x: (-x[1], x[0]))
            for t, counts in shared.items()
        })

    @property
    def provider_overlap(self) -> dict[str, tuple[tuple[str, int, int, float], ...]]:
        """Provider id → ``(other provider, shared storylines, syndicated pairs, score)``.

        Two providers overlap when both published stories of one storyline, or copies of
        one story; ``score`` is the Jaccard index of the storylines they cover. Ordered
        by shared storylines, then syndicated pairs, then score, most first; then by id.
        Tuples, which the collector stops tracking (a list a provider, of one row a
        provider it overlaps, was visited row by row by every full collection).
        """
        return self._part("provider_overlap", self._provider_overlap)

    def _provider_overlap(self) -> dict[str, tuple[tuple[str, int, int, float], ...]]:
        g = self.kg.nx
        covers: dict[str, set[str]] = defaultdict(set)
        for s in self.storylines:
            for a in s.articles:
                covers[provider_id(g.nodes[a]['provider'])].add(s.id)
        copies: Counter[tuple[str, str]] = Counter()
        for a, b in self.same_story_edges():
            p, q = (provider_id(g.nodes[x]['provider']) for x in (a, b))
            copies[(p, q)] += 1
            copies[(q, p)] += 1
        out: dict[str, list[tuple[str, int, int, float]]] = defaultdict(list)
        providers = sorted(set(covers) | {p for p, _ in copies})
        for p, q in combinations(providers, 2):
            both = len(covers[p] & covers[q])
            pairs = copies[(p, q)]
            if not both and not pairs:
                continue
            either = len(covers[p] | covers[q])
            score = round(both / either, 6) if either else 0.0
            out[p].append((q, both, pairs, score))
            out[q].append((p, both, pairs, score))
        return {p: tuple(sorted(rows, key=lambda r: (-r[1], -r[2], -r[3], r[0])))
                for p, rows in out.items()}

    # -- timelines --------------------------------------------------------------------

    def timeline(self, interval: str = "MONTH",
                 among: Iterable[str] | None = None) -> list[Bucket]:
        """Return article counts per ``DAY``, ``WEEK`` (ISO, from Monday) or ``MONTH`` (UTC).

        Every bucket from the first dated article's to the last one's is there, empty
        ones included; undated articles are left out. ``among`` restricts the count to
        those article ids; the timeline of all articles is computed once per interval.
        """
        if interval not in INTERVALS:
            raise InvalidArgument(
                f"unknown interval {interval!r}: expected one of {', '.join(INTERVALS)}")
        if among is None:
            if interval not in self._timelines:
                self._timelines[interval] = _buckets(self._dates(self.articles), interval)
            return self._timelines[interval]
        return _buckets(self._dates(among), interval)

    def timeline_of(self, selection: Selection | None = None, interval: str = "MONTH",
                    budget: Budget | None = None) -> tuple[list[Bucket], int]:
        """Return the :meth:`timeline` of the articles ``selection`` keeps, and how many of
        them have no date (and so are in no bucket)."""
        if selection is None or selection.empty:
            among = None
            undated = len(self.articles) - len(self._dates(self.articles))
        else:
            among = select_articles(self.kg, selection, budget=budget)
            undated = len(among) - len(self._dates(among))
        return self.timeline(interval, among), undated

    def _dates(self, articles: Iterable[str]) -> list[datetime]:
        g = self.kg.nx
        return [d for d in (g.nodes[a].get("published_at") for a in articles) if d is not None]


def _quiet(what: str) -> None:
    pass


def _most_first(counts: Counter[str]) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _bucket_start(when: datetime, interval: str) -> datetime:
    day = when.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if interval == "DAY":
        return day
    if interval == "WEEK":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def _next_start(start: datetime, interval: str) -> datetime:
    if interval == "DAY":
        return start + timedelta(days=1)
    if interval == "WEEK":
        return start + timedelta(days=7)
    return (start.replace(day=28) + timedelta(days=4)).replace(day=1)


def _label(start: datetime, interval: str) -> str:
    if interval == "DAY":
        return start.strftime("%Y-%m-%d")
    if interval == "WEEK":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    return start.strftime("%Y-%m")


def _buckets(dates: list[datetime], interval: str) -> list[Bucket]:
    if not dates:
        return []
    counts = Counter(_bucket_start(d, interval) for d in dates)
    first, last = min(counts), max(counts)
    out: list[Bucket] = []
    start = first
    while start <= last:
        if len(out) >= MAX_BUCKETS:
            raise InvalidArgument(
                f"the timeline would have more than {MAX_BUCKETS} {interval} buckets "
                f"({first:%Y-%m-%d} to {last:%Y-%m-%d}): use a longer interval or a "
                "narrower where")
        end = _next_start(start, interval)
        out.append(Bucket(start, end, _label(start, interval), counts.get(start, 0)))
        start = end
    return out
