"""API server benchmark (issue #3): kubelite's REST API beside its HTTP ceiling.

Run ``python -m bench.apiserver`` (or ``make bench-apiserver``); ``--quick``
for a smoke run, ``--json FILE`` to also write the figures as JSON, ``--wrk``
to drive (1) and (2) with wrk instead of a Python client. A full run takes
about two minutes. ``kubelite server`` runs in a process of its own on
the sqlite store in a temporary directory, the load in other processes
(``bench.http_load`` for GETs, ``bench.apiserver_load`` for the rest), so that
on two cores the server has one to itself as far as the load allows.

What it measures, in one run:

1. the ceiling: aiohttp's bare low-level server, the layer kubelite's API
   server is built on (no application, router or middlewares), serving a
   fixed 2 KB JSON document
   (``bench.http_servers``, ``GET /fixed``), 32 keep-alive connections;
2. ``GET`` of one pod of about 2 KB, 32 connections, and its share of (1)
   (goal: at least 60%);
3. creates of distinct pods from 32 connections (goal: 3,000/s); (1), (2) and
   (3) take turns in rounds and each figure is the median of the rounds;
4. a list of 10,000 pods, as JSON and as a Table: median and best of several
   runs (goal: under 300 ms);
5. watch delivery: 100 watchers in one process while another process creates
   1,000 pods/s for some seconds; the latency from sending a create to a
   watcher reading its event (goal: p99 under 50 ms);
6. ``kubelite up`` from process start to the first 200 on ``/readyz``, with an
   empty data directory, median of several starts (goal: under 1 s);
7. the server's resident memory, idle after start and after the runs above
   (goal: under 100 MB), and after each phase on the way.

The ceiling runs on uvloop, as ``bench.http_frameworks`` measured it; kubelite
runs on whatever loop ``kubelite server`` chooses.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import http.client
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import orjson

from bench.apiserver_load import pod
from bench.http_frameworks import Server, free_port, wrk
from kubelite.testing.process import stop_process

ROOT = Path(__file__).resolve().parent.parent
CONNECTIONS = 32
POD_PATH = "/api/v1/namespaces/default/pods/bench-0"
LIST_PATH = "/api/v1/namespaces/default/pods"
TABLE_ACCEPT = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
CREATE_NAMESPACE = "bench-create"
WATCH_NAMESPACE = "bench-watch"
# The goals of issue #3.
GET_SHARE_GOAL = 0.60
CREATE_GOAL = 3000.0
LIST_GOAL_MS = 300.0
WATCH_P99_GOAL_MS = 50.0
START_GOAL_S = 1.0
RSS_GOAL_MB = 100.0


@dataclass(frozen=True, slots=True)
class Settings:
    rounds: int = 3
    seconds: float = 4.0
    list_pods: int = 10_000
    list_runs: int = 5
    watchers: int = 100
    watch_rate: float = 1000.0
    watch_seconds: float = 5.0
    watch_drain: float = 20.0
    starts: int = 5
    # Drive (1) and (2) with wrk rather than bench.http_load.
    wrk: bool = False


QUICK = Settings(
    rounds=1,
    seconds=1.0,
    list_pods=1000,
    list_runs=2,
    watchers=10,
    watch_rate=200.0,
    watch_seconds=1.0,
    watch_drain=5.0,
    starts=2,
)


def _progress(message: str) -> None:
    print(f"# {message}", file=sys.stderr, flush=True)


def _kubelite_command() -> list[str]:
    script = Path(sys.executable).parent / "kubelite"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "kubelite.cli.main"]


def _ready(port: int) -> bool:
    """Whether ``GET /readyz`` answers 200 now."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(b"GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            return sock.recv(16).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


