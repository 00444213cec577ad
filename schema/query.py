"""The root Query, the schema and in-process execution."""

from __future__ import annotations

import functools
from collections.abc import AsyncGenerator, Iterable
from datetime import datetime
from typing import Annotated, Any

import strawberry
from graphql import GraphQLError, get_operation_ast, parse
from graphql import OperationType as OperationKind
from strawberry.extensions import MaskErrors
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types import ExecutionResult, Info
from strawberry.types.execution import PreExecutionError
from strawberry.types.graphql import OperationType

import graph
from graph import select
from graph.build import ARTICLE, PROVIDER, TOPIC
from graph.errors import shown
from graph.normalize import MAX_PHRASE_CHARS, MAX_PHRASE_WORDS
from schema.analytics import (
    CentralArticleConnection,
    Storyline,
    TimeInterval,
    Timeline,
    resolve_central,
    resolve_storyline,
    resolve_storylines,
    resolve_timeline,
)
from schema.cache import ParsedDocuments, ValidatedDocuments
from schema.codes import BAD_REQUEST
from schema.connections import (
    Connection,
    Edge,
    page_info,
    page_of,
)
from schema.cost import Cost, budget_of
from schema.counts import LoadCounts
from schema.datetimes import DATETIME
from schema.executor import PlannedExecutor
from schema.explore import resolve_paths
from schema.ingest import Mutation
from schema.inputs import (
    MAX_HOPS,
    AfterArg,
    ArticleOrder,
    BeforeArg,
    EdgeKind,
    ExcludeArg,
    FirstArg,
    FrontierArg,
    HopsArg,
    LastArg,
    LayoutArg,
    LimitArg,
    MaxHopsArg,
    NeighborhoodHopsArg,
    NeighborhoodWhereArg,
    NodeKindsArg,
    OrderArg,
    ViaArg,
    WhereArg,
    WithinKindsArg,
    selection_of,
)
from schema.limits import DeadlineResult, Limits, limited_stream, settings_of
from schema.live import GraphVersion
from schema.nodes import (
    Article,
    GraphEdge,
    Node,
    Provider,
    Topic,
    article_at,
    article_page,
    find_node,
    id_kind,
    kg_of,
    provider_at,
    topic_at,
)
from schema.operation import OneOperation
from schema.pipeline import QueryPipeline
from schema.settings import CEILINGS
from schema.subscriptions import Subscription, operation_context
from schema.traversal import (
    Path,
    Subgraph,
    WithinConnection,
    resolve_neighborhood,
    resolve_path,
    resolve_within,
)

MAX_IDS = CEILINGS["max_ids"]


# What an id of each kind is called in a message.
_OF_KIND = {TOPIC: "a topic's", PROVIDER: "a provider's", "storyline": "a storyline's",
            "edge": "an edge's"}


@strawberry.type(description="An edge kind with how many edges of it.")
class EdgeCount:
    kind: EdgeKind = strawberry.field(description="The edge kind.")
    count: int = strawberry.field(description="How many edges of that kind.")


@strawberry.type(description="Counts of the loaded graph.")
class Stats(LoadCounts):
    nodes: int = strawberry.field(description="All nodes.")
    edges: int = strawberry.field(description="All edges.")
    edges_by_kind: list[EdgeCount] = strawberry.field(description="Edges by kind.")
    graph_version: str | None = strawberry.field(default=None, description=(
        "The id of the graph version answering: a hash of the followed corpus's content "
        "(null for a graph loaded once, as by `serve --no-watch --cache`)."))
    version_made_at: datetime | None = strawberry.field(default=None, description=(
        "When this graph version was made (UTC)."))


@strawberry.type(description="A file or record that was skipped, rejected or warned about.")
class LoadProblem:
    path: str = strawberry.field(description="The file.")
    line: int | None = strawberry.field(description="1-based line, where the parser gave one.")
    reason: str = strawberry.field(description="What was wrong, in words.")


