"""Normal forms: canonical URLs, provider keys, topic slugs, UTC datetimes and text tokens.

Every rule here decides an identity in the graph, so each is a small pure function
with a property test beside it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from email.utils import parsedate_to_datetime
from urllib.parse import quote, unquote_plus, urlsplit

from graph.errors import InvalidArgument, InvalidURLError, shown
from graph.hosts import canonical_host, is_ipv6_address

__all__ = [
    "canonical_url",
    "has_credentials",
    "provider_key",
    "topic_slug",
    "parse_datetime",
    "tokens",
    "phrase_tokens",
    "phrase_regex",
    "unspaced",
    "mentions_tokens",
    "fold",
    "MAX_PHRASE_WORDS",
    "MAX_PHRASE_CHARS",
]

_DEFAULT_PORTS = {"http": 80, "https": 443}
_TRACKING_PARAMS = frozenset({"fbclid", "gclid"})
# Scripts written without spaces between words: Han (the CJK ideographs, their extensions
# and compatibility forms), Hiragana and Katakana (with its half-width forms). Each of
# their letters is a word of its own, as search engines' standard analyzers read them:
# a Chinese headline was one word from its first character to its last, and no word in
# it could be found. Hangul is written with spaces and keeps its runs.
UNSPACED = ("\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
            "\uff66-\uff9f\U00020000-\U0003ffff")
# A letter or digit of a script written with spaces (`\w` without the underscore).
SPACED_ALNUM = rf"[^\W_{UNSPACED}]"
_UNSPACED_LETTER = re.compile(rf"(?=[^\W_])[{UNSPACED}]")
# A word: one letter of an unspaced script, or a run of other letters and digits; in text
# holding no such letter (ASCII above all), a run of letters and digits, found ~1.7x faster.
_ALNUM_RUN = re.compile(rf"(?=[^\W_])[{UNSPACED}]|{SPACED_ALNUM}+")
_SPACED_RUN = re.compile(r"[^\W_]+")
_ANY_UNSPACED = re.compile(rf"[{UNSPACED}]")
_NON_ALNUM_RUN = re.compile(r"[\W_]+")
# Invisible format characters text copied from the web carries inside words: the soft
# hyphen, zero-width space, non-joiner, joiner and no-break space (U+FEFF), the word joiner
# and its kin, and the bidi marks and embeddings. They are no word boundary: words and topic
# slugs are read without them.
_INVISIBLE = re.compile("[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064"
                        "\u2066-\u206f\ufeff]+")
# Lowercase http(s), a plain host, no port, user, query or fragment, no whitespace:
# already canonical but for a trailing slash and http (urlsplit would change nothing else).
_PLAIN_URL = re.compile(r"(https?)://([a-z0-9.-]+)(/[^?#\s]*)?")


def _is_tracking(param: str) -> bool:
    key = unquote_plus(param.split("=", 1)[0]).strip().lower()
    return key.startswith("utm_") or key in _TRACKING_PARAMS


def canonical_url(url: str) -> str:
    """Return the canonical form of an article URL, the article's identity.

    Scheme and host are lowercased, ``http`` read as ``https`` (one story served both
    ways, or linked by an old feed as ``http://``, is one story; a URL with a port other
    than the default keeps its scheme: another server), an international host in its
    IDNA (``xn--``) form, text outside ASCII and spaces in the path and query %-escaped as
    UTF-8 (tabs and line breaks taken out first, as browsers do), escapes in
    capitals and those of unreserved characters decoded, ``.`` and ``..`` segments of
    the path resolved (``/a/../story`` is ``/story``); a user name and password
    (``user:pass@``: not part of which story it is, and not to be shown in ids), the
    default port, the root's ``.`` ending a host (``news.example.``), the fragment, ``utm_*``,
    ``fbclid`` and ``gclid`` query parameters and a trailing ``/`` on a non-root
    path are dropped; other parameters keep their order and spelling.

    Raises
    ------
    InvalidURLError
        If ``url`` is not a string holding an absolute http(s) URL with a host.

    Examples
    --------
    >>> canonical_url("HTTPS://WWW.Example.com:443/News/Story/?utm_source=x&id=7#top")
    'https://www.example.com/News/Story?id=7'
    """
    text = _stripped(url, "URL")
    if "\t" in text or "\n" in text or "\r" in text:
        # Taken out before parsing, as the URL standard does: a URL a writer folded across
        # two lines, or copied with a tab, is the URL every browser opens.
        text = text.translate(_TAB_OR_NEWLINE)
    plain = _PLAIN_URL.fullmatch(text)
    if plain is not None and _plain_path(plain.group(3)) and _plain_host(plain.group(2)):
        # the common shape, with nothing to drop but a trailing "/"
        host, path = plain.groups()[1:]
        return f"https://{host}{(path or '').rstrip('/') or '/'}"
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as e:  # "\ud800" in JSON: no character, no UTF-8 form
            raise InvalidURLError(
                f"{shown(url)} is not a valid URL: it holds a lone surrogate "
                f"({text[e.start]!r} at {e.start}), which is not Unicode text") from None
    try:
        parts = urlsplit(text)
    except ValueError as e:
        raise InvalidURLError(f"{shown(url)} is not a valid URL: {shown(e, text=True)}") from e
    try:
        port = parts.port
    except ValueError:  # not a number, past 65535, or past the 4,300 digits int() reads
        written = parts.netloc.rpartition("@")[2].rpartition(":")[2]
        raise InvalidURLError(f"{shown(url)} is not a valid URL: its port {shown(written)} is "
                              "not a number from 0 to 65535") from None
    scheme = parts.scheme.lower()
    hostport = parts.netloc.rpartition("@")[2]
    spaced = any(c.isspace() for c in hostport)
    if scheme in _DEFAULT_PORTS and hostport and not spaced:
        hostport = canonical_host(hostport, url)  # "" for "news.example." alone: no host
    if not scheme or not hostport:
        raise InvalidURLError(
            f"{shown(url)} is not an absolute URL: expected a scheme and a host, "
            f"like 'https://example.com/story'{_how_to_write(text)}"
        )
    if scheme not in _DEFAULT_PORTS:  # a link to a story: javascript: or data: would run
        raise InvalidURLError(f"{shown(url)} is not a web URL: its scheme is {scheme!r}; expected "
                              "http or https, like 'https://example.com/story'")
    if spaced:  # in the path or query it is escaped, as browsers send it; no host holds one
        raise InvalidURLError(f"{shown(url)} is not a valid URL: its host {shown(hostport)} "
                              "holds white space, which no host name may hold")
    netloc = hostport
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        netloc = f"{netloc}:{port}"  # another server: its scheme is kept
    elif scheme == "http":
        scheme = "https"  # one story at http:// and at https:// is one story
    path = _without_dot_segments(_escaped(parts.path)).rstrip("/") or "/"
    query = "&".join(_escaped(p) for p in parts.query.split("&")
                     if p and not _is_tracking(p))
    return f"{scheme}://{netloc}{path}" + (f"?{query}" if query else "")


# A URL as other writers wrap it (Markdown's <...> and [text](...)) or leave its scheme out
# (a feed's `//host/path`, a hand-written `www.host/path`).
_WRAPPED = re.compile(r"<(?P<angle>[^<>\s]+)>|\[[^\]]*\]\((?P<link>[^()\s]+)\)")
_NO_SCHEME = re.compile(r"(?://)?(?P<rest>(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}(?::\d+)?"
                        r"(?:[/?#]\S*)?)")


def _how_to_write(text: str) -> str:
    """How to write a URL that other writers wrapped or wrote without its scheme; ""."""
    wrapped = _WRAPPED.fullmatch(text.strip())
    if wrapped is not None and wrapped["angle"] is not None:
        return (f"; it is the URL in angle brackets, as Markdown and email write one: write "
                f"{shown(wrapped['angle'])} alone")
    if wrapped is not None:
        return f"; it is a Markdown link: write its URL, {shown(wrapped['link'])}, alone"
    bare = _NO_SCHEME.fullmatch(text.strip())
    if bare is not None:
        return f"; write it with its scheme: {shown('https://' + bare['rest'])}"
    return ""


def has_credentials(url: str) -> bool:
    """Return True when ``url`` carries a user name or password (``user:pass@host``),
    which :func:`canonical_url` leaves out."""
    if "@" not in url:
        return False
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    return parts.username is not None or parts.password is not None


def _plain_host(host: str) -> bool:
    """True for a lowercase domain in its one spelling: no dot ending it, not read as an
    IPv4 address (its last label a number, ``127.1`` or ``0x7f``)."""
    return not host.endswith(".") and not host[-1].isdigit() and ".0x" not in host \
        and not host.startswith("0x")


def _plain_path(path: str | None) -> bool:
    return path is None or (path.isascii() and path.isprintable() and "%" not in path
                            and "/." not in path)


def _without_dot_segments(path: str) -> str:
    """Return a path with its ``.`` and ``..`` segments resolved (RFC 3986, 5.2.4), as
    a browser resolves them before it sends the request: ``/a/../story`` is ``/story``."""
    if "/." not in path:
        return path
    segments = path.split("/")
    kept: list[str] = []
    for segment in segments[1:]:
        if segment == "..":
            if kept:
                kept.pop()
        elif segment != ".":
            kept.append(segment)
    resolved = "/" + "/".join(kept)
    if segments[-1] in (".", "..") and not resolved.endswith("/"):
        resolved += "/"
    return resolved


# RFC 3986's unreserved characters: an escape of one means the character itself.
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
# Escaped as a browser escapes them: text outside ASCII, controls (C0 and DEL) and the space
# (the URL standard's path and query percent-encode sets: `/a story` is sent `/a%20story`).
_NOT_ASCII = re.compile(r"[^\x21-\x7e]+")
# Removed from a URL before it is parsed (the URL standard's "ASCII tab or newline").
_TAB_OR_NEWLINE = dict.fromkeys(map(ord, "\t\n\r"))


def _escaped(part: str) -> str:
    """Return a path or query part in one spelling, as a browser sends it: text outside
    ASCII and controls as UTF-8 escapes, escapes in capitals, escapes of unreserved
    characters decoded; its text in Unicode's composed form (NFC), escaped or not."""
    if part.isascii() and part.isprintable() and "%" not in part and " " not in part:
        return part
    if not part.isascii():  # the text as written first, then its escapes (_composed)
        part = unicodedata.normalize("NFC", part)
    part = _NOT_ASCII.sub(lambda m: quote(m.group(), safe=""), part)

    def one(m: re.Match[str]) -> str:
        char = chr(int(m.group(1), 16))
        return char if char in _UNRESERVED else "%" + m.group(1).upper()

    part = _ESCAPE.sub(one, part)
    return _composed(part) if _ESCAPED_UTF8.search(part) else part


