"""The raw engines under each store backend, measured the way the stores use them.

These are ceilings: a store cannot write faster than its engine does with nothing
on top. Each is measured with the benchmark's value size and key shape.

- sqlite: plain ``sqlite3`` on one thread, a file in WAL mode with
  ``synchronous=FULL`` (the store's default), inserting distinct keys. Either one
  row per transaction (the ceiling for one writer) or ``executemany`` of 64 rows per
  transaction (group commit, the ceiling for 64 concurrent writers).
- etcd: a bare ``etcd3aio`` client (the library the etcd backend speaks through)
  putting distinct keys from 1 or 64 concurrent callers over one channel; and one
  bare watcher's delivery latency while ``bench.etcd_writer`` paces creates from a
  process of its own.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncGenerator
from pathlib import Path
from time import perf_counter
from typing import Any, cast

from etcd3aio import Etcd3Client

from bench import etcd_writer
from bench.load import Rate, Spread, closed_loop, spread
from kubelite.store.keys import prefix_end


def _sqlite_inserts(
    path: Path, *, rows_per_txn: int, seconds: float, value: bytes, run: int
) -> Rate:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value BLOB NOT NULL)")
        count = 0
        start = perf_counter()
        deadline = start + seconds
        while perf_counter() < deadline:
            rows = [(f"/raw/{run}/{count + i:09d}", value) for i in range(rows_per_txn)]
            conn.execute("BEGIN")
            conn.executemany("INSERT INTO kv (key, value) VALUES (?, ?)", rows)
            conn.execute("COMMIT")
            count += rows_per_txn
        return Rate(count=count, seconds=perf_counter() - start)
    finally:
        conn.close()


async def sqlite_insert_rate(
    path: Path, *, rows_per_txn: int, seconds: float, value: bytes, run: int = 0
) -> Rate:
    """Rows inserted per second into the database at ``path``.

    Runs on a thread of its own so the event loop stays free; the thread is the only
    one touching the database. Keys are distinct for distinct ``run`` numbers, so
    several runs can share one database.
    """
    return await asyncio.to_thread(
        _sqlite_inserts, path, rows_per_txn=rows_per_txn, seconds=seconds, value=value, run=run
    )


def client_address(endpoint: str) -> str:
    """``host:port`` from an ``http://host:port`` endpoint, as etcd3aio wants it."""
    return endpoint.removeprefix("http://").removeprefix("https://")


async def etcd_put_rate(
    endpoint: str, *, callers: int, seconds: float, value: bytes, run: int = 0
) -> Rate:
    """Puts of distinct keys per second from ``callers`` concurrent callers.

    Each call connects a new client, as a fresh process would; keys are distinct
    for distinct ``(callers, run)``.
    """
    async with Etcd3Client([client_address(endpoint)]) as client:
        kv = client.kv
        if kv is None:
            raise RuntimeError("etcd3aio client did not connect")
        # The first call opens the channel; keep it out of the measurement.
        prefix = f"/raw/{callers}/{run}/"
        await kv.put(f"{prefix}warmup", value)

        async def put(caller: int, count: int) -> None:
            await kv.put(f"{prefix}{caller:03d}/{count:09d}", value)

        return await closed_loop(put, callers=callers, seconds=seconds)


async def etcd_watch_latency(endpoint: str, *, count: int, rate: float, size: int) -> Spread:
    """One bare etcd3aio watcher's delivery latency under a writer in another process."""
    prefix = "/raw-watch/"
    latencies: list[float] = []
    async with Etcd3Client([client_address(endpoint)]) as client:
        if client.watch is None:
            raise RuntimeError("etcd3aio client did not connect")
        stream = client.watch.watch(prefix, prefix_end(prefix))
        # etcd confirms the watch with a first, empty response; the writer starts after.
        await anext(stream)

        async def receive() -> None:
            async for response in stream:
                for event in response.events:
                    latencies.append(perf_counter() - etcd_writer.sent_at(event.kv.value))
                if len(latencies) >= count:
                    return

        receiving = asyncio.create_task(receive())
        try:
            await etcd_writer.run_external(endpoint, prefix, count=count, rate=rate, size=size)
            await asyncio.wait_for(receiving, timeout=20)
        finally:
            receiving.cancel()
            await cast(AsyncGenerator[Any, None], stream).aclose()
    return spread(latencies)
