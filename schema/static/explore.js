// The newsgraph explorer: sigma.js (WebGL) drawing a graphology graph, fed only by /graphql.
//
// It opens on an overview of the served corpus (its largest storylines, its most central
// stories, a timeline), read from the API at load. Expanding asks `neighborhood` with every
// drawn node in `exclude`, so nothing comes twice and the edges attaching the new nodes come
// along; a walk cut by its limit goes on from its `cursor`. The layout is ForceAtlas2 in a web
// worker (graphology-layout-forceatlas2/worker, from graphology-library). Labels: sigma keeps
// one per grid cell, the most important (largest) first, and drawLabel below skips any label
// that would overlap one already drawn in the frame. The overview, filters and the time
// slider, node dragging and live mode live in their own modules (explore-overview.js,
// explore-filters.js, explore-drag.js, explore-live.js), next to the /graphql client
// (explore-api.js) and DOM helpers (explore-dom.js). window.newsgraphExplorer exposes the
// state for the browser tests.
import { ENDPOINT, TooLarge, gql, gqlAt, gqlWhenReady, neighborhoodLimit, setBusy } from "./explore-api.js";
import { fold } from "./explore-fold.js";
import { $, el, isolated, recordName, short } from "./explore-dom.js";
import { FACET_FIELDS, facetsOf, installFilters } from "./explore-filters.js";
import { loadOverview, showOverview } from "./explore-overview.js";
import { installDrag } from "./explore-drag.js";
import { installLive } from "./explore-live.js";