# An escape of a byte that may be part of a UTF-8 character outside ASCII (0x80-0xFF).
_ESCAPED_UTF8 = re.compile(r"%[89A-F][0-9A-F]")
_ESCAPE_RUN = re.compile(r"(?:%[0-9A-F]{2})+")


def _composed(part: str) -> str:
    """Return an escaped path or query part (ASCII, escapes in capitals) with the text it
    holds in NFC: `cafe%CC%81` (a decomposed `café`, as macOS writes a file's name) is
    `caf%C3%A9`, one story's URL, as `café` and `café` are. Escapes of ASCII (`%2F`, `%25`)
    and of bytes that are no UTF-8 (Latin-1's `%E9`) stay as they are, and no text joins
    across one."""
    pieces: list[tuple[bool, str]] = []  # (text?, text or an escape kept as written)
    at = 0
    for m in _ESCAPE_RUN.finditer(part):
        if m.start() > at:
            pieces.append((True, part[at:m.start()]))
        run = bytes.fromhex(m.group().replace("%", ""))
        for char in run.decode("utf-8", "surrogateescape"):
            code = ord(char)
            if code < 0x80:
                pieces.append((False, f"%{code:02X}"))
            elif 0xDC80 <= code <= 0xDCFF:  # a byte that is no UTF-8
                pieces.append((False, f"%{code - 0xDC00:02X}"))
            else:
                pieces.append((True, char))
        at = m.end()
    pieces.append((True, part[at:]))
    out: list[str] = []
    text: list[str] = []
    for is_text, piece in pieces:
        if is_text:
            text.append(piece)
            continue
        out.append(_NOT_ASCII.sub(lambda t: quote(t.group(), safe=""),
                                  unicodedata.normalize("NFC", "".join(text))))
        text = []
        out.append(piece)
    out.append(_NOT_ASCII.sub(lambda t: quote(t.group(), safe=""),
                              unicodedata.normalize("NFC", "".join(text))))
    return "".join(out)


