"""The record fields newsgraph reads as text, where a plain YAML scalar is its text as written.

YAML 1.1, which PyYAML reads, resolves some plain words and numbers to other types: `12:30`
is 750 (base 60), `010` is 8 (octal), `1_000` is 1000, `0x1F` is 31, `No`, `off` and
`Yes` are booleans, `.inf` is infinity, `2024-01-02` a date. In a title, an excerpt, a
category, a type, a topic or a provider's name that rewrote the text (`'750'`) or lost it
(a title of ``False`` is no title). There, a plain scalar is its text as written — as YAML
1.2, which js-yaml (Obsidian, Eleventy, Astro) and Hugo read, mostly does too; ``null``
(or nothing) stays null, and every other field keeps YAML's reading.

:func:`as_written` retags a composed record's nodes before PyYAML constructs them;
:func:`typed` tells the fast reader (:mod:`graph.blockyaml`) a record it must leave to
PyYAML, since it read such a field as another type.
"""

from __future__ import annotations

from typing import Any

import yaml

__all__ = ["TEXT_FIELDS", "as_written", "typed"]

# A record's own, and each related entry's.
TEXT_FIELDS = ("title", "excerpt", "category", "type")
_STR = "tag:yaml.org,2002:str"
_RESOLVED = frozenset(f"tag:yaml.org,2002:{t}" for t in ("int", "float", "bool", "timestamp"))


def as_written(node: yaml.Node, *, related: bool = True) -> None:
    """Make the plain scalars of a record's text fields strings, as written (in place)."""
    if not isinstance(node, yaml.MappingNode):
        return
    for key, value in node.value:
        if not isinstance(key, yaml.ScalarNode) or key.tag != _STR:
            continue
        name = key.value
        if name in TEXT_FIELDS:
            _as_text(value)
        elif name == "topics" and isinstance(value, yaml.SequenceNode):
            for item in value.value:
                _as_text(item)
        elif name == "provider" and isinstance(value, yaml.MappingNode):
            for provider_key, provider_value in value.value:
                if isinstance(provider_key, yaml.ScalarNode) and provider_key.tag == _STR \
                        and provider_key.value == "name":
                    _as_text(provider_value)
        elif name == "related" and related and isinstance(value, yaml.SequenceNode):
            for item in value.value:
                as_written(item, related=False)


def _as_text(node: yaml.Node) -> None:
    if isinstance(node, yaml.ScalarNode) and not node.style and node.tag in _RESOLVED:
        node.tag = _STR


def typed(record: Any, *, related: bool = True) -> bool:
    """True when a record read by the fast reader holds a text field that YAML read as
    another type (an int, a float, a bool, a date): :func:`as_written` would change it."""
    if not isinstance(record, dict):
        return False
    for name in TEXT_FIELDS:
        if _typed(record.get(name)):
            return True
    topics = record.get("topics")
    if isinstance(topics, list) and any(_typed(t) for t in topics):
        return True
    provider = record.get("provider")
    if isinstance(provider, dict) and _typed(provider.get("name")):
        return True
    entries = record.get("related")
    return related and isinstance(entries, list) and any(typed(r, related=False)
                                                         for r in entries)


def _typed(value: Any) -> bool:
    return value is not None and not isinstance(value, str | list | dict)
