// Live mode: the explorer subscribes over WebSocket (the graphql-transport-ws protocol,
// spoken directly: it is six message types) to `graphChanged`, whose events name the
// articles each new version added, updated and removed, and keeps the drawing true to them.
//
// A story new or changed in a version and not drawn is drawn when it touches the drawing
// (one of its neighbours is drawn), with its edges to the drawn nodes, placed among them and laid out alone (the rest held still),
// marked new or updated, however far it is from the chosen story. The others are counted
// and remembered (with their neighbours' ids) as away from the drawing: one is drawn,
// listed as entered, as soon as the drawing reaches it — a node drawn that was its
// neighbour (by a choice, an expansion, an arrival), or a later version that changes it
// (a new edge). A stub is not a story: neither drawn nor counted.
//
// A drawn article that is gone (its file deleted, or retracted) leaves the drawing; a
// drawn one that changed gets its title, stub flag and facets asked again and its edges to
// the drawn nodes made those of the new version, all of them: a neighbourhood past one
// page is paged on, its pages of one version (an article whose file is deleted while
// another record still lists it becomes a stub: drawn as one, without the edges its own
// record made). Each is listed under Live: new, updated, entered, removed or now a stub.
//
// With a story chosen, the page also subscribes to `storyAdded(near: {from: chosen, hops})`
// (the hops of the "Draw" control), only for how many hops from the chosen story each
// story it lists is.
//
// A connection that drops (a server restart) loses the events sent meanwhile: once it is
// back, when the server's version is not the last one seen, every drawn story is checked
// against the graph served now, as if each had changed; only those that did are listed.
// Stories that arrived meanwhile are not drawn (nothing says which they were).
//
// At most `maxChecks` drawn stories (200 unless the page's `checks` parameter says) are asked
// again for one version, the chosen and selected ones first, then the nearest to the walk's
// start: a version that changes more of them (a reconnect checks every one) would take
// minutes of requests with every click waiting behind them. The rest are counted as not
// checked; each is checked when clicked, or all with "Check them", in turns of maxChecks.
// Likewise at most maxChecks stories of a version that are not drawn are asked whether they
// touch the drawing (those storyAdded placed near the chosen story first), and at most
// maxChecks of those away from the drawing asked again: the others are counted as not
// looked at (a bulk ingest of thousands of stories would be hundreds of requests a version).

import { transportClient } from "./explore-ws.js";

const ARRIVAL_QUERY = `subscription ($near: NearInput) {
  storyAdded(near: $near) { hops version article { id } } }`;

const CHANGE_QUERY = "subscription { graphChanged { version added updated removed } }";
const BATCH = 100; // ids per nodes(ids:) request: the server's max_ids
const EDGE_BATCH = 20; // neighbourhoods asked in one request, as aliases
const FIRST_PAGE = 500; // a story's neighbours asked at first: nearly every story has fewer
const NEXT_PAGE = 2000; // the pages after it: the server's largest limit
const TRIES = 3; // times a story's pages are asked again when a new version came between two
const MAX_AWAY = 2000; // arrivals away from the drawing remembered (the oldest are forgotten)
const MAX_HOPS_KEPT = 2000; // storyAdded's hops remembered, for the list
// The edge kinds a neighborhood walks by default: a drawn edge of another kind (SAME_STORY,
// drawn only by "Expand by kind") is never in the walk's answer, so it is kept as drawn.
const WALKED = new Set(["RELATED", "TAGGED", "PUBLISHED_BY"]);
const REASONS = { ADDED: "new", STUB: "now a stub" };