def _stripped(value: object, what: str) -> str:
    """Return ``value`` stripped; raise InvalidURLError, naming ``what``, if not a string."""
    if not isinstance(value, str):
        raise InvalidURLError(f"{what} must be a string, got {type(value).__name__} {shown(value)}")
    return value.strip()


def provider_key(domain: str) -> str:
    """Return the key of a provider: its domain lowercased, without a leading ``www.``.

    A URL or a ``host:port`` is accepted and reduced to its host.

    Examples
    --------
    >>> provider_key("https://WWW.SixthTone.com/news/1")
    'sixthtone.com'
    """
    text = _stripped(domain, "domain")
    if is_ipv6_address(text):  # `domain: "::1"`: the address without a URL's brackets
        text = f"[{text}]"
    if "/" in text or ":" in text:
        try:
            netloc = urlsplit(text if "//" in text else f"//{text}").netloc
        except ValueError as e:
            raise InvalidURLError(
                f"{shown(domain)} is not a valid domain: {shown(e, text=True)}") from e
        text = netloc.rpartition("@")[2]
    if not text or any(c.isspace() for c in text):
        raise InvalidURLError(
            f"{shown(domain)} is not a domain: expected a host name like 'example.com'")
    text = canonical_host(text, domain)
    if text.startswith("www."):
        text = text[4:]
    if not text or any(c.isspace() for c in text):  # "´" in IDNA is " ́"
        raise InvalidURLError(
            f"{shown(domain)} is not a domain: expected a host name like 'example.com'")
    return text


