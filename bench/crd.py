"""Custom resources benchmark (issue #4): what a CRD's schema costs, and how fast a
new CRD is served.

Run ``python -m bench.crd`` (``--quick`` for a smoke run, ``--json FILE`` to
also write the figures). ``kubelite server`` runs in a process of its own on the
sqlite store; the load runs in another (``bench.apiserver_load create-body``).

1. **Creates**: a custom object whose CRD version has a 30-field schema (strings
   with lengths and patterns, bounded integers, booleans, enums) and two CEL
   rules, beside a ConfigMap of the same size in bytes, from 32 keep-alive
   connections, taking turns in rounds (each first in half of them); each figure is
   the median of the rounds.
   The goal: the custom object's creates at least 70% of the ConfigMap's (its
   validation costs under 30% of throughput).
2. **Serving a new CRD**: from sending the CRD to (a) its group-version answering
   200 in discovery and (b) its ``Established`` condition, for several fresh CRDs
   (goal: under 200 ms).
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

from bench.apiserver import Kubelite, create_namespace, describe_machine, load_client
from bench.cli import bench_main

CONNECTIONS = 32
GROUP = "bench.example.com"
NAMESPACE = "bench"
FIELDS = 30


def schema() -> dict[str, Any]:
    """30 fields of four kinds, and two CEL rules across them."""
    properties: dict[str, Any] = {}
    for i in range(FIELDS):
        kind = i % 4
        if kind == 0:
            properties[f"s{i}"] = {"type": "string", "maxLength": 64, "pattern": "^[a-z0-9-]+$"}
        elif kind == 1:
            properties[f"n{i}"] = {"type": "integer", "minimum": 0, "maximum": 1_000_000}
        elif kind == 2:
            properties[f"b{i}"] = {"type": "boolean"}
        else:
            properties[f"e{i}"] = {"type": "string", "enum": ["small", "medium", "large"]}
    rules = [
        {"rule": "self.n1 <= self.n5", "message": "n1 must not exceed n5"},
        {"rule": "self.s0.size() < 60", "message": "s0 is too long"},
    ]
    spec = {"type": "object", "properties": properties, "x-kubernetes-validations": rules}
    return {"type": "object", "properties": {"spec": spec}}


def crd(index: int) -> dict[str, Any]:
    plural, kind = f"widgets{index}", f"Widget{index}"
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{GROUP}"},
        "spec": {
            "group": GROUP,
            "scope": "Namespaced",
            "names": {"plural": plural, "kind": kind},
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {"openAPIV3Schema": schema()},
                }
            ],
        },
    }


def custom_body() -> bytes:
    spec: dict[str, Any] = {}
    for name in schema()["properties"]["spec"]["properties"]:
        kind = name[0]
        index = int(name[1:])
        spec[name] = {
            "s": f"value-{index}",
            "n": index * 10,
            "b": index % 3 == 0,
            "e": "medium",
        }[kind]
    body = {
        "apiVersion": f"{GROUP}/v1",
        "kind": "Widget0",
        "metadata": {"name": "@NAME@", "labels": {"app": "bench"}},
        "spec": spec,
    }
    return orjson.dumps(body)


def configmap_body(size: int) -> bytes:
    """A ConfigMap of 30 keys whose JSON is ``size`` bytes, as near as padding allows."""
    data = {f"key{i}": "v" for i in range(FIELDS)}
    body = {"metadata": {"name": "@NAME@", "labels": {"app": "bench"}}, "data": data}
    missing = size - len(orjson.dumps(body))
    if missing > 0:
        data["key0"] = "v" * (missing + 1)
    return orjson.dumps(body)


def wait_served(server: Kubelite, index: int) -> dict[str, float]:
    """Seconds from sending the CRD to discovery, and to Established."""
    definition = crd(index)
    plural = definition["spec"]["names"]["plural"]
    started = time.perf_counter()
    status, answer = server.call(
        "POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", definition
    )
    if status != 201:
        raise RuntimeError(f"creating the CRD answered {status}: {answer[:300]!r}")
    discovered = established = 0.0
    deadline = started + 10
    while not (discovered and established):
        if time.perf_counter() > deadline:
            raise RuntimeError(f"the CRD {plural} was not served within 10 s")
        now = time.perf_counter() - started
        if not discovered:
            status, listing = server.call("GET", f"/apis/{GROUP}/v1")
            if status == 200 and f'"name":"{plural}"' in listing.decode():
                discovered = now
        if not established:
            status, body = server.call(
                "GET", f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{plural}.{GROUP}"
            )
            conditions = json.loads(body).get("status", {}).get("conditions") or []
            if any(c["type"] == "Established" and c["status"] == "True" for c in conditions):
                established = now
        time.sleep(0.001)
    return {"discovered_s": discovered, "established_s": established}


def run(*, quick: bool) -> dict[str, Any]:
    # An even number of rounds: each kind goes first as often as second, since
    # creates slow down as the store fills.
    rounds, seconds, crds = (2, 1.0, 2) if quick else (4, 4.0, 5)
    results: dict[str, Any] = {"machine": describe_machine(), "rounds": rounds, "seconds": seconds}
    with tempfile.TemporaryDirectory(prefix="kubelite-bench-crd-") as scratch:
        server = Kubelite(Path(scratch) / "server")
        try:
            server.wait_ready()
            create_namespace(server, NAMESPACE)
            results["serving"] = [wait_served(server, i) for i in range(crds)]
            # The objects of the creates: the first CRD's, 30 fields and two rules.
            custom = custom_body()
            configmap = configmap_body(len(custom))
            files = Path(scratch)
            (files / "custom.json").write_bytes(custom)
            (files / "configmap.json").write_bytes(configmap)
            results["custom_bytes"], results["configmap_bytes"] = len(custom), len(configmap)
            results["custom"], results["configmap"] = [], []
            paths = {
                "custom": f"/apis/{GROUP}/v1/namespaces/{NAMESPACE}/widgets0",
                "configmap": f"/api/v1/namespaces/{NAMESPACE}/configmaps",
            }
            for number in range(rounds):
                order = ["configmap", "custom"] if number % 2 == 0 else ["custom", "configmap"]
                for what in order:
                    figure = load_client(
                        "create-body",
                        server.port,
                        paths[what],
                        str(files / f"{what}.json"),
                        f"{what[0]}{number}-",
                        CONNECTIONS,
                        seconds,
                    )
                    if figure["errors"]:
                        raise RuntimeError(f"{what} creates failed: {figure['statuses']}")
                    results[what].append(figure)
        finally:
            server.stop()
    return results


def report(results: dict[str, Any]) -> str:
    machine = results["machine"]

    def median(what: str) -> float:
        return float(statistics.median(run["per_second"] for run in results[what]))

    custom, configmap = median("custom"), median("configmap")
    share = custom / configmap
    discovered = [s["discovered_s"] * 1000 for s in results["serving"]]
    established = [s["established_s"] * 1000 for s in results["serving"]]
    lines = [
        f"### Custom resources benchmark, {machine['date']}",
        "",
        f"Machine: {machine['cores']} cores ({machine['cpu']}), Python {machine['python']}; "
        f"load average before the run {', '.join(map(str, machine['load']))}. "
        f"{CONNECTIONS} keep-alive connections, {results['rounds']} rounds of "
        f"{results['seconds']:g} s each, medians.",
        "",
        "| figure | measured | goal | verdict |",
        "|---|---|---|---|",
        f"| creates of a ConfigMap ({results['configmap_bytes']:,} B) | {configmap:,.0f}/s |  |  |",
        f"| creates of a custom object, 30-field schema, 2 CEL rules "
        f"({results['custom_bytes']:,} B) | {custom:,.0f}/s; **{share:.0%}** of the ConfigMap's "
        f"| >= 70% | {'met' if share >= 0.7 else '**not met**'} |",
        f"| new CRD to its group-version in discovery | median "
        f"{statistics.median(discovered):.0f} ms (max {max(discovered):.0f}, "
        f"{len(discovered)} CRDs) | < 200 ms | "
        f"{'met' if statistics.median(discovered) < 200 else '**not met**'} |",
        f"| new CRD to `Established` | median {statistics.median(established):.0f} ms "
        f"(max {max(established):.0f}) | < 200 ms | "
        f"{'met' if statistics.median(established) < 200 else '**not met**'} |",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    return bench_main(__doc__, run, report, argv)


if __name__ == "__main__":
    raise SystemExit(main())
