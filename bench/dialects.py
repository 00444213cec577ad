"""Write a record's fields in the YAML and JSON dialects real writers use.

People's corpora come from scrapers, CMS exports and scripts, each writing YAML its
own way. A *style* names one writer:

* ``seed`` — as the seed file is written: block YAML, one-line double-quoted strings,
  plain names, unquoted timestamps;
* ``safe_dump`` — exactly what ``yaml.safe_dump(fields, sort_keys=False)`` writes for
  fields that came from JSON: long strings folded across lines (plain or
  single-quoted), dates as single-quoted strings;
* ``flow`` — ``yaml.safe_dump`` with ``default_flow_style=True`` (the whole record one
  folded flow mapping) or ``None`` (flow lists and mappings of scalars);
* ``block`` — the seed's layout with the excerpt a folded (``>``) and the body a
  literal (``|``) block scalar;
* ``crlf_bom`` — the seed's text with CRLF line ends and a byte-order mark;
* ``json`` and ``jsonl`` — the records as JSON objects, lists and lines.

This module never imports Strawberry, Starlette or the ``graph`` package.
"""

from __future__ import annotations

import json
import random
from datetime import datetime
from typing import Any

import yaml

__all__ = ["STYLES", "YAML_STYLES", "MIXED_WEIGHTS", "front_matter", "yaml_list",
           "json_ready", "finish"]

YAML_STYLES = ("seed", "safe_dump", "flow", "block", "crlf_bom")
STYLES = (*YAML_STYLES, "json", "jsonl", "mixed")
# Shares of records in a mixed corpus, by style.
MIXED_WEIGHTS = {"seed": 0.25, "safe_dump": 0.25, "flow": 0.1, "block": 0.15,
                 "crlf_bom": 0.1, "json": 0.075, "jsonl": 0.075}

_PLAIN_KEYS = frozenset({"category", "type", "name", "domain"})
_GROUPS = (("category", "title", "excerpt", "publishedDateTime", "originalUrl", "webUrl",
            "type", "quality", "heat", "published"), ("provider",), ("topics",),
           ("images",), ("related",), ("secured",))
_FOLD_WIDTH = 72
# libyaml's emitter writes what PyYAML's pure-Python one writes for these records, byte
# for byte (tests/test_bench.py), seven times faster; the rest of the time is drawing
# the records.
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
# PyYAML's representer (pure Python, generic) was most of what is left of the emit: for
# JSON-shaped values the nodes are built here instead, the same nodes it builds.
_BUILD_NODES = True
_TAGS = {str: "tag:yaml.org,2002:str", int: "tag:yaml.org,2002:int",
         bool: "tag:yaml.org,2002:bool"}
_SEQ, _MAP = "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"


class _NotJSON(Exception):
    """A value the node builder leaves to PyYAML's representer."""


def _safe_dump(value: Any, **options: Any) -> str:
    """Return ``yaml.safe_dump(value, sort_keys=False, **options)``'s text."""
    if _BUILD_NODES:
        try:
            node = _node(value, options.get("default_flow_style", False))
        except _NotJSON:
            pass
        else:
            rest = {k: v for k, v in options.items() if k != "default_flow_style"}
            return str(yaml.serialize(node, Dumper=_DUMPER, **rest))
    return str(yaml.dump(value, Dumper=_DUMPER, sort_keys=False, **options))


def _node(value: Any, flow: bool | None) -> yaml.Node:
    """The node ``SafeRepresenter`` makes of a JSON-shaped ``value`` (str, int, bool,
    lists and dicts of them, nothing shared), keys unsorted; raise :class:`_NotJSON`
    for anything else."""
    kind = type(value)
    if kind is str:
        return yaml.ScalarNode(_TAGS[str], value)
    if kind is bool:
        return yaml.ScalarNode(_TAGS[bool], "true" if value else "false")
    if kind is int:
        return yaml.ScalarNode(_TAGS[int], str(value))
    if kind is dict:
        pairs = [(_node(k, flow), _node(v, flow)) for k, v in value.items()]
        best = all(type(k) is yaml.ScalarNode and type(v) is yaml.ScalarNode
                   for k, v in pairs)
        return yaml.MappingNode(_MAP, pairs, flow_style=best if flow is None else flow)
    if kind is list:
        items = [_node(v, flow) for v in value]
        best = all(type(v) is yaml.ScalarNode for v in items)
        return yaml.SequenceNode(_SEQ, items, flow_style=best if flow is None else flow)
    raise _NotJSON(kind)


def front_matter(fields: dict[str, Any], style: str, rng: random.Random,
                 body: str | None = None) -> str:
    """Return the YAML text of one record's fields in ``style`` (a YAML style), ending
    in a line break; ``body``, when given, is written into the YAML as a field."""
    if style in ("seed", "crlf_bom"):
        text = _seed_yaml(fields)
        if body is not None:
            text += f"body: {_yaml_scalar(body)}\n"
        return text
    if style == "block":
        return _block_yaml(fields, rng, body)
    item = json_ready(dict(fields, body=body) if body is not None else fields)
    if style == "safe_dump":
        return _safe_dump(item)
    if style == "flow":
        return _safe_dump(item, default_flow_style=rng.choice((True, None)))
    raise ValueError(f"not a YAML style: {style!r}; expected one of {', '.join(YAML_STYLES)}")


