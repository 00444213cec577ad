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

// At most n UTF-16 units, cut between characters as they are seen (grapheme clusters): a
// cut at n - 1 units left half an emoji (a lone surrogate, drawn as a broken glyph), or a
// letter without its accent, a family emoji or a flag split. Labels are cut at every
// frame: text whose first n units hold no surrogate, mark, joiner or variation selector
// (any Latin, Cyrillic, Greek, Arabic, Hebrew or CJK title) is cut by units, unsegmented.
const graphemes = typeof Intl !== "undefined" && Intl.Segmenter
  ? new Intl.Segmenter(undefined, { granularity: "grapheme" }) : null;
// (In a /u pattern a surrogate pair is its one character past U+FFFF, not two halves.)
const JOINED = /[\u{10000}-\u{10FFFF}\uD800-\uDFFF\u200D\uFE00-\uFE0F\u1160-\u11FF]|\p{M}/u;
export const short = (text, n = 42) => {
  if (text.length <= n) return text;
  let end = n - 1;
  if (JOINED.test(text.slice(0, n))) {
    if (graphemes) {
      end = 0;
      for (const { index, segment } of graphemes.segment(text)) {
        if (index + segment.length > n - 1) break;
        end = index + segment.length;
      }
    } else if (/[\uD800-\uDBFF]/.test(text[end - 1])) {
      end -= 1; // no segmenter: at least no half of a pair
    }
  }
  return text.slice(0, end) + "…";
};

// A record as 'folder/file:line': enough to find it, without the server's own paths.
export function recordName(record) {
  const m = /([^/\\]+[/\\][^/\\]+)$/.exec(record);
  return m ? m[1] : record;
}
