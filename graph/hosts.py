"""The one spelling of a URL's host: a domain, an IPv4 or an IPv6 address, as a browser sends it.

A host has many spellings a browser reads as one: ``News.Example.`` and ``news.example``,
``bücher.example`` and ``xn--bcher-kva.example``, ``0x7f.1`` and ``127.0.0.1``,
``[0:0:0:0:0:0:0:1]`` and ``[::1]``. The WHATWG URL standard's host parser says which one
it sends; an article's id and its provider's key are built from that one (an IPv6 address
keeps its brackets, as the standard's ``hostname`` does: ``provider:[::1]``, never the
unreadable ``provider:::1``). An IPv6 host no browser would open is refused, saying why.
"""

from __future__ import annotations

import codecs
import ipaddress
import re
import unicodedata
from urllib.parse import unquote

from graph.errors import InvalidURLError, shown

__all__ = ["canonical_host", "is_ipv6_address", "mixed_script_label"]

_PORT = re.compile(r"(?::[0-9]*)?")
_HEX = frozenset("0123456789abcdefABCDEF")
# The URL standard's forbidden domain code points a host can still hold here (urlsplit
# has taken out '/', '?', '#', '@', ':' and the brackets).
_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f<>\\^|]")
# Those a host's escapes may hide besides: all of the standard's forbidden domain code
# points (a space, '%', and the ones urlsplit takes out of a host written plainly).
_FORBIDDEN_ESCAPED = re.compile(r"[\x00-\x20\x7f<>\\^|%#/:?@\[\]]")
# UTS 46's deviation characters: sharp s, final sigma and the two joiners. Python's
# "idna" codec (IDNA 2003) maps them away (ß to ss, ς to σ, the joiners to nothing); the
# URL standard (non-transitional) keeps them, so faß.de is xn--fa-hia.de, another domain
# than fass.de. A label holding one is encoded as the standard does, by the idna library.
_DEVIATIONS = re.compile("[\u00df\u03c2\u200c\u200d]")
# The label separators of both (the codec's, which UTS 46 maps to ".").
_DOTS = re.compile("[.\u3002\uff0e\uff61]")


def canonical_host(hostport: str, url: object) -> str:
    """Return the host of ``hostport`` (a URL's ``host[:port]``, without ``user@``) in the
    one spelling a browser sends, ``""`` when there is none; raise InvalidURLError
    (naming ``url``) for a host no browser opens.

    Examples
    --------
    >>> canonical_host("[0:0:0:0:0:0:0:1]:8080", "http://[0:0:0:0:0:0:0:1]:8080/")
    '[::1]'
    >>> canonical_host("0x7f.1", "http://0x7f.1/")
    '127.0.0.1'
    >>> canonical_host("News.Example.", "https://News.Example./")
    'news.example'
    """
    if hostport.startswith("["):
        literal, bracket, rest = hostport[1:].partition("]")
        if not bracket or not _PORT.fullmatch(rest):
            raise InvalidURLError(f"{shown(url)} is not a valid URL: an IPv6 address is written "
                                  "in brackets, then ':' and a port or nothing, like "
                                  "'http://[2001:db8::1]:8080/story'")
        return _ipv6(literal, url)
    host = hostport.partition(":")[0]  # a domain's only ':' is the port's
    if "[" in host or "]" in host:
        raise InvalidURLError(f"{shown(url)} is not a valid URL: {shown(host)} is not a host: "
                              "brackets enclose a whole IPv6 address, like "
                              "'http://[2001:db8::1]/story'")
    bad = _FORBIDDEN.search(host)
    if bad is None and "%" in host:  # escapes decoded first, as the URL standard's host
        try:  # parser does: https://%65xample.com/ is example.com in every browser
            host = unquote(host, errors="strict")
        except UnicodeDecodeError:
            raise InvalidURLError(f"{shown(url)} is not a valid URL: its host's escapes are not "
                                  "UTF-8; expected a host name like 'news.example'") from None
        bad = _FORBIDDEN_ESCAPED.search(host)
    if bad is not None:
        raise InvalidURLError(f"{shown(url)} is not a valid URL: {bad.group()!r} cannot be in a "
                              "host (the URL standard forbids controls, spaces and "
                              "'<', '>', '\\', '^', '|', '%' in one, escaped or not); "
                              "expected a host name like 'news.example'")
    host = host.lower().rstrip(".")
    if not host:
        return ""
    if not host.isascii():  # its ASCII form first, as WHATWG does: "²" is "2"
        try:
            host = _ascii_host(host)
        except UnicodeError as e:  # idna's IDNAError is one too
            raise InvalidURLError(f"{shown(url)} is not a valid URL: {shown(host)} is not a valid "
                                  f"host name ({shown(e, text=True)})") from None
    return _ipv4(host) if _ends_in_number(host) else host


def _ascii_host(host: str) -> str:
    """A non-ASCII host's ASCII form: each label by Python's codec, but one holding a
    deviation character as UTS 46 non-transitional processing writes it (the URL
    standard's); raise UnicodeError or IDNAError where neither can."""
    if _DEVIATIONS.search(host) is None:
        return host.encode("idna").decode("ascii").lower()
    import idna  # 24 ms to import: only for the rare host that needs it

    return ".".join(
        idna.encode(label, uts46=True, transitional=False).decode("ascii")
        if _DEVIATIONS.search(label) else label.encode("idna").decode("ascii").lower()
        for label in _DOTS.split(host))


