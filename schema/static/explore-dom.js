// Small DOM helpers shared by the explorer's modules.

export const $ = (sel) => document.querySelector(sel);
export const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k === "dataset") Object.assign(node.dataset, v);
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const child of children.flat(Infinity)) {
    if (child != null) node.append(child instanceof Node ? child : String(child));
  }
  return node;
};

// A text of the corpus (a title, a name, a file name) inside words of the page's own: a
// <bdi> keeps its direction to itself, so a right-to-left title, or one holding a bidi
// override such as U+202E, cannot turn the words after it around.
export const isolated = (text) => el("bdi", {}, text);

export const short = (text, n = 42) => (text.length > n ? text.slice(0, n - 1) + "…" : text);

// A record as 'folder/file:line': enough to find it, without the server's own paths.
export function recordName(record) {
  const m = /([^/\\]+[/\\][^/\\]+)$/.exec(record);
  return m ? m[1] : record;
}
