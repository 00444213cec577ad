// Live mode: the explorer subscribes to `storyAdded` over WebSocket (the graphql-transport-ws
// protocol, spoken directly: it is six message types) and draws each arriving story that
// touches what is drawn, marked as new.
//
// The subscription follows the chosen story: `storyAdded(near: {from: chosen, hops})`, with
// the hops of the "Draw" control; with nothing chosen yet, every new story. A story touches
// the drawing when it is drawn already or one of its neighbours is: it comes with its edges to
// the drawn nodes, placed next to them. The others are counted, not drawn.
//
// It also subscribes to `graphChanged`, whose events name the articles each new version
// removed or updated. A drawn article that is gone (its file deleted, or retracted) leaves
// the drawing; a drawn one that changed gets its title, stub flag and facets asked again and
// its edges to the drawn nodes made those of the new version (an article whose file is
// deleted while another record still lists it becomes a stub: drawn as one, without the
// edges its own record made). Each is listed under Live: removed, updated or now a stub.
//
// A connection that drops (a server restart) loses the events sent meanwhile: once it is
// back, when the server's version is not the last one seen, every drawn story is checked
// against the graph served now, as if each had changed; only those that did are listed.
// Stories that arrived meanwhile are not drawn (nothing says which they were).

const PROTOCOL = "graphql-transport-ws";
const RETRY_MS = 2000;

// A minimal graphql-transport-ws client: connection_init/connection_ack, subscribe, next,
// error, complete, ping/pong. `subscribe` returns a function that completes the operation.
export function transportClient(url, { onState, onReconnect } = {}) {
  let socket = null;
  let acked = false;
  let connectedBefore = false;
  let nextId = 1;
  const operations = new Map(); // id -> { payload, sink }
  let closedByUs = false;

  const send = (message) => socket.send(JSON.stringify(message));

  function open() {
    acked = false;
    socket = new WebSocket(url, PROTOCOL);
    onState && onState("connecting");
    socket.onopen = () => send({ type: "connection_init", payload: {} });
    socket.onmessage = (ev) => {
      const message = JSON.parse(ev.data);
      const op = message.id != null ? operations.get(message.id) : null;
      switch (message.type) {
        case "connection_ack":
          acked = true;
          onState && onState("connected");
          for (const [id, o] of operations) send({ id, type: "subscribe", payload: o.payload });
          if (connectedBefore && onReconnect) onReconnect();
          connectedBefore = true;
          break;
        case "ping":
          send({ type: "pong" });
          break;
        case "next":
          if (op) op.sink.next(message.payload);
          break;
        case "error":
          if (op) { operations.delete(message.id); op.sink.error(message.payload); }
          break;
        case "complete":
          if (op) { operations.delete(message.id); op.sink.complete && op.sink.complete(); }
          break;
        default:
          break;
      }
    };
    socket.onclose = (ev) => {
      acked = false;
      if (closedByUs) { onState && onState("closed"); return; }
      onState && onState(`disconnected (${ev.code}${ev.reason ? ": " + ev.reason : ""}); retrying`);
      setTimeout(() => { if (!closedByUs) open(); }, RETRY_MS);
    };
  }

  function subscribe(payload, sink) {
    const id = String(nextId++);
    operations.set(id, { payload, sink });
    if (acked) send({ id, type: "subscribe", payload });
    return () => {
      if (operations.delete(id) && acked) send({ id, type: "complete" });
    };
  }

  function close() {
    closedByUs = true;
    operations.clear();
    if (socket) socket.close(1000, "live mode off");
  }

  open();
  return { subscribe, close };
}

const ARRIVAL_QUERY = `subscription ($near: NearInput) {
  storyAdded(near: $near) { reason hops path version
    article { id title publishedAt isStub provider { id name } topics { id name } } } }`;

const CHANGE_QUERY = "subscription { graphChanged { version updated removed } }";
const BATCH = 100; // ids per nodes(ids:) request: the server's max_ids
const EDGE_BATCH = 20; // neighbourhoods asked in one request, as aliases
const REASONS = { ADDED: "new", STUB: "now a stub" };

