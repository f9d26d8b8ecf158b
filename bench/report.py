"""The store benchmark's results and their Markdown rendering.

A figure that was not measured (a backend that could not be imported, or was not
asked for) prints as ``n/a``; the goal table says ``not measured`` rather than
guessing.
"""

from __future__ import annotations

import datetime
import math
import os
import platform
import sqlite3
import statistics
from dataclasses import dataclass, field
from pathlib import Path

from bench.load import VALUE_SIZE, Rate, Spread
from bench.store_workloads import LIST_KEYS, PAGE_SIZE, ListTiming, WatchResult

SQLITE_GOAL = 0.50
ETCD_GOAL = 0.70
WATCH_P99_GOAL_MS = 20.0


@dataclass(frozen=True, slots=True)
class Settings:
    """How long each figure runs, in seconds; write rates are measured in rounds."""

    rounds: int
    seconds: float
    list_seconds: float
    watch_seconds: float
    quick: bool


@dataclass(slots=True)
class BackendResult:
    """Everything measured for one backend; keys of the dicts are caller counts.

    ``writes`` and ``raw_writes`` hold one rate per round. ``raw_writes`` is keyed
    like ``writes``: for sqlite the key is also the rows per transaction of the raw
    inserts (1 for one writer, 64 for 64).
    """

    backend: str
    # Why some figures are missing, when they are.
    problem: str | None = None
    engine_version: str | None = None
    writes: dict[int, list[Rate]] = field(default_factory=dict)
    raw_writes: dict[int, list[Rate]] = field(default_factory=dict)
    fill: Rate | None = None
    reads: dict[int, Rate] = field(default_factory=dict)
    list_whole: ListTiming | None = None
    list_paged: ListTiming | None = None
    watch: WatchResult | None = None
    # The same watch figure with the writer in a process of its own (etcd only),
    # and one bare client watcher's latency under that writer, etcd's own.
    watch_external: WatchResult | None = None
    raw_watch: Spread | None = None


@dataclass(frozen=True, slots=True)
class Machine:
    date: str
    cores: int
    cpu: str
    memory_gib: float
    python: str
    sqlite: str
    event_loop: str
    load: tuple[float, float, float]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return math.nan


def describe_machine(event_loop: str) -> Machine:
    return Machine(
        date=datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        cores=os.cpu_count() or 0,
        cpu=_cpu_model(),
        memory_gib=_memory_gib(),
        python=platform.python_version(),
        sqlite=sqlite3.sqlite_version,
        event_loop=event_loop,
        load=os.getloadavg(),
    )


def _rate(rate: Rate | None) -> str:
    return "n/a" if rate is None else f"{rate.per_second:,.0f}/s"


def _median(rounds: list[Rate] | None) -> float | None:
    if not rounds:
        return None
    return statistics.median(rate.per_second for rate in rounds)


def _rounds(rounds: list[Rate] | None) -> str:
    """The median of the rounds, with their range when there were several."""
    median = _median(rounds)
    if median is None or rounds is None:
        return "n/a"
    if len(rounds) == 1:
        return f"{median:,.0f}/s"
    low = min(rate.per_second for rate in rounds)
    high = max(rate.per_second for rate in rounds)
    return f"{median:,.0f}/s ({low:,.0f}-{high:,.0f})"


def _ratio(part: list[Rate] | None, whole: list[Rate] | None) -> float | None:
    part_median, whole_median = _median(part), _median(whole)
    if part_median is None or not whole_median:
        return None
    return part_median / whole_median


def _percent(ratio: float | None) -> str:
    return "n/a" if ratio is None else f"{ratio:.0%}"


def _ms(seconds: float) -> str:
    if math.isnan(seconds):
        return "n/a"
    if math.isinf(seconds):
        return "never delivered"
    return f"{seconds * 1000:,.1f} ms"


def _list(timing: ListTiming | None) -> str:
    if timing is None:
        return "n/a"
    return f"{timing.median_ms:.0f} ms (min {timing.min_ms:.0f}, {timing.runs} runs)"


