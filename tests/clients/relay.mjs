// relay-runtime 21 (development build: its warnings on) normalizing the answers of the
// documents relay-compiler compiled from relay/documents.js: two neighborhoods, then node(id:).
import relay from "relay-runtime";
import { post, report, warnings, GRAPHQL } from "./lib.mjs";

const { Environment, Network, RecordSource, Store, fetchQuery, createOperationDescriptor } = relay;
const load = async (name) => (await import(`./relay/__generated__/${name}.graphql.js`)).default;
const Around = await load("documentsAroundQuery");
const Refetch = await load("documentsRefetchQuery");
const ArticlesForward = await load("documentsArticlesForwardQuery");
const TopicsBackward = await load("documentsTopicsBackwardQuery");

const errors = [];
const network = Network.create(async (params, variables) => {
  const r = await fetch(GRAPHQL, { method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify({ query: params.text, variables }) });
  const body = await r.json();
  if (body.errors) errors.push(...body.errors.map((e) => e.message));
  return body;
});
const environment = new Environment({ network, store: new Store(new RecordSource()) });

const PROVIDER = "provider:sixthtone.com";
const SCHOOL = "article:https://www.sixthtone.com/news/1009712/chinese-school-faces-backlash-over-use-of-facial-recognition-scanners";
const run = (query, variables) => fetchQuery(environment, query, variables).toPromise();

await run(Around, { from: [PROVIDER], hops: 1 });
await run(Around, { from: [SCHOOL], hops: 1 });
await run(Refetch, { id: PROVIDER });
await run(Refetch, { id: SCHOOL });
await run(ArticlesForward, { first: 3 });
await run(TopicsBackward, { last: 3 });

const record = (id) => environment.getStore().getSource().get(id);
const pages = {
  articles: environment.lookup(
    createOperationDescriptor(ArticlesForward, { first: 3 }).fragment).data,
  topics: environment.lookup(
    createOperationDescriptor(TopicsBackward, { last: 3 }).fragment).data,
};
const snapshot = environment.lookup(
  createOperationDescriptor(Around, { from: [PROVIDER], hops: 1 }).fragment);
report({
  errors,
  providerType: record(PROVIDER)?.__typename ?? null,
  schoolType: record(SCHOOL)?.__typename ?? null,
  missing: snapshot.isMissingData,
  drawn: snapshot.data?.neighborhood?.nodes?.length ?? null,
  forward: pages.articles?.articles?.edges?.map((e) => e.node.id) ?? null,
  backward: pages.topics?.topics?.edges?.map((e) => e.node.id) ?? null,
});