def topic_slug(name: str) -> str:
    """Return the slug of a topic name: NFKC-normalized and case-folded (``Straße`` is
    ``STRASSE``), runs of other
    characters as ``-``: ``Café`` written with a combining accent or in full-width
    letters is the same topic; a ``+`` or ``#`` ending a word is spelled out (``C++`` is
    ``c-plus-plus``, ``C#`` ``c-sharp``: not the topic ``C``), and a ``.`` opening one
    (``.NET`` is ``dot-net``: not the topic ``Net``).

    Returns ``""`` for a name without any letter or digit.

    Examples
    --------
    >>> topic_slug("FACIAL  Recognition!")
    'facial-recognition'
    >>> topic_slug("C++"), topic_slug("C#"), topic_slug(".NET")
    ('c-plus-plus', 'c-sharp', 'dot-net')
    """
    if name.isascii():
        name = name.lower()
    else:  # one topic whatever Unicode form and case its name was written in
        name = _folded(unicodedata.normalize("NFKC", _INVISIBLE.sub("", name)))
    if "\u0307" in name:  # 'İ' lowercases to 'i' and a dot above: the letter i, as in Istanbul
        name = name.replace("i\u0307", "i")
    if "+" in name or "#" in name:  # C++ and C# are not C, nor Disney+ Disney
        name = _PLUS_OR_SHARP.sub(_spelled, name)
    if "." in name:  # .NET is not Net, nor .com the word com
        name = _OPENING_DOT.sub("dot-", name)
    return _NON_ALNUM_RUN.sub("-", name).strip("-")


def _folded(name: str) -> str:
    """Return a name in one case: Unicode's case folding, so a name and its capitals are
    one topic (``Straße`` and ``STRASSE``: lowercasing keeps the ``ß``), in the form
    lowercasing gave where it already was one: small Cherokee letters (folding gives
    capitals) and a Greek final sigma at a word's end (folding gives ``σ``)."""
    folded = unicodedata.normalize("NFKC", name.casefold()).lower()
    return _WORD_END_SIGMA.sub("ς", folded) if "σ" in folded else folded


# A sigma ending a word (after a letter, before none): written ς, as lowercasing writes it.
_WORD_END_SIGMA = re.compile(r"(?<=[^\W\d_])σ(?![^\W\d_])")

# A '+' or '#' ending a word, before no letter: C++, C#, F#, Disney+, C++20 (not A+B, nor
# the hashtag's '#' opening #MeToo).
_PLUS_OR_SHARP = re.compile(r"(?<=[^\W_])(?:\++|#)(?![^\W\d_])")


