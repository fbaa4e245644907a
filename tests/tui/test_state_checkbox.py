"""The signature checkbox is still a Checkbox: toggling it says so (Checkbox.Changed, the `-on`
class), so the composer counts it as an edit and the draft keeps it."""

from __future__ import annotations

from pathlib import Path

from textual.app import App, ComposeResult
from textual.widgets import Checkbox

from smartlead_tui.outbox.sender import draft_key_for
from smartlead_tui.sandbox import SandboxServer
from smartlead_tui.tui.screens.compose import ComposeScreen
from smartlead_tui.tui.widgets.state_checkbox import StateCheckbox
from tests.prefill import thread_prefill as prefill_for
from tests.tui.test_compose import SIZE, make_app, open_compose, server, wait_for

__all__ = ["server"]  # the fixture, shared with test_compose


class BoxApp(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.changes: list[bool] = []

    def compose(self) -> ComposeResult:
        yield StateCheckbox("Add the signature", value=True, id="box")

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        self.changes.append(event.value)


async def test_toggling_posts_changed_and_keeps_the_on_class() -> None:
    app = BoxApp()
    async with app.run_test() as pilot:
        box = app.query_one(StateCheckbox)
        assert box.has_class("-on")
        box.focus()
        await pilot.press("space")
        await wait_for(pilot, lambda: app.changes == [False])
        assert not box.has_class("-on")
        assert box.render().plain.startswith("▐ ▌")  # type: ignore[union-attr]


async def test_a_signature_toggle_alone_is_saved_in_the_draft(
    server: SandboxServer, tmp_path: Path
) -> None:
    app = make_app(server, tmp_path / "outbox.sqlite3", add_signature=True)
    prefill = prefill_for(server)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_compose(pilot, prefill)
        await wait_for(pilot, lambda: not screen.accepting_typeahead)
        screen.query_one("#signature", Checkbox).focus()
        await pilot.press("space")
        await pilot.pause()
        await pilot.press("escape")  # leaving writes the pending edit
        await wait_for(pilot, lambda: not isinstance(app.screen, ComposeScreen))
        draft = app.store.load_draft(draft_key_for(prefill))
        assert draft is not None, "the toggle was not counted as an edit"
        assert draft.fields["add_signature"] is False
