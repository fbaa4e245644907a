"""Request-budget meter: requests used in the last minute, and any rate-limit pause.

Shows the one budget every call shares (sends, inbox, polling), so a person can see why status
checks slowed down. Reads the budget once a second; never creates the API client itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import Static

if TYPE_CHECKING:
    from smartlead_tui.api.limiter import RequestBudget
    from smartlead_tui.tui.tracking import TrackingDriver

BAR_CELLS = 10


def meter_text(used: int, limit: int, paused: float, *, ascii_only: bool = False) -> str:
    """The meter's line: "API ▮▮▮▯▯▯▯▯▯▯ 12/50 a min", plus "· paused 23 s (429)"."""
    filled = 0 if limit <= 0 else min(BAR_CELLS, round(BAR_CELLS * used / limit))
    on, off = ("#", ".") if ascii_only else ("▮", "▯")
    text = f"API {on * filled}{off * (BAR_CELLS - filled)} {used}/{limit} a min"
    if paused > 0:
        text += f" · paused {paused:.0f} s (429)"
    return text


class BudgetMeter(Static):
    """One line; warning colour at 80 % of the budget, error colour while paused."""

    DEFAULT_CSS = """
    BudgetMeter { width: auto; height: 1; padding: 0 1; color: $text-muted; }
    BudgetMeter.-busy { color: $warning; }
    BudgetMeter.-paused { color: $error; text-style: bold; }
    """

    def __init__(
        self,
        driver: TrackingDriver | None = None,
        *,
        budget: RequestBudget | None = None,
        refresh_seconds: float = 1.0,
        id: str | None = None,
    ) -> None:
        super().__init__("", id=id, markup=False)
        self._driver = driver
        self._budget = budget
        self._refresh_seconds = refresh_seconds

    def on_mount(self) -> None:
        self.refresh_meter()
        self.set_interval(self._refresh_seconds, self.refresh_meter, name="budget-meter")

    def _current_budget(self) -> RequestBudget | None:
        if self._budget is not None:
            return self._budget
        return self._driver.budget if self._driver is not None else None

    def refresh_meter(self) -> None:
        budget = self._current_budget()
        settings = getattr(self.app, "settings", None)
        limit = budget.per_minute if budget else getattr(settings, "requests_per_minute", 50)
        used = budget.used_last_minute() if budget else 0
        paused = budget.paused_for() if budget else 0.0
        if self._driver is not None:
            paused = max(paused, self._driver.paused_for())
        self.update(Text(meter_text(used, limit, paused)))
        self.set_class(paused > 0, "-paused")
        self.set_class(paused <= 0 and used >= 0.8 * limit, "-busy")
