"""Fast paths give exactly what the slow paths give.

* graph/blockyaml.py reads plain block YAML itself: wherever it answers, the answer is
  PyYAML's safe loader's, value for value and type for type — on the bundled corpus,
  the fixtures, a generated corpus, hostile snippets (timestamps, YAML 1.1 booleans,
  octal and sexagesimal numbers, aliases, tags, escapes) and random documents.
* canonical_url's shortcut for already-plain URLs agrees with the full parse.

Every test here runs twice: on the pure-Python reader and on the same modules compiled
by mypyc at install (graph/_native, graph/fastyaml.py), which loads use when it is
built; without a compiler that half is skipped, saying why.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.generate import STYLES, generate
from graph import blockyaml, fastyaml, records
from graph.normalize import canonical_url
from tests.conftest import same_typed

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module", autouse=True, params=["python", "compiled"])
def reader(request: pytest.FixtureRequest) -> Any:
    """Run the module's tests on one reader: ``blockyaml`` here and the one loads use
    (``records._fast_reader``) are both set to it."""
    global blockyaml
    pure = blockyaml
    if request.param == "compiled":
        native, why = fastyaml.compiled_reader()
        if native is None:
            pytest.skip(f"the compiled reader is not in use: {why}")
        chosen = native
    else:
        chosen = pure
    before = records._fast_reader
    blockyaml = records._fast_reader = chosen
    yield chosen
    blockyaml = pure
    records._fast_reader = before




def _pyyaml(text: str, first_line: int, allow_list: bool) -> list[tuple[Any, int | None]] | None:
    try:
        return list(records.compose_items(text, first_line, allow_list))
    except records.YamlFailure:
        return None


def _check(text: str, first_line: int = 1, allow_list: bool = True) -> bool:
    """Assert the fast reader agrees with PyYAML where it answers; return whether it did."""
    fast = blockyaml.read(text, first_line, allow_list)
    if fast is None:
        return False
    slow = _pyyaml(text, first_line, allow_list)
    assert slow is not None, f"PyYAML refuses what the fast reader read:\n{text}"
    assert same_typed(fast, slow), f"\n{text}\nfast: {fast!r}\nslow: {slow!r}"
    return True


def _yaml_texts(root: Path) -> list[tuple[str, str, int, bool]]:
    out = []
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.name.startswith("."):
            continue
        with path.open(encoding="utf-8-sig", errors="replace", newline="") as f:
            text = f.read()
        if path.suffix in (".md", ".markdown"):
            lines = text.splitlines(keepends=True)
            if lines and lines[0].strip() == "---":
                end = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")),
                           None)
                if end is not None:
                    out.append((str(path), "".join(lines[1:end]), 2, False))
        elif path.suffix in (".yaml", ".yml"):
            out.append((str(path), text, 1, True))
    return out


def test_the_bundled_corpus_and_fixtures_read_the_same() -> None:
    # The one test besides the README example that reads data/: the issue asks for
    # proof on the whole sample corpus.
    texts = _yaml_texts(ROOT / "data") + _yaml_texts(ROOT / "tests" / "fixtures")
    assert len(texts) > 40
    read = sum(_check(text, first, allow) for _, text, first, allow in texts)
    assert read >= len(texts) // 2  # the fast reader really is the one at work


def test_a_generated_corpus_reads_the_same_and_fast(tmp_path: Path) -> None:
    generate(200, tmp_path, seed=11)
    texts = _yaml_texts(tmp_path)
    assert all(_check(text, first, allow) for _, text, first, allow in texts)


@pytest.mark.parametrize("style", [s for s in STYLES if s not in ("json", "jsonl")])
def test_every_writers_style_reads_the_same(tmp_path: Path, style: str) -> None:
    # The texts as the loader sees them: decoded with the BOM dropped, CRLF kept.
    generate(120, tmp_path, seed=13, style=style)
    texts = _yaml_texts(tmp_path)
    assert len(texts) > 50
    read = sum(_check(text, first, allow) for _, text, first, allow in texts)
    assert read == len(texts), f"{len(texts) - read} of {len(texts)} left to PyYAML"


HOSTILE = [
    # YAML 1.1 scalars PyYAML resolves, plain and quoted
    "a: yes\nb: No\nc: on\nd: OFF\ne: y\nf: n\ng: 'yes'\nh: \"on\"",
    "a: 017\nb: 0o17\nc: 0x1F\nd: 0b101\ne: 1_000\nf: 1:20\ng: -1:30:00\nh: +12",
    "a: 1e3\nb: 1.5e3\nc: .inf\nd: -.Inf\ne: .NaN\nf: 1.\ng: 6.8523015e+5\nh: 190:20:30.15",
    "a: ~\nb: null\nc: Null\nd: NULL\ne:\nf: ''\ng: \"\"",
    "a: 2022-02-21\nb: 2022-02-21T03:37:00Z\nc: 2022-02-21 03:37:00 +02:00\n"
    "d: 2001-12-14t21:59:43.10-05:00\ne: \"2022-02-21\"\nf: '2022-02-21T03:37:00Z'",
    "a: 2022-02-30\n",  # not a date: PyYAML refuses it
    "a: 2022-2-3\nb: 2022-02-21T3:7:0Z",
    # aliases, anchors, tags, merge keys
    "a: &x 1\nb: *x",
    "base: &b {x: 1}\nc:\n  <<: *b\n  y: 2",
    "a: !!str 5\nb: !!int '7'\nc: !!binary aGVsbG8=",
    "a: !!python/object:os.system ls",
    "<<: {a: 1}\nb: 2",
    "a: =",
    # escapes
    'a: "\\x41\\u00e9\\U0001F600\\t\\n\\\\\\"\\/\\0\\a\\b\\e\\N\\_\\L\\P\\ "',
    'a: "\\ud83d\\ude00"',
    'a: "\\q"',
    "a: 'it''s'\nb: 'a \"b\" c'",
    # structure
    "a:\n- 1\n- 2\nb:\n  - x: 1\n    y: [3]\n  - z",
    "a:\n  b:\n    c: d\n  e: f\ng: h",
    "- a: 1\n  b: 2\n- c: 3\n-   d: 4\n    e: 5",
    "- 1\n- two\n- - 3",
    "-\n  a: 1",
    "a: 1\na: 2\nb: 3",
    "a: b: c",
    "a: - b",
    "a: -",
    "a: x\n  continued",
    "a: x # comment\nb: 'y' # comment\n# full line\nc: z",
    "a: plain with 'quotes' and \"more\"\nb: 50% off, [really]\nc: a#b\nd: a:b",
    "a: [1, 2]\nb: {c: d}\nc: []\nd: {}",
    "a: |\n  block\nb: >\n  folded",
    "a: \"multi\n  line\"",
    "? complex\n: key",
    "'quoted key': 1\n\"k\": 2",
    "true: 1\nnull: 2\n1: 3\ny: 4",
    "a:\tb",
    "a: b\r\nc: d\r\n",
    "a: b\rc: d",
    "a: \u2028b",
    "a: \x85b",
    "a: \ufeffb",
    "a: \x00",
    "a: \x07",
    "%YAML 1.1\n---\na: 1",
    "a: 1\n---\nb: 2",
    "a: 1\n...\n",
    "  a: 1\n  b: 2",
    "  a: 1\nb: 2",
    "a:\n    - 1\n  - 2",
    "just a scalar",
    "",
    "# only a comment",
    "a: " + "x" * 5000,
    "a:\n" + "".join("  " * i + "b:\n" for i in range(1, 200)),
    "ключ: значение\nkey: 値\nemoji: 😀",
    "a: `tick`\nb: @at\nc: %pct\nd: ,comma\ne: ]bracket",
    "a: -5\nb: -x\nc: - x",
    # scalars over several lines, and what may follow them
    "a: 'x\n  y'\n    z: 1\n", "a: 'x\n  y'\nb: 2\n", "k:\n  a: \"p\n   q\"\n     c: 1\n",
    "a: plain\n  folded\n\n  twice\nb: 1", "a: plain\n  # not a comment?\n", "a: x\n  y: z",
    "a: |\n  lit\n   eral\n\nb: >-\n  fol\n  ded\n\n   more\n", "a: |2\n   x", "a: |\n",
    "a: [1, 'two', \"3\", [4], {b: c}]\nd: {e: [f, g],\n  h: i}", "[a, b]", "{a: 1}\n# c",
    "a: [b, ]", "a: [b: c]", "a: {b}", "a: [b # c\n  ]", "- [a,\n  b]\n- {c: d}", "[word:?]",
    "a: [http://x.org/p?q=1, b:c]",
]


@pytest.mark.parametrize("text", HOSTILE)
@pytest.mark.parametrize("allow_list", [True, False])
def test_hostile_snippets_read_the_same_or_are_left_to_pyyaml(text: str, allow_list: bool) -> None:
    _check(text, 1, allow_list)


def test_the_usual_shapes_are_read_by_the_fast_reader() -> None:
    for text in ("a: yes\nb: 017\nc: 2022-02-21T03:37:00Z\nd: ~",
                 "a:\n- 1\n- 2\nb:\n  - x: 1\n    y: []", "- a: 1\n  b: 2\n- c: 3"):
        assert _check(text), text


@pytest.mark.parametrize("fields", [
    "title: yes\nwebUrl: https://x.example/a\nquality: 010\npublished: on\n",
    "title: A\nwebUrl: https://x.example/b\nwhen: 2022-02-21T03:37:00Z\nrelated:\n"
    "  - webUrl: https://x.example/c\n    title: 12:30\n",
])
@pytest.mark.parametrize("directives", ["%YAML 1.1\n",
                                        "%YAML 1.2 # c\n%TAG !! tag:yaml.org,2002:\n"])
def test_front_matter_opening_with_a_directive_reads_as_pyyaml_reads_the_document(
        fields: str, directives: str) -> None:
    """The front matter's '---' starts its document: with a directive after it, the record
    is what PyYAML gives for the directive written before a '---' (its text fields as
    written, its values made JSON-safe), and what this reader gives without the directive."""
    def parsed(text: str) -> list[Any]:
        result = records.ParsedFile("a.md")
        records.parse_text(text, ".md", result)
        assert result.errors == [], result.errors
        return [r.fields for r in result.records]

    [slow] = _pyyaml(f"{directives}---\n{fields}", 1, False) or [(None, None)]
    with_directives = parsed(f"---\n{directives}{fields}---\nbody\n")
    assert same_typed(with_directives, parsed(f"---\n{fields}---\nbody\n"))
    assert same_typed(with_directives, [records.clean_record(slow[0])[0]])


# Timestamp-shaped plain scalars: real date-times written every way YAML allows
# (T/t/spaces/tabs before the time, one-digit fields, fractions of any length, Z,
# offsets, offsets too large to be a time zone), and near misses: impossible dates and
# times, odd widths, trailing text.
def _written(when: datetime, sep: str, digits: int, zone: str, short: bool) -> str:
    month, day, hour = ((str(when.month), str(when.day), str(when.hour)) if short else
                        (f"{when.month:02}", f"{when.day:02}", f"{when.hour:02}"))
    fraction = f"{when.microsecond:06}{when.microsecond:06}"[:digits]
    return (f"{when.year:04}-{month}-{day}{sep}{hour}:{when.minute:02}:{when.second:02}"
            + (f".{fraction}" if digits else "") + zone)


_DATE_TIMES = st.builds(
    _written, st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)),
    st.sampled_from(["T", "t", " ", "  ", "\t", " \t"]), st.integers(0, 12),
    st.sampled_from(["", "Z", "z", "+02:00", "-05:00", "+2", "-23:59", "+24:00", "-99",
                     "+99:99", " Z", "\t+01:30", "+01:3", "+0100", "-00:00"]),
    st.booleans())
_NEAR_TIMESTAMPS = st.builds(
    lambda year, month, day, rest: f"{year}-{month}-{day}{rest}",
    st.sampled_from(["2022", "0000", "9999", "202", "20222"]),
    st.sampled_from(["02", "2", "13", "00"]), st.sampled_from(["21", "1", "30", "31", "00"]),
    st.sampled_from(["", "T24:00:00", "T03:60:00", "T03:37:61", "T3:7:00", " x", "_", ".5",
                     "-1", "T03:37:00.5Z", "T03:37"]))
_TIMESTAMPS = _DATE_TIMES | _NEAR_TIMESTAMPS | st.dates().map(date.isoformat)


@settings(max_examples=500, deadline=None)
@given(value=_TIMESTAMPS, quoted=st.booleans())
def test_timestamps_read_the_same(value: str, quoted: bool) -> None:
    # As a block value, a flow list item and a related entry's date, plain or quoted.
    shown = f"'{value}'" if quoted else value
    for text in (f"publishedDateTime: {shown}\n", f"d: [{shown}, x]\n",
                 f"related:\n- publishedDateTime: {shown}\n  title: t\n"):
        _check(text, 1, True)


_TRICKY = st.sampled_from([
    "yes", "No", "on", "OFF", "y", "n", "true", "False", "null", "~", "", "017", "0o17",
    "0x1F", "1_000", "1:20", "1e3", "1.5", ".inf", ".NaN", "2022-02-21", "2022-02-21T03:37:00Z",
    "2022-02-30", "=", "<<", "-", "- x", "a: b", "a #b", "#x", "x:", "'", '"', "\\", "é",
    "😀", " lead", "trail ", "tab\there", "new\nline", "\u2028", "50%", "[x]", "{y}",
])
_SCALARS = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
            | st.text(max_size=20) | _TRICKY
            | st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 1, 1))
            | st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 1, 1)))
_KEYS = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True) | _TRICKY
_DOCS = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=4)
                     | st.dictionaries(_KEYS, inner, max_size=4), max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(doc=st.dictionaries(_KEYS, _DOCS, min_size=1, max_size=6),
       flow=st.booleans(), indent=st.sampled_from([2, 4]))
def test_random_documents_read_the_same(doc: dict[Any, Any], flow: bool, indent: int) -> None:
    text = yaml.safe_dump(doc, default_flow_style=None if flow else False, indent=indent,
                          allow_unicode=True, sort_keys=False)
    _check(text, 1, True)
    _check(text, 2, False)


@settings(max_examples=300, deadline=None)
@given(pairs=st.lists(st.tuples(_KEYS, _TRICKY | st.text(max_size=12)), min_size=1,
                      max_size=6))
def test_random_plain_lines_read_the_same(pairs: list[tuple[str, str]]) -> None:
    # Written by hand, unquoted, as people write front matter.
    text = "".join(f"{key}: {value}\n" for key, value in pairs)
    _check(text, 1, True)
    _check("- " + text.replace("\n", "\n  ", len(pairs) - 1), 1, True)


@settings(max_examples=500, deadline=None)
@given(host=st.from_regex(r"[a-z0-9.-]{1,20}", fullmatch=True),
       path=st.from_regex(r"(/[^?#\s]{0,15}){0,3}", fullmatch=True),
       scheme=st.sampled_from(["http", "https"]))
def test_canonical_url_shortcut_agrees_with_the_full_parse(host: str, path: str,
                                                            scheme: str) -> None:
    url = f"{scheme}://{host}{path}"
    # An upper-case scheme takes the full urlsplit path; the answer must not change.
    slow_url = scheme.upper() + url[len(scheme):]
    try:
        expected = canonical_url(slow_url)
    except Exception as e:  # the full parse refuses it: so must the shortcut
        with pytest.raises(type(e)):
            canonical_url(url)
        return
    assert canonical_url(url) == expected


def test_file_names_come_in_the_order_of_path_objects(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("a/b", "a-c", "a/b/c", "a.b", "ab", "a/b-x", "A", "z/y/x", "a b/c", "a/.h"):
        (tmp_path / name).mkdir(parents=True, exist_ok=True)
        (tmp_path / name / "f.md").write_text("x")
        (tmp_path / f"{name}-file.md").write_text("x") if "/" not in name else None
    monkeypatch.chdir(tmp_path)
    for root in (tmp_path, Path(f"{tmp_path}/"), Path("."), Path("a"), Path("./a")):
        names = records.list_files(root).names
        paths = [Path(n) for n in names]
        assert paths == sorted(paths) and [str(p) for p in paths] == names
        assert not any("/.h" in n for n in names)


_PIECES = st.sampled_from(list(" \t:-#'\"&*!|>[]{},?%@`\\\n~09aé😀\r\x85\u2028")
                          + ["yes", "null", "- ", ": ", "  ", "\n  ", "0o7", "1:2", "!!str ",
                             "&a ", "*a"])


@pytest.fixture(scope="module")
def record_texts(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    out = tmp_path_factory.mktemp("mutated")
    generate(40, out / "seed", seed=3)
    generate(60, out / "mixed", seed=3, style="mixed")  # folded, quoted, block, flow, CRLF
    return [text for _, text, _, _ in _yaml_texts(out)]


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_mutated_records_read_the_same(record_texts: list[str], data: st.DataObject) -> None:
    # Real records with characters inserted, lines dropped, repeated or re-indented:
    # the fast reader must still agree with PyYAML, or leave the text to it.
    lines = data.draw(st.sampled_from(record_texts)).split("\n")
    for _ in range(data.draw(st.integers(1, 3))):
        i = data.draw(st.integers(0, len(lines) - 1))
        op = data.draw(st.integers(0, 3))
        if op == 0:
            at = data.draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:at] + data.draw(_PIECES) + lines[i][at:]
        elif op == 1 and len(lines) > 1:
            del lines[i]
        elif op == 2:
            lines.insert(i, lines[data.draw(st.integers(0, len(lines) - 1))])
        else:
            lines[i] = " " * data.draw(st.integers(0, 6)) + lines[i].lstrip(" ")
    text = "\n".join(lines)
    _check(text, 1, True)
    _check(text, 2, False)


# Text that folds: words, runs of spaces, line breaks, quotes, escapes and indicators.
_FOLDING = st.lists(st.sampled_from(["word", "two words", "a few more words", " ", "  ", "\n",
                                     "\n\n", "\n \n", "'", '"', "\\", "#", ": ", "- ", "é",
                                     "yes", "2022-02-21", "12:30", "1e3", "~", ",", "[", "}"]),
                    max_size=12).map("".join) \
    | st.lists(st.sampled_from(["word ", "\n", "\u2028", "\x85", "\t", "\r", "\x07"]),
               max_size=8).map("".join)


@settings(max_examples=400, deadline=None)
@given(doc=st.dictionaries(st.from_regex(r"[a-z][a-zA-Z]{0,6}", fullmatch=True),
                           _FOLDING | st.lists(_FOLDING, max_size=3), min_size=1, max_size=4),
       width=st.integers(8, 60), unicode=st.booleans(), indent=st.sampled_from([2, 4]),
       flow=st.sampled_from([False, None, True]))
def test_folded_scalars_read_the_same(doc: dict[Any, Any], width: int, unicode: bool,
                                      indent: int, flow: bool | None) -> None:
    # yaml.safe_dump folds long plain and quoted strings across lines at its width, in
    # block and in flow collections.
    text = yaml.safe_dump(doc, width=width, allow_unicode=unicode, indent=indent,
                          sort_keys=False, default_flow_style=flow)
    _check(text, 1, True)
    _check(text, 2, False)
    _check(yaml.safe_dump([doc], width=width, allow_unicode=unicode, sort_keys=False,
                          default_flow_style=flow), 1, True)


_BLOCK_LINE = st.sampled_from(["text", "more text", "  indented", "    deeper", "", "", " ", "   ",
                               "#hash", "key: value", "- item", "'q'", "tail  ", "text", "text",
                               "\t tab"])


@settings(max_examples=400, deadline=None)
@given(header=st.sampled_from(["|", "|-", "|+", ">", ">-", ">+", "|2", "> # c", "|", ">"]),
       body=st.lists(_BLOCK_LINE, min_size=1, max_size=8), pad=st.integers(1, 4),
       key_indent=st.sampled_from([0, 2]), after=st.sampled_from(["", "next: 1\n", "\n\n",
                                                                   "# c\n", "  odd: 1\n"]),
       end=st.booleans())
def test_block_scalars_read_the_same(header: str, body: list[str], pad: int, key_indent: int,
                                     after: str, end: bool) -> None:
    lines = [" " * (key_indent + pad) + line if line.strip() else line for line in body]
    text = ("outer:\n" if key_indent else "") + " " * key_indent + f"k: {header}\n" \
        + "\n".join(lines) + ("\n" if end else "") + (" " * key_indent + after if end else "")
    _check(text, 1, True)
    _check(text, 2, False)
    _check("- " + text.replace("\n", "\n  "), 1, True)


@settings(max_examples=400, deadline=None)
@given(quote=st.sampled_from(["'", '"']), parts=st.lists(_FOLDING, min_size=2, max_size=5),
       pads=st.lists(st.sampled_from([0, 1, 2, 2, 4, 4, 5]), min_size=5, max_size=5),
       tail=st.sampled_from(["", "", " ", "\nnext: 2", "\nnext: 2", " # c", "x", ":",
                             "\n  more: 2"]))
def test_quoted_scalars_over_lines_read_the_same(quote: str, parts: list[str],
                                                 pads: list[int], tail: str) -> None:
    # By hand, as people break long quoted strings: any indentation, blank lines, escapes.
    body = "\n".join(" " * pads[i % 5] + part.replace(quote, quote * 2 if quote == "'" else
                                                      "\\" + quote)
                     for i, part in enumerate(parts))
    text = f"title: {quote}{body}{quote}{tail}\n"
    _check(text, 1, True)
    _check("- " + text.replace("\n", "\n  "), 1, True)


_FLOW_TOKENS = st.sampled_from(["[", "]", "{", "}", ", ", ",", " ", "\n", "\n  ", "\n\n  ",
                                "word", "two words", "k: ", "key: ", "'q'", "'it''s'", '"d"',
                                '"\\t"', "'a\n  b'", " #c", ":", "- ", "?", "yes", "017", "~",
                                "2022-02-21", "http://x.org/a:b", "a#b", "null", "[]", "{}"])


@settings(max_examples=500, deadline=None)
@given(tokens=st.lists(_FLOW_TOKENS, max_size=16), opener=st.sampled_from(["[", "{"]),
       where=st.sampled_from(["top", "value", "item"]))
def test_flow_collections_read_the_same(tokens: list[str], opener: str, where: str) -> None:
    # By hand: balanced or not, with comments, pairs, empty entries and line breaks.
    flow = opener + "".join(tokens) + ("]" if opener == "[" else "}")
    text = {"top": flow, "value": f"a: 1\nk: {flow}\nz: 2\n",
            "item": f"- {flow}\n- x\n"}[where]
    _check(text, 1, True)
    _check(text, 2, False)


# Front matter files: fences, near-fences, line breaks of every kind, blank lines.
_MARKDOWN_PIECES = st.sampled_from(["---", "--- ", "---\t", "...", ".. .", "----", " ---", "\n",
                                    "\r\n", "\r", "\n\n", "title: T", "webUrl: https://a.b/c",
                                    "x", " ", "\t", "\x0b", "\u2028", "- a", "Body text."])


def _parsed(parse: Any, text: str) -> tuple[Any, ...]:
    result = records.ParsedFile("f.md")
    parse(text, result)
    return ([(r.fields, r.line, r.body) for r in result.records], result.errors, result.warnings)


@settings(max_examples=400, deadline=None)
@given(pieces=st.lists(_MARKDOWN_PIECES, max_size=14), opened=st.booleans())
def test_front_matter_split_agrees_with_the_line_by_line_split(pieces: list[str],
                                                                opened: bool) -> None:
    # graph/records.front_matter finds the fences with two searches instead of splitting
    # every line of the body: records, errors and warnings must be the line reader's.
    text = ("---\n" if opened else "") + "".join(pieces)
    assert _parsed(records._parse_markdown, text) == \
        _parsed(records._parse_markdown_lines, text)


@pytest.mark.parametrize("text", [
    "---\ntitle: A\r---\nwebUrl: https://a.b/c\n---\nbody",  # a lone CR ends a line too
    "---\ntitle: A\n...\nbody\n---\n", "---\n---\n", "---", "--- \nwebUrl: x\n--- \t\n",
    "---\nwebUrl: https://a.b/c\n ---\n---\n\n\nbody\n\n", "x\n---\n",
    "---\nwebUrl: https://a.b/c\n---", "---\nwebUrl: https://a.b/c\n----\n...\r\n",
])
def test_front_matter_split_agrees_on_edge_cases(text: str) -> None:
    assert _parsed(records._parse_markdown, text) == \
        _parsed(records._parse_markdown_lines, text)


def test_front_matter_split_reads_the_usual_file() -> None:
    text = "---\ntitle: T\nwebUrl: https://a.b/c\n---\n\nBody.\n\n"
    assert records.front_matter(text) == ("title: T\nwebUrl: https://a.b/c\n", "Body.")
    assert records.front_matter(text.replace("\n", "\r")) is None  # line by line
    assert _parsed(records._parse_markdown, text) == \
        _parsed(records._parse_markdown_lines, text)


@pytest.mark.parametrize("text", [
    "---\ntitle: T\nwebUrl: https://a.b/c\n---\n\nBody.\n\n",
    "---\r\ntitle: T\r\nwebUrl: https://a.b/c\r\n---\r\n\r\nBody.\r\nMore.\r\n",
    "--- \t\r\ntitle: T\nwebUrl: https://a.b/c\r\n... \r\nBody.\n\r\n",  # mixed breaks
    "---\r\nwebUrl: https://a.b/c\r\n---",
])
def test_front_matter_of_windows_line_breaks_is_split_without_reading_every_line(text: str
                                                                                  ) -> None:
    # Editors on Windows (and the generator's crlf style) write CRLF: the two searches
    # find the fences there too (no lone CR), the front matter as written, the body's
    # breaks made "\n" as the line reader makes them.
    assert records.front_matter(text) is not None
    assert _parsed(records._parse_markdown, text) == \
        _parsed(records._parse_markdown_lines, text)


@pytest.mark.parametrize("texts", [
    # A line read whole before, later the first line of a folded scalar or a nested block.
    ["type: article\n", "type: article\n  and more\n", "type: article\n"],
    ["name: x\n", "- name: x\n  domain: y\n", "- name: x\n   folded\n", "k:\n  name: x\n"],
    ["n: 1\n", "n: 1\n  2\n", "n: 1 #c\n", "n: 1\n-  x\n"],
    ["a: 'q'\n", "a: 'q'\n  z\n", "a: yes\n", "a: yes\n b\n"],
])
def test_lines_read_before_read_the_same_in_a_new_place(texts: list[str]) -> None:
    # blockyaml keeps "key: value" lines it has read and their values: where the same
    # line starts something longer, the answer must still be PyYAML's, and the fast
    # reader must answer exactly when it would without the lines kept.
    for text in texts:
        for allow_list in (True, False):
            fast = blockyaml.read(text, 1, allow_list)
            kept = dict(blockyaml._SEEN_LINES)
            blockyaml._SEEN_LINES.clear()
            try:
                fresh = blockyaml.read(text, 1, allow_list)
            finally:
                blockyaml._SEEN_LINES.update(kept)
            assert (fast is None) == (fresh is None), text
            if fast is not None:
                assert same_typed(fast, fresh), text
                assert same_typed(fast, _pyyaml(text, 1, allow_list)), text


@pytest.mark.parametrize("texts", [
    # A key's verdict kept from a block line, then read in a flow mapping, and back.
    ["yes: 1\n", "a: {yes: 1}\n", "{yes: 1}", "a: {b: 1, yes: 2}\n"],
    ["k-1: x\n", "{k-1: x, k-1: y}", "{k-1: [a, b], k_2: {k-1: c}}", "- {k-1: d}\n"],
    ["{1: a}", "{1: a}", "{ab cd: 1}", "{ab cd: 1}", "{ab: one\n  two, cd: three}"],
    ["[a, , b]", "[a,\n  b, c]", "{a: , b: c}", "{a: x #c\n}", "[ x ]", "[x\n]"],
])
def test_flow_keys_and_plain_entries_read_the_same_in_any_order(texts: list[str]) -> None:
    # yamlflow reads a key seen before by its kept verdict (GOOD_KEYS) and a plain entry
    # on one line without splitting it: the answers must be PyYAML's either way.
    for text in texts:
        _check(text, 1, True)
        _check(text, 2, False)


@pytest.mark.parametrize("text", [
    "a: " + "[" * 5000 + "]" * 5000,
    "[" * 5000 + "]" * 5000,
    "".join(" " * (2 * i) + "- k:\n" for i in range(3000)),
    "".join(" " * i + "k:\n" for i in range(3000)) + " " * 3000 + "k: v\n",
])
def test_deep_nesting_is_left_to_pyyaml(text: str) -> None:
    # Compiled code has no recursion check: nested past MAX_DEPTH, the readers stop
    # (a crash once, before the bound), and PyYAML decides what the text is.
    assert blockyaml.read(text, 1, True) is None


def test_nesting_up_to_the_bound_is_read() -> None:
    from graph.yamlscalars import MAX_DEPTH

    deep = "a: " + "[" * (MAX_DEPTH - 1) + "1" + "]" * (MAX_DEPTH - 1)
    assert _check(deep)
    block = "".join(" " * (2 * i) + f"k{i}:\n" for i in range(MAX_DEPTH - 1)) \
        + " " * (2 * (MAX_DEPTH - 1)) + "v: 1\n"
    assert _check(block)
