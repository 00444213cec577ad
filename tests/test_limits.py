"""Every limit trips with an error that names it and its value; every response reports its cost."""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

import pytest
from starlette.testclient import TestClient

import graph
from schema.app import create_app
from schema.cost import RequestBudget
from schema.limits import camel
from schema.query import execute, schema
from schema.settings import Settings, add_arguments, from_arguments

CORPUS = Path(__file__).parent / "fixtures" / "corpus"
S = "article:https://www.sixthtone.com/news/1/school-scanners"
POLICE = "article:https://police.example/news/cameras"


@pytest.fixture(scope="module")
def kg() -> graph.KnowledgeGraph:
    return graph.load(CORPUS)


def post(kg: graph.KnowledgeGraph, body: object, settings: Settings | None = None,
         **headers: str) -> dict:
    with TestClient(create_app(kg, settings or Settings())) as client:
        r = client.post("/graphql", json=body, headers=headers)
        return {"status": r.status_code, **r.json()} if isinstance(r.json(), dict) else {
            "status": r.status_code, "items": r.json()}


def error_of(response: dict) -> dict:
    assert response.get("errors"), response
    return response["errors"][0]


# -- settings --------------------------------------------------------------------------


def test_the_defaults_are_the_documented_safe_ones():
    s = Settings()
    assert (s.max_depth, s.max_aliases, s.max_tokens, s.max_document_bytes, s.max_body_bytes,
            s.max_batch, s.max_first, s.max_hops, s.max_neighborhood, s.max_objects,
            s.max_visits, s.timeout) == (10, 20, 1000, 16_384, 65_536, 10, 100, 4, 2000,
                                         20_000, 500_000, 10.0)
    assert not s.production and s.introspection_enabled and s.graphiql_enabled
    assert s.cors_origins == ()
    production = Settings(production=True)
    assert not production.introspection_enabled and not production.graphiql_enabled
    assert Settings(production=True, introspection=True).introspection_enabled


def test_environment_then_flags_override_the_defaults():
    env = {"NEWSGRAPH_MAX_DEPTH": "7", "NEWSGRAPH_PRODUCTION": "yes",
           "NEWSGRAPH_CORS_ORIGINS": "https://a.example/, https://b.example",
           "NEWSGRAPH_TIMEOUT": "2.5", "NEWSGRAPH_MAX_ALIASES": ""}
    s = Settings.from_env(env)
    assert (s.max_depth, s.production, s.timeout, s.max_aliases) == (7, True, 2.5, 20)
    assert s.cors_origins == ("https://a.example", "https://b.example")
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(["--max-depth", "5", "--no-production", "--cors-origin",
                              "https://c.example", "--introspection"])
    s = from_arguments(args, env)
    assert (s.max_depth, s.production, s.cors_origins, s.introspection_enabled) == (
        5, False, ("https://c.example",), True)
    assert from_arguments(parser.parse_args([]), env).max_depth == 7


@pytest.mark.parametrize(("env", "message"), [
    ({"NEWSGRAPH_MAX_DEPTH": "deep"}, "NEWSGRAPH_MAX_DEPTH must be a number, got 'deep'"),
    ({"NEWSGRAPH_MAX_DEPTH": "0"}, "max_depth must be a positive number, got 0"),
    ({"NEWSGRAPH_PRODUCTION": "maybe"}, "NEWSGRAPH_PRODUCTION must be 1 or 0"),
    ({"NEWSGRAPH_MAX_FIRST": "500"}, "max_first may be at most 100, got 500"),
    ({"NEWSGRAPH_MAX_HOPS": "5"}, "max_hops may be at most 4, got 5"),
    # float('nan') passed every 'positive, at most' check (each comparison False): a
    # timeout of nan stopped serve with a traceback, a switch interval of nan aborted
    # the interpreter, a subscription lifetime of nan was taken.
    ({"NEWSGRAPH_TIMEOUT": "nan"}, "timeout must be a positive number, got nan"),
    ({"NEWSGRAPH_TIMEOUT": "inf"}, "timeout must be a positive number, got inf"),
    ({"NEWSGRAPH_SWITCH_INTERVAL_MS": "NaN"}, "switch_interval_ms must be a positive number"),
    ({"NEWSGRAPH_MAX_SUBSCRIPTION_SECONDS": "nan"}, "max_subscription_seconds must be a "
                                                    "positive number, got nan"),
    ({"NEWSGRAPH_MAX_DEPTH": "1e3"}, "NEWSGRAPH_MAX_DEPTH must be a number, got '1e3'"),
    ({"NEWSGRAPH_RESPONSE_CACHE_MB": "-1"}, "response_cache_mb must be a number of "
                                            "megabytes, 0 or more, got -1.0"),
    ({"NEWSGRAPH_RESPONSE_CACHE_MB": "nan"}, "response_cache_mb must be a number"),
])
def test_bad_settings_are_refused_with_the_reason(env, message):
    with pytest.raises(graph.NewsgraphError, match=message):
        Settings.from_env(env)