@strawberry.type(description="What the load read, built, skipped and rejected.")
class LoadReport(LoadCounts):
    files: int = strawberry.field(description="Record files read.")
    edges: list[EdgeCount] = strawberry.field(description="Edges by kind.")
    skipped: list[LoadProblem] = strawberry.field(description="Files that hold no records.")
    errors: list[LoadProblem] = strawberry.field(description="Rejected files and records.")
    warnings: list[LoadProblem] = strawberry.field(description=(
        "Records that loaded with something dropped or overridden (duplicates among them)."))


@strawberry.type(description="An article found by search, with where the text was found.")
class SearchEdge(Edge[Article]):
    matched_in: str = strawberry.field(description=(
        "The best field holding the text: 'title', 'excerpt', 'body' or 'topics'."))


@strawberry.type(description="A page of search results, best first.")
class SearchConnection(Connection[Article]):
    edges: list[SearchEdge] = strawberry.field(  # type: ignore[assignment]
        description="The results of this page.")


def _problems(items: list[graph.Problem]) -> list[LoadProblem]:
    return [LoadProblem(path=p.path, line=p.line, reason=p.reason) for p in items]


def _edge_counts(edges: dict[str, int]) -> list[EdgeCount]:
    return [EdgeCount(kind=EdgeKind(k), count=n) for k, n in edges.items()]


def _all_of_kind(kg: graph.KnowledgeGraph, kind: str) -> list[str]:
    return kg.index.ids_in_order(kind)


FromArg = Annotated[strawberry.ID, strawberry.argument(
    description="The start: a node id or an article URL.")]


