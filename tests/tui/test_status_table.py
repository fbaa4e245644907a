"""The outbox table stays a well-behaved Textual widget: dropping a row has its own name, so
Textual's `Widget.remove()` (take the widget off the screen) still works on it."""

from __future__ import annotations

from datetime import UTC

from textual.app import App, ComposeResult

from smartlead_tui.tui.widgets.status_table import RowView, StatusTable


def row(entry_id: int) -> RowView:
    return RowView(
        entry_id=entry_id,
        state="delivered",
        display="delivered",
        lead="ana@example.com",
        campaign="Spring",
        status="",
        message="",
        event_time=None,
        scheduled_time=None,
        checked_at=None,
        hold_until=None,
        message_id=None,
        tracking=False,
        problem=False,
    )


class TableApp(App[None]):
    def compose(self) -> ComposeResult:
        yield StatusTable(clock=lambda: 0.0, tz=UTC)


async def test_remove_entry_drops_a_row_and_remove_takes_the_widget_away() -> None:
    app = TableApp()
    async with app.run_test() as pilot:
        table = app.query_one(StatusTable)
        table.upsert(row(1))
        table.upsert(row(2))
        table.remove_entry(1)
        table.remove_entry(99)  # not shown: nothing to do
        assert not table.has_row(1) and table.has_row(2)
        # Widget.remove() keeps Textual's meaning (it used to need an entry id: TypeError).
        await table.remove()
        await pilot.pause()
        assert not app.query(StatusTable)