@pytest.mark.parametrize("value", ["nan", "inf", "-nan"])
def test_a_flag_that_is_not_a_finite_number_is_refused(value):
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    said = f"timeout must be a positive number, got {value.lstrip('-')}"
    with pytest.raises(graph.NewsgraphError, match=said):
        from_arguments(parser.parse_args([f"--timeout={value}"]), {})


# -- each limit trips ----------------------------------------------------------------------


def _nested(depth: int) -> str:
    inner = "name"
    for _ in range(depth):
        inner = (f"provider {{ {inner} }}" if _ % 2 == 0
                 else f"articles {{ edges {{ node {{ {inner} }} }} }}")
    return f'{{ article(id: "{S}") {{ {inner} }} }}'


@pytest.mark.parametrize(("settings", "document", "limit", "words"), [
    (Settings(max_depth=3), _nested(2), "maxDepth", "exceeds maximum operation depth of 3"),
    (Settings(max_aliases=2), "{ a: stats { records } b: stats { records } c: stats { records } }",
     "maxAliases", "3 aliases found. Allowed: 2"),
    (Settings(max_tokens=10), "{ stats { records articles stubs providers topics nodes } }",
     "maxTokens", "Document contains more than 10 tokens"),
    (Settings(max_document_bytes=40), "{ stats { records } }" + " " * 40,
     "maxDocumentBytes", "the document is 61 bytes long"),
    # articles 1, edges 10, nodes 10, providers 10, their article connections 10
    (Settings(max_objects=40),
     "{ articles(first: 10) { edges { node { provider { articles(first: 10) { totalCount } } } } } "
     "}",
     "maxObjects", "the query may return 41 objects"),
])
def test_limits_checked_before_execution_refuse_the_request(kg, settings, document, limit, words):
    response = post(kg, {"query": document}, settings)
    error = error_of(response)
    assert words in error["message"]
    assert f"limit {limit} = " in error["message"] and "NEWSGRAPH_" in error["message"]
    values = {camel(f.name): getattr(settings, f.name) for f in dataclasses.fields(settings)}
    assert error["extensions"] == {"code": "LIMIT_EXCEEDED", "limit": limit, "max": values[limit]}
    assert response["status"] == 200 and response["data"] is None
    strict = post(kg, {"query": document}, settings,
                  accept="application/graphql-response+json")
    assert strict["status"] == 400 and "data" not in strict


@pytest.mark.parametrize(("settings", "document", "limit", "message"), [
    (Settings(max_first=5), "{ articles(first: 6) { totalCount } }", "maxFirst",
     "first must be 0 to 5, got 6"),
    (Settings(max_hops=1), f'{{ within(from: "{S}", hops: 2) {{ totalCount }} }}', "maxHops",
     "hops must be 1 to 1, got 2"),
    (Settings(max_hops=2), f'{{ pathTo(from: "{S}", id: "{POLICE}") {{ length }} }}', "maxHops",
     "maxHops must be 1 to 2, got 4"),
    (Settings(max_neighborhood=3), f'{{ neighborhood(from: "{S}", limit: 4) {{ truncated }} }}',
     "maxNeighborhood", "limit must be 1 to 3, got 4"),
])
def test_tightened_argument_limits_name_the_setting(kg, settings, document, limit, message):
    error = error_of(post(kg, {"query": document}, settings))
    assert error["message"].startswith(message)
    assert error["extensions"]["limit"] == limit and error["path"]


def test_the_schema_ceilings_keep_their_documented_words(kg):
    assert error_of(execute(kg, "{ articles(first: 101) { totalCount } }"))["message"] == \
        "first must be 0 to 100, got 101"


