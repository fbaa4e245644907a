"""The `[keymap]` table: binding ids as one flat spelling, and "did you mean" for unknown ones.

Plain Python (no Textual): config loading and `config set` use it before any UI exists. The
ids themselves are declared once, on the bindings (`Binding(..., id=...)`); the TUI collects
them (`smartlead_tui.tui.binding_ids`) and passes them in here.

Binding ids look like `inbox.reply`. In TOML an unquoted `inbox.reply = "e"` under `[keymap]`
is a nested table (`inbox` → `reply`), so nested tables are joined back into the dotted id:
quoted or not, the id in the file is the id shown in the help screen (F1).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any


def flatten_keymap(table: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """`{"inbox": {"reply": "e"}}` (from `inbox.reply = "e"`) → `{"inbox.reply": "e"}`."""
    flat: dict[str, Any] = {}
    for name, value in table.items():
        binding = f"{prefix}{name}"
        if isinstance(value, Mapping) and value:
            flat.update(flatten_keymap(value, f"{binding}."))
        else:
            flat[binding] = value
    return flat


def closest_ids(binding: str, known: Iterable[str], n: int = 2) -> list[str]:
    """The known ids nearest to a mistyped one (`inbox-reply` → `inbox.reply`)."""
    known = sorted(set(known))
    normal = {k.replace("-", ".").replace("_", "."): k for k in known}
    exact = normal.get(binding.replace("-", ".").replace("_", "."))
    close = difflib.get_close_matches(binding, known, n=n, cutoff=0.5)
    if exact is not None:  # only the separator differs: that is the one
        return [exact]
    if not close:  # same screen, other action: offer that screen's ids
        head = binding.split(".", 1)[0].split("-", 1)[0]
        close = [k for k in known if k.startswith(head)][:n]
    return close


def unknown_id_message(binding: str, known: Iterable[str]) -> str:
    """One line naming an id no binding has, with the closest ids that exist."""
    close = closest_ids(binding, known)
    hint = "; did you mean " + " or ".join(repr(c) for c in close) + "?" if close else ""
    return f"keymap.{binding}: no key binding has the id {binding!r}{hint} (F1 lists the ids)"


#: Keys that type nothing into a text field, so they are safe even for priority bindings.
_NON_TYPING = frozenset(
    {"escape", "tab", "enter", "home", "end", "pageup", "pagedown", "up", "down", "left"}
    | {"right", "insert", "delete", "backspace", *(f"f{n}" for n in range(1, 25))}
)


#: Keys a focused text field uses itself (a new line, moving the caret, leaving the field).
EDITING_KEYS = frozenset(
    {"enter", "tab", "shift+tab", "backspace", "delete", "home", "end", "up", "down", "left"}
    | {"right", "pageup", "pagedown", "insert", "ctrl+z", "ctrl+y", "ctrl+a", "ctrl+c", "ctrl+v"}
)


def taken_by_a_field(keys: str) -> list[str]:
    """The keys in a binding's key list that a focused text field keeps for itself: letters
    and what it edits or moves with. A non-priority binding on one never fires there."""
    typed = set(types_into_a_field(keys))
    return [
        key
        for key in (k.strip() for k in keys.split(","))
        if key and (key in typed or key.lower() in EDITING_KEYS)
    ]


def types_into_a_field(keys: str) -> list[str]:
    """The keys in a binding's key list that a focused text field would otherwise receive.

    A priority binding sees keys before the focused widget: remapped to `q` it would quit
    while a reply is being typed. Modified keys (ctrl+, alt+) and keys like F5 are safe.
    """
    unsafe = []
    for key in (k.strip() for k in keys.split(",")):
        if not key:
            continue
        name = key.rsplit("+", 1)[-1] if "+" in key[:-1] else key
        modifiers = set(key.lower().split("+")[:-1]) if "+" in key[:-1] else set()
        if modifiers & {"ctrl", "alt", "meta", "super", "hyper"}:
            continue
        if name.lower() in _NON_TYPING:
            continue
        unsafe.append(key)
    return unsafe


def unknown_ids(keymap: Mapping[str, str], known: Iterable[str]) -> list[str]:
    """A message per keymap entry whose id no binding has (such entries do nothing)."""
    known = set(known)
    return [unknown_id_message(b, known) for b in keymap if b not in known]
