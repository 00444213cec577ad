// The newsgraph playground: GraphiQL from newsgraph's own assets, opened on example tabs made
// from the served corpus (a story it holds, one of that story's topics as the phrase), under
// a notice with the load report's counts and its errors.
"use strict";

(function () {
  const url = window.location.pathname;
  const el = (tag, attrs = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    for (const child of children.flat()) if (child != null) node.append(child instanceof Node ? child : String(child));
    return node;
  };

  // A server still loading its corpus answers NOT_READY: say so and ask again every second.
  async function gql(query) {
    for (;;) {
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify({ query }),
      });
      const body = await response.json();
      const error = body.errors && body.errors[0];
      if (!error) return body.data;
      if ((error.extensions || {}).code !== "NOT_READY") throw new Error(error.message);
      document.getElementById("graphiql").textContent = `The server is still loading: ${error.message}`;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }

  // The newest story that is not a stub, with its topics, and what the load reported.
  const START = `{
    articles(first: 1, where: {isStub: false}) { edges { node { id url title topics { name } } } }
    loadReport { files records articles stubs topics providers
                 edges { kind count } skipped { path } errors { path line reason } }
  }`;

  function tabsFor(article) {
    if (!article) {
      return [{ query: `# The served corpus holds no story yet: what did its load read?
query LoadReport {
  loadReport { files records articles topics providers errors { path line reason } }
}
` }];
    }
    const phrase = article.topics.length ? article.topics[0].name.toLowerCase() : article.title.split(/\s+/)[0].toLowerCase();
    const title = article.title.replace(/\*\//g, "");
    return [
      {
        query: `# The question newsgraph exists for: which stories within two hops of a story
# mention a phrase? Here: "${title.replace(/\n/g, " ")}" (the newest story served) and
# "${phrase}" (its first topic). Press ▶ (Ctrl-Enter).
query WithinTwoHops($url: String!, $phrase: String!) {
  article(url: $url) {
    title
    within(hops: 2, where: {mentions: $phrase}) {
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
        variables: JSON.stringify({ url: article.url, phrase }, null, 2),
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
        variables: JSON.stringify({ from: [article.id] }, null, 2),
      },
    ];
  }

  function notice(report) {
    const counts = `Serving ${report.records} records from ${report.files} files: ` +
      `${report.articles} stories (${report.stubs} stubs), ${report.topics} topics, ` +
      `${report.providers} providers; ` + report.edges.map((e) => `${e.count} ${e.kind}`).join(", ") + ".";
    const box = el("div", { id: "load-notice", role: "status" }, el("span", { id: "load-counts" }, counts));
    if (report.errors.length || report.skipped.length) {
      box.classList.add("problems");
      box.append(" ", el("details", { id: "load-errors" },
        el("summary", {}, `${report.errors.length} load error${report.errors.length === 1 ? "" : "s"}` +
          (report.skipped.length ? `, ${report.skipped.length} skipped file${report.skipped.length === 1 ? "" : "s"}` : "")),
        el("ol", {}, report.errors.map((e) => el("li", {}, `${e.path}${e.line ? ":" + e.line : ""}: ${e.reason}`)),
          report.skipped.map((s) => el("li", {}, `${s.path}: skipped, no records`)))));
    } else {
      box.append(" ", el("span", { id: "load-clean" }, "No load errors."));
    }
    box.append(" ", el("a", { href: "explore" }, "Graph explorer →"));
    return box;
  }

  function render(tabs) {
    const fetcher = GraphiQL.createFetcher({ url });
    ReactDOM.createRoot(document.getElementById("graphiql")).render(
      React.createElement(GraphiQL, {
        fetcher,
        defaultTabs: tabs,
        variables: tabs[0].variables || "", // GraphiQL seeds the first tab's variables from this prop only
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
  }

  gql(START).then((data) => {
    const first = data.articles.edges[0];
    document.body.prepend(notice(data.loadReport));
    render(tabsFor(first ? first.node : null));
  }).catch((err) => {
    document.body.prepend(el("div", { id: "load-notice", role: "alert", class: "problems" },
      `The served corpus could not be read: ${err.message}`));
    render(tabsFor(null));
  });
})();
