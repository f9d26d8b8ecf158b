"""A writer in a process of its own, for the etcd watch benchmark.

Run as ``python -m bench.etcd_writer ENDPOINT PREFIX COUNT RATE SIZE``: opens an
``EtcdStore`` on ``ENDPOINT`` and creates ``COUNT`` keys under ``PREFIX`` on a
clock of ``RATE`` per second, as another API server sharing the etcd cluster
would. Each value starts with the ``time.perf_counter()`` reading taken just before
its create, in a fixed width (``SENT_WIDTH`` bytes), padded to ``SIZE`` bytes; on
Linux that clock is the system-wide monotonic clock, so the watching process can
subtract it from its own reading. The last line on stdout is
``done SECONDS FAILURES``.
"""

from __future__ import annotations

import asyncio
import sys
from time import perf_counter

from bench.load import paced
from kubelite.store.etcd import EtcdStore

SENT_WIDTH = 24


def sent_at(value: bytes) -> float:
    """The send time a value of this writer carries."""
    return float(value[:SENT_WIDTH])


async def write(endpoint: str, prefix: str, count: int, rate: float, size: int) -> None:
    store = await EtcdStore.open([endpoint])
    padding = b"x" * max(0, size - SENT_WIDTH)

    async def create(index: int) -> None:
        sent = f"{perf_counter():<{SENT_WIDTH}.9f}".encode()
        await store.create(f"{prefix}{index:07d}", sent + padding)

    try:
        seconds, failures = await paced(create, count=count, rate=rate)
        print(f"done {seconds:.6f} {failures}", flush=True)
    finally:
        await store.close()


async def run_external(
    endpoint: str, prefix: str, *, count: int, rate: float, size: int
) -> tuple[float, int]:
    """Run this writer in a child process; (seconds it took, failed writes)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.etcd_writer",
        endpoint,
        prefix,
        str(count),
        str(rate),
        str(size),
        stdout=asyncio.subprocess.PIPE,
    )
    output, _ = await process.communicate()
    last = output.decode().strip().splitlines()[-1:] or [""]
    word, _, rest = last[0].partition(" ")
    if process.returncode != 0 or word != "done":
        raise RuntimeError(f"the external writer failed with {process.returncode}: {last[0]!r}")
    seconds, failures = rest.split()
    return float(seconds), int(failures)


def main() -> None:
    endpoint, prefix, count, rate, size = sys.argv[1:6]
    asyncio.run(write(endpoint, prefix, int(count), float(rate), int(size)))


if __name__ == "__main__":
    main()