def test_the_node_budget_stops_a_walk_midway(kg):
    document = f'{{ within(from: "{S}", hops: 3) {{ totalCount }} }}'
    needed = post(kg, {"query": document})["extensions"]["cost"]["actual"]["visits"]
    assert needed > 0
    fits = post(kg, {"query": document}, Settings(max_visits=needed))
    assert "errors" not in fits
    over = post(kg, {"query": document}, Settings(max_visits=needed - 1))
    error = error_of(over)
    assert "would visit" in error["message"]
    assert error["extensions"] == {"code": "LIMIT_EXCEEDED", "limit": "maxVisits",
                                   "max": needed - 1}
    cost = over["extensions"]["cost"]
    # stopped at the level that would pass the budget, before reading it
    assert cost["actual"]["visits"] < needed - 1 < cost["requested"]["visits"]


def test_one_budget_covers_every_walk_of_a_request(kg):
    one = f'wN: within(from: "{S}", hops: 2) {{ totalCount }}'
    needed = post(kg, {"query": "{ " + one + " }"})["extensions"]["cost"]["actual"]["visits"]
    document = "{ " + " ".join(one.replace("N", str(i)) for i in range(3)) + " }"
    assert "errors" not in post(kg, {"query": document}, Settings(max_visits=3 * needed))
    assert "would visit" in error_of(post(kg, {"query": document},
                                          Settings(max_visits=3 * needed - 1)))["message"]


def _degree_sum_within(kg: graph.KnowledgeGraph, start: str, hops: int) -> int:
    """Neighbour entries a walk reads, from networkx alone: distinct neighbours by edge kind."""
    undirected = kg.nx.to_undirected(as_view=True)
    import networkx as nx

    distance = nx.single_source_shortest_path_length(undirected, start, cutoff=hops - 1)
    total = 0
    for node in distance:
        by_kind = {(k, v) for _, v, k in kg.nx.out_edges(node, keys=True)}
        by_kind |= {(k, u) for u, _, k in kg.nx.in_edges(node, keys=True)}
        total += len(by_kind)
    return total


@pytest.mark.parametrize("hops", [1, 2, 3, 4])
def test_visits_are_counted_from_the_real_degrees(kg, hops):
    expected = _degree_sum_within(kg, S, hops)
    budget = graph.Budget()
    kg.within(S, hops=hops, budget=budget)
    assert budget.visits == expected
    cost = post(kg, {"query": f'{{ within(from: "{S}", hops: {hops}) {{ totalCount }} }}'}
                )["extensions"]["cost"]
    assert cost["requested"]["visits"] == cost["actual"]["visits"] == expected


@pytest.mark.parametrize("walk", ["within", "neighborhood"])
def test_the_walk_itself_is_metered_and_stops_at_the_budget(kg, walk):
    everything = _degree_sum_within(kg, S, 4)
    budget = graph.Budget(visits=everything)
    getattr(kg, walk)(S, hops=4, budget=budget)
    assert budget.visits == everything
    budget = graph.Budget(visits=10)
    with pytest.raises(graph.BudgetExceeded, match="budget of 10 visits") as e:
        getattr(kg, walk)(S, hops=4, budget=budget)
    assert e.value.limit == "visits" and e.value.value == 10
    assert budget.visits <= 10
    assert kg.within(S, hops=4)  # without a budget nothing is counted or refused


def test_objects_are_counted_while_running_too(kg):
    # topics is a plain list: the estimate counts it once, the count sees both topics
    document = f'{{ article(id: "{POLICE}") {{ topics {{ name }} }} }}'
    cost = post(kg, {"query": document})["extensions"]["cost"]
    assert cost["actual"]["objects"] > cost["requested"]["objects"]
    response = post(kg, {"query": document}, Settings(max_objects=cost["requested"]["objects"]))
    error = error_of(response)
    assert error["message"].startswith("the response holds more than")
    assert error["extensions"]["limit"] == "maxObjects" and error["path"]


def test_a_request_past_its_deadline_stops_with_one_error(kg):
    document = "{ " + " ".join(f"a{i}: stats {{ records }}" for i in range(15)) + " }"
    response = post(kg, {"query": document}, Settings(timeout=1e-9))
    assert len(response["errors"]) == 1
    error = response["errors"][0]
    assert error["message"].startswith("the request ran past its time limit of 1e-09 s")
    assert error["extensions"]["limit"] == "timeout"