@strawberry.type(description="The root of every newsgraph query.")
class Query:
    @strawberry.field(description=(
        "Any object by its global id, answering with its canonical id; null when none has "
        "it. After the prefix every spelling of the typed fields works: 'article:' and any "
        "URL of it, 'topic:' and a slug or name, 'provider:' and a domain, www. form or URL; "
        "also 'storyline:<16 hex digits>' and an edge's 'KIND:<source id>-><target id>'."))
    def node(self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(
            description="A global id, e.g. 'provider:sixthtone.com'.")]) -> Node | None:
        return find_node(kg_of(info), str(id))

    @strawberry.field(description="Objects by global id, in order; null for each id none has.")
    def nodes(self, info: Info, ids: Annotated[list[strawberry.ID], strawberry.argument(
            description=f"Global ids, at most {MAX_IDS}.")]) -> list[Node | None]:
        if len(ids) > MAX_IDS:
            raise graph.InvalidArgument(
                f"ids holds {len(ids)} ids; at most {MAX_IDS} are allowed")
        kg = kg_of(info)
        return [find_node(kg, str(i)) for i in ids]

    @strawberry.field(description=(
        "An article by URL (raw or canonical: tracking parameters, case of the host, a "
        "trailing slash do not matter) or by id; null when unknown, an error when `url` "
        "is no http(s) URL."))
    def article(self, info: Info,
                url: Annotated[str | None, strawberry.argument(
                    description="Its webUrl or originalUrl.")] = None,
                id: Annotated[strawberry.ID | None, strawberry.argument(
                    description="Its id, 'article:<url>'.")] = None) -> Article | None:
        kg = kg_of(info)
        if (url is None) == (id is None):
            raise graph.InvalidArgument("article takes exactly one of `url` or `id`")
        if id is not None:
            other = id_kind(str(id))
            if other not in (None, ARTICLE):  # it answered null, as for a story not held
                raise graph.InvalidArgument(
                    f"{shown(str(id))} is {_OF_KIND[other]} id, not an article's: "
                    "article(id:) takes 'article:<url>'; node(id:) takes an id of any kind")
            node = find_node(kg, str(id))
            return node if isinstance(node, Article) else None
        assert url is not None  # exactly one of the two was given
        found = article_at(kg, url)
        return Article.from_node(kg, found) if found else None

    @strawberry.field(description=(
        "A topic by slug or by any spelling of its name; null when unknown."))
    def topic(self, info: Info, slug: Annotated[str, strawberry.argument(
            description="E.g. 'facial-recognition' or 'Facial Recognition'.")]) -> Topic | None:
        kg = kg_of(info)
        found = topic_at(kg, slug)
        return Topic.from_node(kg, found) if found else None

    @strawberry.field(description=(
        "A provider by domain (a URL or www. form works); null when unknown."))
    def provider(self, info: Info, domain: Annotated[str, strawberry.argument(
            description="E.g. 'sixthtone.com', 'www.sixthtone.com' or a URL on it.")]
                 ) -> Provider | None:
        kg = kg_of(info)
        found = provider_at(kg, domain)
        return Provider.from_node(kg, found) if found else None

    @strawberry.field(description="Articles, filtered and ordered.")
    def articles(self, info: Info, where: WhereArg = None,
                 order_by: OrderArg = ArticleOrder.PUBLISHED_AT_DESC,
                 first: FirstArg = None, after: AfterArg = None, last: LastArg = None,
                 before: BeforeArg = None) -> Connection[Article]:
        kg = kg_of(info)
        ids = select.select_articles(kg, selection_of(where), order_by.value,
                                     budget=budget_of(info))
        return article_page(info, ids, first, after, last, before, (where, order_by))

    @strawberry.field(description="All topics, by slug.")
    def topics(self, info: Info, first: FirstArg = None, after: AfterArg = None,
               last: LastArg = None, before: BeforeArg = None) -> Connection[Topic]:
        kg = kg_of(info)
        return Connection[Topic].of(info, _all_of_kind(kg, TOPIC),
                                    lambda n: Topic.from_node(kg, n), first, after, last, before)

    @strawberry.field(description="All providers, by domain.")
    def providers(self, info: Info, first: FirstArg = None, after: AfterArg = None,
                  last: LastArg = None, before: BeforeArg = None) -> Connection[Provider]:
        kg = kg_of(info)
        return Connection[Provider].of(info, _all_of_kind(kg, PROVIDER),
                                       lambda n: Provider.from_node(kg, n), first, after, last,
                                       before)

    @strawberry.field(description=(
        "Articles holding every word of `text`, best first: the whole phrase in the title, "
        "then in the excerpt, then in the body; then newest first. Null, with a NOT_READY "
        "error, while a server builds its search index after its load."))
    def search(self, info: Info, text: Annotated[str, strawberry.argument(
            description=f"Words to find, e.g. 'facial recognition': at most "
                        f"{MAX_PHRASE_WORDS} words and {MAX_PHRASE_CHARS} characters.")],
               first: FirstArg = None, after: AfterArg = None, last: LastArg = None,
               before: BeforeArg = None) -> SearchConnection | None:
        kg = kg_of(info)
        # Articles read to rank a phrase count as visits of the request's budget, which
        # also ends the search at the request's deadline.
        budget = budget_of(info)
        hits = select.search(kg, text, budget.charge if budget else None)
        page = page_of(info, hits, first, after, last, before, (text,))
        return SearchConnection(
            edges=[SearchEdge(cursor=page.cursor(i), node=Article.from_node(kg, n),
                              matched_in=field) for i, (n, field) in page.items],
            page_info=page_info(page), total_count=page.total)

    @strawberry.field(description="Counts of the loaded graph.")
    def stats(self, info: Info) -> Stats:
        kg = kg_of(info)
        r = kg.report
        return Stats(records=r.records, articles=r.articles, stubs=r.stubs,
                     providers=r.providers, topics=r.topics, nodes=kg.counts["nodes"],
                     edges=kg.counts["edges"], edges_by_kind=_edge_counts(r.edges),
                     graph_version=kg.version, version_made_at=kg.made_at)

    @strawberry.field(description="The report of the load this server runs on.")
    def load_report(self, info: Info) -> LoadReport:
        r = kg_of(info).report
        return LoadReport(files=r.files, records=r.records, articles=r.articles, stubs=r.stubs,
                          providers=r.providers, topics=r.topics, edges=_edge_counts(r.edges),
                          skipped=_problems(r.skipped), errors=_problems(r.errors),
                          warnings=_problems(r.warnings))

    @strawberry.field(description=(
        "Nodes within `hops` of `from`: see Traversable.within. The question newsgraph exists for: "
        "within(from: <story>, hops: 2, where: {mentions: \"facial recognition\"})."))
    def within(self, info: Info, from_: Annotated[strawberry.ID, strawberry.argument(
            name="from", description="The start: a node id or an article URL.")],
               hops: HopsArg = 2, via: ViaArg = None, where: WhereArg = None,
               kinds: WithinKindsArg = None,
               first: FirstArg = None, after: AfterArg = None, last: LastArg = None,
               before: BeforeArg = None) -> WithinConnection:
        return resolve_within(kg_of(info), str(from_), hops, via, where, kinds, first, after,
                              last, before, budget_of(info))

    @strawberry.field(description=(
        "The subgraph around one or more seeds, walked breadth-first (seeds first, then by "
        "hops): see Traversable.neighborhood. Expand with `exclude`, page with `after`."))
    def neighborhood(self, info: Info, from_: Annotated[list[strawberry.ID], strawberry.argument(
            name="from", description="Seeds: node ids or article URLs (one id works too).")],
                     hops: NeighborhoodHopsArg = 1, via: ViaArg = None, limit: LimitArg = 200,
                     kinds: NodeKindsArg = None, where: NeighborhoodWhereArg = None,
                     exclude: ExcludeArg = None, after: FrontierArg = None,
                     layout: LayoutArg = None) -> Subgraph:
        return resolve_neighborhood(kg_of(info), [str(s) for s in from_], hops, via, limit,
                                    kinds, where, exclude, after, layout, budget_of(info))

    @strawberry.field(description=(
        "A shortest path between two nodes; null when none within maxHops."))
    def path_to(self, info: Info, from_: Annotated[strawberry.ID, strawberry.argument(
            name="from", description="The start: a node id or an article URL.")],
                id: Annotated[strawberry.ID, strawberry.argument(
                    description="The node to reach: a node id or an article URL.")],
                via: ViaArg = None, max_hops: MaxHopsArg = MAX_HOPS,
                ) -> Path | None:
        return resolve_path(kg_of(info), str(from_), str(id), via, max_hops, budget_of(info))

    @strawberry.field(description=(
        "Up to `k` shortest simple paths between two nodes, shortest first, each edge with "
        "its evidence and each pair of consecutive stories with why they are linked; empty "
        "when none is within maxHops or a node is unknown."))
    def paths(self, info: Info, from_: Annotated[strawberry.ID, strawberry.argument(
            name="from", description="The start: a node id or an article URL.")],
              to: Annotated[strawberry.ID, strawberry.argument(
                  description="The end: a node id or an article URL.")],
              k: Annotated[int, strawberry.argument(
                  description=f"At most this many paths: 1 to {CEILINGS['max_paths']}.")] = 3,
              max_hops: MaxHopsArg = MAX_HOPS,
              via: ViaArg = None,
              ) -> list[Path]:
        return resolve_paths(kg_of(info), str(from_), str(to), k, max_hops, via,
                             budget_of(info))

    @strawberry.field(description=(
        "Storylines: communities of stories joined by related links, shared topics and "
        "copies of one story, largest first; computed once per load. Null, with a "
        "NOT_READY error, while a server computes them after its load."))
    def storylines(self, info: Info, first: FirstArg = None, after: AfterArg = None,
                   last: LastArg = None, before: BeforeArg = None,
                   ) -> Connection[Storyline] | None:
        return resolve_storylines(info, first, after, last, before)

    @strawberry.field(description="A storyline by id; null when unknown.")
    def storyline(self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(
            description="'storyline:<16 hex digits>'.")]) -> Storyline | None:
        return resolve_storyline(kg_of(info), str(id))

    @strawberry.field(description=(
        "Articles by PageRank in the article graph (related links, shared topics, copies), "
        "highest first. Null, with a NOT_READY error, while a server computes it after its "
        "load."))
    def central_articles(self, info: Info, where: WhereArg = None, first: FirstArg = None,
                         after: AfterArg = None, last: LastArg = None,
                         before: BeforeArg = None) -> CentralArticleConnection | None:
        return resolve_central(kg_of(info), where, first, after, last, before,
                               budget_of(info))

    @strawberry.field(description="How many articles were published per day, week or month.")
    def timeline(self, info: Info, where: WhereArg = None,
                 interval: Annotated[TimeInterval, strawberry.argument(
                     description="The bucket size; a month by default.")] = TimeInterval.MONTH,
                 ) -> Timeline:
        return resolve_timeline(kg_of(info), where, interval, budget_of(info))


