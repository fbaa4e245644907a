"""Polling-efficiency benchmark: 200 replies to COMPLETED against a 60 requests/min sandbox.

The sandbox enforces SmartLead's 60 requests a minute (429 + Retry-After past it); the app runs
its default settings (a 50/min budget with a 10 % reserve for sends, poll interval 5 s, backoff
cap 300 s). A fast clock makes the minutes pass `--speed` times faster: the sandbox's rate
window, the request budget, the tracker's schedule and the store all read the same scaled clock,
so the run is the real thing compressed, not a different thing.

What happens: 200 replies are sent in bulk through the app's client (each recorded held ->
sending -> queued, as the sender does) while the tracker follows every one until COMPLETED.
Once the bulk sends have left the 60 s window, a person sends one more reply every 15 s while
the polling is busy ("probe" sends): the wait the budget asks of them shows whether a send ever
queues behind polling. The bound checked is replies x (polls to complete + 1).

Two modes: `id` (the send answer carries the Message-ID) and `discover` (the real API's plain-text
answer: the tracker reads the thread's history to find it). Prints a Markdown table per mode.
Bounded: well under a minute of real time per mode at the default speed.
Usage: python benchmarks/polling.py [--replies 200] [--speed 40] [--mode id|discover|both]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import types
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx

from smartlead_tui.api.client import SmartLeadClient
from smartlead_tui.api.errors import ApiError
from smartlead_tui.api.limiter import RequestBudget
from smartlead_tui.api.models import ReplyDraft
from smartlead_tui.config import Settings
from smartlead_tui.outbox.store import Store, thread_key
from smartlead_tui.outbox.tracker import PollPolicy, Tracker
from smartlead_tui.sandbox import SandboxServer
from smartlead_tui.sandbox import server as sandbox_module


class FastClock:
    """Real time, `speed` times faster, as monotonic seconds, epoch seconds and datetimes."""

    def __init__(self, speed: float) -> None:
        self.speed = speed
        self._real0 = time.monotonic()
        self._epoch0 = time.time()

    def elapsed(self) -> float:
        return (time.monotonic() - self._real0) * self.speed

    def monotonic(self) -> float:
        return self._real0 + self.elapsed()

    def epoch(self) -> float:
        return self._epoch0 + self.elapsed()

    def dt(self) -> datetime:
        return datetime.fromtimestamp(self.epoch(), UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds) / self.speed)


class CountingTransport(httpx.AsyncBaseTransport):
    """Counts every response by (kind, status): the client's own retries included."""

    def __init__(self, clock: FastClock) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.clock = clock
        self.counts: Counter[tuple[str, int]] = Counter()
        self.sent_at: list[float] = []  # when each request left, on the fast clock

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent_at.append(self.clock.elapsed())
        response = await self.inner.handle_async_request(request)
        path = request.url.path
        kind = (
            "send"
            if request.method == "POST"
            else "status"
            if "reply-status" in path
            else "history"
            if "message-history" in path
            else "other"
        )
        self.counts[(kind, response.status_code)] += 1
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


@dataclass
class Result:
    mode: str
    replies: int
    completed: int = 0
    scaled_minutes: float = 0.0
    counts: Counter[tuple[str, int]] = field(default_factory=Counter)
    probe_waits: list[float] = field(default_factory=list)
    probes: int = 0
    worst_minute: int = 0
    worst_minute_arrived: int = 0
    invisible_polls: int = 1
    polls_to_complete: int = 2
    errors: list[str] = field(default_factory=list)


def busiest_minute(moments: list[float]) -> int:
    """Most requests in any 60 s window."""
    times = sorted(moments)
    best = start = 0
    for end, moment in enumerate(times):
        while times[start] <= moment - 60:
            start += 1
        best = max(best, end - start + 1)
    return best


