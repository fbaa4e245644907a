"""Large-outbox benchmark: open the status panel over 10,000 replies, scroll it, update rows.

Seeds a store once (9,000 delivered, 600 in flight, 200 held, 100 failed, 100 unknown), then
measures in fresh child processes (so memory figures are clean): the real app against an
in-process sandbox, tracker running, headless at 120x40. Reports, as a Markdown table:
  open     app.open_outbox() (what the key does) to the first rows painted, and to every
           row in the table (the rest is added in chunks between frames)
  pgdn     page-down key to repainted frame (median / max of 30), next to the same for a key
           bound to nothing (what Pilot's press-and-wait costs by itself)
  update   50 in-place row updates (ReplyStatusChanged) processed and painted
  RSS      resident memory after opening (and the process's peak)
Bounded: a few seconds of seeding, then a few seconds per run.
Usage: python benchmarks/outbox_panel.py [--entries 10000] [--runs 3] [--no-tracker]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def seed(path: Path, count: int) -> None:
    """Fill a store through its public API (one transaction for the entries)."""
    from smartlead_tui.outbox.store import Store

    body = (
        "Hi {name}, thanks for getting back to me. Tuesday 10:00 works for a call; I'll send "
        "an invite with the agenda. [agenda] attached. Best, Alex"
    )
    held, failed, unknown, in_flight = 200, 100, 100, 600
    delivered = count - held - failed - unknown - in_flight
    names = ["José Núñez", "Zoë Ångström", "Priya Raman", "Ben Carter", "[VIP] Mia Wong"]
    with Store(path) as store:
        specs = []
        for i in range(count):
            name = f"{names[i % len(names)]} {i}"
            specs.append(
                {
                    "thread_key": f"1204518:stats-{i}",
                    "fingerprint": f"fp-{i}",
                    "fields": {
                        "campaign_id": 1204518,
                        "lead_id": 100000 + i,
                        "lead_label": f"{name} <lead{i}@example.com>",
                        "campaign_name": "Q4 Fintech CFOs",
                        "body": body.format(name=name),
                        "email_stats_id": f"stats-{i}",
                    },
                    "endpoint": "/email-campaigns/send-email-thread",
                    "request_body": {
                        "campaignId": 1204518,
                        "emailStatsId": f"stats-{i}",
                        "emailBody": body.format(name=name),
                    },
                    "lead_label": f"{name} <lead{i}@example.com>",
                    "campaign_id": 1204518,
                    "state": "queued" if i < delivered + in_flight else "held",
                }
            )
        ids = store.create_entries(specs)
        for n, entry_id in enumerate(ids):
            if n < delivered + in_flight:
                store.set_message_id(entry_id, f"<bench-{n}@mail.outreach-acme.io>")
                done = n < delivered
                store.record_status(
                    entry_id,
                    status="COMPLETED" if done else "QUEUED",
                    status_message="Email sent successfully!" if done else "Email is queued",
                    event_time="2026-03-12T11:29:05.173Z" if done else None,
                )
            elif n < delivered + in_flight + held + failed:
                if n >= delivered + in_flight + held:
                    store.transition(entry_id, "sending")
                    store.transition(entry_id, "send-failed", error="SmartLead refused (400)")
            else:
                store.transition(entry_id, "sending")
                store.transition(entry_id, "unknown", error="no answer within 20 s")


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def measure(db: Path, tracking: bool) -> dict[str, Any]:
    import dataclasses

    from smartlead_tui.config import Settings
    from smartlead_tui.sandbox import SandboxServer
    from smartlead_tui.tui.app import SmartleadApp
    from smartlead_tui.tui.screens.outbox import OutboxScreen
    from smartlead_tui.tui.tracking import ReplyStatusChanged, TrackingDriver
    from smartlead_tui.tui.widgets.status_table import StatusTable

    with SandboxServer() as server:
        settings = dataclasses.replace(
            Settings(), api_key=server.api_key, base_url=server.base_url, timezone="UTC"
        )
        app = SmartleadApp(settings, demo=True, store_path=db)
        if not tracking:
            app.tracking = TrackingDriver(app, enabled=False)  # type: ignore[attr-defined]
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            start = time.perf_counter()
            app.open_outbox()
            while not (isinstance(app.screen, OutboxScreen) and app.screen.loaded):
                await asyncio.sleep(0.001)
            await pilot.pause()
            screen = app.screen
            assert screen.first_paint_at is not None and screen.loaded_at is not None
            first_paint = screen.first_paint_at - start
            all_rows = screen.loaded_at - start
            table = screen.query_one(StatusTable)
            rows = table.row_count
            rss_open = rss_mb()

            table.focus()

            async def key_times(key: str, count: int) -> list[float]:
                times = []
                for _ in range(count):
                    t = time.perf_counter()
                    await pilot.press(key)
                    await pilot.pause()
                    times.append(time.perf_counter() - t)
                return times

            # What Pilot itself costs per key (a key nothing is bound to): the baseline.
            baseline = await key_times("x", 15)
            pages = await key_times("pagedown", 30)
            t = time.perf_counter()
            await pilot.press("end")
            await pilot.pause()
            end_key = time.perf_counter() - t

            # In-place updates: what the tracker's messages cost the panel.
            ids = [int(str(table.coordinate_to_cell_key((r, 0)).row_key.value)) for r in range(50)]
            t = time.perf_counter()
            for entry_id in ids:
                screen.post_message(ReplyStatusChanged(entry_id, "status"))
            await pilot.pause()
            updates = time.perf_counter() - t
            return {
                "open_s": first_paint,
                "all_rows_s": all_rows,
                "rows": rows,
                "pgdn_median_ms": statistics.median(pages) * 1000,
                "baseline_ms": statistics.median(baseline) * 1000,
                "pgdn_max_ms": max(pages) * 1000,
                "end_ms": end_key * 1000,
                "update50_ms": updates * 1000,
                "rss_mb": rss_open,
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--no-tracker",
        action="store_true",
        help="measure the panel alone (by default the tracker works through the 700 in-flight "
        "replies at the same time, against a sandbox in this same process)",
    )
    parser.add_argument("--child", metavar="DB", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(asyncio.run(measure(Path(args.child), not args.no_tracker))))
        return 0
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "outbox.sqlite3"
        started = time.perf_counter()
        seed(db, args.entries)
        print(
            f"seeded {args.entries} entries in {time.perf_counter() - started:.1f} s",
            file=sys.stderr,
        )
        results = []
        for _ in range(args.runs):
            extra = ["--no-tracker"] if args.no_tracker else []
            done = subprocess.run(
                [sys.executable, __file__, "--child", str(db), *extra],
                capture_output=True,
                text=True,
                timeout=120,
                check=True,
            )
            results.append(json.loads(done.stdout.strip().splitlines()[-1]))

    def med(key: str) -> float:
        return statistics.median(r[key] for r in results)

    tracker = "tracker idle" if args.no_tracker else "tracker polling 700 in-flight replies"
    print(
        f"\nStatus panel, {args.entries} replies, 120x40 headless, {tracker}, "
        f"median of {args.runs} runs\n"
    )
    print("| measure | result | target |")
    print("|---|---|---|")
    print(
        f"| open: first rows painted | {med('open_s') * 1000:.0f} ms "
        f"(max {max(r['open_s'] for r in results) * 1000:.0f}) | < 1 s |"
    )
    print(
        f"| open: all rows in the table | {med('all_rows_s') * 1000:.0f} ms "
        f"(max {max(r['all_rows_s'] for r in results) * 1000:.0f}) | |"
    )
    print(
        f"| page down, key to repainted frame (median / max) | {med('pgdn_median_ms'):.0f} / "
        f"{max(r['pgdn_max_ms'] for r in results):.0f} ms | no visible lag |"
    )
    print(
        f"| ... of which Pilot's own per-key overhead (unbound key) | "
        f"{med('baseline_ms'):.0f} ms | |"
    )
    print(f"| end key (jump to last row) | {med('end_ms'):.0f} ms | |")
    print(f"| 50 in-place row updates | {med('update50_ms'):.0f} ms | |")
    print(
        f"| RSS after open (peak) | {med('rss_mb'):.0f} MB "
        f"({max(r['peak_rss_mb'] for r in results):.0f} MB) | < 150 MB |"
    )
    print(f"| rows shown | {results[0]['rows']} | |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