def _by_name(results: list[BackendResult]) -> dict[str, BackendResult]:
    return {result.backend: result for result in results}


def _writes_table(results: dict[str, BackendResult]) -> list[str]:
    sqlite = results.get("sqlite", BackendResult("sqlite"))
    etcd = results.get("etcd", BackendResult("etcd"))
    lines = [
        "| writers | sqlite store | raw sqlite3 | store / raw "
        "| etcd store | bare etcd3aio | store / raw |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for callers in (1, 64):
        txn = "1 row/txn" if callers == 1 else "64 rows/txn"
        raw_sqlite = sqlite.raw_writes.get(callers)
        raw_cell = "n/a" if not raw_sqlite else f"{_rounds(raw_sqlite)}, {txn}"
        lines.append(
            f"| {callers} "
            f"| {_rounds(sqlite.writes.get(callers))} | {raw_cell} "
            f"| {_percent(_ratio(sqlite.writes.get(callers), raw_sqlite))} "
            f"| {_rounds(etcd.writes.get(callers))} | {_rounds(etcd.raw_writes.get(callers))} "
            f"| {_percent(_ratio(etcd.writes.get(callers), etcd.raw_writes.get(callers)))} |"
        )
    return lines


def _reads_table(results: dict[str, BackendResult]) -> list[str]:
    names = [name for name in ("sqlite", "etcd") if name in results]
    rows: list[tuple[str, list[str]]] = [
        ("point get, 1 caller", [_rate(results[n].reads.get(1)) for n in names]),
        ("point get, 64 callers", [_rate(results[n].reads.get(64)) for n in names]),
        (f"list {LIST_KEYS:,} keys, one call", [_list(results[n].list_whole) for n in names]),
        (
            f"list {LIST_KEYS:,} keys, pages of {PAGE_SIZE}",
            [_list(results[n].list_paged) for n in names],
        ),
        (
            f"(filling those {LIST_KEYS:,} keys, 64 writers)",
            [_rate(results[n].fill) for n in names],
        ),
    ]
    lines = ["| figure | " + " | ".join(names) + " |"]
    lines.append("|---|" + "---:|" * len(names))
    lines.extend(f"| {label} | " + " | ".join(cells) + " |" for label, cells in rows)
    return lines


def _watch_table(results: dict[str, BackendResult]) -> list[str]:
    columns = [
        (n, results[n].watch, "writer in-process") for n in ("sqlite", "etcd") if n in results
    ]
    if "etcd" in results:
        columns.append(("etcd", results["etcd"].watch_external, "writer in another process"))
    names = [f"{name} store, {where}" for name, _, where in columns]
    watches = [watch for _, watch, _ in columns]

    def cells(pick: str) -> str:
        out = []
        for watch in watches:
            if watch is None:
                out.append("n/a")
            elif pick == "rate":
                out.append(f"{watch.achieved_rate:,.0f}/s (paced {watch.paced_rate:,.0f}/s)")
            elif pick == "events":
                out.append(f"{watch.watchers} x {watch.writes:,}")
            elif pick == "complete":
                out.append(("yes: " if watch.complete else "**no**: ") + watch.detail)
            else:
                out.append(_ms(getattr(watch.latency, pick)))
        return " | ".join(out)

    lines = ["| figure | " + " | ".join(names) + " |"]
    lines.append("|---|" + "---:|" * len(names))
    lines.append(f"| watchers x events | {cells('events')} |")
    lines.append(f"| writes | {cells('rate')} |")
    lines.append(f"| latency p50 | {cells('p50')} |")
    lines.append(f"| latency p99 | {cells('p99')} |")
    lines.append(f"| latency max | {cells('max')} |")
    lines.append(f"| every watcher got every event | {cells('complete')} |")
    raw = results["etcd"].raw_watch if "etcd" in results else None
    if raw is not None:
        lines += [
            "",
            "Beside it, etcd's own delivery on this machine in the same run: one bare "
            f"etcd3aio watcher under the same external writer, p50 {_ms(raw.p50)}, "
            f"p99 {_ms(raw.p99)}, max {_ms(raw.max)} ({raw.count:,} events).",
        ]
    return lines


def _verdict(value: float | None, met: bool) -> str:
    if value is None:
        return "not measured"
    return "**met**" if met else "**not met**"


def _goals_table(results: dict[str, BackendResult]) -> list[str]:
    lines = ["| goal | measured | verdict |", "|---|---:|---|"]
    sqlite = results.get("sqlite")
    if sqlite is not None:
        ratio = _ratio(sqlite.writes.get(64), sqlite.raw_writes.get(64))
        lines.append(
            "| sqlite store, 64 writers >= 50% of raw group-commit inserts "
            f"| {_percent(ratio)} | {_verdict(ratio, ratio is not None and ratio >= SQLITE_GOAL)} |"
        )
    etcd = results.get("etcd")
    if etcd is not None:
        ratio = _ratio(etcd.writes.get(64), etcd.raw_writes.get(64))
        lines.append(
            "| etcd store, 64 writers >= 70% of the bare client at 64 "
            f"| {_percent(ratio)} | {_verdict(ratio, ratio is not None and ratio >= ETCD_GOAL)} |"
        )
    watches = []
    if sqlite is not None:
        watches.append(("sqlite", sqlite.watch))
    if etcd is not None:
        watches.append(("etcd, writer in-process,", etcd.watch))
        watches.append(("etcd, writer in another process,", etcd.watch_external))
    for label, watch in watches:
        if watch is None:
            measured, verdict = "n/a", _verdict(None, False)
        else:
            met = watch.complete and watch.latency.p99 * 1000 < WATCH_P99_GOAL_MS
            measured, verdict = _ms(watch.latency.p99), _verdict(watch.latency.p99, met)
        lines.append(
            f"| {label} watch p99 < 20 ms, every event delivered | {measured} | {verdict} |"
        )
    return lines


def render(results: list[BackendResult], machine: Machine, settings: Settings) -> str:
    """The Markdown section for ``results``."""
    by_name = _by_name(results)
    etcd = by_name.get("etcd")
    etcd_version = etcd.engine_version if etcd is not None and etcd.engine_version else "not run"
    run = "quick smoke run, not for comparison" if settings.quick else "full run"
    rounds = "1 round" if settings.rounds == 1 else f"{settings.rounds} rounds"
    lines = [
        f"### Store benchmark, {machine.date}",
        "",
        f"Machine: {machine.cores} cores ({machine.cpu}), {machine.memory_gib:.1f} GiB memory; "
        f"Python {machine.python} ({machine.event_loop} event loop), SQLite {machine.sqlite}, "
        f"etcd {etcd_version}. Load average before the run: "
        + ", ".join(f"{load:.2f}" for load in machine.load)
        + " (1, 5, 15 min).",
        f"Values of {VALUE_SIZE:,} bytes of JSON ({run}). Write rates: the median of "
        f"{rounds} of {settings.seconds:g} s, store and raw engine taking turns, with "
        f"the range in brackets; reads: {settings.rounds * settings.seconds:g} s each.",
        "",
    ]
    for result in results:
        if result.problem is not None:
            lines += [f"**{result.backend}**: {result.problem}.", ""]
    lines += ["#### Writes (creates of distinct keys), beside the raw engine", ""]
    lines += [*_writes_table(by_name), ""]
    lines += ["#### Reads and lists", "", *_reads_table(by_name), ""]
    lines += [
        f"#### Watch: 100 watchers, writer paced at 1,000 creates/s "
        f"for {settings.watch_seconds:g} s",
        "",
        *_watch_table(by_name),
        "",
    ]
    lines += ["#### Goals", "", *_goals_table(by_name), ""]
    return "\n".join(lines)
