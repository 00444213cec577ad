// The overview the explorer opens on: the served corpus at a glance. The load report's counts
// and errors, the largest storylines, the most central stories and a histogram of stories per
// month, each asked on its own (a field still computed says "computing…" until it answers).
import { gqlWhenReady } from "./explore-api.js";
import { $, el, isolated, recordName, short } from "./explore-dom.js";

export function showOverview(shown) {
  $("#overview").hidden = !shown;
}

const storyButton = (a, extra, choose) => el("button", { type: "button", class: "story", dataset: { id: a.id },
  onclick: () => choose(a.id) }, isolated(short(a.title, 70)), extra ? el("span", { class: "meta" }, extra) : null);

// `choose(id)` draws a story clicked here; `palette` colours the storylines as the drawing does.
export async function loadOverview({ choose, palette }) {
  const stats = $("#overview-stats");
  const storylines = $("#overview-storylines");
  const central = $("#overview-central");
  const timeline = $("#overview-timeline");
  const report = gqlWhenReady(`{ loadReport { files records articles stubs topics providers
    edges { kind count } errors { path line reason } } }`, {},
  (message) => { stats.replaceChildren(el("p", { class: "hint computing" }, `computing… ${message}`)); }).then((d) => {
    const r = d.loadReport;
    stats.replaceChildren(
      el("p", { id: "overview-counts" }, `${r.records} records in ${r.files} files: ${r.articles} stories ` +
        `(${r.stubs} stubs), ${r.topics} topics, ${r.providers} providers, ` +
        r.edges.map((e) => `${e.count} ${e.kind}`).join(", ") + "."),
      r.errors.length ? el("details", { id: "overview-errors" },
        el("summary", { class: "error" }, `${r.errors.length} load error${r.errors.length === 1 ? "" : "s"}`),
        el("ol", {}, r.errors.map((e) => el("li", {}, isolated(recordName(e.path)), `${e.line ? ":" + e.line : ""}: `,
          isolated(e.reason)))))
        : el("p", { class: "hint" }, "The load reported no errors."));
  });
  const lines = gqlWhenReady(`{ storylines(first: 8) { totalCount edges { node { id size startsAt endsAt
      central { id title } topTopics(first: 3) { topic { name } count } } } } }`, {},
  () => { storylines.replaceChildren(el("p", { class: "hint computing" }, "computing storylines…")); }).then((d) => {
    const edges = d.storylines.edges;
    storylines.replaceChildren(
      el("p", { class: "hint" }, `${d.storylines.totalCount} storylines; the largest, each by its central story:`),
      el("ol", { class: "storylines" }, edges.map((e, i) => el("li", { dataset: { storyline: e.node.id } },
        el("i", { class: "dot", style: `background:${palette[i % palette.length]}` }),
        storyButton(e.node.central, [` ${e.node.size} stories`,
          e.node.topTopics.map((t, j) => [j ? ", " : " · ", isolated(short(t.topic.name, 40))])], choose)))));
  });
  const centre = gqlWhenReady(`{ centralArticles(first: 10) { edges { score node { id title provider { name } } } } }`, {},
    () => { central.replaceChildren(el("p", { class: "hint computing" }, "computing PageRank…")); }).then((d) => {
    central.replaceChildren(el("ol", { class: "central" }, d.centralArticles.edges.map((e) => el("li", {},
      storyButton(e.node, [" ", isolated(short(e.node.provider.name, 60)), ` · ${e.score.toFixed(4)}`], choose)))));
  });
  const time = gqlWhenReady(`{ timeline(interval: MONTH) { total undated buckets { label count } } }`, {},
    () => { timeline.replaceChildren(el("p", { class: "hint computing" }, "computing the timeline…")); }).then((d) => {
    timeline.replaceChildren(histogram(d.timeline));
  });
  const results = await Promise.allSettled([report, lines, centre, time]);
  results.forEach((r, i) => {
    if (r.status === "rejected") {
      [stats, storylines, central, timeline][i].replaceChildren(el("p", { class: "error" }, r.reason.message));
    }
  });
}

function histogram(t) {
  const buckets = t.buckets;
  const max = Math.max(1, ...buckets.map((b) => b.count));
  const w = 560;
  const h = 90;
  const bw = buckets.length ? w / buckets.length : w;
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", `0 0 ${w} ${h + 16}`);
  svg.setAttribute("id", "timeline-svg");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", `${t.total} dated stories by month`);
  buckets.forEach((b, i) => {
    const bar = document.createElementNS(svg.namespaceURI, "rect");
    const bh = (b.count / max) * h;
    bar.setAttribute("x", String(i * bw + 0.5));
    bar.setAttribute("y", String(h - bh));
    bar.setAttribute("width", String(Math.max(1, bw - 1)));
    bar.setAttribute("height", String(bh));
    bar.setAttribute("fill", "#3b6fd8");
    bar.dataset.label = b.label;
    bar.dataset.count = String(b.count);
    const title = document.createElementNS(svg.namespaceURI, "title");
    title.textContent = `${b.label}: ${b.count}`;
    bar.append(title);
    svg.append(bar);
  });
  for (const i of [0, buckets.length - 1]) {
    if (i < 0 || !buckets[i]) continue;
    const text = document.createElementNS(svg.namespaceURI, "text");
    text.setAttribute("x", String(i === 0 ? 0 : w));
    text.setAttribute("y", String(h + 13));
    text.setAttribute("text-anchor", i === 0 ? "start" : "end");
    text.setAttribute("font-size", "11");
    text.textContent = buckets[i].label;
    svg.append(text);
  }
  return el("div", {}, svg, el("p", { class: "meta" },
    `${t.total} dated stories${t.undated ? `, ${t.undated} undated` : ""}.`));
}
