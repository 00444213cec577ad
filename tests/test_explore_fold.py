"""The explorer's catalogue filter reads names as the server does: its ``fold``
(schema/static/explore-fold.js) gives what ``graph.normalize.fold`` gives, so typing
``strasse`` finds the topic ``Straße`` and ``istanbul`` finds ``İstanbul`` (JavaScript's
``toLowerCase`` keeps the ``ß`` and gives ``İ`` a combining dot, so neither was found,
while ``topic(name:)`` and ``search`` found both; trial29's found-and-left)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import unicodedata

import pytest

from graph.normalize import fold
from schema.browser import STATIC

NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="needs Node.js (node) to run the page's JS")

# The page's module, imported by a data: URL (Node reads a .js beside a package.json
# without "type": "module" as CommonJS), reading JSON lines on stdin.
RUNNER = """
const src = require("fs").readFileSync(process.argv[1], "utf8");
import("data:text/javascript," + encodeURIComponent(src)).then(({ fold }) => {
  const items = JSON.parse(require("fs").readFileSync(0, "utf8"));
  process.stdout.write(JSON.stringify(items.map(fold)));
});
"""

STRINGS = ["Straße", "STRASSE", "straße", "İstanbul", "İSTANBUL'DA SEÇİM", "ıspanak",
           "ΟΔΟΣ κλειστή", "οδος", "ﬁnance", "Cafe\u0301", "CAFÉ", "e\u200b\u0301",
           "soft\u00adhyphen", "ﬀ ﬃ ﬆ", "ǅungla", "Ǆ", "ẞ", "ſ", "K Kelvin", "ΐ", "ᾼ",
           "Ꭰꭰᏸ Cherokee", "ŉ", "İ\u0307", "\ufeffbom", "DŽ", "AI", "Hi-Tech & Co.", "",
           "Zürich", "ÅNGSTRÖM Å", "Ⅻ", "Ⓐ", "𐐀𐐨", "ﬓ"]


def _js_fold(items: list[str]) -> list[str]:
    assert NODE is not None
    out = subprocess.run([NODE, "-e", RUNNER, str(STATIC / "explore-fold.js")],
                         input=json.dumps(items), capture_output=True, text=True, timeout=120,
                         check=True)
    return json.loads(out.stdout)


def test_the_pages_fold_is_the_servers_on_names_people_type():
    assert _js_fold(STRINGS) == [fold(s) for s in STRINGS]


def test_the_pages_fold_is_the_servers_on_every_character_python_knows():
    # Each assigned character alone (Python's Unicode version: a newer browser knows
    # characters it does not, and folds them its way), once beside a capital A and once
    # at the end of a Greek word (a final sigma is folded by its context in JavaScript).
    chars = [chr(c) for c in range(sys.maxunicode + 1)
             if unicodedata.category(chr(c)) not in ("Cn", "Cs")]
    items = chars + ["A" + c for c in chars[::7]] + ["ΟΔΟ" + c for c in chars[::11]]
    want = [fold(s) for s in items]
    got = _js_fold(items)
    wrong = [(s, g, w) for s, g, w in zip(items, got, want, strict=True) if g != w]
    assert not wrong, wrong[:20]