# A '.' opening a word, before a letter: .NET, .com (not ASP.NET's, nor an ellipsis's).
_OPENING_DOT = re.compile(r"(?<![\w.])\.(?=[^\W\d_])")


def _spelled(m: re.Match[str]) -> str:
    return "-sharp-" if m.group() == "#" else "-plus" * len(m.group()) + "-"


def fold(text: str) -> str:
    """Return text as the phrase rules read it: in Unicode's composed form (NFC), then
    case-folded as topic names are (``Straße`` is ``strasse``, a final ``ς`` is ``σ``,
    ``İ`` is ``i``), so
    an accent written as a combining mark is the composed letter, and without invisible
    format characters (a soft hyphen, a zero-width space, bidi marks).

    Examples
    --------
    >>> fold("Cafe\u0301") == fold("CAFÉ") == "café"
    True
    >>> fold("Straße") == fold("STRASSE") == "strasse"
    True
    >>> fold("İSTANBUL")
    'istanbul'
    """
    if text.isascii():
        return text.lower()
    # Composed again after folding: a few capitals with a mark (Greek `Ϊ` + U+0301)
    # have no composed form, their small letters do; so fold(fold(t)) == fold(t).
    # (Taken out first: "e", U+200B, U+0301 is then "e" with its accent, composed.)
    text = _INVISIBLE.sub("", text)
    folded = unicodedata.normalize("NFC", unicodedata.normalize("NFC", text).casefold())
    if "\u0307" in folded:
        # 'İ' folds to 'i' and a combining dot, a mark that split 'İstanbul' into the
        # words 'i' and 'stanbul': it is the letter i, as in topic slugs.
        folded = unicodedata.normalize("NFC", _I_DOT_ABOVE.sub("i", folded))
    return folded


# 'i' and the combining dots above it (what 'İ' folds to, perhaps written twice).
_I_DOT_ABOVE = re.compile("i\u0307+")


def tokens(text: str) -> list[str]:
    """Split text into case-folded runs of Unicode letters and digits, read as :func:`fold`
    gives it.

    Examples
    --------
    >>> tokens("Facial-Recognition's\\nrise")
    ['facial', 'recognition', 's', 'rise']
    """
    folded = fold(text)
    if folded.isascii() or _ANY_UNSPACED.search(folded) is None:
        return _SPACED_RUN.findall(folded)
    return _ALNUM_RUN.findall(folded)


def unspaced(token: str) -> bool:
    """Whether ``token`` is a letter of a script written without spaces (a word alone).

    >>> unspaced("人"), unspaced("ai")
    (True, False)
    """
    return _UNSPACED_LETTER.fullmatch(token) is not None


def phrase_regex(wanted: Sequence[str]) -> str:
    """The regex of the phrase ``wanted`` (tokens, as :func:`tokens` gives them) over
    folded text: its tokens in a row, any run of non-letters between two of them, none
    needed next to a letter of an unspaced script, and no letter or digit of a spaced
    script beside the phrase. It opens with its first token as a literal, which the
    regex engine finds fast (the check before it is a lookbehind after it).

    >>> re.findall(phrase_regex(["人", "脸"]), "使用人脸识别")
    ['人脸']
    >>> re.findall(phrase_regex(["facial", "recognition"]), "facial-recognition")
    ['facial-recognition']
    """
    first = re.escape(wanted[0])
    out = first if unspaced(wanted[0]) else first + rf"(?<!{SPACED_ALNUM}{first})"
    for before, word in zip(wanted, wanted[1:], strict=False):
        joint = r"[\W_]*" if unspaced(before) or unspaced(word) else r"[\W_]+"
        out += joint + re.escape(word)
    return out if unspaced(wanted[-1]) else out + rf"(?!{SPACED_ALNUM})"


# A phrase costs a lookup and a scan per word: its length is capped (a GraphQL string,
# literal or variable, is one token to the document's token limit, however long).
MAX_PHRASE_WORDS = 32
MAX_PHRASE_CHARS = 300