async def run_mode(mode: str, replies: int, speed: float, probe_every: float) -> Result:
    clock = FastClock(speed)
    # The sandbox's rate window reads time.monotonic(): give it the fast clock.
    sandbox_module.time = types.SimpleNamespace(  # type: ignore[assignment]
        monotonic=clock.monotonic, sleep=time.sleep, time=clock.epoch
    )
    settings = Settings()
    result = Result(mode, replies)
    server = SandboxServer(
        rate_limit_per_minute=60,
        send_response="json-with-id" if mode == "id" else "text",
        now=clock.dt,
    ).start()
    result.invisible_polls, result.polls_to_complete = (
        server.invisible_polls,
        server.polls_to_complete,
    )
    transport = CountingTransport(clock)
    budget = RequestBudget(
        settings.requests_per_minute, settings.burst_per_2s, clock=clock.monotonic
    )
    refs = server.seed.all_replies()
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "outbox.sqlite3", clock=clock.dt)
        client = SmartLeadClient(
            server.api_key,
            base_url=server.base_url,
            budget=budget,
            transport=transport,
            sleep=clock.sleep,
        )
        tracker = Tracker(
            client, store, policy=PollPolicy.from_settings(settings), clock=clock.epoch
        )
        all_ids: list[int] = []
        sending_done = asyncio.Event()

        async def send_one(n: int) -> float:
            ref = refs[n % len(refs)]
            body = f"Reply {n}: thanks, Tuesday at {9 + n % 8}:00 works. Talk soon."
            draft = ReplyDraft(
                campaign_id=ref.campaign_id,
                email_stats_id=ref.stats_id,
                body=body,
                to_email=ref.from_email,
            )
            path, payload = draft.to_payload()
            entry = store.create_entry(
                thread_key=thread_key(ref.campaign_id, ref.stats_id),
                fingerprint=draft.fingerprint(),
                fields={
                    "campaign_id": ref.campaign_id,
                    "lead_id": ref.lead_id,
                    "email_stats_id": ref.stats_id,
                    "lead_label": ref.from_email,
                    "body": body,
                },
                endpoint=path,
                request_body=payload,
                lead_label=ref.from_email,
                campaign_id=ref.campaign_id,
            )
            # Wait for a slot on the fast clock (the client's own wait sleeps in real seconds,
            # which at x30 would overstate every wait); then the send goes at once.
            # What the budget asks a send to wait at the moment it is made (the elapsed wait on
            # the fast clock also counts any stall of this machine, times the speed-up).
            waited = budget.delay_for(background=False)
            while (delay := budget.delay_for(background=False)) > 0:
                await clock.sleep(min(delay, 1.0))
            store.transition(entry.id, "sending")
            try:
                sent = await client.send_reply(draft)
            except ApiError as exc:
                store.transition(entry.id, "send-failed", error=str(exc))
                result.errors.append(f"send {n}: {exc}")
                return waited
            store.transition(
                entry.id, "queued", server_message=sent.server_message, message_id=sent.message_id
            )
            tracker.sync_entry(store.get_entry(entry.id))
            all_ids.append(entry.id)
            return waited

        async def bulk() -> None:
            for n in range(replies):
                await send_one(n)
            sending_done.set()

        def bulk_in_flight() -> bool:
            return not sending_done.is_set() or any(
                tracker.is_active(entry_id) for entry_id in all_ids[:replies]
            )

        async def probes() -> None:
            # A person sending now and then while the bulk replies are being polled: that is
            # when a send could end up waiting behind polling. They start once the bulk sends
            # have left the 60 s window (before that, a send waits behind other sends).
            n = replies
            await sending_done.wait()
            await clock.sleep(60)
            while True:
                await clock.sleep(probe_every)
                if not bulk_in_flight():
                    break
                result.probe_waits.append(await send_one(n))
                n += 1
            result.probes = n - replies

        async def track() -> None:
            while True:
                await tracker.run_due()
                if sending_done.is_set() and tracker.schedule.active_count == 0:
                    return
                now = clock.epoch()
                wake = tracker.schedule.next_wake(now)
                wait = 1.0 if wake is None else max(0.05, wake - now)
                wait = max(wait, budget.delay_for(background=True))
                await clock.sleep(min(wait, 1.0))

        started = clock.elapsed()
        await asyncio.gather(bulk(), probes(), track())
        result.scaled_minutes = (clock.elapsed() - started) / 60
        result.completed = sum(
            1 for entry_id in all_ids if store.get_entry(entry_id).last_status == "COMPLETED"
        )
        result.counts = transport.counts
        result.worst_minute = busiest_minute(transport.sent_at)
        result.worst_minute_arrived = busiest_minute([r.time.timestamp() for r in server.requests])
        await client.aclose()
        store.close()
    server.stop()
    return result


def report(result: Result) -> None:
    c = result.counts

    def total(kind: str) -> int:
        return sum(n for (k, _), n in c.items() if k == kind)

    too_many = sum(n for (_, status), n in c.items() if status == 429)
    tracked = result.replies + result.probes
    polls, history, sends = total("status"), total("history"), total("send")
    needed = result.invisible_polls + result.polls_to_complete
    bound = tracked * (result.polls_to_complete + 1)
    title = "Message-ID in the send answer" if result.mode == "id" else "Message-ID discovered"
    print(f"\n### {title} ({result.replies} bulk + {result.probes} probe replies)\n")
    print("| measure | result |")
    print("|---|---|")
    print(f"| replies COMPLETED | {result.completed} of {tracked} |")
    print(f"| simulated time to the last COMPLETED | {result.scaled_minutes:.1f} min |")
    print(f"| 429 responses | {too_many} |")
    print(
        f"| busiest 60 s, as sent (our budget 50) / as they arrived (sandbox limit 60) | "
        f"{result.worst_minute} / {result.worst_minute_arrived} requests |"
    )
    print(
        f"| status polls | {polls} ({polls / tracked:.2f} a reply; the sandbox needs {needed}: "
        f"{result.invisible_polls} invisible + {result.polls_to_complete} to complete) |"
    )
    print(
        f"| bound: replies x (polls to complete + 1) | {bound} polls: "
        f"{'PASS' if polls <= bound else 'FAIL'} |"
    )
    print(
        f"| thread-history reads (Message-ID discovery) | {history} "
        f"({history / tracked:.2f} a reply) |"
    )
    print(f"| sends | {sends} |")
    print(f"| all requests per reply | {(polls + history + sends) / tracked:.2f} |")
    if result.probe_waits:
        print(
            f"| probe sends: wait the budget asked for (median / max) | "
            f"{statistics.median(result.probe_waits):.2f} / {max(result.probe_waits):.2f} s |"
        )
    if result.errors:
        print(f"| errors | {len(result.errors)}: {result.errors[0]} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--replies", type=int, default=200)
    parser.add_argument("--speed", type=float, default=40.0, help="clock speed-up (default 40)")
    parser.add_argument("--probe-every", type=float, default=15.0, metavar="SECONDS")
    parser.add_argument("--mode", choices=("id", "discover", "both"), default="both")
    args = parser.parse_args()
    modes = ("id", "discover") if args.mode == "both" else (args.mode,)
    print(f"Polling: {args.replies} replies, sandbox at 60 requests/min, clock x{args.speed:g}")
    for mode in modes:
        real = time.perf_counter()
        result = asyncio.run(run_mode(mode, args.replies, args.speed, args.probe_every))
        report(result)
        print(f"\n(real time {time.perf_counter() - real:.0f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
