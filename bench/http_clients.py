"""HTTP clients for the operator framework's client (issue #6): what a request
costs the caller, with aiohttp and with httpx.

Run ``python -m bench.http_clients`` (``--quick`` for a smoke run). A
``kubelite server`` runs in a process of its own with 1,000 pods; each client
runs in a process of its own too, and does, in turn:

- GETs of one pod from 16 concurrent tasks over one client (its connection
  pool), for some seconds;
- lists of the 1,000 pods, one after another.

For each: requests per second, and the client process's CPU time per request
(user + system), which is what an operator pays whatever the server's speed.
Both clients decode the bodies with ``orjson``; both keep their connections
alive. aiohttp is already kubelite's server; httpx is what lightkube and kr8s
use.
"""

from __future__ import annotations

import asyncio
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import orjson

from bench.apiserver import Kubelite, describe_machine, load_client
from bench.cli import bench_main

CLIENTS = ("aiohttp", "httpx")
TASKS = 16
PODS = 1000


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _timed(
    get: Callable[[str], Awaitable[Any]], path: str, tasks: int, seconds: float
) -> dict[str, float]:
    count = 0
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal count
        while time.perf_counter() < deadline:
            await get(path)
            count += 1

    cpu, started = _cpu(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(tasks)))
    elapsed, used = time.perf_counter() - started, _cpu() - cpu
    return {"per_second": count / elapsed, "cpu_us_per_request": used / count * 1e6}


async def measure(name: str, base: str, seconds: float) -> dict[str, Any]:
    pod_path = "/api/v1/namespaces/default/pods/p0"
    list_path = "/api/v1/namespaces/default/pods"
    if name == "aiohttp":
        import aiohttp

        async with aiohttp.ClientSession(base) as session:

            async def get(path: str) -> Any:
                async with session.get(path) as response:
                    return orjson.loads(await response.read())

            return await _run(get, pod_path, list_path, seconds)
    if name == "httpx":
        import httpx

        limits = httpx.Limits(max_connections=TASKS, max_keepalive_connections=TASKS)
        async with httpx.AsyncClient(base_url=base, limits=limits) as client:

            async def get(path: str) -> Any:
                response = await client.get(path)
                return orjson.loads(response.content)

            return await _run(get, pod_path, list_path, seconds)
    raise SystemExit(f"unknown client {name!r}")


async def _run(
    get: Callable[[str], Awaitable[Any]], pod_path: str, list_path: str, seconds: float
) -> dict[str, Any]:
    await get(pod_path)  # connect, warm up
    gets = await _timed(get, pod_path, TASKS, seconds)
    lists = await _timed(get, list_path, 1, seconds)
    return {"get": gets, "list": lists}


def run(*, quick: bool) -> dict[str, Any]:
    rounds, seconds = (1, 1.0) if quick else (3, 3.0)
    results: dict[str, Any] = {"machine": describe_machine(), "rounds": rounds}
    with tempfile.TemporaryDirectory(prefix="kubelite-bench-clients-") as scratch:
        server = Kubelite(Path(scratch) / "server")
        try:
            server.wait_ready()
            load_client("fill", server.port, "default", "p", 0, PODS, 16)
            base = f"http://127.0.0.1:{server.port}"
            for name in CLIENTS:
                results[name] = []
            for number in range(rounds):
                order = CLIENTS if number % 2 == 0 else tuple(reversed(CLIENTS))
                for name in order:
                    output = subprocess.run(
                        [sys.executable, "-m", "bench.http_clients", "--one", name, base,
                         str(seconds)],
                        check=True, capture_output=True, text=True,
                    ).stdout  # fmt: skip
                    results[name].append(json.loads(output))
        finally:
            server.stop()
    return results


def report(results: dict[str, Any]) -> str:
    machine = results["machine"]

    def median(name: str, what: str, key: str) -> float:
        values = sorted(run[what][key] for run in results[name])
        return float(values[len(values) // 2])

    lines = [
        f"### HTTP clients benchmark, {machine['date']}",
        "",
        f"Machine: {machine['cores']} cores ({machine['cpu']}), Python {machine['python']}; "
        f"{results['rounds']} rounds, medians; GETs from {TASKS} tasks, lists of {PODS:,} pods.",
        "",
        "| client | GET one pod | client CPU per GET | list of 1,000 pods | client CPU per list |",
        "|---|---:|---:|---:|---:|",
    ]
    for name in CLIENTS:
        lines.append(
            f"| {name} | {median(name, 'get', 'per_second'):,.0f}/s | "
            f"{median(name, 'get', 'cpu_us_per_request'):,.0f} µs | "
            f"{median(name, 'list', 'per_second'):,.1f}/s | "
            f"{median(name, 'list', 'cpu_us_per_request') / 1000:,.1f} ms |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    return bench_main(
        __doc__, run, report, argv, one=lambda a: asyncio.run(measure(a[0], a[1], float(a[2])))
    )


if __name__ == "__main__":
    raise SystemExit(main())
