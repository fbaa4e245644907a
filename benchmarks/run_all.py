"""Run every benchmark and print one combined Markdown table (also written to RESULTS.md).

    python benchmarks/run_all.py [--only startup,inbox,...] [--budget 290] [--no-write]

A full run writes benchmarks/RESULTS.md; `--only` runs a subset and just prints it.

Runs, one after another so they do not disturb each other's timings: start-up (tmux), inbox and
thread (headless), the 10,000-reply status panel, polling efficiency against a rate-limited
sandbox (fast clock), and keystroke-to-paint latency in the composer (tmux). Each benchmark
prints its own Markdown table(s); this script collects their rows into one table (benchmark,
measure, result, target) and keeps each one's full output below it in RESULTS.md.

Bounded: every benchmark has a timeout, and all of them share a total budget (default 290 s);
one that fails or runs out of time shows as such in the table, the others still run.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS.md"
#: The order figures are shown in (median first, the rest in brackets).
ORDER = ("median", "p90", "min", "max")


@dataclass(frozen=True)
class Bench:
    name: str
    script: str
    args: tuple[str, ...]
    timeout: float
    what: str


BENCHES = [
    Bench("startup", "startup.py", ("--runs", "5"), 90, "cold start to first paint, in tmux"),
    Bench(
        "inbox", "inbox.py", ("--runs", "3", "--opens", "10"), 120, "inbox and 50-message thread"
    ),
    Bench("outbox", "outbox_panel.py", ("--runs", "3"), 150, "status panel over 10,000 replies"),
    Bench("polling", "polling.py", ("--mode", "both"), 180, "200 replies to COMPLETED, 60/min"),
    Bench("keystroke", "keystroke.py", ("--keys", "100"), 90, "compose body, key to paint"),
    Bench("compose-open", "compose_open.py", ("--opens", "10"), 60, "r to a ready composer"),
]


@dataclass
class Outcome:
    bench: Bench
    seconds: float = 0.0
    stdout: str = ""
    stderr: str = ""
    failure: str | None = None
    rows: list[tuple[str, str, str]] = field(default_factory=list)  # measure, result, target


# -- running ---------------------------------------------------------------------------------


def run(bench: Bench, timeout: float) -> Outcome:
    outcome = Outcome(bench)
    started = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, str(HERE / bench.script), *bench.args],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=HERE.parent,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    except subprocess.TimeoutExpired as exc:
        outcome.seconds = time.perf_counter() - started
        outcome.stdout = _text(exc.stdout)
        outcome.stderr = _text(exc.stderr)
        outcome.failure = f"stopped after {timeout:.0f} s (time limit)"
        return outcome
    outcome.seconds = time.perf_counter() - started
    outcome.stdout, outcome.stderr = done.stdout, done.stderr
    if done.returncode != 0:
        last = next((ln for ln in reversed(done.stderr.splitlines()) if ln.strip()), "")
        outcome.failure = f"exit {done.returncode}: {last.strip()[:160]}"
        return outcome
    outcome.rows = combined_rows(done.stdout)
    if not outcome.rows:
        outcome.failure = "printed no table"
    return outcome


def _text(data: str | bytes | None) -> str:
    if data is None:
        return ""
    return data.decode("utf-8", "replace") if isinstance(data, bytes) else data


# -- reading the benchmarks' tables --------------------------------------------------------------


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def tables(text: str) -> list[tuple[str, list[str], list[list[str]]]]:
    """Every Markdown table in `text`: (the line of context above it, header, rows)."""
    found: list[tuple[str, list[str], list[list[str]]]] = []
    lines = text.splitlines()
    context = ""
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        is_header = (
            line.startswith("|")
            and i + 1 < len(lines)
            and re.fullmatch(r"\|[\s:|-]+\|", lines[i + 1].strip()) is not None
        )
        if is_header:
            header = [h.lower() for h in _cells(line)]
            rows = []
            i += 2
            while i < len(lines) and lines[i].strip().startswith("|"):
                rows.append(_cells(lines[i]))
                i += 1
            found.append((context, header, rows))
            continue
        if line and not line.startswith("("):
            context = line.lstrip("#").strip()
        i += 1
    return found


def combined_rows(text: str) -> list[tuple[str, str, str]]:
    """(measure, result, target) for every row of every table a benchmark printed.

    Columns are recognised by name: the first is the measure; `target` (and the unnamed
    verdict column after it) make the target; `unit` is appended to the figures; median comes
    first, the other figures go in brackets.
    """
    out: list[tuple[str, str, str]] = []
    several = len(tables(text)) > 1
    for context, header, rows in tables(text):
        prefix = _short_context(context) if several else ""
        for row in rows:
            cells = dict(zip(header, row, strict=False))
            values = [(h, v) for h, v in zip(header[1:], row[1:], strict=False)]
            unit = cells.get("unit", "")
            target = cells.get("target", "")
            verdict = next((v for h, v in values if h == "" and v), "")
            if verdict:
                target = f"{target} ({verdict})" if target else verdict
            figures = [(h, v) for h, v in values if h not in ("unit", "target", "") and v]
            figures.sort(key=lambda hv: ORDER.index(hv[0]) if hv[0] in ORDER else len(ORDER))
            result = _figures(figures, unit)
            measure = f"{prefix}: {row[0]}" if prefix else row[0]
            out.append((measure, result, target))
    return out


def _short_context(context: str) -> str:
    return re.sub(r"\s*\(.*\)\s*$", "", context)


def _figures(figures: list[tuple[str, str]], unit: str) -> str:
    def with_unit(value: str) -> str:
        return f"{value} {unit}" if unit and re.fullmatch(r"[\d.]+", value) else value

    if not figures:
        return "—"
    if len(figures) == 1:
        return with_unit(figures[0][1])
    (first_name, first), rest = figures[0], figures[1:]
    lead = f"{with_unit(first)} {first_name}" if first_name == "median" else with_unit(first)
    return f"{lead} ({', '.join(f'{h} {with_unit(v)}' for h, v in rest)})"


# -- reporting -------------------------------------------------------------------------------


def combined_table(outcomes: list[Outcome]) -> str:
    lines = ["| benchmark | measure | result | target |", "|---|---|---|---|"]
    for outcome in outcomes:
        name = outcome.bench.name
        if outcome.failure:
            lines.append(f"| {name} | — | **FAILED**: {_escape(outcome.failure)} | |")
        for measure, result, target in outcome.rows:
            lines.append(f"| {name} | {_escape(measure)} | {_escape(result)} | {_escape(target)} |")
    return "\n".join(lines)


def _escape(text: str) -> str:
    return text.replace("|", "\\|")


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        from importlib.metadata import version

        textual = version("textual")
    except Exception:
        textual = "?"
    return (
        f"{cpu}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, Textual {textual}"
    )


def document(outcomes: list[Outcome], total: float) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    parts = [
        "# Benchmark results",
        "",
        f"Made by `python benchmarks/run_all.py` on {when}, in {total:.0f} s.  ",
        f"Machine: {machine()}.",
        "",
        combined_table(outcomes),
        "",
        "## What each one measures, and its full output",
        "",
    ]
    for outcome in outcomes:
        bench = outcome.bench
        command = " ".join(["python", f"benchmarks/{bench.script}", *bench.args])
        parts += [
            f"### {bench.name}: {bench.what}",
            "",
            f"`{command}` ({outcome.seconds:.0f} s)",
            "",
            "```text",
            (outcome.stdout.strip() or "(no output)"),
            "```",
            "",
        ]
        if outcome.failure and outcome.stderr.strip():
            tail = "\n".join(outcome.stderr.strip().splitlines()[-15:])
            parts += ["stderr (last lines):", "", "```text", tail, "```", ""]
    return "\n".join(parts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    names = [b.name for b in BENCHES]
    parser.add_argument(
        "--only",
        help=f"comma-separated subset of: {', '.join(names)} (then {RESULTS.name} is not written)",
    )
    parser.add_argument("--budget", type=float, default=290.0, help="total seconds (default 290)")
    parser.add_argument("--no-write", action="store_true", help=f"do not write {RESULTS.name}")
    args = parser.parse_args()
    chosen = BENCHES
    if args.only:
        wanted = {n.strip() for n in args.only.split(",") if n.strip()}
        unknown = wanted - set(names)
        if unknown:
            parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
        chosen = [b for b in BENCHES if b.name in wanted]

    started = time.perf_counter()
    outcomes: list[Outcome] = []
    for bench in chosen:
        left = args.budget - (time.perf_counter() - started)
        if left < 10:
            outcomes.append(Outcome(bench, failure="skipped: the time budget is used up"))
            continue
        print(f"running {bench.name} ({bench.what})…", file=sys.stderr, flush=True)
        outcome = run(bench, min(bench.timeout, left))
        print(
            f"  {outcome.seconds:.0f} s" + (f", {outcome.failure}" if outcome.failure else ""),
            file=sys.stderr,
            flush=True,
        )
        outcomes.append(outcome)
    total = time.perf_counter() - started

    print(combined_table(outcomes))
    if not (args.no_write or args.only):  # RESULTS.md always holds one complete run
        RESULTS.write_text(document(outcomes, total), encoding="utf-8")
        print(f"\n(written to {RESULTS.relative_to(HERE.parent)}; {total:.0f} s in all)")
    return 1 if any(o.failure for o in outcomes) else 0


if __name__ == "__main__":
    raise SystemExit(main())
