// urql 6 with its normalized cache, graphcache 9, as a graph explorer's frontend uses them:
// the schema introspected for graphcache (WithinEdge.node is the Node interface), the
// 2-hop facial-recognition question from the seed story paged with `first`/`after` and
// merged by relayPagination, a node(id:) refetch, and the normalized records read back
// through a StorageAdapter (graphcache's own persistence hook) to see one record per object.
import { Client, fetchExchange, gql } from "@urql/core";
import { cacheExchange } from "@urql/exchange-graphcache";
import { relayPagination } from "@urql/exchange-graphcache/extras";
import { getIntrospectionQuery } from "graphql";
import { GRAPHQL, post, report } from "./lib.mjs";

const [SEED, PAGE] = [process.argv[2], Number(process.argv[3])];
const introspection = await post(getIntrospectionQuery());

// Every field graphcache writes, as "<entity key>.<field key>" -> JSON (its storage format).
const stored = new Map();
const storage = {
  readData: async () => ({}),
  writeData: async (delta) => {
    for (const [key, value] of Object.entries(delta)) {
      if (value === undefined) stored.delete(key);
      else stored.set(key, value);
    }
  },
};

const client = new Client({
  url: GRAPHQL,
  exchanges: [
    cacheExchange({
      schema: introspection.data,
      storage,
      // Connections, edges and pageInfo have no id: they live inside their parent.
      keys: { WithinConnection: () => null, WithinEdge: () => null, PageInfo: () => null },
      resolvers: { Article: { within: relayPagination() } },
    }),
    fetchExchange,
  ],
});

const WITHIN = gql`query Within($url: String!, $first: Int, $after: String) {
  article(url: $url) {
    id title
    within(hops: 2, where: {mentions: "facial recognition"}, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor hops node { __typename id ... on Article { title } } path { __typename id } }
    } } }`;
const NODE = gql`query Refetch($id: ID!) { node(id: $id) { __typename id ... on Article { title url } } }`;

const shape = (connection) => ({
  totalCount: connection.totalCount,
  pageInfo: { hasNextPage: connection.pageInfo.hasNextPage },
  edges: connection.edges.map((e) => ({ hops: e.hops, node: { ...e.node },
                                        path: e.path.map((p) => ({ ...p })) })),
});
const out = { errors: [], pages: [] };
const answer = (result) => {
  if (result.error) out.errors.push(String(result.error.message));
  return result.data;
};

// The question, page by page: urql hands back the pages merged so far.
let after = null;
let merged;
for (let page = 0; page < 20; page++) {
  const data = answer(await client.query(WITHIN, { url: SEED, first: PAGE, after },
                                         { requestPolicy: "network-only" }).toPromise());
  if (!data) break;
  merged = data.article.within;
  out.pages.push(merged.edges.length);
  if (!merged.pageInfo.hasNextPage) break;
  after = merged.pageInfo.endCursor;
}
out.merged = merged && shape(merged);

// The first page's variables, read from the cache alone: the whole merged list.
const cached = await client.query(WITHIN, { url: SEED, first: PAGE, after: null },
                                  { requestPolicy: "cache-only" }).toPromise();
out.cachedOnly = cached.data ? shape(cached.data.article.within) : null;

// A story the walk reached both as a node and inside another's path, refetched by id.
const hops1 = merged.edges.find((e) => e.hops === 1
  && merged.edges.some((f) => f.hops === 2 && f.path.some((p) => p.id === e.node.id)));
out.twice = hops1?.node.id;
out.refetched = answer(await client.query(NODE, { id: out.twice },
                                          { requestPolicy: "network-only" }).toPromise());

// A bad argument: urql must hand the server's GraphQL error over as it is, not a network one.
const bad = await client.query(WITHIN.loc.source.body.replace("hops: 2", "hops: 9"),
                               { url: SEED, first: PAGE }).toPromise();
out.badHops = { graphQLErrors: (bad.error?.graphQLErrors ?? []).map((e) => e.message),
                networkError: Boolean(bad.error?.networkError), data: bad.data ?? null };

// What graphcache holds: every record with an id (the normalized ones), by its key.
// Storage keys are "<entity key>.<field key>", dots in the entity key escaped as %2e; a
// link to other records is stored as ":" + JSON, a scalar as JSON.
await new Promise((resolve) => setTimeout(resolve, 0)); // writeData follows the write
const records = {};
for (const [key, value] of stored) {
  const dot = key.indexOf(".");
  const entity = key.slice(0, dot).replace(/%2e/g, ".");
  (records[entity] ??= {})[key.slice(dot + 1)] =
    JSON.parse(value.startsWith(":") ? value.slice(1) : value);
}
out.records = Object.fromEntries(Object.entries(records).filter(([, r]) => "id" in r));
report(out);
