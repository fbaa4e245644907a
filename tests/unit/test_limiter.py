"""The shared request budget, driven by a fake clock."""

from __future__ import annotations

import asyncio

import pytest

from smartlead_tui.api.errors import RateLimitedError
from smartlead_tui.api.limiter import RequestBudget


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def grant_all(
    budget: RequestBudget, clock: FakeClock, *, background: bool, seconds: float, step: float = 0.01
) -> list[float]:
    """Ask for a slot every `step` seconds for `seconds`; return the grant times."""
    granted = []
    end = clock.now + seconds
    while clock.now < end:
        if budget.try_acquire(background=background):
            granted.append(clock.now)
        clock.now += step
    return granted


def max_in_window(times: list[float], window: float) -> int:
    best = 0
    start = 0
    for end, t in enumerate(times):
        while times[start] <= t - window:
            start += 1
        best = max(best, end - start + 1)
    return best


def test_never_more_than_per_minute_or_burst_in_any_window() -> None:
    clock = FakeClock()
    budget = RequestBudget(per_minute=50, burst=10, clock=clock, reserve=0)
    granted = grant_all(budget, clock, background=False, seconds=300)
    assert max_in_window(granted, 60.0) <= 50
    assert max_in_window(granted, 2.0) <= 10
    assert len(granted) >= 50 * 5 - 10  # and it does use the budget


def test_background_leaves_a_reserve_for_sends() -> None:
    clock = FakeClock()
    budget = RequestBudget(per_minute=50, burst=10, clock=clock)
    assert budget.reserve == 5
    background = grant_all(budget, clock, background=True, seconds=61)
    assert max_in_window(background, 60.0) <= 45
    assert max_in_window(background, 2.0) <= 9
    # The background is saturated, yet an interactive call goes at once.
    assert budget.delay_for(background=True) > 0
    assert budget.delay_for(background=False) == 0


def test_pause_blocks_everyone_until_it_ends() -> None:
    clock = FakeClock()
    budget = RequestBudget(clock=clock)
    budget.pause(12)
    assert budget.paused_for() == pytest.approx(12)
    assert not budget.try_acquire()
    clock.now += 12.01
    assert budget.try_acquire()


def test_low_remaining_pauses_background_only() -> None:
    clock = FakeClock()
    budget = RequestBudget(clock=clock)
    budget.note_remaining(2, 5.0)
    assert not budget.try_acquire(background=True)
    assert budget.try_acquire(background=False)
    clock.now += 5.01
    assert budget.try_acquire(background=True)


def test_zero_remaining_pauses_everything() -> None:
    clock = FakeClock()
    budget = RequestBudget(clock=clock)
    budget.note_remaining(0, 3.0)
    assert not budget.try_acquire()
    assert budget.used_last_minute() == 0


def test_acquire_gives_up_rather_than_wait_past_max_wait() -> None:
    budget = RequestBudget()
    budget.pause(60)
    with pytest.raises(RateLimitedError, match="Nothing was sent"):
        asyncio.run(budget.acquire(max_wait=1))


def test_acquire_waits_for_a_short_pause() -> None:
    budget = RequestBudget()
    budget.pause(0.05)
    asyncio.run(asyncio.wait_for(budget.acquire(), timeout=2))
    assert budget.used_last_minute() == 1


def test_bad_configuration_is_refused() -> None:
    with pytest.raises(ValueError):
        RequestBudget(per_minute=0)
