"""Compare the async etcd clients kubelite could build its etcd backend on.

Run it with ``python -m bench.etcd_clients``. For each client it starts a fresh
etcd member (``kubelite.testing.etcd.EtcdServer``), then measures:

- puts/s from one caller awaiting each put in turn (latency bound);
- puts/s from 64 callers sharing one client (throughput bound);
- watch catch-up: events/s delivered by a watch that starts at the revision
  before a batch of writes already committed, i.e. a replay of history.

Values are 1 KB. Each figure is the median of ``--repeat`` runs. Both clients
run on one channel to one member, as the store would.

Each run is a child process of its own: the two clients ship the same etcd
protobuf definitions, and protobuf refuses to register them twice in one
process, so they cannot even be imported side by side.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from kubelite.testing.etcd import EtcdServer

VALUE = b"x" * 1024


class Driver(Protocol):
    """What the bench asks of a client."""

    async def connect(self) -> None: ...

    async def put(self, key: bytes, value: bytes) -> None: ...

    async def replay(self, prefix: bytes, start_revision: int, expected: int) -> None: ...

    async def revision(self) -> int: ...

    async def close(self) -> None: ...


class Etcd3aioDriver:
    def __init__(self, endpoint: str) -> None:
        from etcd3aio import Etcd3Client

        self._client = Etcd3Client([endpoint])
        self._kv: Any = None
        self._watch: Any = None

    async def connect(self) -> None:
        await self._client.connect()
        self._kv, self._watch = self._client.kv, self._client.watch

    async def put(self, key: bytes, value: bytes) -> None:
        await self._kv.put(key, value)

    async def revision(self) -> int:
        response = await self._kv.get(b"\x00", count_only=True)
        return int(response.header.revision)

    async def replay(self, prefix: bytes, start_revision: int, expected: int) -> None:
        from etcd3aio import prefix_range_end

        seen = 0
        stream = self._watch.watch(
            prefix, range_end=prefix_range_end(prefix), start_revision=start_revision
        )
        async for response in stream:
            seen += len(response.events)
            if seen >= expected:
                break
        await stream.aclose()

    async def close(self) -> None:
        await self._client.close()


class AetcdDriver:
    def __init__(self, endpoint: str) -> None:
        import aetcd  # type: ignore[import-untyped]

        host, _, port = endpoint.rpartition(":")
        self._client: Any = aetcd.Client(host=host, port=int(port))

    async def connect(self) -> None:
        await self._client.connect()

    async def put(self, key: bytes, value: bytes) -> None:
        await self._client.put(key, value)

    async def revision(self) -> int:
        # aetcd's get() has no count_only; a missing key still carries the header.
        response = await self._client.put(b"\x00bench-rev", b"")
        return int(response.header.revision)

    async def replay(self, prefix: bytes, start_revision: int, expected: int) -> None:
        seen = 0
        watch = await self._client.watch_prefix(prefix, start_revision=start_revision)
        async for _event in watch:
            seen += 1
            if seen >= expected:
                break
        await watch.cancel()

    async def close(self) -> None:
        await self._client.close()


@dataclasses.dataclass(frozen=True, slots=True)
class Result:
    sequential: float
    concurrent: float
    catch_up: float


async def timed(work: Callable[[], Awaitable[None]]) -> float:
    started = time.perf_counter()
    await work()
    return time.perf_counter() - started


async def run_once(make: Callable[[str], Driver], args: argparse.Namespace) -> Result:
    with EtcdServer() as server:
        driver = make(server.endpoint.removeprefix("http://"))
        await driver.connect()
        try:
            for i in range(200):  # warm the channel and the server
                await driver.put(b"/warm/%d" % i, VALUE)

            async def sequential() -> None:
                for i in range(args.sequential):
                    await driver.put(b"/seq/%08d" % i, VALUE)

            async def concurrent() -> None:
                async def caller(worker: int) -> None:
                    for i in range(args.concurrent // 64):
                        await driver.put(b"/con/%02d/%08d" % (worker, i), VALUE)

                await asyncio.gather(*(caller(w) for w in range(64)))

            seq_s = await timed(sequential)
            con_s = await timed(concurrent)

            start = await driver.revision() + 1
            for i in range(args.events // 64):
                await asyncio.gather(
                    *(driver.put(b"/replay/%08d" % (i * 64 + j), VALUE) for j in range(64))
                )
            total = (args.events // 64) * 64

            async def replay() -> None:
                await driver.replay(b"/replay/", start, total)

            replay_s = await timed(replay)
        finally:
            await driver.close()
    return Result(
        sequential=args.sequential / seq_s,
        concurrent=(args.concurrent // 64) * 64 / con_s,
        catch_up=total / replay_s,
    )


CLIENTS: dict[str, Callable[[str], Driver]] = {
    "etcd3aio": Etcd3aioDriver,
    "aetcd": AetcdDriver,
}


def run_child(name: str, args: argparse.Namespace) -> Result:
    command = [
        sys.executable,
        "-m",
        "bench.etcd_clients",
        f"--client={name}",
        f"--sequential={args.sequential}",
        f"--concurrent={args.concurrent}",
        f"--events={args.events}",
    ]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return Result(**json.loads(output))


def main(args: argparse.Namespace) -> None:
    if args.client:
        result = asyncio.run(run_once(CLIENTS[args.client], args))
        print(json.dumps(dataclasses.asdict(result)))
        return

    results: dict[str, list[Result]] = {name: [] for name in CLIENTS}
    for _ in range(args.repeat):
        # Interleave the clients so that a noisy moment does not hit only one.
        for name in CLIENTS:
            results[name].append(run_child(name, args))

    print(f"etcd clients, 1 KB values, median of {args.repeat} runs")
    print(f"{'client':<10} {'put/s x1':>10} {'put/s x64':>10} {'catch-up ev/s':>14}")
    for name, runs in results.items():
        print(
            f"{name:<10}"
            f" {statistics.median(r.sequential for r in runs):>10,.0f}"
            f" {statistics.median(r.concurrent for r in runs):>10,.0f}"
            f" {statistics.median(r.catch_up for r in runs):>14,.0f}"
        )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sequential", type=int, default=2_000, help="puts from one caller")
    parser.add_argument("--concurrent", type=int, default=19_200, help="puts from 64 callers")
    parser.add_argument("--events", type=int, default=20_000, help="events to replay")
    parser.add_argument("--client", choices=sorted(CLIENTS), help=argparse.SUPPRESS)
    return parser.parse_args()


if __name__ == "__main__":
    main(parse_args())
