// The newsgraph explorer: Cytoscape.js drawing the graph, fed only by newsgraph's /graphql.
//
// Expanding asks `neighborhood` with every drawn node in `exclude`, so nothing comes twice and
// the edges that attach the new nodes to the drawing come along; a walk cut by its limit goes
// on from its `cursor`. Paths come from `paths`, each edge with its evidence records and each
// pair of stories with why they are linked. window.newsgraphExplorer exposes the state for
// the browser tests.
"use strict";

(function () {
  const ENDPOINT = new URL("graphql", window.location.href).toString();
  const MAX_PAGES = 20; // within() pages of 100 followed for one highlight
  const HEAVY = 300; // drawn nodes past which edges are hidden while panning and zooming
  // Nodes fetched per step (?limit=N overrides): one expansion, and a draw of several hops.
  const LIMIT_PARAM = Number(new URL(window.location.href).searchParams.get("limit")) || null;
  const EXPAND_LIMIT = LIMIT_PARAM || 200;
  const DRAW_LIMIT = LIMIT_PARAM || 2000;
  const $ = (sel) => document.querySelector(sel);
  const el = (tag, attrs = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (k === "class") node.className = v;
      else if (k === "dataset") Object.assign(node.dataset, v);
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v);
    }
    for (const child of children.flat()) {
      if (child != null) node.append(child instanceof Node ? child : String(child));
    }
    return node;
  };

  // -- talking to /graphql ----------------------------------------------------------

  let busy = 0;
  function setBusy(delta) {
    busy += delta;
    document.body.dataset.busy = String(busy);
  }

  async function gql(query, variables = {}) {
    setBusy(1);
    try {
      const response = await fetch(ENDPOINT, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify({ query, variables }),
      });
      const body = await response.json();
      if (body.errors && body.errors.length) throw new Error(body.errors[0].message);
      return body.data;
    } finally {
      setBusy(-1);
    }
  }

  // -- the graph on screen ----------------------------------------------------------

  const KINDS = ["article", "topic", "provider"];
  const kindOf = (id) => {
    const k = String(id).split(":", 1)[0];
    return KINDS.includes(k) ? k : "article";
  };
  const short = (text, n = 42) => (text.length > n ? text.slice(0, n - 1) + "…" : text);
  const labelOf = (node) => node.title || node.name || node.label || node.domain || node.slug || node.id;

  const cy = cytoscape({
    container: $("#cy"),
    minZoom: 0.05,
    maxZoom: 4,
    pixelRatio: 1,
    textureOnViewport: true,
    motionBlur: false,
    boxSelectionEnabled: false,
    style: [
      { selector: "node", style: {
        "background-color": "#3b6fd8", width: "data(size)", height: "data(size)",
        label: "data(short)", "font-size": 10, color: "#2b3240", "text-valign": "bottom",
        "text-margin-y": 3, "min-zoomed-font-size": 8, "text-max-width": 160,
        "text-wrap": "ellipsis", "border-width": 0, "overlay-opacity": 0 } },
      // round-diamond, not diamond: Cytoscape 3.34's diamond misses a click on its centre.
      { selector: "node[kind = 'topic']", style: { "background-color": "#e08a00", shape: "round-diamond" } },
      { selector: "node[kind = 'provider']", style: { "background-color": "#1f9d63", shape: "round-rectangle" } },
      { selector: "node.stub", style: { "background-opacity": 0.55 } },
      { selector: "node.expanded", style: { "border-width": 2, "border-color": "#1d2330", "border-opacity": 0.35 } },
      { selector: "edge", style: {
        width: 1, "line-color": "#c3c9d5", "curve-style": "haystack", "haystack-radius": 0,
        opacity: 0.9 } },
      { selector: "edge[kind = 'RELATED']", style: { width: 2, "line-color": "#8ea5d6" } },
      { selector: ".faded", style: { opacity: 0.12 } },
      { selector: "node.hit", style: {
        "border-width": 5, "border-color": "#d6336c", "font-weight": "bold", "z-index": 10 } },
      { selector: "node.onpath", style: { "border-width": 4, "border-color": "#d6336c", "z-index": 10 } },
      { selector: "edge.onpath", style: {
        width: 4, "line-color": "#d6336c", opacity: 1, "z-index": 10 } },
      { selector: "node:selected", style: {
        "border-width": 5, "border-color": "#1d2330", "border-opacity": 1, "z-index": 20 } },
    ],
  });

  const expanded = new Set();
  let selection = []; // node ids, in the order they were chosen (at most two)

  function sizeOf(degree) {
    return Math.min(80, 14 + 6 * Math.sqrt(Math.max(0, degree)));
  }

  function refreshSizes(nodes) {
    cy.batch(() => {
      nodes.forEach((n) => {
        const degree = n.data("apiDegree") != null ? n.data("apiDegree") : n.degree(false);
        n.data("size", sizeOf(degree));
      });
    });
  }

  function freeSpot() {
    if (cy.nodes().empty()) return { x: 0, y: 0 };
    const bb = cy.nodes().boundingBox();
    return { x: bb.x2 + 200, y: (bb.y1 + bb.y2) / 2 };
  }

  // Place `ids` around `center` in rings, nearest ring first: instant, whatever the count.
  function placeAround(center, ids) {
    let ring = 0;
    let placed = 0;
    while (placed < ids.length) {
      const radius = 90 + ring * 55;
      const slots = Math.max(6, Math.floor((2 * Math.PI * radius) / 38));
      const count = Math.min(slots, ids.length - placed);
      for (let i = 0; i < count; i++) {
        const angle = (2 * Math.PI * i) / count + ring * 0.37;
        cy.getElementById(ids[placed + i]).position({
          x: center.x + radius * Math.cos(angle), y: center.y + radius * Math.sin(angle),
        });
      }
      placed += count;
      ring += 1;
    }
  }

  // Add nodes and edges not drawn yet; return the ids of the new nodes.
  function addGraph(nodes, edges, center) {
    const fresh = [];
    cy.batch(() => {
      for (const n of nodes) {
        const existing = cy.getElementById(n.id);
        if (existing.nonempty()) {
          if (n.degree != null) existing.data("apiDegree", n.degree);
          continue;
        }
        const label = labelOf(n);
        const added = cy.add({ group: "nodes", data: {
          id: n.id, kind: (n.kind || kindOf(n.id)).toLowerCase(), label, short: short(label),
          apiDegree: n.degree != null ? n.degree : null, size: 20,
        } });
        if (n.isStub) added.addClass("stub");
        fresh.push(n.id);
      }
      for (const e of edges) {
        if (cy.getElementById(e.id).nonempty()) continue;
        if (cy.getElementById(e.source).empty() || cy.getElementById(e.target).empty()) continue;
        cy.add({ group: "edges", data: {
          id: e.id, source: e.source, target: e.target, kind: e.kind,
          evidence: e.evidence != null ? e.evidence : null,
        } });
      }
      placeAround(center || freeSpot(), fresh);
    });
    refreshSizes(cy.nodes());
    updateStatus();
    return fresh;
  }

  function relayout(fit = true) {
    const n = cy.nodes().length;
    if (n === 0) return;
    if (n <= 400) { // beyond that a force layout takes seconds: keep the rings
      cy.layout({
        name: "cose", animate: false, randomize: false, fit: false,
        nodeRepulsion: () => 20000, idealEdgeLength: () => 90, nodeOverlap: 20, numIter: 800,
      }).run();
    }
    if (fit) fitTo(cy.elements());
  }

  // Fit `eles` in view, without zooming in so far that labels turn huge.
  function fitTo(eles) {
    cy.fit(eles, 40);
    if (cy.zoom() > 1.2) {
      cy.zoom(1.2);
      cy.center(eles);
    }
  }

  function updateStatus() {
    const n = cy.nodes().length;
    $("#status").textContent = `${n} nodes · ${cy.edges().length} edges drawn`;
    // Past a few hundred nodes, drawing every edge on each frame of a pan or zoom stutters
    // (measured: 90th-percentile frame 67 ms at 1,000 nodes, 17 ms with edges hidden).
    const renderer = cy.renderer();
    if (renderer && "hideEdgesOnViewport" in renderer) renderer.hideEdgesOnViewport = n > HEAVY;
  }

  // -- neighbourhoods --------------------------------------------------------------

  // A drawn node (GraphNode) has no id of its own: the node it draws is under `node`.
  const NODE_FIELDS = "node { id } kind label hops degree";
  const EDGE_FIELDS = "id source target kind evidence";
  let walk = null; // the last draw or expansion: { ids, hops, limit, cursor, rings, reached }

  // The subgraph around `ids` less what is drawn already, with the edges attaching it.
  async function fetchNeighborhood(ids, hops, limit, after = null) {
    const exclude = cy.nodes().map((n) => n.id()).filter((d) => !ids.includes(d));
    const data = await gql(`query ($from: [ID!]!, $hops: Int!, $limit: Int!, $exclude: [ID!], $after: String) {
      neighborhood(from: $from, hops: $hops, limit: $limit, exclude: $exclude, after: $after) {
        nodes { ${NODE_FIELDS} } edges { ${EDGE_FIELDS} } truncated cursor } }`,
    { from: ids, hops, limit, exclude, after });
    const sub = data.neighborhood;
    return { ...sub, nodes: sub.nodes.map(({ node, ...drawn }) => ({ id: node.id, ...drawn })) };
  }

  // Add one page of a walk; when the walk is done, every node short of its last hop has had
  // all its neighbours drawn: clicking it again fetches nothing.
  function takePage(sub, center) {
    const fresh = addGraph(sub.nodes, sub.edges, center);
    cy.batch(() => sub.nodes.forEach((n) => {
      cy.getElementById(n.id).data("hops", n.hops);
      if (n.hops < walk.hops) walk.reached.push(n.id);
    }));
    walk.cursor = sub.truncated ? sub.cursor : null;
    if (!walk.cursor) walk.reached.forEach((n) => expanded.add(n));
    $("#more").hidden = !walk.cursor;
    return fresh;
  }

  function arrange(focus) {
    if (cy.nodes().length <= 400) {
      relayout(true);
    } else if (walk.rings) { // rings by distance from the seed: instant at thousands of nodes
      cy.layout({
        name: "concentric", concentric: (n) => 10 - (n.data("hops") ?? 9), levelWidth: () => 1,
        minNodeSpacing: 6, animate: false, fit: true, padding: 30,
      }).run();
    } else {
      fitTo(focus.closedNeighborhood());
    }
  }

  async function draw(id, hops) {
    const rings = cy.nodes().empty();
    const center = cy.getElementById(id).nonempty() ? cy.getElementById(id).position() : freeSpot();
    const limit = hops > 1 ? DRAW_LIMIT : EXPAND_LIMIT;
    const sub = await fetchNeighborhood([id], hops, limit);
    walk = { ids: [id], hops, limit, cursor: null, rings, reached: [] };
    if (addGraph(sub.nodes.filter((n) => n.id === id), [], center).length) {
      cy.getElementById(id).position({ ...center });
    }
    const fresh = takePage(sub, center);
    expanded.add(id);
    cy.getElementById(id).addClass("expanded");
    arrange(cy.getElementById(id));
    note(walk.cursor ? `${fresh.length} nodes added; more remain (Draw more).` : "");
    return fresh;
  }

  // Draw the next page of the last walk that its limit cut short.
  async function drawMore() {
    if (!walk || !walk.cursor) return [];
    const seed = cy.getElementById(walk.ids[0]);
    const sub = await fetchNeighborhood(walk.ids, walk.hops, walk.limit, walk.cursor);
    const fresh = takePage(sub, seed.position());
    arrange(seed);
    note(walk.cursor ? "more remain (Draw more)." : "");
    return fresh;
  }

  async function expand(id) {
    if (expanded.has(id)) return [];
    const node = cy.getElementById(id);
    node.addClass("expanded");
    const sub = await fetchNeighborhood([id], 1, EXPAND_LIMIT);
    walk = { ids: [id], hops: 1, limit: EXPAND_LIMIT, cursor: null, rings: false, reached: [] };
    const fresh = addGraph(sub.nodes, sub.edges, node.position());
    walk.cursor = sub.truncated ? sub.cursor : null;
    $("#more").hidden = !walk.cursor;
    if (!walk.cursor) expanded.add(id);
    if (fresh.length && cy.nodes().length <= 150) relayout(false);
    note(walk.cursor ? "more neighbours remain (Draw more)." : "");
    return fresh;
  }

  function note(text) {
    if (text) $("#status").textContent += ` · ${text}`;
  }

  // -- details ---------------------------------------------------------------------

  async function showDetails(id) {
    const box = $("#details");
    box.replaceChildren(el("p", { class: "hint" }, "Loading…"));
    const data = await gql(`query ($id: ID!) { node(id: $id) { __typename id
      ... on Article { title url webUrl originalUrl publishedAt excerpt isStub sources
                       provider { id name domain } topics { id name } }
      ... on Topic { name slug articleCount }
      ... on Provider { name domain articleCount } } }`, { id });
    const n = data.node;
    if (!n) { box.replaceChildren(el("p", { class: "hint" }, "Not in the graph.")); return; }
    const kind = n.__typename.toLowerCase();
    const drawnDegree = cy.getElementById(id).nonempty() ? cy.getElementById(id).degree(false) : 0;
    const parts = [el("span", { class: `kind ${kind}` }, kind === "article" ? "story" : kind)];
    if (kind === "article") {
      const link = n.originalUrl || n.webUrl || n.url;
      parts.push(
        el("h3", { id: "details-title" }, n.title),
        el("dl", {},
          el("dt", {}, "Provider"),
          el("dd", {}, chipButton(n.provider.id, n.provider.name, "provider")),
          el("dt", {}, "Published"),
          el("dd", { id: "details-date" }, n.publishedAt ? n.publishedAt.slice(0, 10) : "unknown"),
          el("dt", {}, "Topics"),
          el("dd", {}, el("div", { class: "chips" },
            n.topics.length ? n.topics.map((t) => chipButton(t.id, t.name, "topic")) : "none")),
          el("dt", {}, "Original"),
          el("dd", {}, el("a", { id: "details-link", href: link, target: "_blank", rel: "noopener noreferrer" }, link)),
          el("dt", {}, "Drawn edges"), el("dd", {}, String(drawnDegree)),
          el("dt", {}, "Records"), el("dd", { class: "meta" }, n.sources.map(recordName).join(", ") || "none"),
        ),
        n.isStub ? el("p", { class: "hint" }, "A stub: known only from another record's related list.") : null,
        n.excerpt ? el("p", { class: "excerpt" }, short(n.excerpt, 320)) : null,
      );
    } else {
      parts.push(
        el("h3", { id: "details-title" }, n.name),
        el("dl", {},
          el("dt", {}, kind === "topic" ? "Slug" : "Domain"),
          el("dd", {}, kind === "topic" ? n.slug : n.domain),
          el("dt", {}, "Stories"), el("dd", {}, String(n.articleCount)),
          el("dt", {}, "Drawn edges"), el("dd", {}, String(drawnDegree)),
        ),
      );
    }
    parts.push(el("div", { class: "buttons" },
      el("button", { type: "button", id: "expand-selected", onclick: () => run(() => expand(id)) },
        expanded.has(id) ? "Expanded" : "Expand"),
      el("button", { type: "button", onclick: () => { cy.animate({ center: { eles: cy.getElementById(id) }, duration: 200 }); } }, "Centre")));
    box.replaceChildren(...parts.filter((p) => p != null));
  }

  function chipButton(id, text, kind) {
    return el("button", { type: "button", class: `chip ${kind}`, title: `Draw ${text}`,
      onclick: () => run(() => choose(id, labelOf({ name: text }), kind)) }, text);
  }

  // -- selection, expansion and paths ----------------------------------------------

  async function select(id, { additive = false } = {}) {
    if (additive && selection.length) {
      selection = [selection[selection.length - 1], id];
    } else {
      selection = [id];
    }
    cy.nodes(":selected").unselect();
    selection.forEach((s) => cy.getElementById(s).select());
    const url = new URL(window.location.href);
    url.searchParams.set("node", selection[0]);
    history.replaceState(null, "", url);
    await showDetails(id);
    if (selection.length === 2 && selection[0] !== selection[1]) await showPaths(selection[0], selection[1]);
  }

  async function choose(id, label, kind) {
    closeResults();
    const depth = Number($("#depth").value);
    if (cy.getElementById(id).empty()) await draw(id, depth);
    else await expand(id);
    await select(id);
  }

  function clearMarks() {
    cy.elements().removeClass("faded hit onpath");
  }

  async function showPaths(from, to) {
    const box = $("#path-results");
    box.replaceChildren(el("p", { class: "hint" }, "Finding paths…"));
    const nodeFields = `id __typename ... on Article { title isStub } ... on Topic { name } ... on Provider { name }`;
    const data = await gql(`query ($from: ID!, $to: ID!) {
      paths(from: $from, to: $to, k: 3, maxHops: 4) {
        length nodes { ${nodeFields} } edges { ${EDGE_FIELDS} } links { kind text } } }`,
    { from, to });
    const paths = data.paths;
    clearMarks();
    if (!paths.length) {
      box.replaceChildren(el("p", { class: "hint", id: "no-path" },
        "No path of at most 4 hops joins these two nodes."));
      return paths;
    }
    const onPath = cy.collection();
    const list = [];
    let added = 0;
    paths.forEach((p, i) => {
      const prev = p.nodes[0];
      added += addGraph(p.nodes.map((n) => ({ ...n, kind: kindOf(n.id) })), p.edges,
        cy.getElementById(prev.id).position()).length;
      p.nodes.forEach((n) => { onPath.merge(cy.getElementById(n.id)); });
      p.edges.forEach((e) => { onPath.merge(cy.getElementById(e.id)); });
      const byId = Object.fromEntries(p.nodes.map((n) => [n.id, n]));
      const steps = p.edges.map((e, j) => {
        const a = p.nodes[j];
        const b = p.nodes[j + 1];
        return el("li", { class: "step" },
          el("span", { class: "edge-kind" }, e.kind), " ",
          `${short(labelOf(a), 50)} → ${short(labelOf(b), 50)}`,
          el("span", { class: "evidence" }, evidenceText(e, byId)));
      });
      list.push(el("div", { class: "path" },
        el("div", { class: "head" }, `Path ${i + 1}: ${p.length} hop${p.length === 1 ? "" : "s"}`),
        el("ol", { class: "steps" }, steps),
        p.links.length ? el("ul", { class: "links" },
          p.links.map((l) => el("li", { class: "link-why" }, l.text))) : null));
    });
    if (added) relayout(false);
    cy.elements().not(onPath).addClass("faded");
    onPath.addClass("onpath");
    box.replaceChildren(
      el("p", {}, `Between “${short(labelOf(paths[0].nodes[0]), 60)}” and “${short(labelOf(paths[0].nodes[paths[0].nodes.length - 1]), 60)}”:`),
      ...list);
    $("#paths").scrollIntoView({ block: "start" });
    return paths;
  }

  // Why an edge exists: the edge in words, then the records it rests on.
  function evidenceText(edge, byId) {
    const s = byId[edge.source] || { id: edge.source };
    const t = byId[edge.target] || { id: edge.target };
    let words = `${edge.kind}: ${labelOf(s)} → ${labelOf(t)}`;
    if (edge.kind === "RELATED") words = `“${short(labelOf(s), 60)}” lists “${short(labelOf(t), 60)}” as related`;
    else if (edge.kind === "TAGGED") words = `“${short(labelOf(s), 60)}” is tagged “${labelOf(t)}”`;
    else if (edge.kind === "PUBLISHED_BY") words = `“${short(labelOf(s), 60)}” is published by ${labelOf(t)}`;
    else if (edge.kind === "SAME_STORY") words = `“${short(labelOf(s), 60)}” and “${short(labelOf(t), 60)}” are copies of one story`;
    const records = (edge.evidence || []).map(recordName);
    return records.length ? `${words}; record ${records.join(", ")}.` : `${words}.`;
  }

  // A record as 'folder/file:line': enough to find it, without the server's own paths.
  function recordName(record) {
    const m = /([^/\\]+[/\\][^/\\]+)$/.exec(record);
    return m ? m[1] : record;
  }

  // -- the mentions filter: the answer of within(), highlighted ---------------------

  async function highlight() {
    const from = selection[0] || (cy.nodes(".expanded").first().id && cy.nodes(".expanded").first().id());
    const box = $("#filter-results");
    if (!from) {
      box.replaceChildren(el("p", { class: "hint" }, "Choose a node first: search, or click one."));
      return [];
    }
    const hops = Number($("#hops").value);
    const mentions = $("#mentions").value.trim();
    const where = mentions ? { mentions } : null;
    const hits = [];
    let after = null;
    let total = 0;
    for (let page = 0; page < MAX_PAGES; page++) {
      const data = await gql(`query ($from: ID!, $hops: Int!, $where: ArticleFilter, $after: String) {
        within(from: $from, hops: $hops, where: $where, first: 100, after: $after) {
          totalCount pageInfo { hasNextPage endCursor }
          edges { hops
            node { id ... on Article { title isStub publishedAt provider { name } } }
            path { id ... on Article { title isStub } ... on Topic { name } ... on Provider { name } }
            pathEdges { id source target kind } } } }`, { from, hops, where, after });
      const conn = data.within;
      total = conn.totalCount;
      hits.push(...conn.edges);
      if (!conn.pageInfo.hasNextPage) break;
      after = conn.pageInfo.endCursor;
    }
    clearMarks();
    const marked = cy.collection();
    let added = 0;
    for (const h of hits) {
      added += addGraph(h.path.map((n) => ({ ...n, kind: kindOf(n.id) })), h.pathEdges,
        cy.getElementById(h.path[Math.max(0, h.path.length - 2)].id).position()).length;
      h.path.forEach((n) => marked.merge(cy.getElementById(n.id)));
      h.pathEdges.forEach((e) => marked.merge(cy.getElementById(e.id)));
    }
    if (added) relayout(false);
    const hitNodes = cy.collection(hits.map((h) => cy.getElementById(h.node.id)));
    cy.batch(() => {
      cy.elements().not(marked).not(cy.getElementById(from)).addClass("faded");
      hitNodes.addClass("hit");
    });
    const fromLabel = cy.getElementById(from).data("label") || from;
    box.replaceChildren(
      el("p", { id: "filter-summary" },
        `${total} ${total === 1 ? "story" : "stories"} within ${hops} hop${hops === 1 ? "" : "s"} of “${short(fromLabel, 60)}”` +
        (mentions ? ` mention “${mentions}”` : "") + "."),
      el("ol", { class: "hits", id: "hits" }, hits.map((h) => el("li", {
        dataset: { id: h.node.id, hops: String(h.hops) },
        onclick: () => run(() => select(h.node.id)),
      }, el("span", { class: "hops" }, String(h.hops)), el("span", { class: "title" }, h.node.title),
      el("span", { class: "meta" }, ` · ${h.node.provider ? h.node.provider.name : ""}`)))));
    if (hitNodes.nonempty()) fitTo(marked.union(hitNodes));
    $("#filter").scrollIntoView({ block: "start" });
    return hits;
  }

  // -- search: stories by text, topics and providers --------------------------------

  let catalogue = null; // all topics and providers, fetched once for matching by name

  async function loadCatalogue() {
    if (catalogue) return catalogue;
    const items = [];
    for (const field of ["topics", "providers"]) {
      let after = null;
      for (let page = 0; page < 10; page++) {
        const data = await gql(`query ($after: String) {
          ${field}(first: 100, after: $after) { pageInfo { hasNextPage endCursor }
            edges { node { id name articleCount ${field === "topics" ? "slug" : "domain"} } } } }`,
        { after });
        const conn = data[field];
        items.push(...conn.edges.map((e) => e.node));
        if (!conn.pageInfo.hasNextPage) break;
        after = conn.pageInfo.endCursor;
      }
    }
    catalogue = items;
    return items;
  }

  let searchSeq = 0;
  async function search(text) {
    const seq = ++searchSeq;
    const q = text.trim();
    if (!q) { closeResults(); return; }
    const [data, cat] = await Promise.all([
      gql(`query ($text: String!) {
        search(text: $text, first: 8) { totalCount
          edges { matchedIn node { id title publishedAt isStub provider { name } } } } }`, { text: q }),
      loadCatalogue(),
    ]);
    if (seq !== searchSeq) return; // a newer search is on its way
    const needle = q.toLowerCase();
    const matches = cat.filter((c) => [c.name, c.slug, c.domain].some((s) => s && s.toLowerCase().includes(needle)))
      .sort((a, b) => b.articleCount - a.articleCount).slice(0, 8);
    const topics = matches.filter((m) => kindOf(m.id) === "topic");
    const providers = matches.filter((m) => kindOf(m.id) === "provider");
    const list = $("#search-results");
    const rows = [];
    const row = (id, kind, title, meta) => el("li", {
      class: "result", role: "option", dataset: { id, kind },
      onmousedown: (ev) => { ev.preventDefault(); run(() => choose(id, title, kind)); },
    }, el("span", { class: `kind ${kind}` }, kind === "article" ? "story" : kind), el("span", {}, title), el("span", { class: "meta" }, meta));
    if (data.search.edges.length) {
      rows.push(el("li", { class: "group" }, `Stories (${data.search.totalCount})`));
      for (const e of data.search.edges) {
        const n = e.node;
        rows.push(row(n.id, "article", n.title, `${n.provider.name}${n.publishedAt ? " · " + n.publishedAt.slice(0, 10) : ""}`));
      }
    }
    if (topics.length) {
      rows.push(el("li", { class: "group" }, "Topics"));
      topics.forEach((t) => rows.push(row(t.id, "topic", t.name, `${t.articleCount} stories`)));
    }
    if (providers.length) {
      rows.push(el("li", { class: "group" }, "Providers"));
      providers.forEach((p) => rows.push(row(p.id, "provider", p.name, `${p.domain} · ${p.articleCount} stories`)));
    }
    if (!rows.length) rows.push(el("li", { class: "empty" }, "Nothing matches."));
    list.replaceChildren(...rows);
    list.hidden = false;
  }

  function closeResults() {
    $("#search-results").hidden = true;
  }

  // -- wiring ----------------------------------------------------------------------

  async function run(task) {
    try {
      return await task();
    } catch (err) {
      $("#status").textContent = `Error: ${err.message}`;
      $("#status").classList.add("error");
      throw err;
    }
  }

  let searchTimer = null;
  $("#search").addEventListener("input", (ev) => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => run(() => search(ev.target.value)), 200);
  });
  $("#search").addEventListener("focus", (ev) => { if (ev.target.value.trim()) $("#search-results").hidden = false; });
  $("#search").addEventListener("blur", () => setTimeout(closeResults, 150));
  $("#search-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearTimeout(searchTimer);
    await run(() => search($("#search").value));
    const first = $("#search-results li.result");
    if (first) await run(() => choose(first.dataset.id, first.textContent, first.dataset.kind));
  });
  $("#hops").addEventListener("input", (ev) => { $("#hops-value").textContent = ev.target.value; });
  $("#filter-form").addEventListener("submit", (ev) => { ev.preventDefault(); run(highlight); });
  $("#unhighlight").addEventListener("click", () => { clearMarks(); $("#filter-results").replaceChildren(); });
  $("#relayout").addEventListener("click", () => relayout(true));
  $("#more").addEventListener("click", () => run(drawMore));
  $("#clear").addEventListener("click", () => {
    cy.elements().remove();
    expanded.clear();
    selection = [];
    walk = null;
    $("#more").hidden = true;
    $("#filter-results").replaceChildren();
    $("#path-results").replaceChildren();
    updateStatus();
  });

  cy.on("tap", "node", (evt) => {
    const id = evt.target.id();
    const oe = evt.originalEvent || {};
    const additive = !!(oe.shiftKey || oe.ctrlKey || oe.metaKey);
    run(async () => {
      if (!additive) await expand(id);
      await select(id, { additive });
    });
  });
  cy.on("tap", (evt) => {
    if (evt.target === cy) { clearMarks(); }
  });

  const ready = (async () => {
    const params = new URL(window.location.href).searchParams;
    if (params.get("mentions") != null) $("#mentions").value = params.get("mentions");
    if (params.get("hops")) { $("#hops").value = params.get("hops"); $("#hops-value").textContent = params.get("hops"); }
    const start = params.get("node");
    if (start) await run(() => choose(start, start, kindOf(start)));
    updateStatus();
    document.body.dataset.ready = "1";
  })();

  window.newsgraphExplorer = {
    cy, ready, expanded,
    get selection() { return selection.slice(); },
    draw, drawMore, expand, select, highlight, showPaths, search, relayout, addGraph,
  };
})();