def phrase_tokens(phrase: str) -> tuple[str, ...]:
    """Return the tokens a ``mentions`` or search phrase must match, consecutively and in
    order; raise InvalidArgument past :data:`MAX_PHRASE_WORDS` or :data:`MAX_PHRASE_CHARS`.

    >>> phrase_tokens("Facial-recognition, again")
    ('facial', 'recognition', 'again')
    """
    if not isinstance(phrase, str):  # a list of phrases failed deep inside, unexplained
        raise TypeError(f"a mentions or search phrase is one str, like 'facial recognition'; "
                        f"got {type(phrase).__name__} {phrase!r:.60}")
    allowed = f"at most {MAX_PHRASE_WORDS} words and {MAX_PHRASE_CHARS} characters"
    phrase_shown = repr(phrase[:40] + "…") if len(phrase) > 40 else repr(phrase)
    if len(phrase) > MAX_PHRASE_CHARS:
        raise InvalidArgument(f"the phrase {phrase_shown} is {len(phrase):,} characters long: "
                              f"{allowed} are allowed")
    found = tuple(tokens(phrase))
    if len(found) > MAX_PHRASE_WORDS:
        raise InvalidArgument(f"the phrase {phrase_shown} holds {len(found)} words: {allowed} "
                              "are allowed")
    return found


def mentions_tokens(phrase: str) -> tuple[str, ...]:
    """Return the tokens of a ``mentions`` phrase (:func:`phrase_tokens`); raise
    InvalidArgument for a phrase without a word, which no article could be said to hold.

    >>> mentions_tokens("facial recognition")
    ('facial', 'recognition')
    """
    found = phrase_tokens(phrase)
    if not found:
        raise InvalidArgument(f"the mentions phrase {phrase[:40]!r} has no letters or digits to "
                              "match: a phrase is one or more words, like 'facial recognition'")
    return found


# RFC 3339 allows "z" for UTC, which datetime.fromisoformat refuses (it takes "t").
_RFC3339_LOWER_Z = re.compile(r"(?<=\d)z$")
# A date-time as Ruby's Time#to_s (2022-02-21 10:00:00 UTC) and Go's Time.String()
# (2022-02-21 10:00:00.123456789 +0100 CET m=+0.000012345) print it: a zone's name read
# after its offset, or alone as UTC or GMT (CET, EST name more than one offset).
_NAMED_ZONE = re.compile(r"(\d{4}-\d\d-\d\d[ T][\d:.]+?)"
                         r"(?: ([+-]\d\d:?\d\d) [A-Z]{1,5}| (?:UTC|GMT))(?: m=[+-][\d.]+)?")


# Text (a record's string, a command-line or HTTP argument) is read in these forms; a
# number (YAML's or JSON's) as Unix time.
_TEXT_DATE_FORMS = ("'2022-02-21T03:37:00Z', '2022-02-21T05:37:00+02:00', '2022-02-21' or "
                    "'Mon, 21 Feb 2022 03:37:00 GMT'")
_DATE_FORMS = ("'2022-02-21T03:37:00Z', '2022-02-21T05:37:00+02:00', '2022-02-21', "
               "'Mon, 21 Feb 2022 03:37:00 GMT' or Unix time, a number of seconds "
               "(1645414620) or milliseconds (1645414620000)")
# Unix time, told apart by size: seconds from 1973-03-03 (9 digits; fewer are a year, or
# ISO's basic 20220221, misread as 1970), milliseconds from the same day (12 digits and on).
_UNIX_SECONDS = (10**8, 10**11)
_UNIX_MILLISECONDS = (10**11, 10**14)


