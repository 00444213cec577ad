// The graph libraries loading every export as-is: Cytoscape.js (headless), graphology (its
// JSON, GraphML and GEXF parsers) and d3-force, from the GraphQL `export` field and from
// GET /export/graph.*. Reports what each library holds, for tests/test_clients.py to compare.
import cytoscape from "cytoscape";
import { forceLink, forceSimulation } from "d3-force";
import graphology from "graphology";
import gexf from "graphology-gexf";
import graphml from "graphology-graphml";
import { get, post, report } from "./lib.mjs";

const { MultiDirectedGraph } = graphology;
const SEED = "provider:sixthtone.com";
const out = { graphql: {}, files: {} };

const cy = (elements) => {
  const c = cytoscape({ headless: true, elements });
  return { nodes: c.nodes().length, edges: c.edges().length };
};
const d3 = (data) => {
  const nodes = data.nodes.map((n) => ({ ...n }));
  const link = forceLink(data.links ?? []).id((n) => n.id);
  forceSimulation(nodes).force("link", link).stop().tick(1);
  return { nodes: nodes.length, edges: link.links().length };
};
const attempt = async (where, name, fn) => {
  try { where[name] = await fn(); } catch (e) { where[name] = { error: String(e.message || e) }; }
};
const counted = (g) => ({ nodes: g.order, edges: g.size,
  withHops: g.filterNodes((_, a) => "hops" in a).length });

// A neighborhood through GraphQL, in each JSON shape.
const q = await post(`query ($from: [ID!]!) { neighborhood(from: $from, hops: 1) {
  nodes { kind } edges { kind }
  cytoscape: export(format: CYTOSCAPE) graphology: export(format: GRAPHOLOGY)
  nodeLink: export(format: NODE_LINK) } }`, { from: [SEED] });
if (q.errors) throw new Error(JSON.stringify(q.errors));
const sub = q.data.neighborhood;
out.graphql.expected = { nodes: sub.nodes.length, edges: sub.edges.length };
await attempt(out.graphql, "cytoscape", async () => cy(sub.cytoscape));
await attempt(out.graphql, "graphology", async () => counted(MultiDirectedGraph.from(sub.graphology)));
await attempt(out.graphql, "d3", async () => d3(sub.nodeLink));

// The whole graph as files.
const stats = await post("{ stats { nodes edges } }");
await attempt(out.files, "expected", async () => stats.data.stats);
const json = async (format) => JSON.parse(await get(`/export/graph.json?format=${format}`));
await attempt(out.files, "d3", async () => d3(await json("node-link")));
await attempt(out.files, "nodeLinkHops", async () => (await json("node-link")).nodes.filter((n) => "hops" in n).length);
await attempt(out.files, "cytoscape", async () => cy(await json("cytoscape")));
await attempt(out.files, "cyjs", async () => cy((JSON.parse(await get("/export/graph.cyjs"))).elements));
await attempt(out.files, "graphology", async () => counted(MultiDirectedGraph.from(await json("graphology"))));
await attempt(out.files, "graphml", async () => counted(graphml.parse(MultiDirectedGraph, await get("/export/graph.graphml"))));
await attempt(out.files, "gexf", async () => counted(gexf.parse(MultiDirectedGraph, await get("/export/graph.gexf"))));
report(out);
