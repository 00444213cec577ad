"""The ingest and retract mutations: records in over GraphQL, each written as a file.

Both need ``Authorization: Bearer <token>`` matching the server's ingest token
(``NEWSGRAPH_INGEST_TOKEN`` or ``--ingest-token-file``), compared in constant time;
with no token configured they refuse, saying how to configure one.
"""

from __future__ import annotations

import hmac
from typing import Annotated

import strawberry
from graphql import GraphQLError
from strawberry.scalars import JSON
from strawberry.types import Info

import graph
from graph import ingest as files
from schema.cost import budget_of

__all__ = ["Mutation", "IngestResult"]


@strawberry.type(description="What became of one record sent to ingest, or of a retraction.")
class IngestResult:
    status: str = strawberry.field(description=(
        "CREATED, UPDATED or UNCHANGED (written and acknowledged), RETRACTED, REJECTED, or "
        "NOT_ATTEMPTED (the batch reached its time limit before this record, or while it "
        "waited for the folder another batch or change held: nothing of it was written, "
        "and sending it again is safe)."))
    article_id: strawberry.ID | None = strawberry.field(description=(
        "The article's node id. Not `id`: this answer is not the "
        "article, and a normalizing cache such as Relay's keys an object by its `id`."))
    error: str | None = strawberry.field(description="Why it was rejected or not attempted.")
    version: str | None = strawberry.field(description=(
        "The graph version holding the result (null when rejected or not attempted, and "
        "when not yet visible)."))
    visible: bool = strawberry.field(default=True, description=(
        "Whether the served graph (the version named) holds the result. False: the record "
        "is written and durable (acknowledged), but the change holding it was still "
        "being applied at the request's time limit; queries see it once that apply ends, "
        "in the next version."))
    warnings: list[str] = strawberry.field(default_factory=list, description=(
        "What the file rules dropped or read otherwise in a record written anyway, as a "
        "load of its file reports it: a date or score that cannot be read, a field under "
        "another writer's name (kept in extra), ..."))

    @classmethod
    def of(cls, outcome: files.Outcome, version: str | None) -> IngestResult:
        ok = outcome.status not in (files.REJECTED, files.NOT_ATTEMPTED) and outcome.visible
        return cls(status=outcome.status,
                   article_id=(strawberry.ID(outcome.id) if outcome.id is not None
                               else None),
                   error=outcome.error, version=version if ok else None,
                   visible=outcome.visible, warnings=list(outcome.warnings))


def _authorized_live(info: Info) -> graph.LiveGraph:
    app = info.context["request"].app
    token: str | None = getattr(app.state, "ingest_token", None)
    if not token:
        raise GraphQLError("ingest is off: no ingest token is configured; start the server "
                           "with NEWSGRAPH_INGEST_TOKEN set or --ingest-token-file FILE",
                           extensions={"code": "FORBIDDEN"})
    header = info.context["request"].headers.get("authorization", "")
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(),
                                                             token.encode()):
        raise GraphQLError("ingest needs the header 'Authorization: Bearer <ingest token>'; "
                           "the token sent is missing or wrong",
                           extensions={"code": "UNAUTHENTICATED"})
    live: graph.LiveGraph | None = app.state.live
    if live is None:
        raise GraphQLError("ingest needs a followed folder: this server serves a graph "
                           "loaded once")
    return live


@strawberry.type(description="Changes to the followed corpus (bearer token required).")
class Mutation:
    @strawberry.mutation(description=(
        "Write records (the record format's fields, as JSON objects; `body` for Markdown "
        "text) into the corpus, each checked by exactly the rules a file is. Each accepted "
        "record is written as a file (temp file, fsync, rename) before it is acknowledged; "
        "one file per canonical URL, so sending a record again updates it or leaves it "
        "UNCHANGED. Answers one result per record, in order. At the request's time limit "
        "the batch stops between records: the ones after are answered NOT_ATTEMPTED, as "
        "is every accepted record of a batch that waited that long for the folder (held "
        "by another batch or change). A batch whose records are written when its time "
        "limit comes, while the change holding them is still being applied, answers then: "
        "those records are acknowledged with visible false (durable; queries see them once "
        "the apply ends)."))
    def ingest(self, info: Info, records: Annotated[list[JSON], strawberry.argument(
            description="One or more records; at most maxIngestBatch.")],
    ) -> list[IngestResult]:
        live = _authorized_live(info)
        settings = info.context.get("settings")
        limit = settings.max_ingest_batch if settings is not None else 100
        if len(records) > limit:
            raise GraphQLError(f"{len(records)} records in one ingest; at most {limit} are "
                               "allowed: send them in batches",
                               extensions={"code": "LIMIT_EXCEEDED",
                                           "limit": "maxIngestBatch", "max": limit})
        # Resolvers run in the server's GraphQL worker threads: blocking here is fine. The
        # batch checks the request's deadline itself, between records (see schema/http.py).
        outcomes = files.ingest(live, list(records), budget_of(info))
        version = live.version
        return [IngestResult.of(o, version) for o in outcomes]

    @strawberry.mutation(description=(
        "Take a story out of the corpus: the files holding its records move to the "
        "folder's hidden .retracted/ folder (kept, never loaded). NOT_ATTEMPTED when the "
        "folder stayed held by another change until the request's time limit (nothing "
        "moved)."))
    def retract(self, info: Info, url: Annotated[str, strawberry.argument(
            description="The article's URL, raw or canonical.")]) -> IngestResult:
        live = _authorized_live(info)
        outcome = files.retract(live, url, budget_of(info))
        return IngestResult.of(outcome, live.version)