def yaml_list(items: list[tuple[dict[str, Any], str | None]], style: str,
              rng: random.Random) -> str:
    """Return a YAML list of records (fields and body) in ``style``."""
    if style in ("safe_dump", "flow"):
        ready = [json_ready(dict(f, body=b) if b else f) for f, b in items]
        options: dict[str, Any] = {}
        if style == "flow":
            options["default_flow_style"] = rng.choice((True, None))
        return _safe_dump(ready, **options)
    if style in ("seed", "crlf_bom"):
        return "".join("\n".join(_yaml_block([dict(f, body=b) if b else dict(f)], 0)) + "\n"
                       for f, b in items)
    out = []
    for fields, body in items:
        text = front_matter(fields, style, rng, body or None)
        lines = text.rstrip("\n").split("\n")
        out.append("\n".join(("- " if i == 0 else "  ") + line if line else ""
                             for i, line in enumerate(lines)) + "\n")
    return "".join(out)


def finish(text: str, style: str) -> str:
    """Return a file's text as the style's writer saves it (CRLF and a BOM for
    ``crlf_bom``)."""
    if style == "crlf_bom":
        return "\ufeff" + text.replace("\n", "\r\n")
    return text


def json_ready(value: Any) -> Any:
    """Return ``value`` with datetimes as ISO 8601 strings, as JSON carries them."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, dict):
        return {k: json_ready(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_ready(v) for v in value]
    return value


def json_text(value: Any, rng: random.Random) -> str:
    """Return a JSON document of ``value``, indented as exports are (or not)."""
    return json.dumps(json_ready(value), ensure_ascii=rng.random() < 0.5,
                      indent=rng.choice((None, 1, 2, 4))) + "\n"


# -- the seed's layout ------------------------------------------------------------------

def _seed_yaml(fields: dict[str, Any]) -> str:
    parts = ["\n".join(_yaml_block({k: fields[k] for k in keys}, 0)) for keys in _GROUPS]
    return "\n\n".join(parts) + "\n"


def _yaml_scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")  # a YAML timestamp, like the seed
    return json.dumps(value, ensure_ascii=False)  # a double-quoted YAML string


def _yaml_block(value: Any, indent: int) -> list[str]:
    """Render a value as block YAML in the seed's style; nested under ``indent`` spaces."""
    pad = " " * indent
    lines: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, dict | list) and item:
                lines.append(f"{pad}{key}:")
                lines.extend(_yaml_block(item, indent + 2))
            elif isinstance(item, list | dict):
                lines.append(f"{pad}{key}: {'[]' if isinstance(item, list) else '{}'}")
            elif key in _PLAIN_KEYS:
                lines.append(f"{pad}{key}: {_yaml_plain_or_quoted(item)}")
            else:
                lines.append(f"{pad}{key}: {_yaml_scalar(item)}")
    else:
        for item in value:
            if isinstance(item, dict):
                inner = _yaml_block(item, indent + 2)
                inner[0] = f"{pad}- {inner[0][indent + 2:]}"
                lines.extend(inner)
            else:
                lines.append(f"{pad}- {_yaml_plain_or_quoted(item)}")
    return lines


def _yaml_plain_or_quoted(value: Any) -> str:
    # Names and topics go plain when that is safe, as people write them.
    if isinstance(value, str) and value[:1].isalpha() \
            and value.replace(" ", "").replace("-", "").replace(".", "").isalnum() \
            and value.lower() not in {"yes", "no", "on", "off", "true", "false", "null", "y", "n"}:
        return value
    return _yaml_scalar(value)


# -- block scalars ----------------------------------------------------------------------

def _block_yaml(fields: dict[str, Any], rng: random.Random, body: str | None) -> str:
    """The seed's layout, the excerpt folded (``>``) and the body literal (``|``)."""
    lines = _seed_yaml(fields).split("\n")
    excerpt = fields["excerpt"]
    at = next(i for i, line in enumerate(lines) if line.startswith("excerpt: "))
    if _foldable(excerpt):
        # ">-" gives the excerpt back as it was; ">" (clip) adds one final line break.
        chomp = rng.choice(("-", "-", ""))
        lines[at : at + 1] = [f"excerpt: >{chomp}"] + ["  " + line for line in _fold(excerpt)]
    text = "\n".join(lines)
    if body is not None:
        chomp = rng.choice(("", "-", "+"))
        indent = rng.choice((2, 2, 4))
        pad = " " * indent
        literal = "\n".join(pad + line if line else "" for line in body.split("\n"))
        text += f"body: |{chomp}\n{literal}\n"
    return text


def _foldable(text: str) -> bool:
    """Whether ``>`` can carry ``text`` by breaking it at single spaces."""
    return bool(text) and "\n" not in text and "  " not in text and text == text.strip()


def _fold(text: str) -> list[str]:
    """Break ``text`` at single spaces into lines of about ``_FOLD_WIDTH`` characters,
    which a folded scalar joins back with one space each."""
    lines: list[str] = []
    line = ""
    for word in text.split(" "):
        if line and len(line) + 1 + len(word) > _FOLD_WIDTH:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    return lines
