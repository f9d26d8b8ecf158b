"""Server-side apply benchmark (issue #5): an apply beside a merge patch of the
same change, in the same run.

Run ``python -m bench.ssa`` (``--quick`` for a smoke run, ``--json FILE`` to
also write the figures). ``kubelite server`` runs in a process of its own on the
sqlite store; the load runs in another (``bench.apiserver_load patch``).

Each of 32 keep-alive connections owns a Deployment of 40 set fields (labels,
annotations, strategy, a container with ports, env, resources and a probe) and
changes it over and over: one number in the pod template's annotations, so
that every request writes (and moves ``generation``).

- **apply**: ``PATCH`` with ``application/apply-patch+yaml``, the whole 40-field
  configuration as one manager (``fieldManager=bench``) sends it each time;
- **merge patch**: ``PATCH`` with ``application/merge-patch+json`` of only the
  changed annotation, by another manager.

The two take turns in rounds, each first in half of them; each figure is the
median of the rounds. The goal: an apply costs at most twice a merge patch,
that is, applies reach at least half the merge patches' rate.
"""

from __future__ import annotations

import statistics
import tempfile
from pathlib import Path
from typing import Any

import orjson

from bench.apiserver import Kubelite, create_namespace, describe_machine, load_client
from bench.cli import bench_main

CONNECTIONS = 32
NAMESPACE = "bench"
DEPLOYMENTS = f"/apis/apps/v1/namespaces/{NAMESPACE}/deployments"


def deployment(name: str, revision: str) -> dict[str, Any]:
    """The applied configuration: 40 set fields, ``revision`` in one of them."""
    labels = {"app.kubernetes.io/name": "web", "app.kubernetes.io/instance": "shop"}
    container = {
        "name": "web",
        "image": "registry.example.com/shop/web:1.27.3",
        "imagePullPolicy": "IfNotPresent",
        "ports": [
            {"name": "http", "containerPort": 8080, "protocol": "TCP"},
            {"name": "metrics", "containerPort": 9090, "protocol": "TCP"},
        ],
        "env": [
            {"name": "LOG_LEVEL", "value": "info"},
            {"name": "REGION", "value": "eu-west-1"},
        ],
        "resources": {
            "requests": {"cpu": "100m", "memory": "128Mi"},
            "limits": {"cpu": "500m", "memory": "256Mi"},
        },
        "readinessProbe": {
            "httpGet": {"path": "/healthz", "port": 8080},
            "periodSeconds": 10,
        },
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": name,
            "namespace": NAMESPACE,
            "labels": {**labels, "tier": "frontend"},
            "annotations": {"team": "shop"},
        },
        "spec": {
            "replicas": 3,
            "revisionHistoryLimit": 5,
            "progressDeadlineSeconds": 600,
            "selector": {"matchLabels": labels},
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0},
            },
            "template": {
                "metadata": {"labels": labels, "annotations": {"revision": revision}},
                "spec": {
                    "containers": [container],
                    "terminationGracePeriodSeconds": 30,
                    "restartPolicy": "Always",
                    "dnsPolicy": "ClusterFirst",
                },
            },
        },
    }


def count_fields(value: Any) -> int:
    """The leaf fields set (in maps, and in the items of lists)."""
    if isinstance(value, dict):
        return sum(count_fields(v) for v in value.values())
    if isinstance(value, list):
        return sum(count_fields(item) for item in value)
    return 1


def merge_patch_body() -> bytes:
    return orjson.dumps({"spec": {"template": {"metadata": {"annotations": {"revision": "R"}}}}})


def run(*, quick: bool) -> dict[str, Any]:
    rounds, seconds = (2, 1.0) if quick else (6, 4.0)
    results: dict[str, Any] = {"machine": describe_machine(), "rounds": rounds, "seconds": seconds}
    config = deployment("a@CONN@", "@REV@")
    results["fields"] = count_fields(
        {k: v for k, v in config.items() if k not in ("apiVersion", "kind")}
    )
    with tempfile.TemporaryDirectory(prefix="kubelite-bench-ssa-") as scratch:
        server = Kubelite(Path(scratch) / "server")
        try:
            server.wait_ready()
            create_namespace(server, NAMESPACE)
            # Each kind writes Deployments of its own (a0.., m0..), so that neither
            # takes the annotation from the other's manager.
            for name in [f"{prefix}{n}" for prefix in ("a", "m") for n in range(CONNECTIONS)]:
                status, body = server.call(
                    "PATCH",
                    f"{DEPLOYMENTS}/{name}?fieldManager=bench",
                    deployment(name, "0"),
                    content_type="application/apply-patch+yaml",
                )
                if status != 201:
                    raise RuntimeError(f"applying {name} answered {status}: {body[:300]!r}")
            files = Path(scratch)
            (files / "apply.json").write_bytes(orjson.dumps(config))
            (files / "merge.json").write_bytes(merge_patch_body().replace(b'"R"', b'"m@REV@"'))
            kinds = {
                "apply": ("a", "apply.json", "application/apply-patch+yaml", "bench"),
                "merge": ("m", "merge.json", "application/merge-patch+json", "patcher"),
            }
            results["apply"], results["merge"] = [], []
            for number in range(rounds):
                order = ["merge", "apply"] if number % 2 == 0 else ["apply", "merge"]
                for what in order:
                    prefix, body_file, content_type, manager = kinds[what]
                    figure = load_client(
                        "patch",
                        server.port,
                        f"{DEPLOYMENTS}/{prefix}@CONN@?fieldManager={manager}",
                        str(files / body_file),
                        content_type,
                        CONNECTIONS,
                        seconds,
                    )
                    if figure["errors"]:
                        raise RuntimeError(f"{what} failed: {figure['statuses']}")
                    results[what].append(figure)
        finally:
            server.stop()
    return results


def report(results: dict[str, Any]) -> str:
    machine = results["machine"]

    def median(what: str, key: str = "per_second") -> float:
        return float(statistics.median(run[key] for run in results[what]))

    apply, merge = median("apply"), median("merge")
    cost = merge / apply
    lines = [
        f"### Server-side apply benchmark, {machine['date']}",
        "",
        f"Machine: {machine['cores']} cores ({machine['cpu']}), Python {machine['python']}; "
        f"load average before the run {', '.join(map(str, machine['load']))}. "
        f"{CONNECTIONS} keep-alive connections, one Deployment each; {results['rounds']} "
        f"rounds of {results['seconds']:g} s, medians.",
        "",
        "| figure | measured | goal | verdict |",
        "|---|---|---|---|",
        f"| merge patch of one annotation | {merge:,.0f}/s (p50 {median('merge', 'p50_ms'):.1f} ms)"
        " |  |  |",
        f"| apply of the {results['fields']}-field Deployment, same change | {apply:,.0f}/s "
        f"(p50 {median('apply', 'p50_ms'):.1f} ms); an apply costs **{cost:.2f}x** a merge patch"
        f" | <= 2x | {'met' if cost <= 2 else '**not met**'} |",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    return bench_main(__doc__, run, report, argv)


if __name__ == "__main__":
    raise SystemExit(main())
