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

from textual.binding import Binding


@cache
def known_binding_ids() -> dict[str, str]:
    """id → what the binding does, for every `Binding(..., id=...)` in smartlead_tui.tui."""
    import smartlead_tui.tui as package

    ids: dict[str, str] = {}
    for info in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
        module = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if not cls.__module__.startswith(package.__name__):
                continue
            for klass in cls.__mro__:
                for binding in vars(klass).get("BINDINGS", ()):
                    if isinstance(binding, Binding) and binding.id:
                        ids.setdefault(binding.id, binding.description or binding.action)
    return ids


def keymap_warnings(keymap: dict[str, str]) -> list[str]:
    """What is wrong with a `[keymap]` the app is about to use: ids no binding has."""
    from smartlead_tui.keymap import unknown_ids

    return unknown_ids(keymap, known_binding_ids())
