"""Settings applied while the app runs (F2 save, profile switch) carry the keymap whole: a remap
taken out gives the binding its default key back."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from smartlead_tui.sandbox import SandboxServer
from tests.tui.test_inbox import inbox_posts, loaded, make_app, server, wait_until

__all__ = ["server"]  # the fixture, shared with test_inbox


def key_of(app: Any, binding_id: str) -> list[str]:
    return [
        key for key, active in app.screen.active_bindings.items() if active.binding.id == binding_id
    ]


async def test_an_emptied_keymap_gives_the_default_keys_back(
    server: SandboxServer, tmp_path: Path
) -> None:
    app = make_app(server, tmp_path, keymap={"inbox.reply": "e"})
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        assert key_of(app, "inbox.reply") == ["e"]
        reads = len(inbox_posts(server))
        await app.apply_settings(dataclasses.replace(app.settings, keymap={}), demo=True)
        assert key_of(app, "inbox.reply") == ["r"]  # it stayed "e" until restart
        # The inbox starts over on new settings: wait for its second read, then press.
        await wait_until(pilot, lambda: len(inbox_posts(server)) > reads)
        await loaded(pilot)
        await pilot.press("e")
        assert app.prefills == []
        await pilot.press("r")
        assert len(app.prefills) == 1
        await app.apply_settings(
            dataclasses.replace(app.settings, keymap={"inbox.reply": "e"}), demo=True
        )
        assert key_of(app, "inbox.reply") == ["e"]
