// Text as the server reads names and phrases (graph/normalize.py's fold): composed (NFC),
// without invisible format characters, case-folded, and a Turkish İ the letter i. The
// catalogue filter compares folded names with the folded words typed, so "strasse" finds
// "Straße" and "istanbul" finds "İstanbul", as topic(name:) and search do. JavaScript has
// no casefold: lowercasing each character, then its capital's small letter, gives Unicode's
// full case folding (ß is ss, ﬁ is fi, a final ς is σ), but for the two places where
// folding is not that: the dotless ı stays itself, and Cherokee folds to its capitals.
// tests/test_explore_fold.py holds it to the server's on every character.

const INVISIBLE = /[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]+/g;
const ASCII = /^[\x00-\x7f]*$/;
const I_DOT_ABOVE = /i\u0307+/g;

function foldChar(c) {
  const cp = c.codePointAt(0);
  if (cp === 0x131) return c; // ı
  if (cp >= 0x13a0 && cp <= 0x13f5) return c; // Cherokee capitals fold to themselves
  if (cp >= 0x13f8 && cp <= 0x13fd) return String.fromCodePoint(cp - 8);
  if (cp >= 0xab70 && cp <= 0xabbf) return String.fromCodePoint(cp - 0xab70 + 0x13a0);
  // One character at a time: toLowerCase of a whole word ends it with a final ς.
  return c.toLowerCase().toUpperCase().toLowerCase();
}

export function fold(text) {
  if (ASCII.test(text)) return text.toLowerCase();
  const composed = text.replace(INVISIBLE, "").normalize("NFC");
  let folded = "";
  for (const c of composed) folded += foldChar(c);
  folded = folded.normalize("NFC");
  return folded.includes("\u0307") ? folded.replace(I_DOT_ABOVE, "i").normalize("NFC") : folded;
}
