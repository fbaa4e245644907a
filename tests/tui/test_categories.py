"""Category names in the inbox, the thread header and the review (issue 11 item 1)."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text

from smartlead_tui.categories import Category as Cat
from smartlead_tui.categories import CategoryNames, cache_path, save_cache
from smartlead_tui.sandbox import SandboxServer
from smartlead_tui.sandbox.seed import CUSTOM_CATEGORY_ID
from smartlead_tui.tui.screens.thread import ThreadScreen
from tests.tui.test_inbox import jump_to, loaded, make_app, server, wait_until

__all__ = ["server"]


def _key(server: SandboxServer, email: str) -> str:
    lead = server.seed.find_lead(email)
    return f"{lead.campaign_id}:{lead.lead_id}"


def _category_cell(screen: object, key: str) -> str:
    cell = screen.table.get_cell(key, "category")  # type: ignore[attr-defined]
    return cell.plain if isinstance(cell, Text) else str(cell)


async def test_inbox_and_thread_show_the_accounts_names(
    server: SandboxServer, tmp_path: Path
) -> None:
    app = make_app(server, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await loaded(pilot)
        dnc = _key(server, "liam.obrien@dublinpay.ie")  # category 4 on this account
        custom = _key(server, "m.alfarsi@gulfclinics.ae")  # a custom category, id 4497
        ooo = _key(server, "lukasz.wrobel@finverto.pl")  # 6
        await wait_until(pilot, lambda: dnc in screen.table.conversations)
        assert _category_cell(screen, dnc) == "Do Not Contact"
        assert _category_cell(screen, ooo) == "Out Of Office"
        if custom in screen.table.conversations:
            assert _category_cell(screen, custom) == "Follow up Q1"
        # Cached for the next start, under the state dir next to this test's outbox.
        cached = cache_path(tmp_path, profile=None, demo=True)
        await wait_until(pilot, cached.exists)
        jump_to(screen, dnc)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ThreadScreen))
        title = str(app.screen.query_one("#thread-title").render())
        assert "⚠ Do Not Contact" in title


async def test_an_id_the_names_lack_shows_its_number_until_they_load(
    server: SandboxServer, tmp_path: Path
) -> None:
    # A stale cache that knows only "Interested": the custom id must not be guessed.
    save_cache(cache_path(tmp_path, profile=None, demo=True), [Cat(1, "Interested", "positive")])
    server.add_fault("500", path="/leads/fetch-categories", times=10)
    app = make_app(server, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await loaded(pilot)
        dnc = _key(server, "liam.obrien@dublinpay.ie")
        await wait_until(pilot, lambda: dnc in screen.table.conversations)
        assert _category_cell(screen, dnc) == "#4"
        server.clear_faults()
        app.categories.refresh()
        await wait_until(pilot, lambda: _category_cell(screen, dnc) == "Do Not Contact")
        assert isinstance(app.categories.names, CategoryNames)
        assert app.categories.names.label(CUSTOM_CATEGORY_ID) == "Follow up Q1"