def memory_mb(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM (the peak) of ``pid``, in MB."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            found[name] = int(value.split()[0]) / 1024
    return found


class Kubelite:
    """``kubelite COMMAND`` in a process of its own on an empty data directory."""

    def __init__(self, data_dir: Path, *, command: str = "server") -> None:
        self.port = free_port()
        self.data_dir = data_dir
        data_dir.mkdir(parents=True, exist_ok=True)
        self._log = (data_dir / "server.log").open("wb")
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            [
                *_kubelite_command(),
                command,
                "--data-dir",
                str(data_dir),
                "--listen",
                f"127.0.0.1:{self.port}",
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 30.0) -> float:
        """Seconds from the process start to the first 200 on ``/readyz``."""
        while not _ready(self.port):
            if self.process.poll() is not None:
                log = (self.data_dir / "server.log").read_text()[-2000:]
                raise RuntimeError(f"kubelite exited with {self.process.returncode}: {log}")
            if time.perf_counter() - self.started > timeout:
                raise RuntimeError(f"kubelite was not ready after {timeout} s")
            time.sleep(0.002)
        return time.perf_counter() - self.started

    def call(
        self,
        method: str,
        path: str,
        body: object = None,
        *,
        content_type: str = "application/json",
    ) -> tuple[int, bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            data = None if body is None else orjson.dumps(body)
            connection.request(method, path, data, {"Content-Type": content_type})
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def stop(self) -> None:
        stop_process(self.process)
        self._log.close()


def _client(module: str, *args: str | int | float, timeout: float = 300) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", module, *map(str, args)],
        check=True,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    ).stdout
    result: dict[str, Any] = json.loads(out)
    return result


def _get(port: int, path: str, seconds: float, *, use_wrk: bool) -> dict[str, Any]:
    if use_wrk:
        return wrk(port, path, seconds)
    return _client("bench.http_load", "load", port, path, CONNECTIONS, seconds)


def load_client(*args: str | int | float) -> dict[str, Any]:
    return _client("bench.apiserver_load", *args)


@dataclass
class Results:
    """Everything one run measured; raw, for the JSON, and summarised by ``report``."""

    machine: dict[str, Any] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    pod_bytes: int = 0
    starts_s: list[float] = field(default_factory=list)
    ceiling: list[dict[str, Any]] = field(default_factory=list)
    get: list[dict[str, Any]] = field(default_factory=list)
    create: list[dict[str, Any]] = field(default_factory=list)
    fill: dict[str, Any] = field(default_factory=dict)
    list_json: dict[str, Any] = field(default_factory=dict)
    list_table: dict[str, Any] = field(default_factory=dict)
    watch: dict[str, Any] = field(default_factory=dict)
    writer: dict[str, Any] = field(default_factory=dict)
    memory_idle: dict[str, float] = field(default_factory=dict)
    memory_after: dict[str, float] = field(default_factory=dict)
    # VmRSS after each phase, MB: where the memory after the runs comes from.
    memory_phases: dict[str, float] = field(default_factory=dict)

    @property
    def stored_pods(self) -> int:
        """The pods the runs created: bench-0, the creates, the fill, the watch's."""
        created = sum(int(run["requests"] - run["errors"]) for run in self.create)
        # One warm-up pod for the watchers besides the writer's.
        watched = int(self.writer.get("created", 0)) + 1 if self.writer else 0
        return 1 + created + int(self.fill.get("created", 0)) + watched


def measure_starts(results: Results, settings: Settings, scratch: Path) -> None:
    for number in range(settings.starts):
        server = Kubelite(scratch / f"start-{number}", command="up")
        try:
            results.starts_s.append(server.wait_ready())
        finally:
            server.stop()


def create_namespace(server: Kubelite, name: str) -> None:
    status, body = server.call("POST", "/api/v1/namespaces", {"metadata": {"name": name}})
    if status != 201:
        raise RuntimeError(f"creating namespace {name} answered {status}: {body[:200]!r}")


def measure_server(results: Results, settings: Settings, scratch: Path) -> None:
    ceiling = Server("aiohttp-lowlevel")
    try:
        _measure_server(results, settings, scratch, ceiling)
    finally:
        ceiling.stop()


def _measure_server(results: Results, settings: Settings, scratch: Path, ceiling: Server) -> None:
    server = Kubelite(scratch / "server")
    try:
        server.wait_ready()
        time.sleep(1.0)
        results.memory_idle = memory_mb(server.process.pid)

        status, body = server.call("POST", LIST_PATH, pod("bench-0", "default"))
        if status != 201:
            raise RuntimeError(f"creating bench-0 answered {status}: {body[:200]!r}")
        results.pod_bytes = len(server.call("GET", POD_PATH)[1])
        create_namespace(server, CREATE_NAMESPACE)
        create_namespace(server, WATCH_NAMESPACE)

        for number in range(settings.rounds):
            _progress(f"round {number + 1} of {settings.rounds}: ceiling, get, create")
            seconds = settings.seconds
            results.ceiling.append(_get(ceiling.port, "/fixed", seconds, use_wrk=settings.wrk))
            results.get.append(_get(server.port, POD_PATH, seconds, use_wrk=settings.wrk))
            results.create.append(
                load_client(
                    "create", server.port, CREATE_NAMESPACE, f"r{number}-", CONNECTIONS, seconds
                )
            )
        phases = results.memory_phases
        phases["creates"] = memory_mb(server.process.pid)["VmRSS"]

        _progress(f"filling default to {settings.list_pods:,} pods")
        results.fill = load_client(
            "fill", server.port, "default", "bench-", 1, settings.list_pods - 1, CONNECTIONS
        )
        phases["fill"] = memory_mb(server.process.pid)["VmRSS"]
        _progress("lists")
        runs = settings.list_runs
        results.list_json = load_client("list", server.port, LIST_PATH, runs)
        results.list_table = load_client("list", server.port, LIST_PATH, runs, TABLE_ACCEPT)
        phases["lists"] = memory_mb(server.process.pid)["VmRSS"]

        _progress(f"watch: {settings.watchers} watchers, {settings.watch_rate:g} creates/s")
        results.watch, results.writer = _watch(server.port, settings)

        phases["watch"] = memory_mb(server.process.pid)["VmRSS"]
        time.sleep(2.0)
        results.memory_after = memory_mb(server.process.pid)
    finally:
        server.stop()


def _watch(port: int, settings: Settings) -> tuple[dict[str, Any], dict[str, Any]]:
    watchers = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bench.apiserver_load",
            "watch",
            str(port),
            WATCH_NAMESPACE,
            str(settings.watchers),
            str(settings.watch_drain),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    if watchers.stdin is None or watchers.stdout is None:
        raise RuntimeError("the watchers' pipes were not opened")
    try:
        line = watchers.stdout.readline()
        if line.strip() != "ready":
            raise RuntimeError(f"the watchers did not start: {line!r}")
        writer = load_client(
            "write",
            port,
            WATCH_NAMESPACE,
            settings.watch_rate,
            settings.watch_seconds,
            CONNECTIONS,
        )
        watchers.stdin.write(f"{writer['created']}\n")
        watchers.stdin.flush()
        out, _ = watchers.communicate(timeout=settings.watch_drain + 60)
    except BaseException:
        watchers.kill()
        watchers.wait()
        raise
    if watchers.returncode != 0:
        raise RuntimeError(f"the watchers failed with {watchers.returncode}")
    watch: dict[str, Any] = json.loads(out)
    return watch, writer


def describe_machine() -> dict[str, Any]:
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cores": os.cpu_count() or 0,
        "cpu": cpu,
        "python": platform.python_version(),
        "load": [round(x, 2) for x in os.getloadavg()],
    }


