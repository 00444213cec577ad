"""Wiki links as topics: ``[[Computer Vision]]``, as Obsidian and other Markdown vaults write them.

Obsidian's properties hold a link to a note as the text ``"[[Computer Vision]]"``, with an
alias (``[[AI|artificial intelligence]]``: the text shown) or a heading
(``[[Privacy#Law]]``) after the note's name. A topic written so is the note it names.
Written unquoted, YAML reads ``[[AI]]`` as a list holding a list (``[['AI']]``, or
``['AI']`` as a flow item): that too is read as the link, and the loader says to quote it.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["linked_name", "unquoted_link"]

_LINK = re.compile(r"\s*\[\[([^\[\]|#]*)(?:[|#][^\[\]]*)?\]\]\s*")


def linked_name(name: str) -> str:
    """Return the name a wiki link names, or ``name`` itself when it is no link.

    Examples
    --------
    >>> linked_name("[[AI|artificial intelligence]]"), linked_name("AI")
    ('AI', 'AI')
    """
    if "[[" not in name:
        return name
    link = _LINK.fullmatch(name)
    return link.group(1).strip() if link is not None else name


def unquoted_link(value: list[Any]) -> str | None:
    """Return the text of an unquoted ``[[text]]`` as YAML reads it (``[['text']]`` or,
    as a flow list's item, ``['text']``), None for any other list."""
    if len(value) == 1 and isinstance(value[0], list):
        value = value[0]
    if len(value) == 1 and isinstance(value[0], str):
        return value[0]
    return None