# The mixes of scripts one label may hold and still be one name (UTS 39's "highly
# restrictive" level, which Chrome and Firefox apply before showing a host in Unicode):
# one script, or Latin with the scripts Japanese, Chinese and Korean names are written in.
_USUAL_MIXES = (frozenset({"Latin", "Han", "Hiragana", "Katakana"}),
                frozenset({"Latin", "Han", "Bopomofo"}), frozenset({"Latin", "Han", "Hangul"}))
# Scripts named otherwise than by the first word of their letters' Unicode names.
_SCRIPT_WORDS = {"CJK": "Han", "IDEOGRAPHIC": "Han", "KATAKANA-HIRAGANA": "Katakana"}


def mixed_script_label(host: str) -> tuple[str, tuple[str, ...]] | None:
    """Return the first label of a canonical host (its non-ASCII labels as ``xn--``)
    whose letters mix scripts no name mixes, in Unicode, with its scripts in the order
    they come; None when there is none.

    The script of a letter is read off its Unicode name (``CYRILLIC SMALL LETTER A``):
    Python's ``unicodedata`` has no script property, and this check only warns.

    Examples
    --------
    >>> mixed_script_label("xn--vlid-53d.example")
    ('vаlid', ('Latin', 'Cyrillic'))
    >>> mixed_script_label("xn--bcher-kva.example") is None
    True
    """
    if "xn--" not in host:
        return None
    for label in host.split("."):
        if not label.startswith("xn--"):
            continue
        try:
            text = codecs.decode(label[4:].encode("ascii"), "punycode")
        except (UnicodeError, ValueError):
            continue
        scripts: dict[str, None] = {}
        for ch in text:
            if unicodedata.category(ch)[0] != "L":
                continue
            word = unicodedata.name(ch, "").partition(" ")[0]
            if word and word != "MODIFIER":
                scripts[_SCRIPT_WORDS.get(word, word.title())] = None
        found = frozenset(scripts)
        if len(found) > 1 and not any(found <= usual for usual in _USUAL_MIXES):
            return text, tuple(scripts)
    return None


def is_ipv6_address(text: str) -> bool:
    """Return True when ``text`` is a bare IPv6 address (``::1``), as a provider's
    ``domain`` may be written without the brackets a URL needs."""
    if text.count(":") < 2 or "%" in text:
        return False
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def _ipv6(literal: str, url: object) -> str:
    """``[...]``: an IPv6 address in its shortest form (RFC 5952, as WHATWG writes it)."""
    if "%" in literal:  # RFC 6874's zone: one machine's network interface
        raise InvalidURLError(
            f"{shown(url)} is not a valid URL: [{shown(literal, text=True)}] names a zone ('%' "
            "and a network interface), which only means something on one machine, and no "
            "browser opens; "
            "expected an IPv6 address alone, like 'http://[2001:db8::1]/story'")
    try:
        return f"[{ipaddress.IPv6Address(literal).compressed}]"
    except ValueError:
        raise InvalidURLError(
            f"{shown(url)} is not a valid URL: [{shown(literal, text=True)}] is not an IPv6 "
            "address; expected eight groups of hex digits, '::' for a run of zeros, like "
            "'http://[2001:db8::1]/story'") from None


def _ends_in_number(host: str) -> bool:
    """WHATWG's "ends in a number": the host is read as an IPv4 address."""
    last = host.rsplit(".", 1)[-1]
    if last.isascii() and last.isdigit():
        return True
    return last[:2] == "0x" and all(c in _HEX for c in last[2:])


def _ipv4(host: str) -> str:
    """WHATWG's IPv4 parser: 1 to 4 parts in decimal, octal (``0177``) or hex (``0x7f``),
    the last filling the bytes left (``127.1`` is ``127.0.0.1``); a host that is not one
    (``256.0.0.1``, ``a.0``) is kept as the name RFC 3986 reads it as (WHATWG refuses it:
    the record keeps its URL, which no browser opens, rather than being lost)."""
    parts = host.split(".")
    numbers = [n for n in map(_ipv4_number, parts) if n is not None]
    if len(parts) > 4 or len(numbers) < len(parts) or any(n > 255 for n in numbers[:-1]) \
            or numbers[-1] >= 256 ** (5 - len(numbers)):
        return host
    value = numbers[-1] + sum(n * 256 ** (3 - i) for i, n in enumerate(numbers[:-1]))
    return str(ipaddress.IPv4Address(value))


def _ipv4_number(part: str) -> int | None:
    if not part or not part.isascii():
        return None
    base = 10
    if part[:2] in ("0x", "0X"):
        part, base = part[2:], 16
    elif len(part) > 1 and part[0] == "0":
        part, base = part[1:], 8
    if not part:
        return 0
    try:
        return int(part, base) if part.isalnum() else None
    except ValueError:
        return None