# --- the report -------------------------------------------------------------


def _median(runs: list[dict[str, Any]], key: str) -> float:
    return float(statistics.median(run[key] for run in runs))


def _verdict(met: bool) -> str:
    return "met" if met else "**not met**"


def _rate(runs: list[dict[str, Any]], unit: str) -> str:
    text = (
        f"{_median(runs, 'per_second'):,.0f} {unit}, p50 {_median(runs, 'p50_ms'):.1f} ms, "
        f"p99 {_median(runs, 'p99_ms'):.1f} ms"
    )
    # A count from bench's clients, wrk's own line from wrk.
    errors = [str(run["errors"]) for run in runs if run["errors"]]
    return text + (f", **errors: {'; '.join(errors)}**" if errors else "")


def _ms(value: float | None) -> str:
    # JSON has no infinity: an event never delivered comes back as null.
    return "never delivered" if value is None else f"{value:,.1f} ms"


def _list_cell(timing: dict[str, Any]) -> tuple[str, float]:
    ms = timing["ms"]
    median = statistics.median(ms)
    cell = (
        f"median {median:,.0f} ms, best {min(ms):,.0f} ms ({len(ms)} runs, "
        f"{timing['items']:,} items, {timing['bytes'] / 1e6:.1f} MB)"
    )
    return cell, median


