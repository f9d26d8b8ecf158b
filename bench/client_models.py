"""Client libraries' cost per object (issue #6): what it takes to turn the API
server's JSON into each library's objects, and to keep them.

Run ``python -m bench.client_models`` (``--quick`` for a smoke run). The
operator framework's client must read every object its informers list and
watch, and its caches hold them all; a library's models are worth adopting only
if that stays cheap. Each candidate decodes the same list of pods, each as the
API server stores it (4.4 KB with its status and ``managedFields``), into:

- ``dict``: ``orjson.loads``, plain dicts: the floor;
- ``lightkube``: ``lightkube.resources.core_v1.Pod.from_dict``, typed dataclasses;
- ``kubernetes-asyncio``: the OpenAPI-generated ``V1Pod`` of the asyncio client
  (the same generator as the official ``kubernetes`` client);
- ``kr8s``: ``kr8s.objects.Pod``, a wrapper around the dict.

For each: microseconds per object to decode (best of several rounds, each
decoding the whole list from its bytes), and the memory each object keeps
(measured with ``tracemalloc`` in a process of its own, so that one library's
imports do not count against another).
"""

from __future__ import annotations

import asyncio
import atexit
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from bench.apiserver import Kubelite, describe_machine
from bench.apiserver_load import pod
from bench.cli import bench_main

CANDIDATES = ("dict", "lightkube", "kubernetes-asyncio", "kr8s")
_KUBECONFIG = """apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "http://127.0.0.1:PORT"}}]
users: [{name: u, user: {token: unused}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
"""


def stored_pod(name: str) -> dict[str, Any]:
    """A pod as kubelite stores it: defaults, status and managedFields."""
    from kubelite.api.resources import BUILT_IN
    from kubelite.apiserver import updates
    from kubelite.apiserver.fieldmanager import FieldManager

    pods = next(r for r in BUILT_IN if r.plural == "pods" and not r.group)
    now = datetime.datetime.now(datetime.UTC)
    created = updates.created(pods, pod(name, "default"), "default", now, custom=None)
    obj = FieldManager(pods, lambda: now).updated(
        None, created, "kube-controller-manager", custom=None
    )
    obj["metadata"]["resourceVersion"] = "12345"
    obj["status"] = {
        "phase": "Running",
        "conditions": [
            {"type": "Ready", "status": "True", "lastTransitionTime": "2026-12-04T10:00:00Z"}
        ],
        "hostIP": "10.0.0.7",
        "podIP": "10.244.1.9",
        "startTime": "2026-12-04T10:00:00Z",
        "qosClass": "Burstable",
    }
    return obj


def decoder(name: str) -> Callable[[dict[str, Any]], object]:
    """How ``name`` turns one decoded item into its object."""
    if name == "dict":
        return lambda item: item
    if name == "lightkube":
        from lightkube.resources.core_v1 import Pod

        return lambda item: Pod.from_dict(item)
    if name == "kubernetes-asyncio":
        from kubernetes_asyncio.client import ApiClient

        async def make() -> Any:
            return ApiClient()  # its HTTP session wants a running loop; decoding does not

        client = asyncio.run(make())
        # The generated client's own decoder, private to it (a name-mangled method).
        deserialize: Any = ApiClient.__dict__["_ApiClient__deserialize"]
        return lambda item: deserialize(client, item, "V1Pod")
    if name == "kr8s":
        from kr8s.objects import Pod as Kr8sPod

        # Its objects connect to their cluster when made: give them a kubelite
        # server, stopped when this process ends.
        scratch = Path(tempfile.mkdtemp())
        server = Kubelite(scratch / "server")
        atexit.register(server.stop)
        server.wait_ready()
        config = scratch / "kubeconfig"
        config.write_text(_KUBECONFIG.replace("PORT", str(server.port)))
        os.environ["KUBECONFIG"] = str(config)
        return lambda item: Kr8sPod(item)
    raise SystemExit(f"unknown candidate {name!r}")


def measure(name: str, count: int, rounds: int) -> dict[str, float]:
    """Decode ``count`` pods with ``name``: µs per object, and bytes kept per object."""
    listing = orjson.dumps({"items": [stored_pod(f"p{i}") for i in range(count)]})
    decode = decoder(name)
    decode(orjson.loads(listing)["items"][0])  # imports and first-call caches
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        kept = [decode(item) for item in orjson.loads(listing)["items"]]
        best = min(best, time.perf_counter() - started)
        del kept
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    kept = [decode(item) for item in orjson.loads(listing)["items"]]
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    assert len(kept) == count
    return {
        "us_per_object": best / count * 1e6,
        "bytes_per_object": (after - before) / count,
        "json_bytes_per_object": len(listing) / count,
    }


def run(*, quick: bool) -> dict[str, Any]:
    count, rounds = (200, 2) if quick else (2000, 3)
    results: dict[str, Any] = {"machine": describe_machine(), "count": count}
    for name in CANDIDATES:
        # A process per candidate: its imports and caches count against no other.
        output = subprocess.run(
            [sys.executable, "-m", "bench.client_models", "--one", name, str(count), str(rounds)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        results[name] = json.loads(output)
    return results


def report(results: dict[str, Any]) -> str:
    machine = results["machine"]
    floor = results["dict"]
    lines = [
        f"### Client models benchmark, {machine['date']}",
        "",
        f"Machine: {machine['cores']} cores ({machine['cpu']}), Python {machine['python']}; "
        f"{results['count']:,} pods of {floor['json_bytes_per_object']:,.0f} B of JSON each.",
        "",
        "| library | decode, µs per object | memory kept per object | vs plain dicts |",
        "|---|---:|---:|---|",
    ]
    for name in CANDIDATES:
        figure = results[name]
        lines.append(
            f"| {name} | {figure['us_per_object']:,.1f} | "
            f"{figure['bytes_per_object'] / 1024:,.1f} KiB | "
            f"{figure['us_per_object'] / floor['us_per_object']:.1f}x time, "
            f"{figure['bytes_per_object'] / floor['bytes_per_object']:.1f}x memory |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    return bench_main(__doc__, run, report, argv, one=lambda a: measure(a[0], int(a[1]), int(a[2])))


if __name__ == "__main__":
    raise SystemExit(main())