(function () {
  const MAX_PAGES = 20; // within() pages of 100 followed for one highlight
  // A link's limit: a whole number from 1, at most the schema's 2,000 (`?limit=2.5` or `-3`
  // was sent as written, and every draw refused).
  const LIMIT_ASKED = Number(new URL(window.location.href).searchParams.get("limit"));
  const LIMIT_PARAM = Number.isInteger(LIMIT_ASKED) && LIMIT_ASKED >= 1 ? Math.min(LIMIT_ASKED, 2000) : null;
  const EXPAND_LIMIT = LIMIT_PARAM || 200;
  const DRAW_LIMIT = LIMIT_PARAM || 2000;
  // Past these counts each frame costs too much (measured in docs/browser.md): edges are hidden
  // while the camera moves and drawn as 1-pixel lines, nodes as points; past both, labels hide
  // while the camera moves too.
  const HEAVY_EDGES = 3000;
  const HEAVY_NODES = 1500;
  const PALETTE = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948",
    "#b07aa1", "#ff9da7", "#9c755f", "#2f4b7c", "#a05195", "#665191"];
  const OTHER = "#b8bfcc";
  const KIND_COLOURS = { article: "#3b6fd8", topic: "#e08a00", provider: "#1f9d63" };
  const NEW_COLOUR = "#e8175d"; // a story that arrived in live mode
  const STUB_COLOUR = "#a9b4c8"; // a story known only from another record's related list
  const EDGE_KINDS = ["RELATED", "TAGGED", "PUBLISHED_BY", "SAME_STORY"];

  // -- the graph on screen ----------------------------------------------------------

  const KINDS = ["article", "topic", "provider"];
  const kindOf = (id) => {
    const k = String(id).split(":", 1)[0];
    return KINDS.includes(k) ? k : "article";
  };
  const labelOf = (node) => node.title || node.name || node.label || node.domain || node.slug || node.id;
  const sizeOf = (degree) => Math.min(16, 3 + 1.5 * Math.sqrt(Math.max(0, degree)));

  const GraphClass = graphology.Graph || graphology;
  const SigmaClass = Sigma.Sigma || Sigma.default || Sigma;
  const FA2Layout = graphologyLibrary.FA2Layout;
  const forceAtlas2 = graphologyLibrary.layoutForceAtlas2;
  const graph = new GraphClass({ type: "directed", multi: false, allowSelfLoops: true });
  let live = null; // live mode (explore-live.js), installed with the controls below

  const view = {
    colourBy: "kind", // kind | storyline | provider
    hiddenKinds: new Set(),
    marks: null, // { nodes: Set, edges: Set, hits: Set } while something is highlighted
    groups: new Map(), // node id -> storyline or provider id, for colouring
    legend: new Map(), // group id -> { colour, name }
  };
  let labelBoxes = []; // the labels drawn in the last frame, as rectangles on the label layer
  const labelWidths = new Map(); // label text -> its width in the one label font: measured once

  function colourOf(node, attrs) {
    if (view.colourBy === "kind") return KIND_COLOURS[attrs.kind] || KIND_COLOURS.article;
    const group = view.groups.get(node);
    const entry = group && view.legend.get(group);
    return entry ? entry.colour : OTHER;
  }

  // Hidden by the user, by the kind filter or by the provider/topic/date filters.
  const isHidden = (a) => !!(a.hiddenByUser || a.filteredOut || view.hiddenKinds.has(a.kind));

  // What live mode says of a drawn story: it arrived, changed, or became a stub.
  function liveMark(attrs) {
    if (attrs.arrived === "ADDED" || attrs.arrived === "ENTERED") return "new";
    if (attrs.arrived === "UPDATED" || attrs.changed === "UPDATED") return "updated";
    if (attrs.changed === "STUB") return "stub";
    return null;
  }

  function nodeReducer(node, attrs) {
    const stub = attrs.stub && attrs.kind === "article" && view.colourBy === "kind";
    const out = { ...attrs, color: attrs.arrived ? NEW_COLOUR : stub ? STUB_COLOUR : colourOf(node, attrs) };
    if (isHidden(attrs)) out.hidden = true;
    const mark = liveMark(attrs);
    if (mark) { out.highlighted = true; out.forceLabel = true; out.label = `${mark}: ${attrs.label}`; }
    if (view.marks && !view.marks.nodes.has(node) && !selection.includes(node)) {
      out.color = "#e6e8ee";
      out.label = "";
      out.zIndex = 0;
    } else {
      out.zIndex = 1;
    }
    if (view.marks && view.marks.hits.has(node)) { out.highlighted = true; out.zIndex = 2; }
    if (selection.includes(node)) { out.highlighted = true; out.zIndex = 3; out.forceLabel = true; }
    return out;
  }

  // Sigma hides the edges of hidden nodes itself: only a highlight changes edges.
  function edgeReducer(edge, attrs) {
    if (!view.marks) return attrs;
    const out = { ...attrs };
    if (view.marks.edges.has(edge)) { out.color = "#d6336c"; out.size = 2.5; out.zIndex = 2; }
    else { out.color = "#f0f1f4"; out.zIndex = 0; }
    return out;
  }

  const crosses = (box, boxes) => boxes.some((b) =>
    box.x < b.x + b.w && b.x < box.x + box.w && box.y < b.y + b.h && b.y < box.y + box.h);
  function textWidth(context, text) {
    let width = labelWidths.get(text);
    if (width === undefined) { width = context.measureText(text).width; labelWidths.set(text, width); }
    return width;
  }

  // Labels never overlap: a label that would cross one drawn already in this frame is left
  // out. Sigma draws the labels of the largest nodes first, so the important ones win. The
  // labels of highlighted nodes are written on sigma's layer above (drawHover): here their
  // places are kept free, and they are not written twice.
  let highlightBoxes = null; // this frame's boxes of the highlighted nodes' labels
  function drawLabel(context, data, settings) {
    if (!data.label) return;
    const size = settings.labelSize;
    context.font = `${settings.labelWeight} ${size}px ${settings.labelFont}`;
    if (highlightBoxes === null) highlightBoxes = highlightedLabelBoxes(context, settings);
    if (data.highlighted) return;
    const text = short(data.label, 36);
    const box = { x: data.x + data.size + 3, y: data.y - size / 2 - 1, w: textWidth(context, text) + 2, h: size + 3 };
    if (crosses(box, labelBoxes) || crosses(box, highlightBoxes)) return;
    labelBoxes.push({ ...box, node: data.key || null, text });
    context.fillStyle = "rgba(255,255,255,0.75)";
    context.fillRect(box.x - 1, box.y, box.w, box.h);
    context.fillStyle = "#2b3240";
    context.fillText(text, data.x + data.size + 3, data.y + size / 3);
  }

  // A highlighted node's label box as drawHover writes it: the text beside a halo.
  const HOVER_CHARS = 60;
  function hoverBoxOf(context, x, y, nodeSize, label, settings) {
    const size = settings.labelSize;
    const text = short(label, HOVER_CHARS);
    return { x: x + nodeSize + 2, y: y - size / 2 - 2, w: textWidth(context, text) + 6, h: size + 4, text };
  }
  function highlightedLabelBoxes(context, settings) {
    const out = [];
    for (const id of renderer.highlightedNodes || []) {
      if (!graph.hasNode(id)) continue;
      const d = renderer.getNodeDisplayData(id);
      if (!d || d.hidden || !d.label) continue;
      const { x, y } = renderer.framedGraphToViewport(d);
      out.push(hoverBoxOf(context, x, y, renderer.scaleSize(d.size), d.label, settings));
    }
    return out;
  }

  // Sigma writes the labels of highlighted nodes (the selection, a highlight's hits, live
  // arrivals) and of the hovered one on a layer of their own, each on a white box, with no
  // check of overlap: many hits near one another wrote over each other. Here the hovered
  // node's label is always written, then the selection's, then the others' where they fit
  // (a node whose label does not fit keeps its halo).
  let hoverBoxes = [];
  function drawHover(context, data, settings) {
    const size = settings.labelSize;
    context.font = `${settings.labelWeight} ${size}px ${settings.labelFont}`;
    const box = data.label ? hoverBoxOf(context, data.x, data.y, data.size, data.label, settings) : null;
    const mine = hoverBoxes.find((b) => b.node === data.key);
    const first = data.key === renderer.hoveredNode || (mine && mine.reserved);
    const written = box && (first || !crosses(box, hoverBoxes));
    if (written && !mine) hoverBoxes.push({ ...box, node: data.key });
    context.fillStyle = "#fff";
    context.shadowBlur = 8;
    context.shadowColor = "#000";
    context.beginPath();
    context.arc(data.x, data.y, data.size + 2, 0, Math.PI * 2);
    context.closePath();
    context.fill();
    if (written) context.fillRect(box.x - 2, box.y, box.w, box.h);
    context.shadowBlur = 0;
    if (!written) return;
    context.fillStyle = "#2b3240";
    context.fillText(box.text, box.x + 1, data.y + size / 3);
  }
  // Before each writing of that layer: the selection's places first.
  function reserveSelection() {
    hoverBoxes = [];
    const context = renderer.getCanvases().hovers.getContext("2d");
    const settings = renderer.getSettings();
    context.font = `${settings.labelWeight} ${settings.labelSize}px ${settings.labelFont}`;
    for (const id of selection) {
      if (!graph.hasNode(id)) continue;
      const d = renderer.getNodeDisplayData(id);
      if (!d || d.hidden || !d.label || id === renderer.hoveredNode) continue;
      const { x, y } = renderer.framedGraphToViewport(d);
      const box = hoverBoxOf(context, x, y, renderer.scaleSize(d.size), d.label, settings);
      if (!crosses(box, hoverBoxes)) hoverBoxes.push({ ...box, node: id, reserved: true });
    }
  }

  // Sigma draws every node twice a frame: on screen and on its picking layer (which node is
  // under the mouse). While the camera moves nobody points at a node, and the frame that
  // follows the move (the one that draws the edges again) draws the picking layer too: skip
  // it meanwhile, a third of a moving frame at 5,000 nodes (docs/browser.md).
  function cameraMoving() {
    const mouse = renderer.getMouseCaptor();
    return renderer.getCamera().isAnimated() || mouse.isMoving || mouse.draggedEvents || mouse.currentWheelDirection;
  }
  function withoutPickingWhileMoving(NodeProgram) {
    return class extends NodeProgram {
      render(params) {
        if (!this.pickProgram || !cameraMoving()) { super.render(params); return; }
        const pick = this.pickProgram;
        this.pickProgram = null;
        try { super.render(params); } finally { this.pickProgram = pick; }
      }
    };
  }

  const renderer = new SigmaClass(graph, $("#graph"), {
    defaultEdgeType: "line",
    defaultEdgeColor: "#c3c9d5",
    labelDensity: 0.7,
    labelGridCellSize: 120,
    labelRenderedSizeThreshold: 5,
    labelSize: 12,
    labelFont: "system-ui, sans-serif",
    zIndex: true,
    nodeReducer,
    edgeReducer,
    defaultDrawNodeLabel: drawLabel,
    defaultDrawNodeHover: drawHover,
    minCameraRatio: 0.02,
    maxCameraRatio: 20,
    // Sigma's 30 px put a node on the bottom edge under the legend (and its label), and one
    // on the top edge under the status line: both lie over the canvas, ~36 px deep.
    stagePadding: 50,
  });
  // Sigma stacks seven full-size canvases; a software-composited browser blends every visible
  // one over the whole drawing area each frame, drawn on or not (docs/browser.md measures it).
  // Edge labels are never drawn here, and while the camera moves a big drawing draws its nodes
  // only (edges and labels hidden, see updateStatus): meanwhile only the layers drawn on show.
  const moveSavings = { hideLabels: true, idleLayers: true }; // both off: as before, for bench/
  let layersHidden = "";
  function idleLayers(moving) {
    const idle = [];
    if (!moveSavings.idleLayers) return idle;
    if (!renderer.getSetting("renderEdgeLabels")) idle.push("edgeLabels");
    if (!moving) return idle;
    if (renderer.getSetting("hideEdgesOnMove")) idle.push("edges");
    if (renderer.getSetting("hideLabelsOnMove")) idle.push("labels", "hovers", "hoverNodes");
    return idle;
  }
  const ownRenderHighlighted = renderer.renderHighlightedNodes;
  renderer.renderHighlightedNodes = function (...args) {
    reserveSelection();
    return ownRenderHighlighted.apply(this, args);
  };
  renderer.on("beforeRender", () => {
    labelBoxes = [];
    highlightBoxes = null;
    const idle = idleLayers(cameraMoving());
    if (idle.join() === layersHidden) return;
    layersHidden = idle.join();
    for (const [id, canvas] of Object.entries(renderer.getCanvases())) {
      canvas.style.visibility = idle.includes(id) ? "hidden" : "";
    }
  });
  // The cheap programs for big drawings: gl.LINES edges and gl.POINTS nodes, next to sigma's
  // default quads with anti-aliased edges and discs.
  renderer.setSetting("edgeProgramClasses", { ...renderer.getSetting("edgeProgramClasses"),
    thin: Sigma.rendering.EdgeLineProgram });
  renderer.setSetting("nodeProgramClasses", { ...renderer.getSetting("nodeProgramClasses"),
    point: withoutPickingWhileMoving(Sigma.rendering.NodePointProgram) });

  const expanded = new Set();
  let selection = []; // node ids, in the order they were clicked (at most two)
  let chosen = null; // the story (or node) the user chose: the highlight counts from it

  function freeSpot() {
    if (graph.order === 0) return { x: 0, y: 0 };
    let maxX = -Infinity, sumY = 0;
    graph.forEachNode((_, a) => { maxX = Math.max(maxX, a.x); sumY += a.y; });
    return { x: maxX + 200, y: sumY / graph.order };
  }

  // Place `ids` around `center` in rings, nearest ring first: instant, whatever the count.
  function placeAround(center, ids) {
    let ring = 0;
    let placed = 0;
    while (placed < ids.length) {
      const radius = 60 + ring * 30;
      const slots = Math.max(6, Math.floor((2 * Math.PI * radius) / 14));
      const count = Math.min(slots, ids.length - placed);
      for (let i = 0; i < count; i++) {
        const angle = (2 * Math.PI * i) / count + ring * 0.37;
        graph.mergeNodeAttributes(ids[placed + i], {
          x: center.x + radius * Math.cos(angle), y: center.y + radius * Math.sin(angle),
        });
      }
      placed += count;
      ring += 1;
    }
    nudgeApart(center, ids);
  }

  // A node placed on (or within NODE_GAP of) a node drawn before is moved to the next free
  // slot around the same centre: a live arrival comes alone, and every lone node placed
  // around one neighbour went to the same first slot, on top of the one before (and each
  // page of a walk went onto the slots of the page before). Occupied places are cells of
  // a grid; the slots are tried in ring order, once for the whole batch.
  const NODE_GAP = 14;
  function nudgeApart(center, ids) {
    const placing = new Set(ids);
    const cells = new Set();
    const cellOf = (x, y) => `${Math.floor(x / NODE_GAP)},${Math.floor(y / NODE_GAP)}`;
    graph.forEachNode((n, a) => { if (!placing.has(n)) cells.add(cellOf(a.x, a.y)); });
    if (!cells.size) return;
    const free = (x, y) => {
      const cx = Math.floor(x / NODE_GAP);
      const cy = Math.floor(y / NODE_GAP);
      for (let dx = -1; dx <= 1; dx++) for (let dy = -1; dy <= 1; dy++) if (cells.has(`${cx + dx},${cy + dy}`)) return false;
      return true;
    };
    const moving = ids.filter((id) => { const a = graph.getNodeAttributes(id); return !free(a.x, a.y); });
    if (!moving.length) return;
    const moves = new Set(moving);
    for (const id of ids) {
      if (!moves.has(id)) { const a = graph.getNodeAttributes(id); cells.add(cellOf(a.x, a.y)); }
    }
    let ring = 0;
    let i = 0;
    for (const id of moving) {
      for (;;) {
        const radius = 60 + ring * 30;
        const slots = Math.max(6, Math.floor((2 * Math.PI * radius) / NODE_GAP));
        if (i >= slots) { ring += 1; i = 0; continue; }
        const angle = (2 * Math.PI * i) / slots + ring * 0.37;
        i += 1;
        const x = center.x + radius * Math.cos(angle);
        const y = center.y + radius * Math.sin(angle);
        if (!free(x, y)) continue;
        graph.mergeNodeAttributes(id, { x, y });
        cells.add(cellOf(x, y));
        break;
      }
    }
  }

  // Add nodes and edges not drawn yet; return the ids of the new nodes.
  function addGraph(nodes, edges, center) {
    const fresh = [];
    for (const n of nodes) {
      if (graph.hasNode(n.id)) {
        if (n.degree != null) graph.mergeNodeAttributes(n.id, { apiDegree: n.degree, size: sizeOf(n.degree) });
        continue;
      }
      const label = labelOf(n);
      graph.addNode(n.id, {
        kind: (n.kind || kindOf(n.id)).toLowerCase(), label, x: 0, y: 0,
        apiDegree: n.degree != null ? n.degree : null, size: sizeOf(n.degree || 1),
        stub: !!n.isStub, ...facetsOf(n),
      });
      fresh.push(n.id);
    }
    for (const e of edges) {
      if (graph.hasEdge(e.id)) continue;
      if (!graph.hasNode(e.source) || !graph.hasNode(e.target)) continue;
      graph.addDirectedEdgeWithKey(e.id, e.source, e.target, {
        kind: e.kind, evidence: e.evidence || [], size: e.kind === "RELATED" ? 1.5 : 0.8,
        color: e.kind === "RELATED" ? "#8ea5d6" : e.kind === "SAME_STORY" ? "#b07aa1" : "#c3c9d5",
      });
    }
    for (const id of fresh) {
      if (graph.getNodeAttribute(id, "apiDegree") == null) graph.setNodeAttribute(id, "size", sizeOf(graph.degree(id)));
    }
    placeAround(center || freeSpot(), fresh);
    updateStatus();
    if (view.colourBy !== "kind") recolour();
    if (live) live.reached(fresh); // arrivals away from the drawing it reaches now
    return fresh;
  }

  // -- layout: ForceAtlas2 in a web worker ------------------------------------------

  let layout = null;
  let layoutTimer = null;
  let layoutDone = Promise.resolve();
  let layoutFinished = null; // resolves layoutDone, however the layout stops

  // Run ForceAtlas2 in its worker for a while (longer for larger drawings), then stop.
  // Pinned nodes (attribute `fixed`) stay where they are.
  function relayout(fit = true) {
    if (graph.order === 0) return layoutDone;
    stopLayout();
    renderer.setCustomBBox(null); // frozen by a drag until now
    const settings = { ...forceAtlas2.inferSettings(graph), barnesHutOptimize: graph.order > 300, slowDown: 2 };
    layout = new FA2Layout(graph, { settings });
    layout.start();
    document.body.dataset.layout = "running";
    const ms = Math.min(4000, 800 + graph.order);
    layoutDone = new Promise((resolve) => {
      layoutFinished = resolve;
      layoutTimer = setTimeout(() => {
        stopLayout();
        if (fit) renderer.getCamera().animatedReset({ duration: 200 });
      }, ms);
    });
    return layoutDone;
  }

  // Lay out `ids` alone (live arrivals, which come one at a time): ForceAtlas2 in its worker
  // for SETTLE_MS with every other node held where it is (fixed for that run, unless pinned
  // already), so that what the user is reading does not move. A full layout running places
  // them anyway; a settle running takes them on.
  const SETTLE_MS = 600;
  let held = new Set(); // nodes fixed for a settle only
  const settling = new Set();
  function settle(ids) {
    if (layout && !held.size) return layoutDone;
    const moving = new Set([...settling, ...ids].filter((id) => graph.hasNode(id)));
    if (!moving.size) return layoutDone;
    // Sigma takes nodes just added in its next frame; fixing every node at once before that
    // fails ("node ... can't be repaint"): take them now.
    renderer.refresh();
    stopLayout();
    moving.forEach((id) => settling.add(id));
    graph.forEachNode((n, a) => { if (!moving.has(n) && !a.fixed) held.add(n); });
    graph.updateEachNodeAttributes((n, a) => (held.has(n) ? { ...a, fixed: true } : a), { attributes: ["fixed"] });
    const settings = { ...forceAtlas2.inferSettings(graph), barnesHutOptimize: graph.order > 300, slowDown: 2 };
    layout = new FA2Layout(graph, { settings });
    layout.start();
    document.body.dataset.layout = "running";
    layoutDone = new Promise((resolve) => {
      layoutFinished = resolve;
      layoutTimer = setTimeout(stopLayout, SETTLE_MS);
    });
    return layoutDone;
  }

  function stopLayout() {
    clearTimeout(layoutTimer);
    if (layout) { layout.kill(); layout = null; }
    if (held.size) {
      const was = held;
      held = new Set();
      graph.updateEachNodeAttributes((n, a) => (was.has(n) ? { ...a, fixed: false } : a), { attributes: ["fixed"] });
    }
    settling.clear();
    document.body.dataset.layout = "idle";
    if (layoutFinished) { const done = layoutFinished; layoutFinished = null; done(); }
  }

  // Centre the camera on a node, zoomed so its neighbourhood shows.
  function centreOn(id, ratio = 0.5) {
    if (!graph.hasNode(id)) return;
    const d = renderer.getNodeDisplayData(id);
    if (d) renderer.getCamera().animate({ x: d.x, y: d.y, ratio }, { duration: 200 });
  }

  function updateStatus() {
    const shown = graph.filterNodes((n, a) => !isHidden(a)).length;
    $("#status").classList.remove("error");
    $("#status").textContent = `${graph.order} nodes · ${graph.size} edges drawn` +
      (shown < graph.order ? ` · ${graph.order - shown} hidden` : "") + (walkNote() ? ` · ${walkNote()}` : "") +
      (nothingNewNote() ? ` · ${nothingNewNote()}` : "");
    // Past a few thousand edges each frame of a pan or zoom draws them all: hide them while
    // the camera moves (measured in docs/browser.md).
    // Labels too past HEAVY_NODES nodes: sigma draws the frame after the move (labels, edges,
    // highlighted nodes) only when it hides edges, so labels hide only then.
    const heavy = { hideEdgesOnMove: graph.size > HEAVY_EDGES,
      hideLabelsOnMove: moveSavings.hideLabels && graph.size > HEAVY_EDGES && graph.order > HEAVY_NODES,
      defaultEdgeType: graph.size > HEAVY_EDGES ? "thin" : "line",
      defaultNodeType: graph.order > HEAVY_NODES ? "point" : "circle" };
    for (const [key, value] of Object.entries(heavy)) {
      if (renderer.getSetting(key) !== value) renderer.setSetting(key, value);
    }
    $("#overview-toggle").hidden = graph.order === 0;
    if (graph.order === 0) showOverview(true);
  }

  // -- neighbourhoods --------------------------------------------------------------

  const NODE_FIELDS = `node { id ${FACET_FIELDS} } kind label hops degree`;
  const EDGE_FIELDS = "id source target kind evidence";
  let walk = null; // the last draw or expansion: { ids, hops, limit, via, exclude, cursor, reached, count }
  // The node whose last expansion added nothing (no node, no edge): the status line says so
  // until the next draw or expansion (a click that changed nothing looked like one not taken).
  let nothingNew = null;

  function nothingNewNote() {
    if (!nothingNew || !graph.hasNode(nothingNew.id)) return "";
    const label = short(graph.getNodeAttribute(nothingNew.id, "label"), 40);
    const along = nothingNew.via ? ` along ${nothingNew.via.join(", ")}` : "";
    return `“${label}”: nothing new, all its neighbours${along} are drawn`;
  }

  // What the last walk left out, while its limit cut it short (the status line keeps it,
  // whatever redraws the line meanwhile). One hop around one node: its edges drawn of all it
  // has (the degree the server gave); further, no total is known: where it stopped.
  function walkNote() {
    if (!walk || !walk.cursor) return "";
    const id = walk.ids[0];
    const label = `“${short(graph.hasNode(id) ? graph.getNodeAttribute(id, "label") : id, 40)}”`;
    const next = `Draw more for the next ${walk.limit}.`;
    const total = graph.hasNode(id) ? graph.getNodeAttribute(id, "apiDegree") : null;
    if (walk.hops === 1 && !walk.via && total != null) {
      return `${label}: ${graph.degree(id)} of its ${total} edges drawn; ${next}`;
    }
    const along = walk.via ? ` along ${walk.via.join(", ")}` : "";
    return `${walk.count} nodes drawn around ${label}${along} (pages of ${walk.limit}): more remain; ${next}`;
  }

  // The subgraph around `ids` less what is drawn already, with the edges attaching it.
  // `exclude` lists the drawn nodes, up to EXCLUDE_BYTES of JSON: the server refuses a
  // request body past its limit (64 KiB by default) with 413, and an id is a URL of any
  // length (300 drawn stories of 290-character URLs were 89 KB). The drawn neighbours of `ids`
  // come first (what the walk reaches first); what is left out and comes back anyway is
  // skipped here (addGraph draws nothing twice). A 413 all the same (a server or proxy
  // taking less) is asked again with the first half of the list, down to none.
  // The pages of one walk repeat its first page's `exclude`, as its cursor expects.
  const EXCLUDE_BYTES = 40000;
  const utf8 = new TextEncoder();
  function excludeFor(ids) {
    const seeds = new Set(ids);
    const near = new Set();
    ids.forEach((id) => {
      if (graph.hasNode(id)) graph.forEachNeighbor(id, (n) => { if (!seeds.has(n)) near.add(n); });
    });
    const out = [];
    let bytes = 2;
    for (const n of [...near, ...graph.nodes().filter((d) => !seeds.has(d) && !near.has(d))]) {
      bytes += utf8.encode(JSON.stringify(n)).length + 1;
      if (bytes > EXCLUDE_BYTES) break;
      out.push(n);
    }
    return out;
  }

  async function fetchNeighborhood(ids, hops, limit, after = null, via = null, exclude = excludeFor(ids)) {
    for (;;) {
      let data;
      try {
        data = await gql(`query ($from: [ID!]!, $hops: Int!, $limit: Int!, $exclude: [ID!], $after: String, $via: [EdgeKind!]) {
          neighborhood(from: $from, hops: $hops, limit: $limit, exclude: $exclude, after: $after, via: $via) {
            nodes { ${NODE_FIELDS} } edges { ${EDGE_FIELDS} } truncated cursor } }`,
        { from: ids, hops, limit, exclude, after, via });
      } catch (err) {
        if (!(err instanceof TooLarge) || !exclude || !exclude.length) throw err;
        exclude = exclude.length > 1 ? exclude.slice(0, exclude.length >> 1) : null;
        continue;
      }
      const sub = data.neighborhood;
      return { ...sub, exclude, nodes: sub.nodes.map(({ node, ...drawn }) => ({ ...node, ...drawn, id: node.id })) };
    }
  }

  // Add one page of a walk; when the walk is done, every node short of its last hop has had
  // all its neighbours drawn: clicking it again fetches nothing.
  function takePage(sub, center) {
    const fresh = addGraph(sub.nodes, sub.edges, center);
    sub.nodes.forEach((n) => {
      if (graph.hasNode(n.id)) graph.setNodeAttribute(n.id, "hops", n.hops);
      if (n.hops < walk.hops) walk.reached.push(n.id);
    });
    walk.cursor = sub.truncated ? sub.cursor : null;
    walk.count += sub.nodes.length;
    if (!walk.cursor && !walk.via) walk.reached.forEach((n) => expanded.add(n));
    $("#more").hidden = !walk.cursor;
    updateStatus();
    return fresh;
  }

  function positionOf(id) {
    return graph.hasNode(id) ? { x: graph.getNodeAttribute(id, "x"), y: graph.getNodeAttribute(id, "y") } : null;
  }

  async function draw(id, hops) {
    showOverview(false);
    const center = positionOf(id) || freeSpot();
    const limit = hops > 1 ? DRAW_LIMIT : EXPAND_LIMIT;
    const sub = await fetchNeighborhood([id], hops, limit);
    walk = { ids: [id], hops, limit: neighborhoodLimit(limit), via: null, exclude: sub.exclude, cursor: null, reached: [], count: 0 };
    nothingNew = null;
    addGraph(sub.nodes.filter((n) => n.id === id), [], center);
    graph.mergeNodeAttributes(id, { ...center, expanded: true });
    const fresh = takePage(sub, center);
    if (!walk.cursor) expanded.add(id); // a hub cut short is expanded on by a click
    relayout(true);
    return fresh;
  }

  // Draw the next page of the last walk that its limit cut short.
  async function drawMore() {
    if (!walk || !walk.cursor) return [];
    nothingNew = null;
    const sub = await fetchNeighborhood(walk.ids, walk.hops, walk.limit, walk.cursor, walk.via, walk.exclude);
    const fresh = takePage(sub, positionOf(walk.ids[0]));
    relayout(true);
    return fresh;
  }

  // One hop around `id`, along every kind of edge or only along `via` (a list of kinds).
  async function expand(id, via = null) {
    if (!via && expanded.has(id)) {
      nothingNew = { id, via: null };
      updateStatus();
      return [];
    }
    graph.setNodeAttribute(id, "expanded", true);
    const sub = await fetchNeighborhood([id], 1, EXPAND_LIMIT, null, via);
    walk = { ids: [id], hops: 1, limit: neighborhoodLimit(EXPAND_LIMIT), via, exclude: sub.exclude, cursor: null, reached: [], count: sub.nodes.length };
    const edges = graph.size;
    const fresh = addGraph(sub.nodes, sub.edges, positionOf(id));
    nothingNew = fresh.length || graph.size > edges || sub.truncated ? null : { id, via };
    walk.cursor = sub.truncated ? sub.cursor : null;
    $("#more").hidden = !walk.cursor;
    if (!walk.cursor && !via) expanded.add(id);
    updateStatus();
    if (fresh.length) relayout(false);
    return fresh;
  }

  // -- hide, pin, remove, filter by kind ---------------------------------------------

  function hideNode(id) {
    graph.setNodeAttribute(id, "hiddenByUser", true);
    updateStatus();
  }

  function showHidden() {
    graph.forEachNode((n) => graph.removeNodeAttribute(n, "hiddenByUser"));
    updateStatus();
  }

  function togglePin(id) {
    const pinned = !graph.getNodeAttribute(id, "fixed");
    graph.setNodeAttribute(id, "fixed", pinned);
    return pinned;
  }

  // Take a node out of the drawing: by the user, or (`gone`) because live mode saw it leave
  // the graph, which only touches the details when they were about it.
  function removeNode(id, { gone = false } = {}) {
    const shown = selection.includes(id) || detailsFor === id;
    graph.dropNode(id);
    expanded.clear(); // a removed neighbour must come back when its neighbours are expanded
    graph.forEachNode((n, a) => { if (a.expanded) graph.setNodeAttribute(n, "expanded", false); });
    selection = selection.filter((s) => s !== id);
    if (chosen === id) {
      chosen = null;
      $("#highlight-from").textContent = "none yet";
    }
    updateStatus();
    if (gone && !shown) return;
    detailsFor = null;
    $("#details").replaceChildren(el("p", { class: "hint", id: "details-removed" }, gone
      ? "Removed from the drawing: no longer in the graph (its record was deleted or retracted)."
      : "Removed from the drawing."));
  }

  function setKindShown(kind, shown) {
    if (shown) view.hiddenKinds.delete(kind); else view.hiddenKinds.add(kind);
    updateStatus();
    renderer.refresh();
  }

  // -- colour by storyline or provider -------------------------------------------------

  let colourSeq = 0;
  async function recolour() {
    const seq = ++colourSeq;
    const by = view.colourBy;
    view.groups = new Map();
    view.legend = new Map();
    if (by !== "kind") {
      const articles = graph.filterNodes((n, a) => a.kind === "article");
      const field = by === "storyline" ? "storyline { id size }" : "provider { id name }";
      for (let i = 0; i < articles.length; i += 100) {
        const data = await gqlWhenReady(`query ($ids: [ID!]!) { nodes(ids: $ids) { id ... on Article { ${field} } } }`,
          { ids: articles.slice(i, i + 100) }, () => { $("#legend-groups").textContent = "computing storylines…"; });
        if (seq !== colourSeq) return;
        for (const n of data.nodes) {
          const g = n && n[by];
          if (g) view.groups.set(n.id, g.id);
        }
      }
      if (by === "provider") graph.forEachNode((n, a) => { if (a.kind === "provider") view.groups.set(n, n); });
      const counts = new Map();
      view.groups.forEach((g) => counts.set(g, (counts.get(g) || 0) + 1));
      [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, PALETTE.length).forEach(([g, count], i) => {
        const name = by === "provider" && graph.hasNode(g) ? graph.getNodeAttribute(g, "label") : g;
        view.legend.set(g, { colour: PALETTE[i], name, count });
      });
    }
    if (seq !== colourSeq) return;
    drawLegend();
    renderer.refresh();
  }

  function drawLegend() {
    const box = $("#legend-groups");
    if (view.colourBy === "kind") {
      box.replaceChildren(...KINDS.map((k) => el("span", { class: "swatch" },
        el("i", { style: `background:${KIND_COLOURS[k]}` }), k === "article" ? "story" : k)),
      el("span", { class: "swatch" }, el("i", { style: `background:${STUB_COLOUR}` }), "stub"));
      return;
    }
    const items = [...view.legend.entries()].map(([g, e]) => el("span", { class: "swatch", dataset: { group: g } },
      el("i", { style: `background:${e.colour}` }), isolated(short(String(e.name), 24)), ` (${e.count})`));
    items.push(el("span", { class: "swatch" }, el("i", { style: `background:${OTHER}` }), "other"));
    box.replaceChildren(...items);
  }

  // -- downloads --------------------------------------------------------------------

  function drawnJSON() {
    return {
      nodes: graph.mapNodes((id, a) => ({ id, kind: a.kind, label: a.label, x: a.x, y: a.y,
        hidden: isHidden(a), pinned: !!a.fixed, ...(a.arrived ? { arrived: a.arrived } : {}) })),
      edges: graph.mapEdges((id, a, source, target) => ({ id, source, target, kind: a.kind, evidence: a.evidence })),
    };
  }

  // The layers of the renderer flattened onto white, drawn right after a render so that the
  // WebGL layers still hold their pixels.
  function drawnPNG() {
    renderer.refresh();
    const { width, height } = renderer.getDimensions();
    const ratio = window.devicePixelRatio || 1;
    const out = document.createElement("canvas");
    out.width = width * ratio;
    out.height = height * ratio;
    const ctx = out.getContext("2d");
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, out.width, out.height);
    for (const layer of Object.values(renderer.getCanvases())) ctx.drawImage(layer, 0, 0, out.width, out.height);
    return out.toDataURL("image/png");
  }

  function download(name, href) {
    const a = el("a", { href, download: name });
    document.body.append(a);
    a.click();
    a.remove();
  }

  // -- details ---------------------------------------------------------------------

  let detailsFor = null; // the node the details pane is about
  async function showDetails(id) {
    detailsFor = id;
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
    const drawnDegree = graph.hasNode(id) ? graph.degree(id) : 0;
    const parts = [el("span", { class: `kind ${kind}` }, kind === "article" ? "story" : kind)];
    if (kind === "article") {
      // A record's originalUrl and webUrl are its own text: only a web URL becomes the link
      // (a 'javascript://host/%0A...' one would run script when clicked).
      const link = [n.originalUrl, n.webUrl, n.url].find((u) => /^https?:\/\//i.test(u || ""));
      parts.push(
        el("h3", { id: "details-title" }, n.title),
        el("dl", { id: "details-fields" },
          el("dt", {}, "Id"), el("dd", { class: "meta" }, n.id),
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
          el("dt", {}, "Sources"), el("dd", { class: "meta" },
            n.sources.length ? el("ul", { id: "details-sources", class: "links" }, n.sources.map((s) => el("li", {}, recordName(s)))) : "none"),
        ),
        n.isStub ? el("p", { class: "hint" }, "A stub: known only from another record's related list.") : null,
        n.excerpt ? el("p", { class: "excerpt" }, short(n.excerpt, 320)) : null,
      );
    } else {
      parts.push(
        el("h3", { id: "details-title" }, n.name),
        el("dl", { id: "details-fields" },
          el("dt", {}, "Id"), el("dd", { class: "meta" }, n.id),
          el("dt", {}, kind === "topic" ? "Slug" : "Domain"),
          el("dd", {}, kind === "topic" ? n.slug : n.domain),
          el("dt", {}, "Stories"), el("dd", {}, String(n.articleCount)),
          el("dt", {}, "Drawn edges"), el("dd", {}, String(drawnDegree)),
        ),
      );
    }
    const onGraph = graph.hasNode(id);
    parts.push(el("div", { class: "buttons" },
      el("button", { type: "button", id: "expand-selected", onclick: () => run(() => expand(id)) },
        expanded.has(id) ? "Expanded" : "Expand"),
      el("select", { id: "expand-kind", "aria-label": "Expand along one kind of edge" },
        el("option", { value: "" }, "along…"), EDGE_KINDS.map((k) => el("option", { value: k }, k))),
      el("button", { type: "button", id: "expand-by-kind", onclick: () => {
        const k = $("#expand-kind").value;
        if (k) run(() => expand(id, [k]));
      } }, "Expand by kind")));
    if (onGraph) {
      parts.push(el("div", { class: "buttons" },
        el("button", { type: "button", id: "choose-selected", onclick: () => { setChosen(id); } }, "Highlight from here"),
        el("button", { type: "button", id: "pin-selected", onclick: (ev) => {
          ev.target.textContent = togglePin(id) ? "Unpin" : "Pin"; } }, graph.getNodeAttribute(id, "fixed") ? "Unpin" : "Pin"),
        el("button", { type: "button", id: "hide-selected", onclick: () => hideNode(id) }, "Hide"),
        el("button", { type: "button", id: "remove-selected", onclick: () => removeNode(id) }, "Remove"),
        el("button", { type: "button", onclick: () => centreOn(id) }, "Centre")));
    }
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
    renderer.refresh();
    const url = new URL(window.location.href);
    url.searchParams.set("node", selection[0]);
    history.replaceState(null, "", url);
    if (live) live.check([id]); // a drawn story live mode has not checked against the version served
    await showDetails(id);
    if (selection.length === 2 && selection[0] !== selection[1]) await showPaths(selection[0], selection[1]);
  }

  function setChosen(id) {
    const changed = chosen !== id;
    chosen = id;
    if (changed) live.follow();
    const label = graph.hasNode(id) ? graph.getNodeAttribute(id, "label") : id;
    $("#highlight-from").textContent = short(label, 60);
    $("#highlight-from").dataset.id = id;
  }

  // A node chosen by search, from the overview or a chip: drawn, selected, and the one the
  // highlight counts from.
  async function canonicalId(ref) {
    const id = /^https?:\/\//i.test(ref) ? `article:${ref}` : ref; // a story's URL pasted in
    const data = await gql("query ($id: ID!) { node(id: $id) { id } }", { id });
    if (!data.node) throw new Error(`${JSON.stringify(ref)} is not in this corpus: the overview instead`);
    return data.node.id;
  }

  async function choose(id) {
    clearTimeout(searchTimer);
    searchSeq += 1; // a search still on its way would open the list again over the drawing
    closeResults();
    const depth = Number($("#depth").value);
    if (!graph.hasNode(id)) await draw(id, depth);
    else await expand(id);
    setChosen(id);
    await select(id);
  }

  function clearMarks() {
    view.marks = null;
    renderer.refresh();
  }

  async function showPaths(from, to) {
    const box = $("#path-results");
    box.replaceChildren(el("p", { class: "hint" }, "Finding paths…"));
    const nodeFields = `id __typename ... on Article { title isStub } ... on Topic { name } ... on Provider { name }`;
    const data = await gql(`query ($from: ID!, $to: ID!) {
      paths(from: $from, to: $to, k: 3, maxHops: 4) {
        length nodes { ${nodeFields} } edges { ${EDGE_FIELDS} } links { ${LINK_FIELDS} } } }`,
    { from, to });
    const paths = data.paths;
    if (!paths.length) {
      clearMarks();
      box.replaceChildren(el("p", { class: "hint", id: "no-path" },
        "No path of at most 4 hops joins these two nodes."));
      return paths;
    }
    const marks = { nodes: new Set(), edges: new Set(), hits: new Set() };
    const list = [];
    let added = 0;
    paths.forEach((p, i) => {
      added += addGraph(p.nodes.map((n) => ({ ...n, kind: kindOf(n.id) })), p.edges, positionOf(p.nodes[0].id)).length;
      p.nodes.forEach((n) => marks.nodes.add(n.id));
      p.edges.forEach((e) => marks.edges.add(e.id));
      const byId = Object.fromEntries(p.nodes.map((n) => [n.id, n]));
      const steps = p.edges.map((e, j) => {
        const a = p.nodes[j];
        const b = p.nodes[j + 1];
        return el("li", { class: "step" },
          el("span", { class: "edge-kind" }, e.kind), " ",
          isolated(short(labelOf(a), 50)), " → ", isolated(short(labelOf(b), 50)),
          el("span", { class: "evidence" }, evidenceText(e, byId)));
      });
      list.push(el("div", { class: "path" },
        el("div", { class: "head" }, `Path ${i + 1}: ${p.length} hop${p.length === 1 ? "" : "s"}`),
        el("ol", { class: "steps" }, steps),
        p.links.length ? el("ul", { class: "links" },
          p.links.map((l) => el("li", { class: "link-why" }, linkWords(l)))) : null));
    });
    view.marks = marks;
    if (added) relayout(false);
    renderer.refresh();
    box.replaceChildren(
      el("p", {}, "Between “", isolated(short(labelOf(paths[0].nodes[0]), 60)), "” and “",
        isolated(short(labelOf(paths[0].nodes[paths[0].nodes.length - 1]), 60)), "”:"),
      ...list);
    $("#paths").scrollIntoView({ block: "start" });
    return paths;
  }

  // Why two stories along a path are linked: the server's `text`, word for word, put
  // together here so that each title, name and record stands isolated in it.
  const STORY_FIELDS = "id title provider { id name domain }";
  const LINK_FIELDS = `kind text evidence source { ${STORY_FIELDS} } target { ${STORY_FIELDS} }
    through { id ... on Topic { name slug } ... on Provider { name domain } }`;
  function linkWords(l) {
    const a = isolated(labelOf(l.source));
    const b = isolated(labelOf(l.target));
    if (l.kind === "SAME_STORY") {
      return ['"', a, '" (', isolated(labelOf(l.source.provider)), ') and "', b, '" (',
        isolated(labelOf(l.target.provider)), ") are copies of one story"];
    }
    if (l.kind === "RELATED") {
      return ['"', a, '" lists "', b, '" as related', l.evidence.length
        ? [" (in ", l.evidence.map((r, i) => [i ? ", " : "", isolated(r)]), ")"] : ""];
    }
    const shared = l.kind === "SHARED_PROVIDER" ? "are both published by" : "are both tagged";
    return ['"', a, '" and "', b, `" ${shared} `, isolated(labelOf(l.through))];
  }

  // Why an edge exists: the edge in words, then the records it rests on (the corpus's
  // texts each isolated from the words around them).
  function evidenceText(edge, byId) {
    const s = byId[edge.source] || { id: edge.source };
    const t = byId[edge.target] || { id: edge.target };
    const from = isolated(short(labelOf(s), 60));
    const to = isolated(short(labelOf(t), 60));
    let words = [`${edge.kind}: `, isolated(labelOf(s)), " → ", isolated(labelOf(t))];
    if (edge.kind === "RELATED") words = ["“", from, "” lists “", to, "” as related"];
    else if (edge.kind === "TAGGED") words = ["“", from, "” is tagged “", isolated(labelOf(t)), "”"];
    else if (edge.kind === "PUBLISHED_BY") words = ["“", from, "” is published by ", isolated(labelOf(t))];
    else if (edge.kind === "SAME_STORY") words = ["“", from, "” and “", to, "” are copies of one story"];
    const records = (edge.evidence || []).map((r, i) => [i ? ", " : "", isolated(recordName(r))]);
    return records.length ? [...words, "; record ", ...records.flat(), "."] : [...words, "."];
  }

  // -- the mentions filter: the answer of within(), highlighted ---------------------

  async function highlight() {
    const from = chosen;
    const box = $("#filter-results");
    if (!from) {
      box.replaceChildren(el("p", { class: "hint" }, "Choose a story first: search, or pick one in the overview."));
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
    const marks = { nodes: new Set([from]), edges: new Set(), hits: new Set() };
    let added = 0;
    for (const h of hits) {
      added += addGraph(h.path.map((n) => ({ ...n, kind: kindOf(n.id) })), h.pathEdges,
        positionOf(h.path[Math.max(0, h.path.length - 2)].id)).length;
      h.path.forEach((n) => marks.nodes.add(n.id));
      h.pathEdges.forEach((e) => marks.edges.add(e.id));
      marks.hits.add(h.node.id);
    }
    view.marks = marks;
    if (added) relayout(false);
    renderer.refresh();
    const fromLabel = graph.hasNode(from) ? graph.getNodeAttribute(from, "label") : from;
    box.replaceChildren(
      el("p", { id: "filter-summary" },
        `${total} ${total === 1 ? "story" : "stories"} within ${hops} hop${hops === 1 ? "" : "s"} of “`,
        isolated(short(fromLabel, 60)), "”", mentions ? [" mention “", isolated(mentions), "”"] : null, "."),
      el("ol", { class: "hits", id: "hits" }, hits.map((h) => el("li", {
        dataset: { id: h.node.id, hops: String(h.hops) },
        onclick: () => run(() => select(h.node.id)),
      }, el("span", { class: "hops" }, String(h.hops)), el("bdi", { class: "title" }, h.node.title),
      el("span", { class: "meta" }, " · ", h.node.provider ? isolated(h.node.provider.name) : "")))));
    $("#filter").scrollIntoView({ block: "start" });
    return hits;
  }

  // -- search: stories by text, topics and providers --------------------------------

  let catalogue = null; // all topics and providers, fetched once (from page load) for matching by name

  function loadCatalogue() {
    if (!catalogue) catalogue = fetchCatalogue().catch((err) => { catalogue = null; throw err; });
    return catalogue;
  }

  // Every page of both lists: a corpus of 100k records has thousands of providers.
  async function fetchCatalogue() {
    const items = [];
    for (const field of ["topics", "providers"]) {
      let after = null;
      for (;;) {
        const data = await gql(`query ($after: String) {
          ${field}(first: 100, after: $after) { pageInfo { hasNextPage endCursor }
            edges { node { id name articleCount ${field === "topics" ? "slug" : "domain"} } } } }`,
        { after });
        const conn = data[field];
        // Each name folded once, as the server reads names: the filter compares these.
        items.push(...conn.edges.map((e) => ({ ...e.node,
          folded: [e.node.name, e.node.slug, e.node.domain].filter(Boolean).map(fold) })));
        if (!conn.pageInfo.hasNextPage) break;
        after = conn.pageInfo.endCursor;
      }
    }
    return items;
  }

  let searchSeq = 0;
  async function search(text) {
    const seq = ++searchSeq;
    const q = text.trim();
    if (!q) { closeResults(); return; }
    const list = $("#search-results");
    // Stories are found by their words: a text with no letter or digit (an emoji) is
    // refused by the server; the names in the catalogue are still looked through.
    const worded = /[\p{L}\p{N}]/u.test(q);
    const [data, cat] = await Promise.all([
      !worded ? null : gqlWhenReady(`query ($text: String!) {
        search(text: $text, first: 8) { totalCount
          edges { matchedIn node { id title publishedAt isStub provider { name } } } } }`, { text: q },
      () => { if (seq === searchSeq) { list.replaceChildren(el("li", { class: "empty" }, "The search index is computing…")); list.hidden = false; } }),
      loadCatalogue(),
    ]);
    if (seq !== searchSeq) return; // a newer search is on its way
    const needle = fold(q);
    const matches = cat.filter((c) => c.folded.some((s) => s.includes(needle)))
      .sort((a, b) => b.articleCount - a.articleCount).slice(0, 8);
    const topics = matches.filter((m) => kindOf(m.id) === "topic");
    const providers = matches.filter((m) => kindOf(m.id) === "provider");
    const rows = [];
    let option = 0;
    const row = (id, kind, title, meta) => el("li", {
      class: "result", role: "option", id: `search-option-${option++}`, "aria-selected": "false", dataset: { id, kind },
      onmousedown: (ev) => { ev.preventDefault(); run(() => choose(id)); },
    }, el("span", { class: `kind ${kind}` }, kind === "article" ? "story" : kind), el("bdi", {}, title), el("span", { class: "meta" }, meta));
    if (!worded) {
      rows.push(el("li", { class: "empty" }, `Stories are found by their words: “`, isolated(short(q, 40)),
        "” has no letters or digits."));
    } else if (data.search.edges.length) {
      rows.push(el("li", { class: "group" }, `Stories (${data.search.totalCount})`));
      for (const e of data.search.edges) {
        const n = e.node;
        rows.push(row(n.id, "article", short(n.title, 160),
          [isolated(short(n.provider.name, 60)), n.publishedAt ? " · " + n.publishedAt.slice(0, 10) : ""]));
      }
    }
    if (topics.length) {
      rows.push(el("li", { class: "group" }, "Topics"));
      topics.forEach((t) => rows.push(row(t.id, "topic", short(t.name, 160), `${t.articleCount} stories`)));
    }
    if (providers.length) {
      rows.push(el("li", { class: "group" }, "Providers"));
      providers.forEach((p) => rows.push(row(p.id, "provider", short(p.name, 160), [isolated(p.domain), ` · ${p.articleCount} stories`])));
    }
    if (!rows.some((r) => r.classList.contains("result"))) rows.push(el("li", { class: "empty" }, "Nothing matches."));
    list.replaceChildren(...rows);
    $("#search").removeAttribute("aria-activedescendant");
    list.hidden = false;
  }

  function closeResults() {
    $("#search-results").hidden = true;
  }

  // The arrow keys move through the results (the input keeps the focus and names the one
  // active with aria-activedescendant), Enter draws the active one, Escape closes the list.
  function activeResult() {
    return $("#search-results").hidden ? null : $("#search-results li.result[aria-selected='true']");
  }
  function moveActive(step) {
    const results = [...document.querySelectorAll("#search-results li.result")];
    if ($("#search-results").hidden || !results.length) return;
    const now = results.indexOf(activeResult());
    const next = now < 0 ? (step > 0 ? 0 : results.length - 1) : Math.min(results.length - 1, Math.max(0, now + step));
    results.forEach((r, i) => { r.setAttribute("aria-selected", String(i === next)); r.classList.toggle("active", i === next); });
    results[next].scrollIntoView({ block: "nearest" });
    $("#search").setAttribute("aria-activedescendant", results[next].id);
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
    searchTimer = setTimeout(() => run(() => search(ev.target.value)), 120);
  });
  $("#search").addEventListener("keydown", (ev) => {
    if (ev.key === "ArrowDown" || ev.key === "ArrowUp") { ev.preventDefault(); moveActive(ev.key === "ArrowDown" ? 1 : -1); }
    if (ev.key === "Escape" && !$("#search-results").hidden) { ev.preventDefault(); closeResults(); }
  });
  $("#search").addEventListener("focus", (ev) => { if (ev.target.value.trim()) $("#search-results").hidden = false; });
  $("#search").addEventListener("blur", () => setTimeout(closeResults, 150));
  $("#search-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const active = activeResult();
    if (active) { await run(() => choose(active.dataset.id)); return; }
    clearTimeout(searchTimer);
    await run(() => search($("#search").value));
    const first = $("#search-results li.result");
    if (first) await run(() => choose(first.dataset.id));
  });
  $("#hops").addEventListener("input", (ev) => { $("#hops-value").textContent = ev.target.value; });
  $("#filter-form").addEventListener("submit", (ev) => { ev.preventDefault(); run(highlight); });
  $("#unhighlight").addEventListener("click", () => { clearMarks(); $("#filter-results").replaceChildren(); });
  $("#relayout").addEventListener("click", () => relayout(true));
  $("#more").addEventListener("click", () => run(drawMore));
  $("#overview-toggle").addEventListener("click", () => showOverview($("#overview").hidden));
  $("#show-hidden").addEventListener("click", showHidden);
  $("#colour-by").addEventListener("change", (ev) => { view.colourBy = ev.target.value; run(recolour); });
  document.querySelectorAll("#kind-filter input").forEach((box) => {
    box.addEventListener("change", () => setKindShown(box.value, box.checked));
  });
  $("#download-png").addEventListener("click", () => download("newsgraph.png", drawnPNG()));
  $("#download-json").addEventListener("click", () => download("newsgraph.json",
    URL.createObjectURL(new Blob([JSON.stringify(drawnJSON(), null, 2)], { type: "application/json" }))));
  $("#download-gexf").addEventListener("click", () => download("newsgraph.gexf",
    URL.createObjectURL(new Blob([graphologyLibrary.gexf.write(graph)], { type: "application/xml" }))));
  $("#clear").addEventListener("click", () => {
    stopLayout();
    graph.clear();
    expanded.clear();
    selection = [];
    chosen = null;
    $("#highlight-from").textContent = "none yet";
    view.marks = null;
    walk = null;
    nothingNew = null;
    $("#more").hidden = true;
    $("#filter-results").replaceChildren();
    $("#path-results").replaceChildren();
    updateStatus();
    live.follow();
  });

  renderer.on("clickNode", ({ node, event }) => {
    if (drag.consumeDrag()) return; // the release that ends a drag
    const oe = (event && event.original) || {};
    const additive = !!(oe.shiftKey || oe.ctrlKey || oe.metaKey);
    run(async () => {
      if (!additive) await expand(node);
      await select(node, { additive });
    });
  });
  renderer.on("clickStage", () => { clearMarks(); });

  const filters = installFilters({ graph, gql, el, $, setBusy, onApplied: updateStatus });
  const drag = installDrag({ graph, renderer, stopLayout, onDropped: (id) => {
    if ($("#pin-selected") && selection[0] === id) $("#pin-selected").textContent = "Unpin";
  } });
  live = installLive({ graph, gql, gqlAt, el, $, endpoint: ENDPOINT, nodeFields: NODE_FIELDS,
    edgeFields: EDGE_FIELDS, addGraph, positionOf, settle, refresh: () => renderer.refresh(),
    depth: () => Number($("#depth").value), chosen: () => chosen, selected: () => selection, removeNode,
    maxChecks: Number(new URL(window.location.href).searchParams.get("checks")) || undefined,
    facetFields: FACET_FIELDS, facetsOf, onUpdated: async (ids) => {
      await filters.fillFacets();
      updateStatus();
      if (detailsFor && ids.includes(detailsFor)) await showDetails(detailsFor);
    } });
  $("#depth").addEventListener("change", () => live.follow());

  const ready = (async () => {
    drawLegend();
    const params = new URL(window.location.href).searchParams;
    if (params.get("mentions") != null) $("#mentions").value = params.get("mentions");
    // A link's hops: a whole number, held to the slider's range; the label says what the
    // slider holds (it said '999' or 'abc' beside a slider at 4 or 3).
    const hops = Number(params.get("hops"));
    if (params.get("hops") && Number.isInteger(hops)) { $("#hops").value = String(hops); $("#hops-value").textContent = $("#hops").value; }
    const start = params.get("node");
    updateStatus();
    if (start) {
      // Any spelling node(id:) takes (a URL, a www. form, an id written before its
      // spelling changed) draws its node; one that names nothing says so over the overview.
      try {
        await run(async () => choose(await canonicalId(start)));
      } catch (err) {
        showOverview(true);
      }
    }
    if (params.get("live") === "1") live.setOn(true);
    document.body.dataset.ready = "1";
    loadCatalogue().catch(() => {}); // asked again by the first search if this failed
    await loadOverview({ choose: (id) => run(() => choose(id)), palette: PALETTE });
    document.body.dataset.overview = "1";
  })();

  window.newsgraphExplorer = {
    graph, renderer, ready, expanded,
    get selection() { return selection.slice(); },
    get chosen() { return chosen; },
    get layoutDone() { return layoutDone; },
    labelBoxes: () => labelBoxes.slice(),
    hoverBoxes: () => hoverBoxes.map(({ x, y, w, h, text, node }) => ({ x, y, w, h, text, node })),
    get highlighted() { return view.marks ? [...view.marks.hits] : []; },
    get marked() { return view.marks ? [...view.marks.nodes] : []; },
    viewportOf: (id) => renderer.graphToViewport(graph.getNodeAttributes(id)),
    drawnJSON, drawnPNG, filters, drag, live,
    draw, drawMore, expand, select, choose, highlight, showPaths, search, relayout, addGraph,
    // What a big drawing saves while the camera moves; bench/page_frames.py compares them.
    get moveSavings() { return { ...moveSavings }; },
    setMoveSavings(savings) {
      Object.assign(moveSavings, savings);
      updateStatus();
      renderer.refresh();
    },
  };
})();
