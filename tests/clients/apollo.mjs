// Apollo Client 4 (run with --conditions=development: dev messages on): InMemoryCache with
// relayStylePagination, paging forward (first/after) and backward (last/before), reading
// the merged lists back from the cache; two neighborhoods read back after each other.
import { ApolloClient, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { loadDevMessages, loadErrorMessages } from "@apollo/client/dev";
import { relayStylePagination } from "@apollo/client/utilities";
import { GRAPHQL, post, report } from "./lib.mjs";

loadDevMessages();
loadErrorMessages();

const client = new ApolloClient({
  link: new HttpLink({ uri: GRAPHQL }),
  cache: new InMemoryCache({
    typePolicies: {
      Query: {
        fields: {
          articles: relayStylePagination(["where", "orderBy"]),
          topics: relayStylePagination(),
        },
      },
    },
  }),
});

const PAGE_INFO = "pageInfo { hasNextPage hasPreviousPage startCursor endCursor }";
const ARTICLES = gql`query Articles($first: Int, $after: String) {
  articles(first: $first, after: $after) { totalCount edges { cursor node { id title } } ${PAGE_INFO} } }`;
const TOPICS = gql`query Topics($last: Int, $before: String) {
  topics(last: $last, before: $before) { totalCount edges { cursor node { id name } } ${PAGE_INFO} } }`;

const ids = (connection) => connection.edges.map((e) => e.node.id);
const out = {};
try {
  // Forward: two pages of 3, merged by the cache.
  const one = await client.query({ query: ARTICLES, variables: { first: 3 } });
  const network = { fetchPolicy: "network-only" };
  await client.query({ ...network, query: ARTICLES,
    variables: { first: 3, after: one.data.articles.pageInfo.endCursor } });
  const forward = client.readQuery({ query: ARTICLES, variables: { first: 3 } });
  out.forward = ids(forward.articles);
  out.forwardPageInfo = forward.articles.pageInfo;

  // Backward: the last 3 topics, then the 3 before them, merged in front.
  const last = await client.query({ query: TOPICS, variables: { last: 3 } });
  await client.query({ ...network, query: TOPICS,
    variables: { last: 3, before: last.data.topics.pageInfo.startCursor } });
  const backward = client.readQuery({ query: TOPICS, variables: { last: 3 } });
  out.backward = ids(backward.topics);
  out.backwardPageInfo = backward.topics.pageInfo;
} catch (e) {
  out.pagingError = String(e.message || e);
}

// Two neighborhoods: the first read back from the cache must be what the server said.
const shape = await post('{ __type(name: "GraphNode") { fields { name } } }');
const drawnById = shape.data.__type.fields.some((f) => f.name === "id");
const NEIGHBORHOOD = gql(`query Around($from: [ID!]!) {
  neighborhood(from: $from, hops: 1) {
    nodes { ${drawnById ? "id" : ""} hops node { __typename id } } edges { id source target } } }`);
const PROVIDER = "provider:sixthtone.com";
const SCHOOL = "article:https://www.sixthtone.com/news/1009712/chinese-school-faces-backlash-over-use-of-facial-recognition-scanners";
const hopsOf = (data, id) => data.neighborhood.nodes.find((n) => n.node.id === id)?.hops;
const first = await client.query({ query: NEIGHBORHOOD, variables: { from: [PROVIDER] } });
out.providerHopsAnswered = hopsOf(first.data, PROVIDER);
await client.query({ fetchPolicy: "network-only", query: NEIGHBORHOOD, variables: { from: [SCHOOL] } });
const back = client.readQuery({ query: NEIGHBORHOOD, variables: { from: [PROVIDER] } });
out.providerHopsReadBack = hopsOf(back, PROVIDER);
out.schoolHopsReadBack = hopsOf(back, SCHOOL);
report(out);
