"""Store benchmark: both backends side by side, each beside its raw engine.

Run ``python -m bench.store`` (or ``make bench``); ``--backend sqlite|etcd|all``,
``--quick`` for a smoke run of short figures, ``--output FILE`` to also write the
Markdown report to ``FILE``. A full ``all`` run takes about two minutes.

For each backend (``SqliteStore`` on a file in a temporary directory, ``EtcdStore``
on a fresh ``EtcdServer``), with one 1 KB JSON value for every write:

- writes/s, creates of distinct keys from 1 and from 64 concurrent callers, each
  beside the raw engine's rate measured in the same run: plain ``sqlite3`` inserts
  in WAL mode with ``synchronous=FULL`` (1 row per transaction for 1 writer, 64 rows
  per transaction for 64), or a bare etcd3aio client's puts from 1 and 64 callers.
  Store and engine take turns in rounds of one second, and each figure is the
  median of its rounds, so that a machine shared with other work skews both alike;
- point reads/s, ``get`` of random existing keys from 1 and from 64 callers;
- a list of 10,000 keys under one prefix, in one call and in pages of 500 (ms);
- watch delivery latency (p50, p99, max) to 100 watchers on one prefix while a
  writer paces 1,000 creates/s, and whether every watcher got every event.

Then the ratios the project's goals are judged by: the sqlite store's 64-writer
rate against the raw group-commit rate (goal: at least 50%), the etcd store's
against the bare client's (at least 70%), and the watch p99 (under 20 ms).
The workloads are in ``bench.store_workloads``, the raw engines in
``bench.engines``, the Markdown in ``bench.report``.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import importlib
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from bench import engines
from bench.load import Rate, make_value
from bench.report import BackendResult, Settings, describe_machine, render
from bench.store_workloads import (
    ListMismatchError,
    WatchResult,
    fill_list_prefix,
    list_timing,
    read_rate,
    watch_latency,
    write_rate,
)
from kubelite.store import Store, StoreError
from kubelite.store.etcd import EtcdStore
from kubelite.store.sqlite import SqliteStore
from kubelite.testing.etcd import EtcdServer

FULL = Settings(rounds=5, seconds=1.0, list_seconds=1.5, watch_seconds=3.0, quick=False)
QUICK = Settings(rounds=1, seconds=0.5, list_seconds=0.3, watch_seconds=1.0, quick=True)
# After the watch's writer stops, how long its watchers may take to catch up.
DRAIN_TIMEOUT = 20.0
CALLERS = (1, 64)

T = TypeVar("T")

# The raw engine's write rate for (callers, round).
RawWrites = Callable[[int, int], Awaitable[Rate]]


def _progress(message: str) -> None:
    print(f"# {message}", file=sys.stderr, flush=True)


class FigureFailedError(RuntimeError):
    """A figure could not be measured; the backend's later figures are skipped."""


async def _step(backend: str, name: str, work: Awaitable[T], *, limit: float) -> T:
    """Measure one figure, giving up after ``limit`` seconds."""
    _progress(f"{backend}: {name}")
    try:
        return await asyncio.wait_for(work, limit)
    except TimeoutError as err:
        raise FigureFailedError(f"{name}: no answer within {limit:g} s") from err
    except (StoreError, ListMismatchError) as err:
        raise FigureFailedError(f"{name}: {type(err).__name__}: {err}") from err


async def _measure_writes(
    result: BackendResult,
    store: Store,
    raw: RawWrites,
    settings: Settings,
    value: bytes,
) -> None:
    """The write rates of the store and its raw engine, in alternating rounds.

    Raw then store, store then raw, and so on: drift in the machine's load (it
    may be shared with other work) falls on both alike, and each figure is the
    median of its rounds.
    """
    name = result.backend
    # A rate figure runs for settings.seconds; anything far past that is a hang.
    limit = settings.seconds * 10 + 30
    for callers in CALLERS:
        raw_rounds = result.raw_writes.setdefault(callers, [])
        store_rounds = result.writes.setdefault(callers, [])
        for round_ in range(settings.rounds):
            raw_work = functools.partial(raw, callers, round_)
            store_work = functools.partial(
                write_rate,
                store,
                callers=callers,
                seconds=settings.seconds,
                value=value,
                run=round_,
            )
            steps: list[tuple[str, list[Rate], Callable[[], Awaitable[Rate]]]] = [
                (f"raw engine, {callers} writers", raw_rounds, raw_work),
                (f"store, {callers} writers", store_rounds, store_work),
            ]
            if round_ % 2:
                steps.reverse()
            for label, rounds, work in steps:
                label = f"{label}, round {round_ + 1} of {settings.rounds}"
                rounds.append(await _step(name, label, work(), limit=limit))


