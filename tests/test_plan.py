"""Queries run as plans (schema/plan.py, schema/executor.py) answer exactly as
graphql-core's standard executor does: data, nulls, errors (message, path, locations,
extensions, masking) and ``extensions`` (cost, graph version), for every query of the
tests and the docs and for queries Hypothesis writes from the schema.

Each query runs twice through the same schema and extensions, once planned and once with
the standard executor (Strawberry's own execution context class, with the schema's checks
of the variables: schema.executor.CheckedExecutor), on fresh budgets.
"""

from __future__ import annotations

import ast
import itertools
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import graphql
import hypothesis_graphql
import pytest
from docs_examples import ROOT, all_examples, at_root
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_fuzz_graphql import SDL, _scalars

import graph
from graph.build import provider_id
from schema.cost import RequestBudget
from schema.executor import CheckedExecutor, PlannedExecutor
from schema.pipeline import QueryPipeline
from schema.query import schema
from schema.settings import Settings

CORPUS = Path(__file__).parent / "fixtures" / "corpus"


def _test_documents() -> list[tuple[str, str]]:
    """Every string literal of tests/*.py that parses as a GraphQL operation, with where
    it was found (f-strings and strings built at run time are not read)."""
    found: dict[str, str] = {}
    for path in sorted(Path(__file__).parent.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Constant) and isinstance(node.value, str)
                    and "{" in node.value):
                continue
            try:
                document = graphql.parse(node.value)
            except (graphql.GraphQLError, RecursionError):
                continue
            if any(isinstance(d, graphql.OperationDefinitionNode) for d in document.definitions):
                found.setdefault(node.value, f"{path.name}:{node.lineno}")
    return sorted(found.items(), key=lambda item: item[1])


TEST_DOCUMENTS = _test_documents()
DOC_EXAMPLES = [e for e in all_examples() if e.lang == "graphql"]


def respond(kg: graph.KnowledgeGraph, query: str, variables: dict[str, Any] | None = None,
            operation_name: str | None = None, context: dict[str, Any] | None = None,
            ) -> dict[str, Any]:
    result = schema.execute_sync(query, variable_values=variables,
                                 context_value={"kg": kg, **(context or {})},
                                 operation_name=operation_name)
    return {"data": result.data, "errors": [e.formatted for e in result.errors or ()],
            "extensions": result.extensions}


@dataclass
class Ran:
    """What the planned run ran: how many selections the plan ran (none: it fell back to
    the standard executor; the object is then false), and whether the request went
    through schema/pipeline.py's QueryPipeline rather than Strawberry's extensions."""

    selections: int = 0
    pipeline: int = 0

    def __bool__(self) -> bool:
        return self.selections > 0


def both(monkeypatch: pytest.MonkeyPatch, kg: graph.KnowledgeGraph, query: str,
         variables: dict[str, Any] | None = None, operation_name: str | None = None,
         context: Any = None) -> tuple[dict[str, Any], dict[str, Any], Ran]:
    """Return the planned and the standard response, and what the planned run ran."""
    ran = Ran()
    run_fields = PlannedExecutor.run_fields
    execute = QueryPipeline.execute

    def counting(self: PlannedExecutor, *args: Any) -> Any:
        ran.selections += 1
        return run_fields(self, *args)

    def piped(self: QueryPipeline, *args: Any) -> Any:
        ran.pipeline += 1
        return execute(self, *args)

    with monkeypatch.context() as m:
        m.setattr(PlannedExecutor, "run_fields", counting)
        m.setattr(QueryPipeline, "execute", piped)
        planned = respond(kg, query, variables, operation_name,
                          context() if callable(context) else context)
    with monkeypatch.context() as m:
        # Strawberry's executor, with the schema's checks of the variables (CheckedExecutor)
        # but without plans
        m.setattr(schema, "execution_context_class", CheckedExecutor)
        standard = respond(kg, query, variables, operation_name,
                           context() if callable(context) else context)
    return planned, standard, ran


