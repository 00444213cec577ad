"""Every limit and mode of a newsgraph server, in one place.

A :class:`Settings` is built from its defaults, then ``NEWSGRAPH_*`` environment
variables, then ``newsgraph serve`` flags, each overriding the one before::

    NEWSGRAPH_PRODUCTION=1 NEWSGRAPH_MAX_DEPTH=8 newsgraph serve --cors-origin https://x.example

Each limit's field name gives its environment variable (``max_depth`` →
``NEWSGRAPH_MAX_DEPTH``) and its flag (``--max-depth``). ``first``, ``hops`` and
the neighborhood ``limit`` can be tightened here but not raised past what the
schema documents: their ceilings in :data:`CEILINGS`, which are also their defaults.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from graph.budget import MAX_LAYOUT_NODES, MAX_PATHS
from graph.errors import NewsgraphError

__all__ = ["Settings", "ENV_PREFIX", "add_arguments", "from_arguments"]

ENV_PREFIX = "NEWSGRAPH_"
# Every ceiling of the schema, in one table (its descriptions say so): the settings of the
# same name may only tighten them; the others bound arguments no setting changes.
CEILINGS = {
    "max_first": 100,  # page size: `first`, `last`
    "max_hops": 4,  # traversal distance: `hops`, `maxHops`
    "max_neighborhood": 2000,  # nodes of a neighborhood: `limit`
    "max_exclude": 10_000,  # ids a neighborhood may `exclude`
    "max_ids": 100,  # ids of one `nodes(ids:)`
    "max_paths": MAX_PATHS,  # paths of one `paths(k:)`: graph.paths checks it
    "max_layout_nodes": MAX_LAYOUT_NODES,  # nodes of a FORCE layout: graph.explore checks it
    # Subscriptions (schema.subscriptions): what one server and one connection may hold.
    "max_subscriptions": 1000,  # open at once on the server
    "max_subscriptions_per_connection": 20,  # open at once on one WebSocket connection
    "max_subscribes_per_minute": 60,  # subscribe operations one connection starts per minute
    "max_subscription_events_per_second": 100,  # events pushed to one connection, paced
    "max_subscription_backlog": 256,  # changes a subscriber may fall behind by
    "max_subscription_seconds": 3600,  # lifetime of one subscription
}


def _limit(default: float, help: str) -> Any:
    return field(default=default, metadata={"help": help, "limit": True})


@dataclass(frozen=True, slots=True)
class Settings:
    """The limits and modes of one server; the defaults are the safe ones."""

    production: bool = field(default=False, metadata={
        "help": "production mode: introspection and GraphiQL off unless enabled, "
                "no field suggestions in errors, no server header, HSTS"})
    introspection: bool | None = field(default=None, metadata={
        "help": "allow __schema/__type queries (default: on in development, off in production)"})
    graphiql: bool | None = field(default=None, metadata={
        "help": "serve GraphiQL to browsers (default: on in development, off in production)"})
    exports: bool | None = field(default=None, metadata={
        "help": "serve /export/graph.* files (default: on in development, off in production)"})
    cors_origins: tuple[str, ...] = field(default=(), metadata={
        "help": "origins allowed to call the API from a browser (default: none)"})
    allow_empty: bool = field(default=False, metadata={
        "help": "serve even when the path holds no record (an empty graph); without it "
                "such a start is refused"})
    max_depth: int = _limit(10, "deepest field nesting of a query (root fields are depth 0)")
    max_aliases: int = _limit(20, "aliases in one document")
    max_tokens: int = _limit(1000, "lexical tokens in one document")
    max_document_bytes: int = _limit(16_384, "bytes of the GraphQL document (query text)")
    max_body_bytes: int = _limit(65_536, "bytes of an HTTP request body")
    max_batch: int = _limit(10, "operations in one batched request (a JSON list); 1 turns "
                                "batching off")
    max_first: int = _limit(CEILINGS["max_first"], "page size (`first`), at most "
                                                   f"{CEILINGS['max_first']}")
    max_hops: int = _limit(CEILINGS["max_hops"], "traversal distance (`hops`, `maxHops`), "
                                                 f"at most {CEILINGS['max_hops']}")
    max_neighborhood: int = _limit(CEILINGS["max_neighborhood"], "nodes of a neighborhood "
                                   f"(`limit`), at most {CEILINGS['max_neighborhood']}")
    max_objects: int = _limit(20_000, "objects a request may return: estimated from the "
                                      "document before running, then counted while running")
    max_visits: int = _limit(500_000, "node budget: neighbour entries the traversals of one "
                                      "request examine, counted from the graph's real degrees")
    timeout: float = _limit(10.0, "wall-clock seconds one request may run")
    max_long_operations: int = _limit(1, "operations past their first 20 ms computing at "
                                         "once in one server process, in turns of 50 ms; "
                                         "the others wait, the GIL free (16, the number "
                                         "of worker threads, turns the turns off)")
    max_long_waiting: int = _limit(48, "operations past their first 20 ms asleep at once "
                                       "in one server process, waiting for their turn; "
                                       "one more is stopped with a LIMIT_EXCEEDED error, "
                                       "so the threads that compute stay free for short "
                                       "operations")
    max_unknown_running: int = _limit(4, "operations computing at once in one server "
                                         "process whose document is not known to be quick "
                                         "(not seen to end within 20 ms before); the others "
                                         "wait for a place without a thread, while known "
                                         "ones take any of the 16")
    switch_interval_ms: float = _limit(5.0, "milliseconds a thread computing may hold "
                                            "the interpreter (the GIL) while another "
                                            "waits for it (Python's own is 5): the event "
                                            "loop and cheap operations wait up to this "
                                            "long beside a heavy one at each step")
    response_cache_mb: float = field(default=16.0, metadata={
        "help": "megabytes of answers kept to answer repeated queries at once (0: none); "
                "the workers of --workers N share it"})
    max_export_nodes: int = _limit(50_000, "nodes of one /export/graph.* file")
    max_export_edges: int = _limit(250_000, "edges of one /export/graph.* file")
    max_exports: int = _limit(2, "/export/graph.* requests running at once; more answer 429")
    max_ingest_batch: int = _limit(100, "records in one ingest mutation")
    max_ingest_bytes: int = _limit(16 * 2**20, "bytes of an HTTP request body that bears "
                                               "the ingest token (a record may be as long "
                                               "as a file a load reads); other requests "
                                               "keep maxBodyBytes")
    max_subscriptions: int = _limit(CEILINGS["max_subscriptions"], "subscriptions open at "
                                    "once on the server")
    max_subscriptions_per_connection: int = _limit(
        CEILINGS["max_subscriptions_per_connection"], "subscriptions open at once on one "
        "WebSocket connection")
    max_subscribes_per_minute: int = _limit(
        CEILINGS["max_subscribes_per_minute"], "subscriptions one connection may start in "
        "any 60 s")
    max_subscription_events_per_second: float = _limit(
        CEILINGS["max_subscription_events_per_second"], "events pushed to one connection per "
        "second (a burst of one second's worth, then paced; nothing is dropped)")
    max_subscription_backlog: int = _limit(
        CEILINGS["max_subscription_backlog"], "changes a subscription may fall behind by "
        "before it is ended with an error")
    max_subscription_seconds: float = _limit(
        float(CEILINGS["max_subscription_seconds"]), "seconds a subscription lives before "
        "the server ends it with an error")

    def __post_init__(self) -> None:
        for f in fields(self):
            if not f.metadata.get("limit"):
                continue
            value = getattr(self, f.name)
            # NaN compares False with everything: it would pass 'positive, at most'.
            if (isinstance(value, bool) or not isinstance(value, int | float)
                    or not math.isfinite(value) or value <= 0):
                raise NewsgraphError(f"{f.name} must be a positive number, got {value!r}")
            ceiling = CEILINGS.get(f.name)
            if ceiling is not None and value > ceiling:
                raise NewsgraphError(f"{f.name} may be at most {ceiling}, got {value!r}")

        cache = self.response_cache_mb
        if (isinstance(cache, bool) or not isinstance(cache, int | float)
                or not math.isfinite(cache) or cache < 0):
            raise NewsgraphError("response_cache_mb must be a number of megabytes, 0 or "
                                 f"more, got {cache!r}")

    @property
    def introspection_enabled(self) -> bool:
        """Whether __schema and __type may be queried."""
        return self.introspection if self.introspection is not None else not self.production

    @property
    def exports_enabled(self) -> bool:
        """Whether /export/graph.* is served."""
        return self.exports if self.exports is not None else not self.production

    @property
    def graphiql_enabled(self) -> bool:
        """Whether browsers get GraphiQL at /graphql."""
        return self.graphiql if self.graphiql is not None else not self.production

    def replace(self, **changes: Any) -> Settings:
        """Return a copy with some settings changed."""
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Return the defaults overridden by ``NEWSGRAPH_*`` environment variables."""
        environ = os.environ if environ is None else environ
        changes: dict[str, Any] = {}
        for f in fields(cls):
            name = env_name(f.name)
            if name in environ and environ[name].strip() != "":
                changes[f.name] = _parse(f, environ[name], name)
        return cls(**changes)


