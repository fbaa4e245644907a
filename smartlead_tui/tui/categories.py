"""The account's lead category names for the screens: the cache at once, the API behind it.

One holder per app. The first screen that needs names gets the cached list straight away and
starts one background read of `GET /leads/fetch-categories`; when it answers, the cache is
rewritten and every screen gets `CategoriesLoaded` to repaint. A failed read keeps what is
shown (cached names, or "#id") and is only logged: names are a label, never a blocker.
"""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.message import Message

from smartlead_tui.categories import CategoryNames, cache_path, load_cache, save_cache

if TYPE_CHECKING:
    from textual.app import App

log = logging.getLogger("smartlead_tui.categories")

#: How long the first page of the inbox waits for names it has never seen (no cache yet), so
#: the first screen shows "Interested" rather than "#1" flipping a moment later.
FIRST_LOAD_WAIT_SECONDS = 2.0
#: An id the list does not know (a category created since) re-reads it at most this often.
UNKNOWN_ID_REFRESH_SECONDS = 120.0


class CategoriesLoaded(Message):
    """Posted to every screen when the account's category names changed."""


class CategoryHolder:
    """Names for the current account (profile or demo); see module docstring."""

    def __init__(self, app: App[Any]) -> None:
        self.app = app
        self.names = CategoryNames()
        self._started = False
        self._task: asyncio.Task[None] | None = None
        self._last_read = 0.0
        self._generation = 0

    def _cache_file(self) -> Path:
        store_path = getattr(self.app, "_store_path", None)
        if store_path is not None:  # tests: beside their own outbox, never the user's dir
            base = Path(store_path).parent
        else:
            from smartlead_tui.config import state_dir

            base = state_dir()
        settings = getattr(self.app, "settings", None)
        return cache_path(
            base,
            profile=getattr(settings, "profile", None),
            demo=bool(getattr(self.app, "demo", False)),
        )

    def start(self) -> CategoryNames:
        """Once per account: the cached names now, a fresh read in the background."""
        if not self._started:
            self._started = True
            try:
                self.names = load_cache(self._cache_file())
            except Exception:  # a broken cache is only a missing one
                log.warning("category cache unreadable", exc_info=True)
            self.refresh()
        return self.names

    def reset(self) -> None:
        """Another key, profile or demo switch: forget the old account's names."""
        self._generation += 1
        if self._task is not None:
            self._task.cancel()
        self._task = None
        self._started = False
        self.names = CategoryNames()

    def refresh(self) -> None:
        """Start one background read unless one is on its way or there is no key."""
        if self._task is not None and not self._task.done():
            return
        settings = getattr(self.app, "settings", None)
        if not getattr(settings, "api_key", None):
            return
        self._last_read = time.monotonic()
        self._task = asyncio.get_running_loop().create_task(self._read(self._generation))

    def unknown_seen(self, category_id: int | None) -> None:
        """A row names an id the list lacks: re-read it (rarely), it may be a new category."""
        if category_id is None or not self.names.loaded or self.names.get(category_id):
            return
        if time.monotonic() - self._last_read >= UNKNOWN_ID_REFRESH_SECONDS:
            self.refresh()

    async def ready(self, timeout: float = FIRST_LOAD_WAIT_SECONDS) -> CategoryNames:
        """The names, waiting a little for the first read when nothing is cached yet."""
        self.start()
        task = self._task
        if not self.names.loaded and task is not None and not task.done():
            try:
                await asyncio.wait_for(asyncio.shield(task), timeout)
            except asyncio.CancelledError:
                if not task.cancelled():
                    raise  # the caller was cancelled, not the read
            except Exception:  # slow or failed: go on with "#id"
                pass
        return self.names

    async def _read(self, generation: int) -> None:
        try:
            client = self.app.client  # type: ignore[attr-defined]
            categories = await client.lead_categories(background=True)
        except Exception as exc:  # names are a label: keep what is shown
            log.info("could not read the lead categories: %s", exc)
            return
        if generation != self._generation:
            return  # the account changed while this was on its way
        names = CategoryNames(categories, loaded=True)
        try:
            await asyncio.to_thread(save_cache, self._cache_file(), categories)
        except Exception:  # a read-only state dir must not hide the names
            log.warning("could not write the category cache", exc_info=True)
        self.names = names
        for screen in list(self.app.screen_stack):
            screen.post_message(CategoriesLoaded())


def category_names(app: App[Any]) -> CategoryNames:
    """The app's names (starting the holder on first use); empty for an app without one."""
    holder = getattr(app, "categories", None)
    if isinstance(holder, CategoryHolder):
        return holder.start()
    return CategoryNames()
