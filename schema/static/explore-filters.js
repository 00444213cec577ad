// Filters on the drawn stories, Gephi's way: by provider, by topic, by date range, and a time
// slider that replays the timeline (a story shows once the slider has passed its date).
//
// Each drawn story carries its facets as node attributes (`provider`, `topics`, `date`),
// brought by the neighbourhood query or, for a story drawn another way (a path, a highlight,
// a live arrival), asked with `nodes(ids:)`. A filter only ever hides stories: topics and
// providers stay, and so does what the user hid or pinned. Hiding is one attribute,
// `filteredOut`, written for every node in one graph update, so the renderer's reducer reads
// a flag instead of testing the filters on every refresh.

const BATCH = 100; // ids per nodes(ids:) request: the server's max_ids
const REPLAY_STEPS = 60; // a replay walks the drawn stories' dates in this many steps
const REPLAY_MS = 80; // between two steps

export const FACET_FIELDS = "... on Article { isStub publishedAt provider { id name } topics { id name } }";

// The facets of an Article as the API gives them, as node attributes.
export function facetsOf(article) {
  if (!article || article.provider === undefined) return null;
  return {
    facets: true,
    provider: article.provider ? article.provider.id : null,
    providerName: article.provider ? article.provider.name : null,
    topics: (article.topics || []).map((t) => t.id),
    topicNames: (article.topics || []).map((t) => t.name),
    date: article.publishedAt ? article.publishedAt.slice(0, 10) : null,
  };
}

const DAY = 86400000;
const dayOf = (iso) => Math.floor(Date.parse(iso + "T00:00:00Z") / DAY);
const isoOf = (day) => new Date(day * DAY).toISOString().slice(0, 10);