def env_name(name: str) -> str:
    """Return the environment variable of a setting: ``max_depth`` → ``NEWSGRAPH_MAX_DEPTH``."""
    return ENV_PREFIX + ("CORS_ORIGINS" if name == "cors_origins" else name.upper())


def flag_name(name: str) -> str:
    """Return the ``newsgraph serve`` flag of a setting: ``max_depth`` → ``--max-depth``."""
    return "--" + name.replace("_", "-")


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _parse(f: dataclasses.Field[Any], raw: str, source: str) -> Any:
    text = raw.strip()
    if f.name == "cors_origins":
        return tuple(o.strip().rstrip("/") for o in text.split(",") if o.strip())
    if f.type in ("bool", "bool | None"):
        if text.lower() in _TRUE:
            return True
        if text.lower() in _FALSE:
            return False
        raise NewsgraphError(f"{source} must be 1 or 0 (true or false), got {raw!r}")
    try:
        return int(text) if f.type == "int" else float(text)
    except ValueError:
        raise NewsgraphError(f"{source} must be a number, got {raw!r}") from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add a flag for every setting to ``newsgraph serve``; unset flags keep the env or default."""
    group = parser.add_argument_group("limits and modes (environment: NEWSGRAPH_<NAME>)")
    for f in fields(Settings):
        help_text = f"{f.metadata['help']} (env {env_name(f.name)})"
        if f.name == "cors_origins":
            group.add_argument("--cors-origin", dest="cors_origins", action="append",
                               default=None, metavar="ORIGIN",
                               help=help_text + "; repeat for several")
        elif f.type in ("bool", "bool | None"):
            group.add_argument(flag_name(f.name), dest=f.name, default=None,
                               action=argparse.BooleanOptionalAction, help=help_text)
        else:
            kind = int if f.type == "int" else float
            group.add_argument(flag_name(f.name), dest=f.name, type=kind, default=None,
                               metavar="N", help=f"{help_text}; default {f.default}"
                               if kind is int else f"{help_text}; default {f.default:g}")


def from_arguments(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> Settings:
    """Return the settings of the environment, overridden by the flags given."""
    base = Settings.from_env(environ)
    changes = {f.name: getattr(args, f.name) for f in fields(Settings)
               if getattr(args, f.name, None) is not None}
    if "cors_origins" in changes:
        changes["cors_origins"] = tuple(o.rstrip("/") for o in changes["cors_origins"])
    return base.replace(**changes)