export function installLive({ graph, gql, gqlAt, el, $, endpoint, nodeFields, edgeFields,
  addGraph, positionOf, settle, refresh, depth, chosen, selected, removeNode, facetFields, facetsOf, onUpdated,
  maxChecks = 200 }) {
  const state = { on: false, status: "off", arrivals: [], from: null, version: null,
    resynced: null, forgotten: { added: 0, changed: 0 }, unasked: { added: 0, changed: 0 } };
  // Arrivals that touched nothing drawn: id -> { reason, title, hops, version, near }, `near`
  // being the ids of its neighbours when it was last asked. Drawn as soon as the drawing
  // reaches them (see `reached`).
  const away = new Map();
  const hopsOf = new Map(); // id -> hops from the chosen story, as storyAdded pushed it
  // Drawn stories a version changed (or, after a reconnect, may have) past the cap:
  // id -> { version, changed } (changed: known to, listed as updated once checked).
  const unchecked = new Map();
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

  // (Re)subscribe to storyAdded around the chosen story, for the hops it says each story
  // is from it (nothing to say with none chosen).
  function follow() {
    if (!state.on) return;
    if (unsubscribe) unsubscribe();
    unsubscribe = null;
    const from = chosen();
    state.from = from;
    showList(); // its hops line follows the Draw control
    if (!from) return;
    const near = { from, hops: Math.min(4, Math.max(1, depth())) };
    unsubscribe = client.subscribe({ query: ARRIVAL_QUERY, variables: { near } }, {
      next: (payload) => {
        if (payload.errors && payload.errors.length) { showState(`error: ${payload.errors[0].message}`); return; }
        arrive(payload.data.storyAdded);
      },
      error: (errors) => showState(`error: ${(errors[0] || {}).message || "subscription refused"}`),
    });
  }

  // Listed once per article, version and reason.
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
        // Its arrivals are asked at once; the rest waits for the versions before it (the
        // refresh of their drawn stories is two or three requests more).
        const arrivals = arrivalsOf(c);
        changes = changes.then(() => change(c, { arrivals })).catch((err) => showState(`error: ${err.message}`));
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

  // The stories new or changed in version `c` that are not drawn: those not away are asked
  // now (drawn if they touch the drawing, away otherwise, see `meet`); those away already
  // are asked again by `change`, once the drawn ones' edges are redrawn (a change of its
  // edges may have brought one near).
  function arrivalsOf(c) {
    const others = [...new Set([...(c.added || []), ...c.updated])].filter((id) => !graph.hasNode(id));
    const wasAway = others.filter((id) => away.has(id)).slice(0, maxChecks);
    let fresh = others.filter((id) => !away.has(id));
    if (fresh.length > maxChecks) {
      fresh = [...fresh.filter((id) => hopsOf.has(id)), ...fresh.filter((id) => !hopsOf.has(id))];
      const added = new Set(c.added || []);
      for (const id of fresh.slice(maxChecks)) state.unasked[added.has(id) ? "added" : "changed"] += 1;
      fresh = fresh.slice(0, maxChecks);
    }
    const met = meet(fresh, c);
    met.catch((err) => showState(`error: ${err.message}`));
    return { met, wasAway, asked: new Set(others) }; // asked: drawn by meet, not refreshed
  }

  // The chosen story, then the selected ones, then by hops from the walk's start.
  function nearFirst(ids) {
    const first = new Set([chosen(), ...selected()].filter(Boolean));
    const rank = (id) => (first.has(id) ? -1 : graph.getNodeAttribute(id, "hops") ?? Infinity);
    return ids.map((id, i) => [rank(id), i, id]).sort((a, b) => a[0] - b[0] || a[1] - b[1]).map((x) => x[2]);
  }

  // Drawn stories not checked yet among `ids` (null: all of them), asked again now, in turns
  // of maxChecks; those known to have changed are listed as updated, the others only if so.
  function check(ids = null) {
    const wanted = (ids || [...unchecked.keys()]).filter((id) => unchecked.has(id));
    if (!wanted.length) return changes;
    changes = changes.then(async () => {
      const still = wanted.filter((id) => unchecked.has(id) && graph.hasNode(id));
      for (let i = 0; i < still.length; i += maxChecks) {
        const turn = still.slice(i, i + maxChecks);
        const known = turn.filter((id) => unchecked.get(id).changed);
        const maybe = turn.filter((id) => !unchecked.get(id).changed);
        if (known.length) await change({ version: state.version, removed: [], updated: known }, { all: true });
        if (maybe.length) await change({ version: state.version, removed: [], updated: maybe }, { onlyChanged: true, all: true });
      }
    }).catch((err) => showState(`error: ${err.message}`));
    return changes;
  }

  async function change(c, { onlyChanged = false, arrivals = null, all = false } = {}) {
    const wasChosen = chosen();
    const loose = new Set(); // nodes that lost drawn edges: gone from the graph too?
    const drop = (id) => {
      for (const n of graph.neighbors(id)) loose.add(n);
      const title = graph.getNodeAttribute(id, "label");
      removeNode(id, { gone: true });
      list({ id, title, reason: "REMOVED", version: c.version });
    };
    for (const id of c.removed) {
      away.delete(id);
      unchecked.delete(id);
      if (graph.hasNode(id)) drop(id);
    }
    let updated = c.updated.filter((id) => graph.hasNode(id) && !(arrivals && arrivals.asked.has(id)));
    if (updated.length > maxChecks && !all) {
      updated = nearFirst(updated);
      for (const id of updated.slice(maxChecks)) {
        const before = unchecked.get(id);
        unchecked.set(id, { version: c.version, changed: !onlyChanged || !!(before && before.changed) });
      }
      updated = updated.slice(0, maxChecks);
    }
    updated.forEach((id) => unchecked.delete(id));
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
    if (arrivals) {
      await arrivals.met.catch(() => null);
      await bring(arrivals.wasAway);
    }
    if (wasChosen && wasChosen !== chosen()) follow(); // the chosen story is gone
    showList();
    await onUpdated(updated.filter((id) => graph.hasNode(id)));
    refresh();
  }

  // Every edge at each of `ids` in the version served now: id -> { node, edges, complete }.
  // The first page of each one's neighbourhood is asked for EDGE_BATCH of them in one
  // request; one its limit cut short is paged on from its cursor, and asked again from its
  // start when a page came from another version than the page before (a walk's places
  // are those of one version): `complete` is false only after TRIES such misses. With
  // `withNode`, `node` is the story as the explorer draws it. An id the graph no longer
  // holds (or whose walk the server refused) has no entry.
  async function around(ids, { withNode = false } = {}) {
    const out = new Map();
    for (let i = 0; i < ids.length; i += EDGE_BATCH) {
      const batch = ids.slice(i, i + EDGE_BATCH);
      const fields = batch.map((_, k) => `n${k}: neighborhood(from: [$id${k}], hops: 1, limit: ${FIRST_PAGE}) {
        truncated cursor edges { ${edgeFields} } }` + (withNode
        ? ` s${k}: neighborhood(from: [$id${k}], hops: 0, limit: 1) { nodes { ${nodeFields} } }` : "")).join("\n");
      const vars = batch.map((_, k) => `$id${k}: ID!`).join(", ");
      let answer;
      try {
        answer = await gqlAt(`query (${vars}) { ${fields} }`,
          Object.fromEntries(batch.map((id, k) => [`id${k}`, id])));
      } catch (err) {
        // One id gone by now fails the whole request: ask each on its own.
        if (batch.length > 1) for (const id of batch) for (const [k, v] of await around([id], { withNode })) out.set(k, v);
        continue;
      }
      for (const [k, id] of batch.entries()) {
        let sub = answer.data[`n${k}`];
        let complete = true;
        if (sub.truncated) {
          try {
            ({ sub, complete } = await pagesOf(id, sub, answer.version));
          } catch (err) {
            continue; // gone between two pages
          }
        }
        const node = withNode ? answer.data[`s${k}`].nodes.map(({ node: n, ...drawn }) => ({ ...n, ...drawn, id: n.id }))[0] : null;
        out.set(id, { node, edges: sub.edges.filter((e) => e.source === id || e.target === id), complete });
      }
    }
    return out;
  }

  // The rest of a walk cut short: its edges at `id` over all its pages, of one version.
  async function pagesOf(id, first, version) {
    const query = `query ($id: ID!, $after: String, $limit: Int!) {
      neighborhood(from: [$id], hops: 1, limit: $limit, after: $after) { truncated cursor edges { ${edgeFields} } } }`;
    const at = (sub) => sub.edges.filter((e) => e.source === id || e.target === id);
    let edges = at(first);
    let sub = first;
    let misses = 0;
    while (sub.truncated) {
      const next = await gqlAt(query, { id, after: sub.cursor, limit: NEXT_PAGE });
      if (next.version === version) {
        sub = next.data.neighborhood;
        edges = edges.concat(at(sub));
        continue;
      }
      if (++misses >= TRIES) return { sub: { edges }, complete: false };
      const again = await gqlAt(query, { id, after: null, limit: NEXT_PAGE });
      version = again.version;
      sub = again.data.neighborhood;
      edges = at(sub);
    }
    return { sub: { edges }, complete: true };
  }

  // Make each article's drawn edges those of the current version: add the new ones to drawn
  // nodes, drop the ones gone (unless its pages never came from one version; and of the
  // WALKED kinds only); the other ends of the dropped ones go into `loose`.
  async function redrawEdges(ids, loose) {
    for (const [id, { edges, complete }] of await around(ids)) {
      if (!graph.hasNode(id)) continue;
      if (complete) {
        const now = new Set(edges.map((e) => e.id));
        for (const e of graph.edges(id)) {
          if (now.has(e) || !WALKED.has(graph.getEdgeAttribute(e, "kind"))) continue;
          for (const end of graph.extremities(e)) if (end !== id) loose.add(end);
          graph.dropEdge(e);
        }
      }
      addGraph([], edges, null);
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

  // Draw a story that is drawn or touches the drawing, with its edges to the drawn nodes,
  // marked and listed (as `listed`, its own reason by default); then the arrivals away from
  // the drawing that it touches. Return null, or, when it touches nothing drawn, the ids of
  // its neighbours.
  function place(id, found, entry, listed = entry.reason) {
    const others = new Set(found.edges.map((e) => (e.source === id ? e.target : e.source)));
    others.delete(id);
    const drawnNeighbours = [...others].filter((n) => graph.hasNode(n));
    if (!graph.hasNode(id) && !drawnNeighbours.length) return others;
    away.delete(id);
    // Among its drawn neighbours (not next to the first of them only), then laid out alone.
    const spots = drawnNeighbours.map(positionOf);
    const middle = spots.length ? { x: spots.reduce((s, p) => s + p.x, 0) / spots.length,
      y: spots.reduce((s, p) => s + p.y, 0) / spots.length } : null;
    const fresh = addGraph(found.node ? [found.node] : [], found.edges, middle);
    if (!graph.hasNode(id)) return null;
    if (fresh.length) settle(fresh);
    graph.mergeNodeAttributes(id, { arrived: entry.reason, arrivedIn: entry.version });
    const title = found.node ? found.node.label : entry.title;
    list({ id, title, reason: listed, hops: entry.hops, version: entry.version });
    const touched = [...others].filter((n) => away.has(n));
    if (touched.length) bring(touched).catch((err) => showState(`error: ${err.message}`));
    return null;
  }

  // Remember an arrival that touched nothing drawn (a new one stays new if it changes).
  function keepAway(id, entry, near) {
    const before = away.get(id);
    away.delete(id);
    away.set(id, { ...entry, reason: before && before.reason === "ADDED" ? "ADDED" : entry.reason, near });
    if (away.size > MAX_AWAY) {
      const [oldest, e] = away.entries().next().value;
      away.delete(oldest);
      state.forgotten[e.reason === "ADDED" ? "added" : "changed"] += 1;
    }
  }

  // Stories new or changed in version `c` that are not drawn and not away: each drawn when
  // it touches the drawing (marked new or updated), remembered as away otherwise. Stubs
  // are not stories: neither drawn nor counted.
  async function meet(ids, c) {
    if (!ids.length) return;
    const added = new Set(c.added || []);
    const found = await around(ids, { withNode: true });
    for (const id of ids) {
      const f = found.get(id);
      if (!f || !f.node || f.node.isStub) continue; // gone by now, or a stub
      const entry = { reason: added.has(id) ? "ADDED" : "UPDATED", title: f.node.label,
        hops: hopsOf.has(id) ? hopsOf.get(id) : null, version: c.version };
      const near = place(id, f, entry);
      if (near) keepAway(id, entry, near);
    }
    showList();
    refresh();
  }

  // storyAdded's word on a story: how many hops from the chosen story it is, shown in the
  // list (graphChanged, which draws it, may come first or after).
  function arrive(a) {
    const id = a.article.id;
    if (a.hops == null) return;
    hopsOf.delete(id);
    hopsOf.set(id, a.hops);
    if (hopsOf.size > MAX_HOPS_KEPT) hopsOf.delete(hopsOf.keys().next().value);
    let shown = false;
    for (const entry of state.arrivals) {
      if (entry.id === id && entry.version === a.version && entry.reason !== "REMOVED") {
        entry.hops = a.hops;
        shown = true;
      }
    }
    if (shown) showList();
  }

  // Arrivals away from the drawing that may touch it now: asked again, drawn when they do
  // (listed as entered), kept away otherwise.
  async function bring(ids) {
    const entries = new Map();
    for (const id of ids) {
      const e = away.get(id);
      if (!e || entries.has(id)) continue;
      entries.set(id, e);
      away.delete(id); // asked once, however many changes name it meanwhile
    }
    if (!entries.size) return;
    const found = await around([...entries.keys()], { withNode: true });
    for (const [id, e] of entries) {
      const f = found.get(id);
      if (!f) continue; // gone from the graph
      const entry = { ...e, hops: null, version: state.version || e.version };
      const near = place(id, f, entry, "ENTERED");
      if (near) keepAway(id, e, near);
    }
    showList();
    refresh();
  }

  // Nodes just drawn, by anything (a choice, an expansion, a path, an arrival): an arrival
  // away from the drawing among them is no longer away (a new one is marked new); one
  // whose neighbours include them touches the drawing now.
  function reached(fresh) {
    if (!state.on || !away.size || !fresh.length) return;
    const now = new Set(fresh);
    for (const id of fresh) {
      const e = away.get(id);
      if (!e) continue;
      away.delete(id);
      if (e.reason === "ADDED" && !graph.getNodeAttribute(id, "arrived")) {
        graph.mergeNodeAttributes(id, { arrived: "ADDED", arrivedIn: e.version });
        list({ id, title: graph.getNodeAttribute(id, "label"), reason: "ENTERED", version: state.version || e.version });
      }
    }
    const touching = [];
    for (const [id, e] of away) if ([...e.near].some((n) => now.has(n))) touching.push(id);
    if (touching.length) bring(touching).catch((err) => showState(`error: ${err.message}`));
    showList();
  }

  function awayLine() {
    let added = state.forgotten.added;
    let changed = state.forgotten.changed;
    for (const e of away.values()) if (e.reason === "ADDED") added += 1; else changed += 1;
    const counts = (a, c) => [a ? `${a} new stor${a === 1 ? "y" : "ies"}` : null, c ? `${c} changed` : null]
      .filter(Boolean).join(", ");
    const lines = [];
    if (added || changed) lines.push(`Away from the drawing, not drawn: ${counts(added, changed)} (drawn once the drawing reaches them).`);
    const { unasked } = state;
    if (unasked.added || unasked.changed) {
      lines.push(`Not looked at: ${counts(unasked.added, unasked.changed)} (more than ${maxChecks} in one version).`);
    }
    return lines.length ? lines.join(" ") : null;
  }

  function uncheckedLine() {
    for (const id of unchecked.keys()) if (!graph.hasNode(id)) unchecked.delete(id);
    if (!unchecked.size) return [];
    const n = unchecked.size;
    return [el("p", { class: "meta", id: "live-unchecked" },
      `${n} drawn stor${n === 1 ? "y" : "ies"} not checked against version ${state.version} `
      + `(at most ${maxChecks} are checked a version); each is checked when clicked. `,
      el("button", { type: "button", id: "live-check", onclick: () => check() }, "Check them"))];
  }

  function showList() {
    const box = $("#live-results");
    const items = state.arrivals.slice().reverse().map((a) => el("li", { dataset: { id: a.id, reason: a.reason } },
      el("span", { class: a.reason === "REMOVED" ? "gone" : "new" }, REASONS[a.reason] || a.reason.toLowerCase()), " ", a.title,
      a.hops != null ? el("span", { class: "meta" }, ` · ${a.hops} hop${a.hops === 1 ? "" : "s"} away`) : null));
    const awayText = awayLine();
    box.replaceChildren(
      el("p", { class: "meta" }, "New and changed stories that touch the drawing (one of their neighbours is drawn) are drawn, marked new or updated"
        + (state.from ? `; hops are counted from the chosen story, up to ${Math.min(4, Math.max(1, depth()))}.` : ".")),
      el("p", { class: "meta" }, "Drawn stories that change are marked updated; those deleted or retracted leave the drawing."),
      items.length ? el("ol", { id: "live-list", class: "hits" }, items) : el("p", { class: "hint" }, "Nothing new yet."),
      // replaceChildren writes a null as the text "null": leave the line out instead
      ...(awayText ? [el("p", { class: "meta", id: "live-elsewhere" }, awayText)] : []),
      ...uncheckedLine(),
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
      away.clear(); // no events come to keep it true
      hopsOf.clear();
      unchecked.clear();
      state.forgotten = { added: 0, changed: 0 };
      state.unasked = { added: 0, changed: 0 };
      showState("off");
    }
  }

  $("#live-toggle").addEventListener("change", (ev) => setOn(ev.target.checked));
  return { state, setOn, follow, reached, away, check, unchecked };
}