def test_a_walk_past_the_deadline_is_interrupted(kg):
    ticks = iter(range(0, 10**6, 2))  # a fake clock: two seconds a read
    budget = RequestBudget(Settings(timeout=6), clock=lambda: next(ticks))
    document = f'{{ neighborhood(from: "{S}", hops: 4) {{ truncated }} }}'
    result = schema.execute_sync(document, context_value={"kg": kg, "budget": budget})
    [error] = result.errors
    assert error.message.startswith("the request ran past its time limit of 6 s")
    assert error.extensions["limit"] == "timeout"
    # read at 2 by the field, then the walk's levels at 4, 6 and 8: stopped at the third
    assert 0 < budget.walks.visits < _degree_sum_within(kg, S, 4)
    assert result.extensions["cost"]["actual"]["visits"] == budget.walks.visits


# -- the HTTP request itself ------------------------------------------------------------------


def test_a_body_over_the_limit_is_413_before_it_is_read(kg):
    with TestClient(create_app(kg, Settings(max_body_bytes=100))) as client:
        r = client.post("/graphql", json={"query": "{ stats { records } }", "pad": "x" * 100})
        assert r.status_code == 413
        error = r.json()["errors"][0]
        assert "limit maxBodyBytes = 100" in error["message"]
        assert error["extensions"]["limit"] == "maxBodyBytes"

        def chunks():  # no content-length: counted as it streams
            yield b'{"query": "{ stats { records } }", "pad": "'
            for _ in range(10):
                yield b"x" * 20
            yield b'"}'

        r = client.post("/graphql", content=chunks(), headers={"content-type": "application/json"})
        assert r.status_code == 413


def test_batches_run_up_to_the_limit(kg):
    one = {"query": "{ stats { records } }"}
    ok = post(kg, [one, one])
    assert ok["status"] == 200
    assert [i["data"] for i in ok["items"]] == [{"stats": {"records": 6}}] * 2
    assert all("cost" in i["extensions"] for i in ok["items"])
    over = post(kg, [one] * 3, Settings(max_batch=2))
    assert over["status"] == 400
    assert error_of(over)["message"] == \
        "The batch holds 3 operations (limit maxBatch = 2, set by NEWSGRAPH_MAX_BATCH)"
    # coded as every other limit is, so a client can tell it from a malformed request
    assert error_of(over)["extensions"] == {"code": "LIMIT_EXCEEDED", "limit": "maxBatch",
                                            "max": 2}
    off = post(kg, [one], Settings(max_batch=1))
    assert off["status"] == 400 and error_of(off)["message"].startswith("Batching is off")
    assert error_of(off)["extensions"] == {"code": "LIMIT_EXCEEDED", "limit": "maxBatch",
                                           "max": 1}


@pytest.mark.parametrize("body", [[1, 2], [{"query": 5}], [{"query": "{ stats { records } }",
                                                              "variables": [1]}], []])
def test_malformed_batches_are_400_not_500(kg, body):
    assert post(kg, body)["status"] == 400


def test_one_budget_covers_a_whole_batch(kg):
    one = {"query": f'{{ within(from: "{S}", hops: 2) {{ totalCount }} }}'}
    needed = post(kg, one)["extensions"]["cost"]["actual"]["visits"]
    items = post(kg, [one, one], Settings(max_visits=needed + 1))["items"]
    assert "errors" not in items[0] and "would visit" in items[1]["errors"][0]["message"]


# -- cost ------------------------------------------------------------------------------------------


def test_every_response_reports_its_cost(kg):
    document = "{ articles(first: 3) { edges { node { title provider { name } } } } }"
    cost = post(kg, {"query": document})["extensions"]["cost"]
    # articles 1, edges 3, nodes 3, providers 3
    assert cost["requested"] == {"objects": 10, "visits": 0}
    assert cost["actual"] == {"objects": 10, "visits": 0}
    assert cost["limits"] == {"objects": 20_000, "visits": 500_000, "timeoutMs": 10_000}
    for body in ({"query": "{ nope }"}, {"query": "{"}, {"qeury": "{ stats { records } }"}):
        assert "cost" in post(kg, body)["extensions"]