@pytest.fixture(scope="module")
def kg(tmp_path_factory: pytest.TempPathFactory) -> graph.KnowledgeGraph:
    corpus = tmp_path_factory.mktemp("plan") / "corpus"
    shutil.copytree(CORPUS, corpus)
    kg = graph.load(corpus)
    kg.analytics.install(kg.analytics.compute_all())
    return kg


@pytest.fixture(scope="module")
def data_kg() -> graph.KnowledgeGraph:
    with at_root():
        kg = graph.follow(Path("data")).current()
    kg.analytics.install(kg.analytics.compute_all())
    return kg


def _values(kg: graph.KnowledgeGraph) -> dict[str, list[Any]]:
    """Values to give variables, by kind: known ids of each kind, unknown and malformed
    ones, so that queries meet answers, nulls and errors."""
    nodes = kg.nx.nodes
    ids = {kind: sorted(n for n, d in nodes(data=True) if d["kind"] == kind)
           for kind in ("article", "topic", "provider")}
    article = next(n for n in ids["article"] if not nodes[n].get("is_stub"))
    return {
        "ID": [article, ids["topic"][0], ids["provider"][0], "article:https://nowhere.example/x",
               "nonsense"],
        "url": [nodes[article]["url"], "https://nowhere.example/x", "not a url"],
        "slug": [nodes[ids["topic"][0]]["slug"], "no-such-topic"],
        "domain": [nodes[ids["provider"][0]]["domain"], "nowhere.example"],
        "String": ["facial recognition", "police", ""],
        "Int": [3, 1, 0, 100_000],
        "Float": [0.5],
        "Boolean": [True, False],
        "DateTime": ["2022-01-01T00:00:00Z"],
    }


def _value(type_: Any, name: str, values: dict[str, list[Any]], k: int) -> Any:
    if isinstance(type_, graphql.GraphQLNonNull):
        return _value(type_.of_type, name, values, k)
    if isinstance(type_, graphql.GraphQLList):
        return [_value(type_.of_type, name, values, k)]
    if isinstance(type_, graphql.GraphQLEnumType):
        names = list(type_.values)
        return names[k % len(names)]
    if isinstance(type_, graphql.GraphQLInputObjectType):
        return {}
    pool = values.get(name.lower()) if type_.name in ("String", "ID") else None
    pool = pool or values.get(type_.name) or ["x"]
    return pool[k % len(pool)]


