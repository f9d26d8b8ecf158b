"""``kubelite``: the command line.

``kubelite up`` runs everything that exists so far in one process, on the embedded
store. Today that is the store itself; the API server, the controllers and the node
agent join it as they are built, each also runnable alone as a subcommand.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from kubelite import __version__
from kubelite.store.sqlite import SqliteStore

log = logging.getLogger(__name__)


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


async def _up(data_dir: Path) -> None:
    store = await SqliteStore.open(data_dir / "kubelite.db")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        log.info(
            "kubelite is up",
            extra={
                "store": str(data_dir / "kubelite.db"),
                "revision": await store.current_revision(),
            },
        )
        # TODO(#3): serve the Kubernetes API on top of the store; until then only the
        # store runs.
        await stop.wait()
    finally:
        await store.close()
        log.info("kubelite stopped")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kubelite", description=__doc__.splitlines()[0])
    parser.add_argument("--log-level", default="info", help="debug, info, warning or error")
    parser.add_argument("--version", action="version", version=f"kubelite {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="run the control plane on the embedded store")
    up.add_argument(
        "--data-dir", type=Path, default=Path("data"), help="where the store keeps its file"
    )
    args = parser.parse_args(argv)
    _configure_logging(args.log_level)
    if args.command == "up":
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(_up(args.data_dir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