async def _measure_store(
    result: BackendResult,
    store: Store,
    settings: Settings,
    value: bytes,
    writer_endpoint: str | None,
) -> None:
    """The store's figures after the writes, each needing only what came before.

    With ``writer_endpoint`` (etcd), the watch figure is also measured with the
    writer in a process of its own.
    """
    name = result.backend
    limit = settings.seconds * 10 + 30
    result.fill = await _step(
        name, "filling the keys to read and list", fill_list_prefix(store, value=value), limit=120
    )
    for callers in CALLERS:
        result.reads[callers] = await _step(
            name,
            f"point reads, {callers} callers",
            read_rate(store, callers=callers, seconds=settings.seconds * settings.rounds),
            limit=limit * settings.rounds,
        )
    result.list_whole = await _step(
        name,
        "lists in one call",
        list_timing(store, paged=False, seconds=settings.list_seconds),
        limit=limit,
    )
    result.list_paged = await _step(
        name,
        "lists in pages",
        list_timing(store, paged=True, seconds=settings.list_seconds),
        limit=limit,
    )

    def watch(writer_endpoint: str | None = None) -> Awaitable[WatchResult]:
        return watch_latency(
            store,
            watchers=100,
            rate=1000.0,
            seconds=settings.watch_seconds,
            value=value,
            drain_timeout=DRAIN_TIMEOUT,
            writer_endpoint=writer_endpoint,
        )

    watch_limit = settings.watch_seconds + DRAIN_TIMEOUT + 90
    result.watch = await _step(name, "watch latency, 100 watchers", watch(), limit=watch_limit)
    if writer_endpoint is not None:
        result.raw_watch = await _step(
            name,
            "watch latency, one bare client watcher, writer in another process",
            engines.etcd_watch_latency(
                writer_endpoint,
                count=round(1000.0 * settings.watch_seconds),
                rate=1000.0,
                size=len(value),
            ),
            limit=watch_limit,
        )
        result.watch_external = await _step(
            name,
            "watch latency, 100 watchers, writer in another process",
            watch(writer_endpoint),
            limit=watch_limit,
        )


async def _measure(
    result: BackendResult,
    store: Store,
    raw: RawWrites,
    settings: Settings,
    value: bytes,
    writer_endpoint: str | None = None,
) -> None:
    """Every figure of one backend; closes the store."""
    try:
        await _measure_writes(result, store, raw, settings, value)
        await _measure_store(result, store, settings, value, writer_endpoint)
    except FigureFailedError as err:
        result.problem = f"stopped early, {err}"
    finally:
        await asyncio.wait_for(store.close(), timeout=60)


async def run_sqlite(settings: Settings, value: bytes) -> BackendResult:
    result = BackendResult(backend="sqlite")
    with tempfile.TemporaryDirectory(prefix="kubelite-bench-") as tmp:

        def raw(callers: int, round_: int) -> Awaitable[Rate]:
            # One writer's ceiling is a commit per row; 64 writers', 64 rows per commit.
            return engines.sqlite_insert_rate(
                Path(tmp) / f"raw-{callers}.db",
                rows_per_txn=callers,
                seconds=settings.seconds,
                value=value,
                run=round_,
            )

        store = await SqliteStore.open(str(Path(tmp) / "store.db"))
        await _measure(result, store, raw, settings, value)
    return result


async def run_etcd(settings: Settings, value: bytes) -> BackendResult:
    result = BackendResult(backend="etcd")
    _progress("etcd: starting a fresh etcd")
    with EtcdServer() as server:
        result.engine_version = await asyncio.to_thread(_etcd_version, server.endpoint)

        def raw(callers: int, round_: int) -> Awaitable[Rate]:
            return engines.etcd_put_rate(
                server.endpoint,
                callers=callers,
                seconds=settings.seconds,
                value=value,
                run=round_,
            )

        store = await EtcdStore.open([server.endpoint])
        await _measure(result, store, raw, settings, value, server.endpoint)
    return result


def _etcd_version(endpoint: str) -> str:
    import json
    import urllib.request

    with urllib.request.urlopen(f"{endpoint}/version", timeout=5) as response:
        version: dict[str, str] = json.load(response)
    return version.get("etcdserver", "unknown")


Runner = Callable[[Settings, bytes], Awaitable[BackendResult]]
RUNNERS: dict[str, Runner] = {"sqlite": run_sqlite, "etcd": run_etcd}


async def _main(backends: list[str], settings: Settings) -> list[BackendResult]:
    value = make_value()
    return [await RUNNERS[name](settings, value) for name in backends]


def _event_loop() -> tuple[str, Callable[[], asyncio.AbstractEventLoop]]:
    """uvloop when it happens to be installed, else asyncio's own loop."""
    try:
        uvloop = importlib.import_module("uvloop")
    except ImportError:
        return "asyncio", asyncio.new_event_loop
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return "uvloop", factory


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.store", description=__doc__.split("\n", 1)[0] if __doc__ else None
    )
    parser.add_argument("--backend", choices=["sqlite", "etcd", "all"], default="all")
    parser.add_argument("--quick", action="store_true", help="short figures, for a smoke run")
    parser.add_argument("--output", type=Path, help="also write the Markdown report here")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    settings = QUICK if args.quick else FULL
    backends = ["sqlite", "etcd"] if args.backend == "all" else [args.backend]
    loop_name, loop_factory = _event_loop()
    # Described before the run, so that the load average is the machine's, not ours.
    machine = describe_machine(loop_name)
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        results = runner.run(_main(backends, settings))
    report = render(results, machine, settings)
    print(report)
    if args.output is not None:
        args.output.write_text(report)
    return 0 if all(result.problem is None for result in results) else 1


if __name__ == "__main__":
    sys.exit(main())
