"""Operator frameworks benchmark (issue #6): kubelite's framework beside kopf,
doing the same work on the same kind of server.

Run ``python -m bench.operators_compare`` (``--quick`` for a smoke run). For
each framework in turn, a fresh ``kubelite server`` process gets a ``Widget``
CRD and 1,000 widgets; then the operator starts in a process of its own
(``bench/operators/``) and, for every widget, creates a ConfigMap owned by it
and writes the widget's status. Measured: the seconds from the operator's start
until every widget's status is written (seen on a watch of the widgets), the operator
process's CPU seconds (user + system) and its peak resident memory, read with
``wait4`` when it ends. The goal: kubelite's framework at least 5 times kopf's
throughput, at no more than half its memory.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from bench.apiserver import Kubelite, describe_machine
from bench.cli import bench_main

GROUP = "bench.example.com"
NAMESPACE = "bench"
WIDGETS = f"/apis/{GROUP}/v1/namespaces/{NAMESPACE}/widgets"
HERE = Path(__file__).parent


def crd() -> dict[str, Any]:
    spec = {"type": "object", "properties": {"size": {"type": "integer"}}}
    status = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"widgets.{GROUP}"},
        "spec": {
            "group": GROUP,
            "scope": "Namespaced",
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "subresources": {"status": {}},
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "properties": {"spec": spec, "status": status},
                        }
                    },
                }
            ],
        },
    }


async def prepare(base: str, count: int) -> None:
    async with aiohttp.ClientSession(base) as http:
        await http.post("/api/v1/namespaces", json={"metadata": {"name": NAMESPACE}})
        await http.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", json=crd())
        for _ in range(200):
            async with http.get(f"/apis/{GROUP}/v1") as response:
                if response.status == 200 and "widgets" in await response.text():
                    break
            await asyncio.sleep(0.02)
        semaphore = asyncio.Semaphore(32)

        async def create(number: int) -> None:
            body = {
                "apiVersion": f"{GROUP}/v1",
                "kind": "Widget",
                "metadata": {"name": f"w{number:04d}"},
                "spec": {"size": number},
            }
            async with semaphore, http.post(WIDGETS, json=body) as response:
                if response.status != 201:
                    raise RuntimeError(f"creating a widget answered {response.status}")

        await asyncio.gather(*(create(n) for n in range(count)))


async def revision(base: str) -> str:
    async with aiohttp.ClientSession(base) as http, http.get(WIDGETS) as response:
        return str((await response.json())["metadata"]["resourceVersion"])


async def watch_reconciled(base: str, count: int, since: str, seconds: float) -> int:
    """Follow the widgets from revision ``since`` until ``count`` of them
    have a status naming their ConfigMap (a watch, not polling: lists of
    every widget would take the server's time from the operators)."""
    done: set[str] = set()
    timeout = aiohttp.ClientTimeout(total=seconds)
    params = {"watch": "true", "resourceVersion": since}
    async with (
        aiohttp.ClientSession(base, timeout=timeout) as http,
        http.get(WIDGETS, params=params) as response,
    ):
        async for line in response.content:
            event = json.loads(line)
            obj = event.get("object") or {}
            if "configMap" in json.dumps(obj.get("status") or {}):
                done.add(obj["metadata"]["name"])
                if len(done) >= count:
                    break
    return len(done)


def run_one(framework: str, count: int, scratch: Path) -> dict[str, Any]:
    server = Kubelite(scratch / framework)
    try:
        server.wait_ready()
        base = f"http://127.0.0.1:{server.port}"
        asyncio.run(prepare(base, count))
        env = {**os.environ, "KUBECONFIG": str(scratch / framework / "kubeconfig")}
        if framework == "kubelite":
            command = [sys.executable, "-m", "bench.operators.with_kubelite"]
        else:
            command = [
                sys.executable, "-m", "kopf", "run", "--standalone", "--all-namespaces",
                "--quiet", str(HERE / "operators" / "with_kopf.py"),
            ]  # fmt: skip
        since = asyncio.run(revision(base))
        log = (scratch / f"{framework}.log").open("wb")
        started = time.perf_counter()
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        done = asyncio.run(watch_reconciled(base, count, since, 600))
        elapsed = time.perf_counter() - started
        process.send_signal(signal.SIGTERM)
        try:
            _, _, usage = os.wait4(process.pid, 0)
        finally:
            log.close()
        return {
            "reconciled": done,
            "seconds": elapsed,
            "per_second": done / elapsed,
            "cpu_seconds": usage.ru_utime + usage.ru_stime,
            "peak_mb": usage.ru_maxrss / 1024,
        }
    finally:
        server.stop()


def run(*, quick: bool) -> dict[str, Any]:
    count = 100 if quick else 1000
    results: dict[str, Any] = {"machine": describe_machine(), "count": count}
    with tempfile.TemporaryDirectory(prefix="kubelite-bench-operators-") as scratch:
        for framework in ("kubelite", "kopf"):
            results[framework] = run_one(framework, count, Path(scratch))
    return results


def report(results: dict[str, Any]) -> str:
    machine = results["machine"]
    ours, kopf = results["kubelite"], results["kopf"]
    speed = ours["per_second"] / kopf["per_second"] if kopf["per_second"] else float("inf")
    memory = ours["peak_mb"] / kopf["peak_mb"]
    lines = [
        f"### Operator frameworks benchmark, {machine['date']}",
        "",
        f"Machine: {machine['cores']} cores ({machine['cpu']}), Python {machine['python']}; "
        f"{results['count']:,} widgets, each a ConfigMap and a status write.",
        "",
        "| framework | all reconciled in | throughput | operator CPU | operator peak memory |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, figure in (("kubelite", ours), ("kopf", kopf)):
        lines.append(
            f"| {name} | {figure['seconds']:.2f} s ({figure['reconciled']:,} done) | "
            f"{figure['per_second']:,.0f}/s | {figure['cpu_seconds']:.2f} s | "
            f"{figure['peak_mb']:.0f} MB |"
        )
    lines += [
        "",
        f"kubelite's framework: **{speed:.1f}x** kopf's throughput (goal >= 5x), "
        f"**{memory:.2f}x** its peak memory (goal <= 0.5x).",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    return bench_main(__doc__, run, report, argv)


if __name__ == "__main__":
    raise SystemExit(main())
