"""Lead categories as the account defines them: parsed, named, cached per profile.

Category ids differ per SmartLead account (custom ones get ids like 4497), so no id is ever
mapped to a name by hand: the names come from `GET /leads/fetch-categories` and are cached in
the user's state dir so the inbox can show them at once on the next start. An id the list does
not know yet shows as "#4497", never as a guess.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from smartlead_tui.api.models import int_or_none

__all__ = [
    "CACHE_VERSION",
    "Category",
    "CategoryNames",
    "cache_path",
    "category_from_fields",
    "do_not_contact_warning",
    "is_do_not_contact",
    "load_cache",
    "parse_categories",
    "save_cache",
]

CACHE_VERSION = 1

#: Names that mean "this person asked not to be written to", whatever sentiment the account set.
_DO_NOT_CONTACT = re.compile(
    r"do[\s_-]*not[\s_-]*(contact|email|mail)|don'?t[\s_-]*contact|unsubscrib|opt[\s_-]*out"
    r"|remove[\s_-]*me",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Category:
    """One lead category of the account."""

    id: int
    name: str
    sentiment: str = ""  # "positive" | "negative" | "neutral" | "" (not given)


def parse_categories(payload: Any) -> list[Category]:
    """The API's answer as categories: a bare array, or `{data: [...]}` / `{ok, data: [...]}`.

    Rows without a usable id or name are skipped (the list is for display, and a half row
    must not hide the others). Raises ValueError when the answer holds no list at all.
    """
    rows = payload
    if isinstance(rows, Mapping):
        rows = rows.get("data", rows.get("categories"))
        if isinstance(rows, Mapping):
            rows = rows.get("data", rows.get("categories"))
    if not isinstance(rows, list):
        raise ValueError("lead categories answer holds no list of categories")
    found: dict[int, Category] = {}
    for row in rows:
        if not isinstance(row, Mapping):
            continue
        cid = int_or_none(row.get("id"))
        name = row.get("name")
        if cid is None or not isinstance(name, str) or not name.strip():
            continue
        sentiment = row.get("sentiment_type")
        mood = sentiment.strip().lower() if isinstance(sentiment, str) else ""
        found[cid] = Category(cid, " ".join(name.split()), mood)
    return list(found.values())


def is_do_not_contact(category: Category) -> bool:
    """Negative sentiment, or a name like "Do Not Contact" / "Unsubscribed"."""
    return category.sentiment == "negative" or bool(_DO_NOT_CONTACT.search(category.name))


class CategoryNames:
    """id -> Category for one account; `label()` is what every screen shows."""

    def __init__(self, categories: Iterable[Category] = (), *, loaded: bool = False) -> None:
        self._by_id: dict[int, Category] = {c.id: c for c in categories}
        #: True once the account's list was read (from the API or the cache).
        self.loaded = loaded or bool(self._by_id)

    def __len__(self) -> int:
        return len(self._by_id)

    def __iter__(self) -> Any:
        return iter(self._by_id.values())

    def get(self, category_id: int | None) -> Category | None:
        return None if category_id is None else self._by_id.get(category_id)

    def label(self, category_id: int | None) -> str:
        """The account's name, "#id" while the id is unknown, "—" for no category."""
        if category_id is None:
            return "—"
        category = self._by_id.get(category_id)
        return category.name if category is not None else f"#{category_id}"


def category_from_fields(
    fields: Mapping[str, Any], names: CategoryNames
) -> tuple[str, Category | None]:
    """(label, category) of the lead a draft answers; label "" when the draft does not say."""
    cid = int_or_none(fields.get("lead_category_id"))
    if cid is None:
        return "", None
    return names.label(cid), names.get(cid)


def do_not_contact_warning(fields: Mapping[str, Any], names: CategoryNames) -> str | None:
    """The pre-send warning for a lead in a negative / do-not-contact category, else None."""
    label, category = category_from_fields(fields, names)
    if category is None or not is_do_not_contact(category):
        return None
    if _DO_NOT_CONTACT.search(category.name):
        why = "they may have asked not to be contacted"
    else:
        why = "a negative category; they may not want to hear from you"
    return f'Lead category "{label}": {why}. Send only if you are sure.'



# --------------------------------------------------------------------------------------------
# Cache: one small JSON file per profile, written atomically; it never holds the key.


def cache_path(base: Path, *, profile: str | None, demo: bool) -> Path:
    """Where a profile's category list is cached (`base` is the user state dir)."""
    name = "demo" if demo else (profile or "default")
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", name)[:80] or "default"
    return base / "categories" / f"{safe}.json"


def load_cache(path: Path) -> CategoryNames:
    """The cached list, or an empty (not loaded) one when missing, unreadable or foreign."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return CategoryNames()
    if not isinstance(data, dict) or data.get("version") != CACHE_VERSION:
        return CategoryNames()
    try:
        return CategoryNames(parse_categories(data.get("categories")), loaded=True)
    except ValueError:
        return CategoryNames()


def save_cache(path: Path, categories: Iterable[Category]) -> None:
    """Write atomically (config's temp file + rename, 0600) so a crash never leaves half a file."""
    from smartlead_tui.config import atomic_write

    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    payload = {
        "version": CACHE_VERSION,
        "categories": [
            {"id": c.id, "name": c.name, "sentiment_type": c.sentiment or None} for c in categories
        ],
    }
    atomic_write(path, json.dumps(payload, ensure_ascii=False, indent=1).encode("utf-8"))