def _variants(document: graphql.DocumentNode, operation: graphql.OperationDefinitionNode,
              values: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """Variable values for an operation: a few variants that pick different values."""
    definitions = operation.variable_definitions or ()
    if not definitions:
        return [{}]
    out = []
    for k in range(3):
        variables = {}
        for definition in definitions:
            type_ = graphql.type_from_ast(schema._schema, definition.type)
            if type_ is None:
                continue
            variables[definition.variable.name.value] = _value(
                type_, definition.variable.name.value, values, k)
        out.append(variables)
    return out


@pytest.mark.parametrize("query", [q for q, _ in TEST_DOCUMENTS],
                         ids=[where for _, where in TEST_DOCUMENTS])
def test_every_query_of_the_tests_answers_as_the_standard_executor(monkeypatch, kg, query):
    document = graphql.parse(query)
    valid = not graphql.validate(schema._schema, document)
    values = _values(kg)
    operations = [d for d in document.definitions
                  if isinstance(d, graphql.OperationDefinitionNode)]
    for operation in operations:
        name = operation.name.value if operation.name else None
        for variables in _variants(document, operation, values):
            planned, standard, ran = both(monkeypatch, kg, query, variables,
                                          name if len(operations) > 1 else None)
            assert planned == standard, (variables, planned, standard)
            if (valid and operation.operation == graphql.OperationType.QUERY
                    and planned["data"] is not None):
                assert ran, "the plan did not run this query"
                # A document of one query goes through the pipeline (several: the
                # extensions' pipeline, which checks the operation named).
                assert ran.pipeline == (len(operations) == 1), "not through the pipeline"


@pytest.mark.parametrize("example", DOC_EXAMPLES, ids=[e.name for e in DOC_EXAMPLES])
def test_every_query_of_the_docs_answers_as_the_standard_executor(monkeypatch, data_kg,
                                                                   example):
    planned, standard, ran = both(monkeypatch, data_kg, example.source, example.variables)
    assert planned == standard
    assert ran or not planned["data"]
    assert ran.pipeline or not planned["data"]


def test_the_queries_are_found():
    """The collection above reads what it should: many tests' and every page's queries."""
    assert len(TEST_DOCUMENTS) >= 80
    pages = {e.page.relative_to(ROOT).as_posix() for e in DOC_EXAMPLES}
    assert {"README.md", "docs/api.md", "docs/explorer.md"} <= pages


@pytest.fixture(scope="module")
def generated(kg):
    scalars = _scalars(kg)
    roots = sorted(graphql.build_schema(SDL).query_type.fields)
    return st.one_of([hypothesis_graphql.queries(SDL, fields=[name], custom_scalars=scalars)
                      for name in roots])


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                 HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_generated_queries_answer_as_the_standard_executor(monkeypatch, kg, generated, data):
    query = data.draw(generated)
    planned, standard, _ = both(monkeypatch, kg, query)
    assert planned == standard


# Selections the generator does not write: fragments, aliases merged with fragments,
# @skip/@include (literal and from variables), __typename, introspection.
SHAPES = [
    ("""query Q($yes: Boolean!, $no: Boolean!, $from: ID!) {
          within(from: $from, hops: 2, first: 5) {
            totalCount @include(if: $yes)
            edges @skip(if: $no) { hops ...N node { __typename ... on Article { t: title } } }
            pageInfo @skip(if: $yes) { hasNextPage }
          }
        }
        fragment N on WithinEdge { node { id ... on Topic { slug } ... on Article { title
          provider { ...P } } } }
        fragment P on Provider { domain name articleCount }""", {"yes": True, "no": False}),
    ("same", {"yes": False, "no": True}),
    ("""{ a: articles(first: 2) { edges { node { id title } } }
          b: articles(first: 1, orderBy: PUBLISHED_AT_ASC) { totalCount
            edges { cursor node { ... on Node { id } ... on Article { isStub } } } }
          __typename }""", None),
    ("""{ __schema { queryType { name } } __type(name: "Article") { name kind } }""", None),
    ("""{ nodes(ids: ["topic:police", "article:https://nowhere.example/x",
                       "provider:sixthtone.com"]) {
          __typename id ... on Topic { name articleCount } } }""", None),
]


@pytest.mark.parametrize("shape", range(len(SHAPES)))
def test_fragments_directives_and_aliases_answer_as_the_standard_executor(monkeypatch, kg,
                                                                         shape):
    query, variables = SHAPES[shape]
    if query == "same":
        query = SHAPES[shape - 1][0]
    if variables is not None:
        variables = {**variables, "from": _values(kg)["ID"][0]}
    planned, standard, ran = both(monkeypatch, kg, query, variables)
    assert planned == standard
    assert ran and planned["data"] is not None


WIDE = """query W($from: ID!) {
  within(from: $from, hops: 2, first: 50) {
    totalCount
    edges { hops cursor node { id ... on Article { title url publishedAt
      provider { name domain } topics { slug name } } } path { id } }
  }
}"""


@pytest.mark.parametrize("limit", ["max_objects", "max_visits"])
def test_limits_stop_a_query_at_the_same_field(monkeypatch, kg, limit):
    """The objects and visits limits stop both runs at the same field (the deadline is
    read less often by the plan: below); each limit is tried at every size up to the
    query's own cost, with a clock that stands still."""
    start = _values(kg)["ID"][0]
    hit = 0
    for size in itertools.chain(range(1, 40), range(40, 400, 7)):
        config = Settings(**{limit: size})

        def context(config: Settings = config) -> dict[str, Any]:
            return {"settings": config, "budget": RequestBudget(config, clock=lambda: 0.0)}

        planned, standard, _ = both(monkeypatch, kg, WIDE, {"from": start}, context=context)
        assert planned == standard, size
        hit += any("LIMIT_EXCEEDED" == e.get("extensions", {}).get("code")
                   for e in planned["errors"])
    assert hit  # the limit was met at some size, not never


def _agrees(part: Any, full: Any) -> bool:
    """Whether an answer cut short holds nothing the full answer does not: each value is
    the full answer's at the same path, or null where the cut fell."""
    if part is None:
        return True
    if isinstance(part, dict):
        return isinstance(full, dict) and part.keys() == full.keys() \
            and all(_agrees(v, full[k]) for k, v in part.items())
    if isinstance(part, list):
        return isinstance(full, list) and len(part) == len(full) \
            and all(_agrees(v, w) for v, w in zip(part, full, strict=True))
    return part == full


def test_the_deadline_stops_a_planned_query_at_an_object(monkeypatch, kg):
    """The plan reads the clock before the first field of every object, and before every
    field that runs a resolver, as the standard executor does; not before each of the
    fields read from the object or its node, whose work is bounded by the selection. With
    a clock that ticks once per reading, tried at every size up to the query's own cost:
    the plan reads the clock at least once per object returned and never more often than
    the standard executor, so it meets the deadline no sooner than it at the same point of
    the answer; cut short, it answers the same timeout error, said once, and nothing the
    full answer does not hold; not cut, the full answer and its cost."""
    start = _values(kg)["ID"][0]
    full, _, _ = both(monkeypatch, kg, WIDE, {"from": start})
    assert not full["errors"]
    objects = full["extensions"]["cost"]["actual"]["objects"]
    hit = 0
    for size in itertools.chain(range(1, 40), range(40, 400, 7)):
        config = Settings(timeout=size)
        reads: list[int] = []

        def context(config: Settings = config, reads: list[int] = reads) -> dict[str, Any]:
            ticks = itertools.count()

            def clock() -> float:
                reads[-1] += 1
                return float(next(ticks))
            reads.append(0)
            return {"settings": config, "budget": RequestBudget(config, clock=clock)}

        planned, standard, _ = both(monkeypatch, kg, WIDE, {"from": start}, context=context)
        planned_reads, standard_reads = reads
        assert planned_reads <= standard_reads, size
        if not planned["errors"]:
            assert planned["data"] == full["data"], size
            for part in ("requested", "actual"):
                assert planned["extensions"]["cost"][part] == full["extensions"]["cost"][part]
            assert planned_reads >= objects, size
            continue
        hit += 1
        assert standard["errors"], size  # the standard executor was stopped no later
        [error] = planned["errors"]
        assert error["extensions"] == {"code": "LIMIT_EXCEEDED", "limit": "timeout",
                                       "max": size}
        assert error["message"] == standard["errors"][0]["message"]
        assert _agrees(planned["data"], full["data"]), size
    assert hit  # the deadline was met at some size, not never


@pytest.mark.parametrize("failure", ["raises", "answers null"])
def test_unexpected_errors_are_masked_and_nulls_propagate_alike(monkeypatch, kg, failure):
    """A resolver failing under a non-null field (raising unexpectedly, or answering
    null): masked, located, and the null carried up to the nearest nullable parent, as
    the standard executor does."""
    from schema import nodes

    real = nodes.Provider.from_node
    broken = _values(kg)["ID"][2]

    def failing(kg: graph.KnowledgeGraph, node_id: str) -> Any:
        if node_id != broken:
            return real(kg, node_id)
        if failure == "raises":
            raise ValueError("a bug")
        return None

    monkeypatch.setattr(nodes.Provider, "from_node", staticmethod(failing))
    planned, standard, ran = both(monkeypatch, kg, WIDE, {"from": broken})
    assert planned == standard
    # "Cannot return null for non-nullable field Article.provider." is masked too.
    assert [e["path"] for e in planned["errors"] if e["message"] == "Unexpected error."]
    assert ran


def _ticking(config: Settings) -> dict[str, Any]:
    ticks = itertools.count()
    return {"settings": config,
            "budget": RequestBudget(config, clock=lambda: float(next(ticks)))}


# What schema/pipeline.py does in the extensions' stead, each case on its own: the
# answer, the graph version, the timeout said once, the estimate's refusal, masking,
# limits named in validation errors, and what it leaves to Strawberry's pipeline.
PIPELINE_CASES = {
    "answer": (WIDE, None, True),
    "timeout": (WIDE, lambda: _ticking(Settings(timeout=8)), True),
    "estimate refused": (WIDE, lambda: {"settings": Settings(max_objects=5)}, True),
    "visits": (WIDE, lambda: {"settings": Settings(max_visits=3)}, True),
    "too deep": (WIDE, lambda: {"settings": Settings(max_depth=2)}, False),
    "suggestions in production": ("query W($from: ID!) { within(from: $from) { totlCount } }",
                                  lambda: {"settings": Settings(production=True)}, False),
    "too long": (WIDE + " " * 16_384, None, False),
    "two operations": (WIDE + " query Other { stats { articles } }", None, False),
}


@pytest.mark.parametrize("case", list(PIPELINE_CASES))
@pytest.mark.parametrize("broken", [False, True])
def test_the_pipeline_answers_as_the_extensions_do(monkeypatch, data_kg, case, broken):
    """A request answered by QueryPipeline answers as Strawberry's extensions answer
    it, the plan running in both (and on a graph with a version: graphVersion)."""
    from schema import nodes

    query, context, pipelined = PIPELINE_CASES[case]
    start = sorted(n for n, d in data_kg.nx.nodes(data=True)
                   if d["kind"] == "article" and not d.get("is_stub"))[0]
    if broken:  # an unexpected error: logged, masked, its null carried up
        real = nodes.Provider.from_node

        def failing(kg: graph.KnowledgeGraph, node_id: str) -> Any:
            if node_id == provider_id(data_kg[start]["provider"]):
                raise ValueError("a bug")
            return real(kg, node_id)
        monkeypatch.setattr(nodes.Provider, "from_node", staticmethod(failing))
    answers = []
    execute = QueryPipeline.execute
    for through in (True, False):
        ran = Ran()

        def piped(self: QueryPipeline, *args: Any, ran: Ran = ran) -> Any:
            ran.pipeline += 1
            return execute(self, *args)

        with monkeypatch.context() as m:
            m.setattr(QueryPipeline, "execute", piped)
            if not through:
                m.setattr(QueryPipeline, "run", lambda *_: None)
            answers.append(respond(data_kg, query, {"from": start},
                                   context=context() if context else None))
        assert ran.pipeline == (through and pipelined)
    assert answers[0] == answers[1]
    assert answers[0]["extensions"].get("graphVersion") or not pipelined
    assert answers[0]["errors"] or (case == "answer" and not broken)


def test_a_mutation_runs_on_the_standard_executor(monkeypatch, kg):
    query = 'mutation { retract(url: "https://nowhere.example/x") { __typename } }'
    planned, standard, ran = both(monkeypatch, kg, query)
    assert planned == standard
    assert not ran


# The paths this round added to the plan: a node's view read from the node's attributes
# (schema/nodeview.py), selections compiled to one function (schema/runner.py), and plain
# resolvers with arguments converted by the plan's converters (schema/convert.py).

def _counting(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Count how often each new path runs in the planned executor."""
    from schema import executor as executor_module
    from schema import plan, runner

    counts = {"compiled": 0, "calls": 0, "arguments": 0}
    compile_selection = runner.compile_selection
    argument_reader = plan.argument_reader

    def reading(*args: Any) -> Any:
        read = argument_reader(*args)
        if read is None:
            return None

        def counted(variable_values: Any) -> Any:
            found = read(variable_values)
            counts["arguments"] += found is not None
            return found
        return counted

    def compiling(*args: Any) -> Any:
        run = compile_selection(*args)

        def counted(*args: Any) -> Any:
            counts["compiled"] += 1
            return run(*args)
        return counted

    call = PlannedExecutor._call

    def calling(self: PlannedExecutor, *args: Any) -> Any:
        counts["calls"] += 1
        return call(self, *args)

    monkeypatch.setattr(executor_module, "compile_selection", compiling)
    monkeypatch.setattr(PlannedExecutor, "_call", calling)
    monkeypatch.setattr(plan, "argument_reader", reading)
    monkeypatch.setattr(plan.PLANS, "_documents", type(plan.PLANS._documents)())  # afresh
    return counts


# Arguments read from variables (schema/arguments.py): given, absent (the argument's
# default, or the variable's), null, inside an input object and a list literal, and
# the ones graphql-core refuses (null for a non-null argument), each with its error.
VARIABLES = """query V($from: ID = "nonsense", $hops: Int, $first: Int = 3, $m: String,
                       $kinds: [NodeKind!], $topic: String! = "surveillance") {
  within(from: $from, hops: $hops, first: $first, kinds: $kinds,
         where: {mentions: $m, topics: [$topic, "police"]}) {
    totalCount edges { hops node { id } } } }"""


def test_arguments_read_from_variables_answer_as_graphql_core_reads_them(monkeypatch, kg):
    start = _values(kg)["ID"][0]
    # (the variables, whether they are read by the plan: null for a non-null argument,
    # or a non-null variable, is refused by graphql-core, in its words)
    cases = [({"from": start}, True), ({"from": start, "hops": None, "m": None}, False),
             ({"from": start, "hops": 1, "first": None, "m": "police",
               "kinds": ["ARTICLE", "TOPIC"], "topic": "Civil Liberties"}, True),
             ({"from": start, "first": 0, "kinds": []}, True),
             ({"from": start, "hops": 99}, True), ({}, True), ({"from": None}, False),
             ({"from": start, "kinds": None}, True), ({"from": start, "topic": None}, False)]
    for variables, read in cases:
        counts = _counting(monkeypatch)
        planned, standard, ran = both(monkeypatch, kg, VARIABLES, variables)
        assert planned == standard, variables
        assert bool(counts["arguments"]) == read, variables
        assert planned["errors"] or read


ARGUMENTS = [
    # input objects (nested lists of strings, datetimes, floats, booleans), enums and
    # lists of enums, defaults, variables and literals, null
    """query A($from: ID!) { within(from: $from, hops: 2, via: [RELATED, TAGGED],
         kinds: [ARTICLE, TOPIC], first: 3, where: null) { totalCount
         edges { hops cursor node { id ... on Topic { slug name articleCount } } } } }""",
    """query A($from: ID!) { within(from: $from, hops: 2, where: {topics: ["police",
         "Civil Liberties"], publishedAfter: "2020-01-01T00:00:00Z", minQuality: 0.1,
         isStub: false, category: "NEWS"}, last: 2) { totalCount pageInfo { hasNextPage
         hasPreviousPage startCursor endCursor } edges { node { id ... on Article {
         title publishedAt quality heat published images { url width } sources extra
         secured isStub provider { domain name articleCount } topics { slug } } } } } }""",
    """{ articles(where: {providers: ["sixthtone.com", "https://www.police.example/x"],
         mentions: "surveillance"}, orderBy: PUBLISHED_AT_ASC, first: 4) { totalCount
         edges { cursor node { id title relatedBy(first: 1) { totalCount } } } } }""",
    """query A($from: ID!) { within(from: $from, first: 2) { edges { node { id ... on Article
         { related(first: 2) { edges { node { url } } } topics { articles(first: 1, where:
         {isStub: true}) { totalCount edges { node { id isStub } } } } } } } } }""",
]


@pytest.mark.parametrize("query", ARGUMENTS)
def test_arguments_converted_by_the_plan_answer_as_strawberry_converts_them(monkeypatch, kg,
                                                                             query):
    values = _values(kg)
    for start in values["ID"]:
        counts = _counting(monkeypatch)
        planned, standard, ran = both(monkeypatch, kg, query, {"from": start})
        assert planned == standard, start
        if planned["data"] is not None:
            assert ran and counts["compiled"] and counts["calls"]


def _broken_node(kg: graph.KnowledgeGraph, node: str, how: str) -> Any:
    """Replace a node's attributes with a broken copy; return the original to restore."""
    nodes = kg.nx._node  # the test's own copy of a graph: broken on purpose
    original = nodes[node]

    class Raising(dict):  # reading one attribute raises, as a bug would
        def __getitem__(self, key: str) -> Any:
            if key in ("title", "name", "provider"):
                raise ValueError("a bug")
            return super().__getitem__(key)

        def get(self, key: str, default: Any = None) -> Any:
            if key in ("topics", "published_at"):
                raise ValueError("a bug")
            return super().get(key, default)

    if how == "raises":
        nodes[node] = Raising(original)
    elif how == "nulls":  # null where the schema says non-null, and odd types
        nodes[node] = {**original, "title": None, "name": None, "slug": None, "url": 42,
                       "published_at": "not a date", "images": [{"url": 3}, "x"],
                       "topics": ["no-such-topic"], "sources": None, "is_stub": "yes"}
    return original


VIEWS = """query V($from: ID!, $p: ID!, $t: ID!) {
  within(from: $from, hops: 2, first: 50) { totalCount
    edges { hops node { id __typename ... on Article { title url publishedAt isStub sources
      images { url width height isCached } provider { id name domain } topics { slug name } }
      ... on Topic { slug name } ... on Provider { domain name } } } }
  p: node(id: $p) { id ... on Provider { name domain } }
  t: node(id: $t) { ... on Topic { name slug } }
}"""


@pytest.mark.parametrize("how", ["raises", "nulls"])
@pytest.mark.parametrize("kind", ["article", "topic", "provider"])
def test_a_broken_node_answers_alike_planned_and_standard(monkeypatch, tmp_path, how, kind):
    """A node's view reads its attributes when asked: an attribute that raises, or
    holds null or a wrong type, gives the same errors at the same paths and the same
    nulls carried up, read by the plan or through the standard executor."""
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    kg = graph.load(corpus)
    from graph.build import provider_id, topic_id

    article = _values(kg)["ID"][0]
    data = kg[article]
    topic, provider = topic_id(data["topics"][0]), provider_id(data["provider"])
    target = {"article": article, "topic": topic, "provider": provider}[kind]
    variables = {"from": provider if kind == "article" else article, "p": provider,
                 "t": topic}
    _broken_node(kg, target, how)
    counts = _counting(monkeypatch)
    planned, standard, ran = both(monkeypatch, kg, VIEWS, variables)
    assert planned == standard
    assert planned["errors"]  # the broken node was read
    assert ran and counts["compiled"]


def test_a_view_made_without_its_node_is_read_as_attributes(monkeypatch, kg):
    """A Provider built by its dataclass constructor (no node's attributes behind it)
    is read through its attributes, by the plan as by the standard executor."""
    from schema import nodes

    real = nodes.Provider.from_node

    def eager(kg: graph.KnowledgeGraph, node_id: str) -> Any:
        view = real(kg, node_id)
        return nodes.Provider(id=view.id, domain=view.domain.upper(), name=view.name,
                              _node=None)  # type: ignore[arg-type]

    monkeypatch.setattr(nodes.Provider, "from_node", staticmethod(eager))
    planned, standard, ran = both(monkeypatch, kg, WIDE, {"from": _values(kg)["ID"][0]})
    assert planned == standard
    domains = [e["node"]["provider"]["domain"] for e in planned["data"]["within"]["edges"]
               if "provider" in e["node"]]
    assert domains and all(d == d.upper() for d in domains)


@pytest.mark.parametrize("depth", [0, 1, 2, 3, 4])
@pytest.mark.parametrize("how", [None, "raises", "nulls"])
def test_selections_written_inline_answer_alike_at_every_depth(monkeypatch, tmp_path, depth,
                                                               how):
    """A compiled selection writes the selections of the objects it completes inline, up
    to a depth (schema/runner.py), and calls the compiled selection of those deeper. At
    every depth, with a node whose attributes are sound, raise or hold nulls and wrong
    types, the answer, its errors and the nulls carried up are the standard executor's;
    at the full depth a page of `within` calls no compiled selection per object."""
    from graph.build import provider_id, topic_id
    from schema import runner
    from schema.plan import Plans

    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    kg = graph.load(corpus)
    article = _values(kg)["ID"][0]
    data = kg[article]
    topic, provider = topic_id(data["topics"][0]), provider_id(data["provider"])
    variables = {"from": provider, "p": provider, "t": topic}
    if how is not None:
        _broken_node(kg, article, how)
        _broken_node(kg, topic, how)
    monkeypatch.setattr(runner._Compiler, "depth", depth)
    monkeypatch.setattr(PlannedExecutor, "plans", Plans())  # compiled afresh at this depth
    counts = _counting(monkeypatch)
    planned, standard, ran = both(monkeypatch, kg, VIEWS, variables)
    assert planned == standard
    assert bool(planned["errors"]) == (how is not None)
    assert ran
    if how is None:
        assert len(planned["data"]["within"]["edges"]) > 2
        # The root selection, `within`'s page and the two nodes asked by id: called once
        # each; per object of the page only when it is deeper than what is written inline.
        assert (counts["compiled"] == 4) == (depth >= 3), counts


def test_linked_nodes_read_without_their_views_answer_alike(monkeypatch, kg):
    """An article's provider and topics, when the selection reads nothing but their
    nodes' attributes, are read without making their views (schema/runner.py); when
    their type's ``from_node`` is replaced, even after the plan was compiled, the views
    are made by it, as the standard executor makes them."""
    from schema import nodes, runner
    from schema.plan import Plans

    start = _values(kg)["ID"][0]
    read: list[str] = []
    real_read = runner.node_attributes

    def reading(kg: graph.KnowledgeGraph, node_id: str) -> Any:
        read.append(node_id)
        return real_read(kg, node_id)

    monkeypatch.setattr(runner, "node_attributes", reading)
    monkeypatch.setattr(PlannedExecutor, "plans", Plans())  # compiled with the above
    planned, standard, ran = both(monkeypatch, kg, WIDE, {"from": start})
    assert planned == standard and ran
    assert any(r.startswith("topic:") for r in read) and any(
        r.startswith("provider:") for r in read)

    real = nodes.Topic.from_node

    def shouting(kg: graph.KnowledgeGraph, node_id: str) -> Any:
        view = real(kg, node_id)
        return nodes.Topic(id=view.id, slug=view.slug.upper(), name=view.name,
                           _node=None)  # type: ignore[arg-type]

    monkeypatch.setattr(nodes.Topic, "from_node", staticmethod(shouting))
    read.clear()
    planned, standard, ran = both(monkeypatch, kg, WIDE, {"from": start})
    assert planned == standard and ran
    assert not any(r.startswith("topic:") for r in read)  # made by the replacement
    slugs = [t["slug"] for e in planned["data"]["within"]["edges"]
             for t in e["node"].get("topics", ())]
    assert slugs and all(s == s.upper() for s in slugs)