export function installFilters({ graph, gql, el, $, setBusy, onApplied }) {
  const state = { provider: "", topic: "", from: "", to: "", until: null };
  let days = null; // [first, last] day of the drawn stories' dates, or null
  let replayTimer = null;

  const passes = (a) => {
    if (a.kind !== "article") return true;
    if (state.provider && a.provider !== state.provider) return false;
    if (state.topic && !(a.topics || []).includes(state.topic)) return false;
    if (state.from && !(a.date && a.date >= state.from)) return false;
    if (state.to && !(a.date && a.date <= state.to)) return false;
    // The replay shows undated stories throughout, as Gephi shows nodes without a time.
    if (state.until != null && a.date && dayOf(a.date) > state.until) return false;
    return true;
  };

  function apply() {
    graph.updateEachNodeAttributes((n, a) => {
      const out = !passes(a);
      if (!!a.filteredOut === out) return a;
      return { ...a, filteredOut: out };
    }); // no hints: hiding changes what sigma indexes (its label grid), so it re-indexes
    const active = state.provider || state.topic || state.from || state.to || state.until != null;
    $("#facet-summary").textContent = active
      ? `${graph.filterNodes((n, a) => a.filteredOut).length} stories filtered out` : "";
    onApplied();
  }

  // Facets for the drawn stories that lack them, then the choices offered and the filter.
  async function fillFacets() {
    const missing = graph.filterNodes((n, a) => a.kind === "article" && !a.facets);
    for (let i = 0; i < missing.length; i += BATCH) {
      const data = await gql(`query ($ids: [ID!]!) { nodes(ids: $ids) { id ${FACET_FIELDS} } }`,
        { ids: missing.slice(i, i + BATCH) });
      for (const n of data.nodes) {
        const f = n && facetsOf(n);
        if (f && graph.hasNode(n.id)) graph.mergeNodeAttributes(n.id, f);
      }
    }
    offerChoices();
    apply();
  }

  function offerChoices() {
    const providers = new Map();
    const topics = new Map();
    let first = Infinity;
    let last = -Infinity;
    graph.forEachNode((n, a) => {
      if (a.kind !== "article" || !a.facets) return;
      if (a.provider) {
        const p = providers.get(a.provider) || { name: a.providerName, count: 0 };
        p.count += 1;
        providers.set(a.provider, p);
      }
      (a.topics || []).forEach((t, i) => {
        const e = topics.get(t) || { name: a.topicNames[i], count: 0 };
        e.count += 1;
        topics.set(t, e);
      });
      if (a.date) { const d = dayOf(a.date); first = Math.min(first, d); last = Math.max(last, d); }
    });
    const fill = (select, entries, all) => {
      const keep = select.value;
      const sorted = [...entries].sort((x, y) => y[1].count - x[1].count || String(x[1].name).localeCompare(y[1].name));
      select.replaceChildren(el("option", { value: "" }, all),
        ...sorted.map(([id, e]) => el("option", { value: id }, `${e.name} (${e.count})`)));
      select.value = entries.has(keep) ? keep : "";
      if (select.value !== keep) state[select.dataset.facet] = "";
    };
    fill($("#facet-provider"), providers, "any provider");
    fill($("#facet-topic"), topics, "any topic");
    days = first <= last ? [first, last] : null;
    const slider = $("#time-slider");
    slider.disabled = !days;
    $("#replay").disabled = !days;
    if (days) {
      $("#facet-from").min = $("#facet-to").min = isoOf(days[0]);
      $("#facet-from").max = $("#facet-to").max = isoOf(days[1]);
      slider.min = String(days[0]);
      slider.max = String(days[1]);
      if (state.until == null) slider.value = slider.max;
    }
    showUntil();
  }

  function showUntil() {
    $("#time-value").textContent = state.until == null
      ? (days ? `all dates (${isoOf(days[0])} to ${isoOf(days[1])})` : "no dated stories drawn")
      : `stories published up to ${isoOf(state.until)}`;
  }

  // The slider at `day`: stories dated after it are hidden; at its end, all show again.
  function setUntil(day) {
    state.until = day == null || !days || day >= days[1] ? null : Math.max(days[0], day);
    $("#time-slider").value = String(state.until == null ? (days ? days[1] : 0) : state.until);
    showUntil();
    apply();
  }

  // Replay the timeline: the slider walks from the first drawn date to the last and the
  // stories appear as it passes them. Resolves when it reaches the end.
  function replay() {
    stopReplay();
    if (!days) return Promise.resolve();
    const step = Math.max(1, Math.ceil((days[1] - days[0]) / REPLAY_STEPS));
    let day = days[0];
    setUntil(day);
    document.body.dataset.replay = "running";
    $("#replay").textContent = "Stop";
    return new Promise((resolve) => {
      const tick = () => {
        day += step;
        setUntil(day);
        if (state.until == null) { stopReplay(); resolve(); return; }
        replayTimer = setTimeout(tick, REPLAY_MS);
      };
      replayTimer = setTimeout(tick, REPLAY_MS);
      stopReplay.resolve = resolve;
    });
  }

  function stopReplay() {
    clearTimeout(replayTimer);
    replayTimer = null;
    document.body.dataset.replay = "idle";
    $("#replay").textContent = "Replay";
    if (stopReplay.resolve) { const r = stopReplay.resolve; stopReplay.resolve = null; r(); }
  }

  // New nodes drawn: their facets, then the filters again (one pass per burst of additions).
  let pending = null;
  graph.on("nodeAdded", () => {
    if (pending) return;
    setBusy(1);
    pending = setTimeout(async () => {
      try { await fillFacets(); } finally { pending = null; setBusy(-1); }
    }, 0);
  });
  graph.on("cleared", () => { setUntil(null); offerChoices(); });

  for (const [id, key] of [["#facet-provider", "provider"], ["#facet-topic", "topic"],
    ["#facet-from", "from"], ["#facet-to", "to"]]) {
    $(id).dataset.facet = key;
    $(id).addEventListener("change", (ev) => { state[key] = ev.target.value; apply(); });
  }
  $("#time-slider").addEventListener("input", (ev) => { stopReplay(); setUntil(Number(ev.target.value)); });
  $("#replay").addEventListener("click", () => { if (replayTimer) stopReplay(); else replay(); });
  $("#facet-clear").addEventListener("click", () => {
    stopReplay();
    Object.assign(state, { provider: "", topic: "", from: "", to: "", until: null });
    for (const id of ["#facet-provider", "#facet-topic", "#facet-from", "#facet-to"]) $(id).value = "";
    setUntil(null);
  });
  offerChoices();

  return { state, passes, replay, stopReplay, setUntil, fillFacets,
    get days() { return days ? days.map(isoOf) : null; } };
}