def test_the_estimate_follows_variables_and_fragments(kg):
    document = """query($n: Int = 4) { ...Page }
                  fragment Page on Query { articles(first: $n) { edges { node { ... on Article {
                    provider { name } } } } } }"""
    assert post(kg, {"query": document})["extensions"]["cost"]["requested"]["objects"] == 13
    assert post(kg, {"query": document, "variables": {"n": 2}}
                )["extensions"]["cost"]["requested"]["objects"] == 7


def test_an_export_and_a_layout_are_charged_and_reported(kg):
    start = "topic:facial-recognition"
    plain = post(kg, {"query": f'{{ neighborhood(from: "{start}", hops: 2) '
                                "{ nodes { hops } } }"})
    document = (f'{{ neighborhood(from: "{start}", hops: 2, layout: FORCE) '
                "{ export(format: CYTOSCAPE) } }")
    response = post(kg, {"query": document})
    exported = response["data"]["neighborhood"]["export"]
    nodes, edges = exported["nodes"], exported["edges"]
    actual = response["extensions"]["cost"]["actual"]
    size = len(json.dumps(exported, ensure_ascii=False, separators=(",", ":")).encode())
    assert actual["exportNodes"] == len(nodes) == len(plain["data"]["neighborhood"]["nodes"])
    assert actual["exportEdges"] == len(edges) > 0
    assert actual["exportBytes"] == size
    assert actual["layoutNodes"] == len(nodes) and 0 < actual["layoutIterations"] <= 50
    # exported nodes and edges are objects of the response: they count against its limit
    assert actual["objects"] == 1 + len(nodes) + len(edges)  # the neighborhood, then them
    tight = post(kg, {"query": document}, Settings(max_objects=len(nodes)))
    assert error_of(tight)["extensions"]["limit"] == "maxObjects"
    assert "exportBytes" not in post(kg, {"query": "{ stats { records } }"}
                                     )["extensions"]["cost"]["actual"]


def _fragment_fan(levels: int) -> str:
    """A document of ``levels`` fragments each spreading the next twice: 2**levels fields
    once spread in, from a text of a few hundred bytes."""
    spreads = " ".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}"
                       for i in range(levels))
    return f"query {{ ...F0 }} {spreads} fragment F{levels} on Query {{ stats {{ records }} }}"


@pytest.mark.parametrize("levels", [20, 60])
def test_a_fragment_fan_out_is_refused_before_any_rule_walks_it(kg, levels):
    # Each validation rule that follows spreads (depth, aliases) and the objects estimate
    # walked all 2**levels copies: 16 such requests held every worker thread for hours.
    response = post(kg, {"query": _fragment_fan(levels)})
    error = error_of(response)
    assert "once its fragments are spread in" in error["message"]
    assert "at most 10,000 are allowed" in error["message"]
    assert error["extensions"] == {"code": "LIMIT_EXCEEDED", "limit": "maxExpandedFields",
                                   "max": 10_000}
    assert response["status"] == 200 and response["data"] is None


def test_fragments_reused_within_the_limit_still_answer(kg):
    document = _fragment_fan(8).replace("stats { records }", "stats { records articles }")
    plain = post(kg, {"query": "{ stats { records articles } }"})
    assert post(kg, {"query": document})["data"] == plain["data"]


@pytest.mark.parametrize("query", [
    "{ ...Nope stats { records } }",
    "{ stats { ...Nope records } }",
    "query { ...F } fragment F on Query { ...Nope stats { records } }",
])
def test_a_spread_of_an_unknown_fragment_is_named_not_an_unexpected_error(kg, query):
    # Strawberry's depth rule looked the fragment up by its name and raised KeyError:
    # "Unexpected error.", where graphql-core's own rule names the fragment.
    response = post(kg, {"query": query})
    assert [e["message"] for e in response["errors"]] == ["Unknown fragment 'Nope'."]
    assert response["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert response["data"] is None


def test_serve_help_says_each_limit_s_default_as_a_number_a_user_can_type(capsys):
    from schema.cli import main

    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    # --max-ingest-bytes said "default 1.67772e+07" (a float's %g), which is not its value
    assert "NEWSGRAPH_MAX_INGEST_BYTES); default 16777216" in out and "e+0" not in out
    assert "turns turns" not in out  # --max-long-operations: "16 ... turns turns off"
