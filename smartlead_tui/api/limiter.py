"""One request budget shared by every call to SmartLead.

SmartLead allows about 60 requests a minute per key with bursts of at most 10 per 2 seconds.
We stay under that by design rather than by reacting to 429s, and keep a reserve for
interactive calls (sends) so background polling can never make a send wait.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable

from smartlead_tui.api.errors import RateLimitedError

MINUTE = 60.0


class RequestBudget:
    """Sliding-window limiter: `per_minute` per 60 s and `burst` per `burst_window` seconds.

    Background callers (polling, inbox refresh) may use all but `reserve` of each window;
    interactive callers (sends, a person's explicit lookup) may use all of it.
    """

    def __init__(
        self,
        per_minute: int = 50,
        burst: int = 10,
        burst_window: float = 2.0,
        *,
        reserve: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if per_minute < 1 or burst < 1 or burst_window <= 0:
            raise ValueError("request budget needs per_minute >= 1, burst >= 1, burst_window > 0")
        self.per_minute = per_minute
        self.burst = min(burst, per_minute)
        self.burst_window = burst_window
        self.reserve = (
            reserve if reserve is not None else max(1, per_minute // 10) if per_minute > 2 else 0
        )
        self._clock = clock
        self._granted: deque[float] = deque()
        self._paused_until = 0.0
        self._background_paused_until = 0.0

    # -- reading -----------------------------------------------------------------------------

    def used_last_minute(self, now: float | None = None) -> int:
        now = self._clock() if now is None else now
        self._prune(now)
        return len(self._granted)

    def paused_for(self, now: float | None = None) -> float:
        """Seconds left of a server-requested pause (Retry-After), 0 when none."""
        now = self._clock() if now is None else now
        return max(0.0, self._paused_until - now)

    def delay_for(self, *, background: bool, now: float | None = None) -> float:
        """Seconds until a request of this kind may go; 0 means now."""
        now = self._clock() if now is None else now
        self._prune(now)
        waits = [self._paused_until - now]
        if background:
            waits.append(self._background_paused_until - now)
        minute_cap = self.per_minute - (self.reserve if background else 0)
        burst_cap = self.burst - (1 if background and self.burst > 1 else 0)
        if minute_cap < 1:
            minute_cap = 1
        if len(self._granted) >= minute_cap:
            waits.append(self._granted[len(self._granted) - minute_cap] + MINUTE - now)
        recent = [t for t in self._granted if t > now - self.burst_window]
        if len(recent) >= burst_cap:
            waits.append(recent[len(recent) - burst_cap] + self.burst_window - now)
        return max(0.0, *waits)

    # -- writing -----------------------------------------------------------------------------

    def try_acquire(self, *, background: bool = False, now: float | None = None) -> bool:
        now = self._clock() if now is None else now
        if self.delay_for(background=background, now=now) > 0:
            return False
        self._granted.append(now)
        return True

    async def acquire(self, *, background: bool = False, max_wait: float | None = None) -> None:
        """Wait for a slot. With `max_wait`, give up (RateLimitedError) rather than wait longer."""
        while True:
            delay = self.delay_for(background=background)
            if delay <= 0:
                self._granted.append(self._clock())
                return
            if max_wait is not None and delay > max_wait:
                raise RateLimitedError(
                    f"Request budget exhausted; next slot in {delay:.0f} s. Nothing was sent.",
                    retry_after=delay,
                )
            await asyncio.sleep(min(delay, 1.0) + 0.005)

    def pause(self, seconds: float, now: float | None = None) -> None:
        """Stop every caller for `seconds` (SmartLead's Retry-After, or our backoff without one)."""
        now = self._clock() if now is None else now
        self._paused_until = max(self._paused_until, now + max(0.0, seconds))

    def note_remaining(
        self, remaining: int | None, reset_in: float | None, now: float | None = None
    ) -> None:
        """Slow down when the server says its window is nearly used (`x-ratelimit-remaining`)."""
        if remaining is None:
            return
        now = self._clock() if now is None else now
        wait = reset_in if reset_in is not None and reset_in > 0 else self.burst_window
        if remaining <= 0:
            self.pause(wait, now)
        elif remaining <= self.reserve:
            self._background_paused_until = max(self._background_paused_until, now + wait)

    def _prune(self, now: float) -> None:
        cutoff = now - MINUTE
        while self._granted and self._granted[0] <= cutoff:
            self._granted.popleft()
