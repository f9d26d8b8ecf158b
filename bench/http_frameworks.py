"""Which HTTP layer the API server should stand on, chosen by measurement.

Every candidate in ``bench.http_servers`` is started in a subprocess of its own
on a free loopback port and driven from another process (``bench.http_load``,
or wrk with ``--wrk``), so that on a two-core machine the server and the load
each have a core. For each candidate it reports:

- req/s and p50/p99 latency of ``GET /fixed`` (a fixed 2 KB JSON document, the
  ceiling the API server's GET is compared with) and of ``GET /pod`` (the same
  document from ``orjson.dumps`` of a dict per request), 32 keep-alive
  connections for a fixed duration; the median of ``--rounds`` rounds, the
  candidates interleaved within each round;
- the rate an endless NDJSON stream is read at, and whether the server stops
  it once the reader hangs up: the server's CPU time is sampled from /proc for
  two seconds after the hang-up, and a stream that kept running shows as a
  busy core;
- the status for a body of exactly 3 MiB and for one byte more (413 expected);
- whether the server exits within five seconds of SIGTERM afterwards.

    python -m bench.http_frameworks [--seconds 5] [--rounds 3] [--wrk] [NAME...]

Needs the candidates installed: aiohttp, uvicorn, starlette, httptools,
uvloop, granian (and orjson).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.http_servers import LINE, MAX_BODY, SERVERS

CONNECTIONS = 32
TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (granian serves from a child process)."""
    pids = [pid]
    for current in pids:
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                pids.extend(int(p) for p in (task / "children").read_text().split())
            except OSError:
                continue
    return pids


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of ``pid``'s process tree."""
    total = 0
    for each in process_tree(pid):
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / TICKS


class Server:
    """One candidate running in a subprocess on a free port."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.port = free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.http_servers", name, str(self.port)],
            start_new_session=True,
        )
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    sock.sendall(b"GET /fixed HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    if sock.recv(16).startswith(b"HTTP/1.1 200"):
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not start on port {self.port}")

    def stop(self) -> bool:
        """SIGTERM; True if it exited within 5 s (else it is killed)."""
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(5)
            return True
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            return False


def client(*args: str | int | float) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.http_load", *map(str, args)],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    result: dict[str, Any] = json.loads(out)
    return result


def wrk(port: int, path: str, seconds: float) -> dict[str, Any]:
    """The same load from wrk, one thread, with its latency percentiles."""
    url = f"http://127.0.0.1:{port}{path}"
    out = subprocess.run(
        ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds:.0f}s", "--latency", url],
        check=True,
        capture_output=True,
        text=True,
        timeout=seconds + 60,
    ).stdout
    found: dict[str, Any] = {"errors": 0}
    for line in out.splitlines():
        words = line.split()
        if line.startswith("Requests/sec:"):
            found["per_second"] = float(words[1])
        elif words[:1] in (["50%"], ["99%"]):
            found[f"p{words[0][:2]}_ms"] = _millis(words[1])
        elif "Non-2xx" in line or line.strip().startswith("Socket errors"):
            found["errors"] = line.strip()
    return found


def _millis(text: str) -> float:
    for unit, scale in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * scale
    raise ValueError(f"unknown latency {text!r}")


@dataclass
class Figures:
    """What one candidate measured, across rounds."""

    runs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    stream: list[dict[str, Any]] = field(default_factory=list)
    uploads: list[dict[str, Any]] = field(default_factory=list)
    sigterm: list[bool] = field(default_factory=list)

    def median(self, path: str, key: str) -> float:
        return float(statistics.median(run[key] for run in self.runs[path]))


def measure(name: str, figures: Figures, *, seconds: float, use_wrk: bool, first: bool) -> None:
    server = Server(name)
    try:
        for path in ("/fixed", "/pod"):
            if use_wrk:
                run = wrk(server.port, path, seconds)
            else:
                run = client("load", server.port, path, CONNECTIONS, seconds)
            figures.runs.setdefault(path, []).append(run)
        if first:
            figures.uploads = [
                client("upload", server.port, size) for size in (MAX_BODY, MAX_BODY + 1)
            ]
        read = client("stream", server.port, 2.0)
        time.sleep(0.5)  # let the server see the hang-up
        before = cpu_seconds(server.process.pid)
        time.sleep(2.0)
        read["cpu_after_hangup"] = (cpu_seconds(server.process.pid) - before) / 2.0
        figures.stream.append(read)
    finally:
        figures.sigterm.append(server.stop())


def report(results: dict[str, Figures], *, use_wrk: bool) -> str:
    driver = "wrk -t1" if use_wrk else "bench.http_load (httptools + uvloop)"
    lines = [
        f"load: {CONNECTIONS} keep-alive connections, driver {driver}; medians of rounds",
        "",
        "| server | /fixed req/s | p50 / p99 ms | /pod req/s | p50 / p99 ms | /pod of /fixed "
        "| stream lines/s | CPU after hang-up | 3 MiB / +1 | SIGTERM |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, f in results.items():
        fixed, pod = f.median("/fixed", "per_second"), f.median("/pod", "per_second")
        # Chunked framing adds a few bytes per line; close enough for a rate.
        rate = statistics.median(s["bytes_per_second"] for s in f.stream) / len(LINE)
        cpu = max(s["cpu_after_hangup"] for s in f.stream)
        stopped = "idle" if cpu < 0.05 else f"busy {cpu:.0%}"
        uploads = " / ".join(str(u["status"]) for u in f.uploads)
        term = "exits" if all(f.sigterm) else "ignored"
        lines.append(
            f"| {name} | {fixed:,.0f} | {f.median('/fixed', 'p50_ms'):.2f} / "
            f"{f.median('/fixed', 'p99_ms'):.2f} | {pod:,.0f} | {f.median('/pod', 'p50_ms'):.2f} / "
            f"{f.median('/pod', 'p99_ms'):.2f} | {pod / fixed:.0%} | {rate:,.0f} | {stopped} "
            f"| {uploads} | {term} |"
        )
    errors = {
        (name, path): [run["errors"] for run in runs if run["errors"]]
        for name, f in results.items()
        for path, runs in f.runs.items()
    }
    lines += [f"errors {key}: {value}" for key, value in errors.items() if value]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="*", help=f"some of {', '.join(SERVERS)} (default all)")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--wrk", action="store_true", help="drive the load with wrk")
    args = parser.parse_args()
    args.names = args.names or list(SERVERS)
    unknown = set(args.names) - set(SERVERS)
    if unknown:
        raise SystemExit(f"unknown servers: {', '.join(sorted(unknown))}")
    if args.wrk and shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install -y wrk)")

    results = {name: Figures() for name in args.names}
    for round_number in range(args.rounds):
        for name in args.names:
            measure(
                name,
                results[name],
                seconds=args.seconds,
                use_wrk=args.wrk,
                first=round_number == 0,
            )
            print(f"round {round_number + 1}: {name} done", file=sys.stderr)
    print(report(results, use_wrk=args.wrk))


if __name__ == "__main__":
    main()
