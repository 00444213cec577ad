// The newsgraph playground: GraphiQL from newsgraph's own assets, opened on example tabs.
"use strict";

const SEED =
  "https://www.sixthtone.com/news/1009712/chinese-school-faces-backlash-over-use-of-facial-recognition-scanners";

const EXAMPLE_TABS = [
  {
    query: `# The question newsgraph exists for: which stories within two hops of the
# Sixth Tone school story mention "facial recognition"? Press ▶ (Ctrl-Enter).
query FacialRecognitionWithinTwoHops {
  article(url: "${SEED}") {
    title
    within(hops: 2, where: {mentions: "facial recognition"}) {
      totalCount
      edges {
        hops
        node {
          ... on Article {
            title
            url
            provider { name }
          }
        }
      }
    }
  }
}
`,
  },
  {
    query: `# The subgraph one hop around the same story, in the shape graph explorers draw:
# each drawn node with its kind and distance (the node itself under \`node\`), and the
# edges among them.
query Neighborhood($from: [ID!]!) {
  neighborhood(from: $from, hops: 1) {
    nodes { node { id } kind label hops }
    edges { id source target kind }
    truncated
  }
}
`,
    variables: JSON.stringify({ from: [SEED] }, null, 2),
  },
];

const fetcher = GraphiQL.createFetcher({ url: window.location.pathname });

ReactDOM.createRoot(document.getElementById("graphiql")).render(
  React.createElement(GraphiQL, {
    fetcher,
    defaultTabs: EXAMPLE_TABS,
    defaultEditorToolsVisibility: true,
    visiblePlugin: "Documentation Explorer",
    isHeadersEditorEnabled: true,
    shouldPersistHeaders: false,
  },
  React.createElement(GraphiQL.Logo, null,
    "newsgraph ",
    React.createElement("a", { href: "explore", id: "explorer-link",
      style: { fontSize: "0.6em", marginLeft: "0.5em" } }, "graph explorer →"))),
);
