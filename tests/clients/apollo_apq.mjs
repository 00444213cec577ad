// Apollo Client 4 with its persisted-query link (automatic persisted queries), as
// production Apollo setups send: the first request carries only the query's SHA-256 in
// extensions.persistedQuery, and the link sends the whole query when the server answers
// PERSISTED_QUERY_NOT_SUPPORTED or PERSISTED_QUERY_NOT_FOUND. Run once POSTing the hash
// and once GETting it (useGETForHashedQueries); each reports its answers and every
// request the link made (method, whether it held the query text, the hash).
import { createHash } from "node:crypto";
import { ApolloClient, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { PersistedQueryLink } from "@apollo/client/link/persisted-queries";
import { GRAPHQL, post, report } from "./lib.mjs";

const useGET = process.argv[2] === "get";
const requests = [];
const logged = async (uri, options) => {
  const url = new URL(uri);
  const body = options.body ? JSON.parse(options.body) : null;
  const query = body ? body.query : url.searchParams.get("query");
  const extensions = body ? body.extensions : JSON.parse(url.searchParams.get("extensions") || "null");
  requests.push({ method: options.method || "GET", query: Boolean(query),
                  hashed: Boolean(extensions && extensions.persistedQuery) });
  return fetch(uri, options);
};

const client = new ApolloClient({
  link: new PersistedQueryLink({
    sha256: (text) => createHash("sha256").update(text).digest("hex"),
    useGETForHashedQueries: useGET,
  }).concat(new HttpLink({ uri: GRAPHQL, fetch: logged })),
  cache: new InMemoryCache(),
});

const out = {};
try {
  const a = await client.query({ query: gql`{ stats { articles } }` });
  out.first = a.data.stats.articles;
  const b = await client.query({ query: gql`{ stats { topics } }` });
  out.second = b.data.stats.topics;
} catch (e) {
  out.error = String(e.message || e);
}
out.requests = requests;
out.truth = (await post("{ stats { articles topics } }")).data.stats;
report(out);