export function installLive({ graph, gql, el, $, endpoint, nodeFields, edgeFields, addGraph,
  positionOf, refresh, depth, chosen, removeNode, facetFields, facetsOf, onUpdated }) {
  const state = { on: false, status: "off", arrivals: [], elsewhere: 0, from: null,
    version: null, resynced: null };
  let client = null;
  let unsubscribe = null;
  let changes = Promise.resolve(); // graphChanged events, applied one after the other

  const wsUrl = () => {
    const u = new URL(endpoint);
    u.protocol = u.protocol === "https:" ? "wss:" : "ws:";
    return u.toString();
  };

  function showState(status) {
    state.status = status;
    document.body.dataset.live = state.on ? status : "off";
    $("#live-status").textContent = state.on ? `live: ${status}` : "";
  }

  // (Re)subscribe around the chosen story, or to every new story when none is chosen.
  function follow() {
    if (!state.on) return;
    if (unsubscribe) unsubscribe();
    const from = chosen();
    state.from = from;
    const near = from ? { from, hops: Math.min(4, Math.max(1, depth())) } : null;
    unsubscribe = client.subscribe({ query: ARRIVAL_QUERY, variables: { near } }, {
      next: (payload) => {
        if (payload.errors && payload.errors.length) { showState(`error: ${payload.errors[0].message}`); return; }
        arrive(payload.data.storyAdded).catch((err) => showState(`error: ${err.message}`));
      },
      error: (errors) => showState(`error: ${(errors[0] || {}).message || "subscription refused"}`),
    });
  }

  // Listed once per article, version and reason (storyAdded and graphChanged both report
  // an updated story).
  function list(entry) {
    if (state.arrivals.some((a) => a.id === entry.id && a.version === entry.version && a.reason === entry.reason)) return;
    state.arrivals.push(entry);
  }

  function watchChanges() {
    return client.subscribe({ query: CHANGE_QUERY }, {
      next: (payload) => {
        if (payload.errors && payload.errors.length) { showState(`error: ${payload.errors[0].message}`); return; }
        const c = payload.data.graphChanged;
        state.version = c.version;
        changes = changes.then(() => change(c)).catch((err) => showState(`error: ${err.message}`));
      },
      error: (errors) => showState(`error: ${(errors[0] || {}).message || "subscription refused"}`),
    });
  }

  // Back after a dropped connection: the drawing against the version served now.
  async function resync() {
    const data = await gql("{ stats { graphVersion } }");
    const now = data.stats.graphVersion;
    if (now && now === state.version) return;
    state.version = now;
    state.resynced = now;
    const drawn = graph.nodes().filter((id) => graph.getNodeAttribute(id, "kind") === "article");
    await change({ version: now, removed: [], updated: drawn }, { onlyChanged: true });
  }

  async function change(c, { onlyChanged = false } = {}) {
    const wasChosen = chosen();
    const loose = new Set(); // nodes that lost drawn edges: gone from the graph too?
    const drop = (id) => {
      for (const n of graph.neighbors(id)) loose.add(n);
      const title = graph.getNodeAttribute(id, "label");
      removeNode(id, { gone: true });
      list({ id, title, reason: "REMOVED", version: c.version });
    };
    for (const id of c.removed) if (graph.hasNode(id)) drop(id);
    const updated = c.updated.filter((id) => graph.hasNode(id));
    for (let i = 0; i < updated.length; i += BATCH) {
      const ids = updated.slice(i, i + BATCH);
      const data = await gql(`query ($ids: [ID!]!) { nodes(ids: $ids) { id ... on Article { title } ${facetFields} } }`, { ids });
      ids.forEach((id, k) => {
        const n = data.nodes[k];
        if (!graph.hasNode(id)) return;
        if (!n) { drop(id); return; } // gone by now (a newer version): as if removed
        const stub = !!n.isStub;
        const same = onlyChanged && (n.title || id) === graph.getNodeAttribute(id, "label")
          && stub === !!graph.getNodeAttribute(id, "stub");
        const reason = stub && !graph.getNodeAttribute(id, "stub") ? "STUB" : stub || same ? null : "UPDATED";
        graph.mergeNodeAttributes(id, { label: n.title || id, stub, ...(facetsOf(n) || {}),
          ...(reason ? { changed: reason, changedIn: c.version } : {}) });
        if (reason) list({ id, title: n.title || id, reason, version: c.version });
      });
    }
    await redrawEdges(updated.filter((id) => graph.hasNode(id)), loose);
    await dropOrphans(loose);
    if (wasChosen && wasChosen !== chosen()) follow(); // the chosen story is gone
    showList();
    await onUpdated(updated.filter((id) => graph.hasNode(id)));
    refresh();
  }

  // Make each article's drawn edges those of the current version: add the new ones to drawn
  // nodes, drop the ones gone (unless its neighbourhood was cut short); the other ends of
  // the dropped ones go into `loose`.
  async function redrawEdges(ids, loose) {
    for (let i = 0; i < ids.length; i += EDGE_BATCH) {
      const batch = ids.slice(i, i + EDGE_BATCH);
      const fields = batch.map((_, k) => `n${k}: neighborhood(from: [$id${k}], hops: 1, limit: 500) {
        truncated edges { ${edgeFields} } }`).join("\n");
      const vars = batch.map((_, k) => `$id${k}: ID!`).join(", ");
      const data = await gql(`query (${vars}) { ${fields} }`,
        Object.fromEntries(batch.map((id, k) => [`id${k}`, id])));
      batch.forEach((id, k) => {
        const sub = data[`n${k}`];
        if (!graph.hasNode(id)) return;
        const edges = sub.edges.filter((e) => e.source === id || e.target === id);
        const now = new Set(edges.map((e) => e.id));
        if (!sub.truncated) {
          for (const e of graph.edges(id)) {
            if (now.has(e)) continue;
            for (const end of graph.extremities(e)) if (end !== id) loose.add(end);
            graph.dropEdge(e);
          }
        }
        addGraph([], edges, null);
      });
    }
  }

  // Take out a topic or provider left without drawn edges that is no longer in the graph.
  async function dropOrphans(loose) {
    const orphans = [...loose].filter((n) => graph.hasNode(n) && graph.degree(n) === 0
      && graph.getNodeAttribute(n, "kind") !== "article");
    for (let i = 0; i < orphans.length; i += BATCH) {
      const ids = orphans.slice(i, i + BATCH);
      const data = await gql("query ($ids: [ID!]!) { nodes(ids: $ids) { id } }", { ids });
      ids.forEach((id, k) => { if (!data.nodes[k] && graph.hasNode(id)) removeNode(id, { gone: true }); });
    }
  }

  async function arrive(a) {
    const id = a.article.id;
    const data = await gql(`query ($id: ID!) { neighborhood(from: [$id], hops: 1, limit: 500) {
      nodes { ${nodeFields} } edges { ${edgeFields} } } }`, { id });
    const sub = data.neighborhood;
    const drawnNeighbours = sub.nodes.map((n) => n.node.id).filter((n) => n !== id && graph.hasNode(n));
    if (!graph.hasNode(id) && !drawnNeighbours.length) {
      state.elsewhere += 1;
      showList();
      return;
    }
    const keep = new Set([id, ...drawnNeighbours]);
    const nodes = sub.nodes.filter((n) => n.node.id === id)
      .map(({ node, ...drawn }) => ({ ...node, ...drawn, id: node.id }));
    const edges = sub.edges.filter((e) => keep.has(e.source) && keep.has(e.target));
    addGraph(nodes, edges, drawnNeighbours.length ? positionOf(drawnNeighbours[0]) : null);
    graph.mergeNodeAttributes(id, { arrived: a.reason, arrivedIn: a.version });
    list({ id, title: a.article.title, reason: a.reason, hops: a.hops, version: a.version });
    showList();
    refresh();
  }

  function showList() {
    const box = $("#live-results");
    const items = state.arrivals.slice().reverse().map((a) => el("li", { dataset: { id: a.id, reason: a.reason } },
      el("span", { class: a.reason === "REMOVED" ? "gone" : "new" }, REASONS[a.reason] || a.reason.toLowerCase()), " ", a.title,
      a.hops != null ? el("span", { class: "meta" }, ` · ${a.hops} hop${a.hops === 1 ? "" : "s"} away`) : null));
    box.replaceChildren(
      el("p", { class: "meta" }, state.from
        ? `Stories arriving within ${Math.min(4, Math.max(1, depth()))} hops of the chosen story.`
        : "Every arriving story that touches the drawing."),
      el("p", { class: "meta" }, "Drawn stories that change are marked updated; those deleted or retracted leave the drawing."),
      items.length ? el("ol", { id: "live-list", class: "hits" }, items) : el("p", { class: "hint" }, "Nothing new yet."),
      // replaceChildren writes a null as the text "null": leave the line out instead
      ...(state.elsewhere ? [el("p", { class: "meta", id: "live-elsewhere" },
        `${state.elsewhere} more arrived away from the drawing (not drawn).`)] : []),
      ...(state.resynced ? [el("p", { class: "meta", id: "live-resynced" },
        `Reconnected: the drawing was checked against version ${state.resynced}; stories that arrived while the connection was down are not drawn.`)] : []));
  }

  function setOn(on) {
    state.on = on;
    $("#live-toggle").checked = on;
    $("#live").hidden = !on;
    if (on) {
      client = transportClient(wsUrl(), { onState: showState, onReconnect: () => {
        changes = changes.then(resync).then(showList).catch((err) => showState(`error: ${err.message}`));
      } });
      gql("{ stats { graphVersion } }").then((d) => { state.version = state.version || d.stats.graphVersion; })
        .catch(() => {});
      watchChanges(); // ended with the client
      follow();
      showList();
    } else {
      if (client) client.close();
      client = null;
      unsubscribe = null;
      showState("off");
    }
  }

  $("#live-toggle").addEventListener("change", (ev) => setOn(ev.target.checked));
  return { state, setOn, follow };
}
