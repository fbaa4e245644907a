"""Every key binding id the app has, read from the bindings themselves (one declaration).

`config set keymap.ID` and the start-up check of `[keymap]` need the list; walking the tui
package finds bindings on any screen or widget, including ones added later, so the list can
never go stale. Importing every screen costs ~0.2 s, paid only when a keymap is checked.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from functools import cache
from typing import Any

from textual.binding import Binding
from textual.screen import Screen


def bound_key(screen: Screen[Any], binding_id: str, default: str) -> str:
    """The key a binding has after the keymap the app applied, for on-screen hints."""
    keymap = getattr(screen.app, "applied_keymap", None) or {}
    keys = str(keymap.get(binding_id) or default)
    return keys.split(",")[0].strip() or default


def known_binding_ids() -> dict[str, str]:
    """id → what the binding does, for every `Binding(..., id=...)` in smartlead_tui.tui."""
    return {i: b.description or b.action for i, b in known_bindings().items()}


def priority_ids() -> set[str]:
    """Ids of bindings that see keys before a focused text field does."""
    return {i for i, b in known_bindings().items() if b.priority}


@cache
def known_bindings() -> dict[str, Binding]:
    """id → its Binding, for every `Binding(..., id=...)` in smartlead_tui.tui."""
    import smartlead_tui.tui as package

    ids: dict[str, Binding] = {}
    for info in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
        module = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if not cls.__module__.startswith(package.__name__):
                continue
            for klass in cls.__mro__:
                for binding in vars(klass).get("BINDINGS", ()):
                    if isinstance(binding, Binding) and binding.id:
                        ids.setdefault(binding.id, binding)
    return ids


#: Bindings of screens where a text field has the focus while they are meant to work (the
#: composer while editing, settings, welcome): a letter there would only ever be typed.
FIELD_SCREEN_IDS = frozenset(
    {
        "compose.send",
        "compose.close",
        "compose.advanced",
        "compose.strip-controls",
        "compose.body-end",
        "settings.save",
        "settings.test",
        "settings.back",
        "welcome.demo",
        "welcome.save-untested",
    }
)


def keymap_problems(keymap: dict[str, str]) -> list[str]:
    """Entries of a `[keymap]` that would type into fields (priority bindings on letters) or
    never fire (letters for keys of screens where a text field has the focus)."""
    from smartlead_tui.keymap import taken_by_a_field, types_into_a_field

    problems = []
    for binding in sorted(set(keymap) & (FIELD_SCREEN_IDS - priority_ids())):
        unsafe = taken_by_a_field(keymap[binding])
        if unsafe:
            problems.append(
                f"keymap.{binding}: {', '.join(repr(k) for k in unsafe)} would only be typed "
                "into (or used by) the text field that has the focus there, never reach this "
                "binding; use a ctrl+ or alt+ key, or an F key"
            )
    for binding in sorted(set(keymap) & priority_ids()):
        unsafe = types_into_a_field(keymap[binding])
        if unsafe:
            problems.append(
                f"keymap.{binding}: {', '.join(repr(k) for k in unsafe)} would be taken from "
                "every text field (this binding works even while typing); use a ctrl+ or alt+ "
                "key, or an F key"
            )
    return problems


def keymap_warnings(keymap: dict[str, str]) -> list[str]:
    """What is wrong with a `[keymap]` the app is about to use (those entries are not used)."""
    from smartlead_tui.keymap import unknown_ids

    return unknown_ids(keymap, known_binding_ids()) + keymap_problems(keymap)


def usable_keymap(keymap: dict[str, str]) -> dict[str, str]:
    """The keymap without entries that would type-steal from fields."""
    bad = {p.split(":", 1)[0].removeprefix("keymap.") for p in keymap_problems(keymap)}
    return {k: v for k, v in keymap.items() if k not in bad}