def report(results: Results, settings: Settings) -> str:
    machine = results.machine
    rows: list[tuple[str, str, str, str]] = []
    rows.append(
        (
            "1. ceiling: bare aiohttp low-level server (uvloop), GET /fixed, 2,048 B",
            _rate(results.ceiling, "req/s"),
            "",
            "",
        )
    )
    share = _median(results.get, "per_second") / _median(results.ceiling, "per_second")
    rows.append(
        (
            f"2. GET one pod ({results.pod_bytes:,} B)",
            _rate(results.get, "req/s") + f"; **{share:.1%}** of (1)",
            f">= {GET_SHARE_GOAL:.0%} of (1)",
            _verdict(share >= GET_SHARE_GOAL),
        )
    )
    creates = _median(results.create, "per_second")
    rows.append(
        (
            "3. create pods, distinct names",
            _rate(results.create, "creates/s"),
            f">= {CREATE_GOAL:,.0f}/s",
            _verdict(creates >= CREATE_GOAL),
        )
    )
    for label, timing in (("JSON", results.list_json), ("Table", results.list_table)):
        cell, median = _list_cell(timing)
        rows.append(
            (
                f"4. list {settings.list_pods:,} pods as {label}",
                cell,
                f"< {LIST_GOAL_MS:.0f} ms",
                _verdict(median < LIST_GOAL_MS and timing["statuses"] == [200]),
            )
        )
    watch, writer = results.watch, results.writer
    delivered = watch["delivered"] / max(1, watch["expected"] * watch["watchers"])
    # The time the server had to deliver: the writer's run, then the drain.
    busy = writer["sent"] / writer["achieved_rate"] + watch["drain_seconds"]
    rows.append(
        (
            f"5. watch: {watch['watchers']} watchers x {watch['expected']:,} creates "
            f"(writer paced {writer['paced_rate']:,.0f}/s, got {writer['achieved_rate']:,.0f}/s)",
            f"p50 {_ms(watch['p50_ms'])}, p99 {_ms(watch['p99_ms'])}, "
            f"max {_ms(watch['max_ms'])}; {delivered:.1%} delivered"
            + (
                ""
                if watch["complete"]
                else f" after {watch['drain_seconds']:.0f} s of drain (of those: p50 "
                f"{_ms(watch['delivered_p50_ms'])}, p99 {_ms(watch['delivered_p99_ms'])}; "
                f"{watch['delivered'] / busy:,.0f} events/s to all watchers)"
            ),
            f"p99 < {WATCH_P99_GOAL_MS:.0f} ms",
            _verdict(watch["complete"] and (watch["p99_ms"] or 1e9) < WATCH_P99_GOAL_MS),
        )
    )
    starts = results.starts_s
    start = statistics.median(starts)
    rows.append(
        (
            "6. `kubelite up` to first 200 on /readyz, empty data dir",
            f"median {start * 1000:,.0f} ms (min {min(starts) * 1000:,.0f}, "
            f"max {max(starts) * 1000:,.0f}; {len(starts)} starts)",
            f"< {START_GOAL_S:g} s",
            _verdict(start < START_GOAL_S),
        )
    )
    idle, after = results.memory_idle, results.memory_after
    rows.append(
        (
            "7. server RSS: idle after start / after the runs (peak)",
            f"{idle['VmRSS']:,.0f} MB / {after['VmRSS']:,.0f} MB ({after['VmHWM']:,.0f} MB)",
            f"< {RSS_GOAL_MB:.0f} MB",
            _verdict(idle["VmRSS"] < RSS_GOAL_MB)
            + (" idle; " + _verdict(after["VmRSS"] < RSS_GOAL_MB) + " after"),
        )
    )
    phases = ", ".join(f"{name} {mb:,.0f} MB" for name, mb in results.memory_phases.items())
    rounds = "1 round" if settings.rounds == 1 else f"medians of {settings.rounds} rounds"
    lines = [
        f"### API server benchmark, {machine['date']}",
        "",
        f"Machine: {machine['cores']} cores ({machine['cpu']}), Python {machine['python']}; "
        f"load average before the run {', '.join(map(str, machine['load']))}. "
        f"{CONNECTIONS} keep-alive connections for (1) to (3), {settings.seconds:g} s each, "
        f"(1) and (2) driven by {'wrk -t1' if settings.wrk else 'bench.http_load'}, "
        f"{rounds}; fill of the list: {results.fill['per_second']:,.0f} creates/s.",
        "",
        "| figure | measured | goal | verdict |",
        "|---|---|---|---|",
        *(f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows),
        "",
        f"Server RSS after each phase: {phases}; the store then held {results.stored_pods:,} pods.",
    ]
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="short figures, for a smoke run")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    parser.add_argument("--wrk", action="store_true", help="drive (1) and (2) with wrk -t1")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    settings = dataclasses.replace(QUICK if args.quick else Settings(), wrk=args.wrk)
    if settings.wrk and shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install -y wrk)")
    results = Results(machine=describe_machine(), settings=asdict(settings))
    scratch = Path(tempfile.mkdtemp(prefix="kubelite-bench-"))
    try:
        _progress(f"{settings.starts} starts of kubelite up")
        measure_starts(results, settings, scratch)
        measure_server(results, settings, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    figures = json.dumps(asdict(results), indent=2)
    if args.json is not None:
        args.json.write_text(figures + "\n")
    print(report(results, settings))
    print()
    print("```json")
    print(figures)
    print("```")
    return 0


if __name__ == "__main__":
    sys.exit(main())