def should_mask(error: GraphQLError) -> bool:
    """Mask unexpected exceptions raised while resolving; keep errors meant for the client."""
    original = error.original_error
    return original is not None and not isinstance(original, graph.NewsgraphError | GraphQLError)


def _masking() -> MaskErrors:
    return MaskErrors(should_mask_error=should_mask)


# Parsed and validated documents are cached (keyed by the text, and for validation by
# the rules too): explorers send the same few documents with new variables.
# ValidatedDocuments keeps validations by the document's identity (Strawberry's
# ValidationCache hashes the whole document each time); Strawberry's ParserCache raises a
# parse error from inside its hook, past Limits, so the max-tokens error would lose
# the name of its setting. ParsedDocuments leaves a failing parse to the normal path.
# MaxTokensLimiter, QueryDepthLimiter and MaxAliasesLimiter take their numbers when
# the schema is built, once per process, while the limits are each server's settings
# (per request context): Limits applies the same parse option and the latter two's
# validation rules with the request's numbers. An ordinary query runs them all as
# schema/pipeline.py's QueryPipeline, without the per-request extension machinery.
EXTENSIONS = (_masking, Limits, Cost, GraphVersion, ParsedDocuments, ValidatedDocuments,
              OneOperation)


class NewsgraphSchema(strawberry.Schema):
    """The schema, logging only errors that are not the client's own doing, and running
    queries executed synchronously as plans (schema/plan.py), an ordinary query through
    :class:`~schema.pipeline.QueryPipeline`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pipeline = QueryPipeline(self, _masking)

    def execute_sync(self, query: str | None, variable_values: dict[str, Any] | None = None,
                     context_value: Any | None = None, root_value: Any | None = None,
                     operation_name: str | None = None,
                     allowed_operation_types: Iterable[OperationType] | None = None,
                     operation_extensions: dict[str, Any] | None = None) -> ExecutionResult:
        if tuple(self.extensions) == EXTENSIONS and not self.directives \
                and issubclass(self.execution_context_class, PlannedExecutor):
            result = self.pipeline.run(query, variable_values, context_value, root_value,
                                       operation_name, allowed_operation_types,
                                       operation_extensions)
            if result is not None:
                return result
        return super().execute_sync(query, variable_values, context_value, root_value,
                                    operation_name, allowed_operation_types,
                                    operation_extensions)

    async def stream(self, query: str | None, variable_values: dict[str, Any] | None = None,
                     context_value: Any | None = None, root_value: Any | None = None,
                     operation_name: str | None = None,
                     operation_extensions: dict[str, Any] | None = None,
                     allowed_operation_types: Iterable[OperationType] | None = None) -> Any:
        """Strawberry's stream (WebSocket and other streaming transports) under the limits
        an HTTP request is answered with (:func:`schema.limits.limited_stream`)."""
        parent = super().stream
        context_value = operation_context(context_value)  # a WebSocket's: per operation
        off_loop = context_value.get("off_loop") if isinstance(context_value, dict) else None

        def stream() -> Any:
            if off_loop is not None and not _may_subscribe(query, operation_name):
                # A WebSocket's query or mutation: in an operation thread, as HTTP's.
                call = functools.partial(self.execute_sync, query, variable_values,
                                         context_value, root_value, operation_name,
                                         allowed_operation_types, operation_extensions)
                return _answered_off_loop(off_loop, call, context_value, query,
                                          operation_name)
            return parent(query, variable_values, context_value, root_value, operation_name,
                          operation_extensions, allowed_operation_types)

        return limited_stream(settings_of(context_value), query, stream)

    async def subscribe(self, query: str | None, variable_values: dict[str, Any] | None = None,
                        context_value: Any | None = None, root_value: Any | None = None,
                        operation_name: str | None = None,
                        operation_extensions: dict[str, Any] | None = None) -> Any:
        """Run any operation as a stream: a subscription's events, or a query's or a
        mutation's one answer. Strawberry's handler of the legacy ``graphql-ws``
        protocol (Apollo's, which gql's websockets transport offers first) sends every
        operation here, and Strawberry's own ``subscribe`` refuses all but
        subscriptions, which a client saw as "Unexpected error."; the protocol carries
        queries and mutations too, as ``graphql-transport-ws`` does (through ``stream``).
        """
        return await self.stream(query, variable_values=variable_values,
                                 context_value=context_value, root_value=root_value,
                                 operation_name=operation_name,
                                 operation_extensions=operation_extensions)

    def _get_custom_context_kwargs(self, operation_extensions: dict[str, Any] | None = None,
                                   *, sync: bool = False) -> dict[str, Any]:
        kwargs = super()._get_custom_context_kwargs(operation_extensions, sync=sync)
        if issubclass(self.execution_context_class, PlannedExecutor):
            kwargs["planned"] = sync
        return kwargs

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        unexpected = [e for e in errors if should_mask(e)]
        if unexpected:
            super().process_errors(unexpected, execution_context)


def _may_subscribe(query: str | None, operation_name: str | None) -> bool:
    """Whether the operation ``query`` runs may be a subscription (one that cannot be
    parsed is not: it is answered with its syntax error)."""
    if not isinstance(query, str) or "subscription" not in query:
        return False
    try:
        operation = get_operation_ast(parse(query), operation_name)
    except GraphQLError:
        return False
    return operation is None or operation.operation is OperationKind.SUBSCRIPTION


async def _answered_off_loop(off_loop: Any, call: Any, context: Any, query: str | None,
                             operation_name: str | None,
                             ) -> AsyncGenerator[ExecutionResult, None]:
    """The one result of ``call`` run by ``off_loop`` (schema/http.py), as a stream; one
    that failed before it ran (a document that does not parse or validate: errors in
    the document, at no path, no data) said as such, as Strawberry's stream says it;
    one answered at its deadline (:class:`~schema.limits.DeadlineResult`) is a result,
    as over HTTP."""
    result = await off_loop(call, context, query, operation_name)
    if result.errors and result.data is None and not isinstance(result, DeadlineResult) \
            and all(e.path is None for e in result.errors):
        result = PreExecutionError(data=None, errors=result.errors,
                                   extensions=result.extensions)

    async def one() -> AsyncGenerator[ExecutionResult, None]:
        yield result

    return one()


schema = NewsgraphSchema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    types=[Article, Topic, Provider, Storyline, GraphEdge],
    extensions=list(EXTENSIONS),
    execution_context_class=PlannedExecutor,
    scalar_overrides={datetime: DATETIME},
)


_IN_PROCESS = frozenset({OperationType.QUERY, OperationType.MUTATION})
_STREAMS = ("a subscription streams from a server: subscribe over a WebSocket to `newsgraph "
            "serve`'s /graphql; run in-process, a document is a query or a mutation")


def execute(kg: graph.KnowledgeGraph, document: str,
            variables: dict[str, Any] | None = None, *, planned: bool = True
            ) -> dict[str, Any]:
    """Run a query in-process; return the response as JSON-ready data. ``planned=False``
    runs it on graphql-core's standard executor instead of as a plan (schema/plan.py)."""
    context: dict[str, Any] = {"kg": kg} if planned else {"kg": kg, "planned": False}
    try:
        result = schema.execute_sync(document, variable_values=variables,
                                     context_value=context, allowed_operation_types=_IN_PROCESS)
    except InvalidOperationTypeError:
        # A subscription run once had no value to give: "Unexpected error." and a logged
        # traceback. (Only a subscription is left out, so only it is refused here.)
        return {"errors": [{"message": _STREAMS, "extensions": {"code": BAD_REQUEST}}],
                "data": None}
    response: dict[str, Any] = {}
    if result.errors:
        response["errors"] = [e.formatted for e in result.errors]
    response["data"] = result.data
    return response
