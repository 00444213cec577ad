"""The crafted explorer corpus tests/fixtures/explore, its node ids, and a record writer.

By hand (R = RELATED, T = TAGGED; providers p1..p4):

    ALPHA (p1) ─R→ BETA (p2) ─R→ GAMMA (p3, a stub listed by BETA)
    ALPHA ─T→ privacy ←T─ BETA        ALPHA ─T→ cameras ←T─ COPY
    COPY (p2): ALPHA's headline from another provider, a SAME_STORY pair with ALPHA
    FARMERS (p4) ─R→ RAIN (p3); both ─T→ weather; FARMERS ─T→ farming
    LONELY (p4): no topic, no related story
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

EXPLORE = Path(__file__).parent / "fixtures" / "explore"
ALPHA = "article:https://p1.example/alpha-ban"
BETA = "article:https://p2.example/beta-debate"
GAMMA = "article:https://p3.example/gamma-suit"
COPY = "article:https://p2.example/alpha-copy"
RAIN = "article:https://p3.example/rain"
FARMERS = "article:https://p4.example/farmers"
LONELY = "article:https://p4.example/lonely"
P1, P2, P3, P4 = (f"provider:p{i}.example" for i in range(1, 5))


def write_md(folder: Path, relpath: str, fields: dict[str, Any]) -> Path:
    """Write one record as a Markdown file with YAML front matter; return its path."""
    path = folder / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    front = yaml.safe_dump(fields, sort_keys=False, allow_unicode=True)
    path.write_text(f"---\n{front}---\n", encoding="utf-8")
    return path
