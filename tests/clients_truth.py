"""What the server holds, read by plain HTTP, for the client suite to compare against."""

from __future__ import annotations

import json
import urllib.request


def post(server: str, query: str, variables: dict | None = None) -> dict:
    """POST a GraphQL query; return the response body."""
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    request = urllib.request.Request(f"{server}/graphql", data=body,
                                     headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as r:
        return json.load(r)


def all_ids(server: str, field: str) -> list[str]:
    """Every node id of a root connection, paging forward 100 at a time."""
    ids: list[str] = []
    after = None
    while True:
        page = post(server, f"query ($after: String) {{ {field}(first: 100, after: $after) "
                            "{ edges { node { id } } pageInfo { hasNextPage endCursor } } }",
                    {"after": after})["data"][field]
        ids += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return ids
        after = page["pageInfo"]["endCursor"]