def _unix_time(value: int | float) -> datetime:
    """Unix time as a UTC datetime: seconds, or milliseconds as JavaScript counts them."""
    for (low, high), scale in ((_UNIX_SECONDS, 1), (_UNIX_MILLISECONDS, 1000)):
        if low <= value < high:  # NaN is in no range
            return datetime.fromtimestamp(value / scale, UTC) if isinstance(value, float) \
                else datetime.fromtimestamp(value // scale, UTC).replace(
                    microsecond=value % scale * (10**6 // scale))
    hint = ""
    if isinstance(value, int) and 10**7 <= value < 10**8:
        text = str(value)
        hint = f" (if it is the date {text[:4]}-{text[4:6]}-{text[6:]}, write " \
               f"'{text[:4]}-{text[4:6]}-{text[6:]}')"
    raise ValueError(
        f"{shown(value)} is no Unix time newsgraph reads{hint}: a number is read as seconds "
        f"since 1970 from {_UNIX_SECONDS[0]:,} to {_UNIX_SECONDS[1] - 1:,}, or milliseconds "
        f"from {_UNIX_MILLISECONDS[0]:,} to {_UNIX_MILLISECONDS[1] - 1:,}; a date is written "
        f"like {_DATE_FORMS}")


# RFC 9557's annotations after a date-time (`[Europe/Paris]`, `[u-ca=iso8601]`), as Java's
# ZonedDateTime and JavaScript's Temporal print them; the offset before them is the instant.
_ANNOTATED = re.compile(r"(.*?(?:[Zz]|[+-]\d\d(?::?\d\d)?)?)((?:\[[^\[\]]*\])+)")
_HAS_OFFSET = re.compile(r".*[T t]\d\d(?::?\d\d)*(?:[.,]\d+)?(?:[Zz]|[+-]\d\d(?::?\d\d)?)")


def _without_annotations(text: str, value: object) -> str:
    """``text`` without the RFC 9557 annotations ending it, read by the offset before them;
    a ValueError when there is no offset (the zone's rules would decide the instant) or an
    annotation is marked critical (``[!...]``: one must act on it)."""
    m = _ANNOTATED.fullmatch(text)
    if m is None:
        return text
    stamp, notes = m.groups()
    critical = re.search(r"\[![^\]]*\]", notes)
    if critical is not None:
        raise ValueError(f"{shown(value)} holds a critical annotation ({critical.group()!r}), "
                         "which newsgraph does not act on: write the date-time with its "
                         f"offset alone, e.g. {_TEXT_DATE_FORMS}")
    if not _HAS_OFFSET.fullmatch(stamp):
        zone = notes[1:notes.index("]")]
        raise ValueError(f"{shown(value)} names its zone ({zone!r}) without an offset, and "
                         "newsgraph reads a date-time by its offset: write it before the zone "
                         f"(as Java and Temporal do), e.g. {_TEXT_DATE_FORMS}")
    return stamp


def parse_datetime(value: object) -> datetime:
    """Return ``value`` as a timezone-aware UTC datetime.

    Accepts a ``datetime`` (naive ones are taken as UTC), a ``date`` (midnight UTC),
    an ISO 8601 string with ``Z``, an offset, or a bare date, an RFC 2822 one
    (RSS's ``pubDate``: ``Mon, 21 Feb 2022 03:37:00 GMT``), one as Ruby and Go print
    them (``2022-02-21 10:00:00 UTC``, ``2022-02-21 10:00:00 +0100 CET``), or Unix time
    as a number: seconds (``1645414620``, 9 to 11 digits) or milliseconds (12 to 14).

    Raises
    ------
    ValueError
        If ``value`` is none of those.

    Examples
    --------
    >>> parse_datetime("2022-02-21T05:37:00+02:00").isoformat()
    '2022-02-21T03:37:00+00:00'
    >>> parse_datetime(1645414620).isoformat()
    '2022-02-21T03:37:00+00:00'
    """
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime.combine(value, time(0))
    elif isinstance(value, str):
        text = value.strip()
        named = _NAMED_ZONE.fullmatch(text) if text.count(" ") >= 2 else None  # ISO: fewer
        if named is not None:
            text = f"{named.group(1)}{named.group(2) or '+00:00'}"
        if text.endswith("]"):
            text = _without_annotations(text, value)
        try:
            parsed = datetime.fromisoformat(_RFC3339_LOWER_Z.sub("Z", text))
        except ValueError:
            try:  # RSS's pubDate (RFC 2822): a record converted from a feed keeps it
                parsed = parsedate_to_datetime(value.strip())
            except (ValueError, TypeError, IndexError):
                raise ValueError(
                    f"{shown(value)} is not an ISO 8601 (or RFC 2822) date-time; expected e.g. "
                    f"{_TEXT_DATE_FORMS}"
                ) from None
    elif isinstance(value, int | float) and not isinstance(value, bool):
        return _unix_time(value)
    else:
        kind = "boolean" if isinstance(value, bool) else type(value).__name__
        raise ValueError(
            f"expected an ISO 8601 date-time, got {kind} {shown(value)}; a date is written like "
            f"{_DATE_FORMS}"
        )
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # year 1 east of UTC, or 9999 west of it
        written = value.isoformat() if isinstance(value, datetime) else value
        raise ValueError(f"{shown(written)} is out of range once converted to UTC") from None
