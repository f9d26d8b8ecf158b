"""Leader election on a ``coordination.k8s.io/v1`` Lease, as client-go does it.

Of the managers that share a Lease, one holds it and renews it every
``renew_seconds``; the others check it every ``retry_seconds`` and take it over
once it has gone ``lease_seconds`` without a renewal. A leader that cannot
renew for ``lease_seconds`` gives up before anyone can take over, so that two
leaders never act at once (as long as clocks agree within a few seconds).
Every change of the Lease is an update conditioned on the ``resourceVersion``
read, so two candidates cannot both win one round.

Worked example, lease 15 s, renew 10 s::

    t=0   A creates the Lease (holder A)         A leads
    t=10  A renews                               B sees A's renewal, waits
    t=12  A stops (crash)
    t=25  B: 15 s since A's renewal at t=10      B takes the Lease (transitions 1)
"""

from __future__ import annotations

import asyncio
import logging
import socket
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from kubelite.api.errors import AlreadyExistsError, ApiError, ConflictError, NotFoundError
from kubelite.client import Client

__all__ = ["LeaderElector"]

log = logging.getLogger(__name__)

_LEASE: Final = ("coordination.k8s.io/v1", "Lease")


def _micro(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class LeaderElector:
    """Holds, or waits for, one Lease; :attr:`leading` says which."""

    def __init__(
        self,
        client: Client,
        name: str,
        *,
        namespace: str = "",
        identity: str = "",
        lease_seconds: float = 15.0,
        renew_seconds: float = 10.0,
        retry_seconds: float = 2.0,
    ) -> None:
        if not renew_seconds < lease_seconds:
            raise ValueError("renew_seconds must be shorter than lease_seconds")
        self.client = client
        self.name = name
        self.namespace = namespace or client.config.namespace
        self.identity = identity or f"{socket.gethostname()}_{uuid.uuid4().hex[:8]}"
        self.lease_seconds = lease_seconds
        self.renew_seconds = renew_seconds
        self.retry_seconds = retry_seconds
        self.leading = asyncio.Event()
        self.lost = asyncio.Event()
        self._renewed: datetime | None = None

    async def run(self) -> None:
        """Try to lead until cancelled; :attr:`lost` is set if leadership goes."""
        while True:
            now = datetime.now(UTC)
            try:
                won = await self._try(now)
            except ApiError as err:
                log.info("lease not renewed", extra={"lease": self.name, "error": str(err)})
                won = False
            if won:
                self._renewed = now
                if not self.leading.is_set():
                    log.info("leading", extra={"lease": self.name, "identity": self.identity})
                    self.lost.clear()
                    self.leading.set()
            elif self.leading.is_set() and self._expired(datetime.now(UTC)):
                log.warning("leadership lost", extra={"lease": self.name})
                self.leading.clear()
                self.lost.set()
            pause = self.renew_seconds if self.leading.is_set() else self.retry_seconds
            await asyncio.sleep(pause)

    async def release(self) -> None:
        """Give the Lease up now (on a clean shutdown), so that a standby takes
        over at once instead of waiting for it to expire."""
        if not self.leading.is_set():
            return
        self.leading.clear()
        try:
            lease = await self._get()
            if lease is not None and _holder(lease) == self.identity:
                spec = {**lease.get("spec", {}), "holderIdentity": None, "leaseDurationSeconds": 1}
                await self.client.replace({**lease, "spec": spec})
        except ApiError as err:
            log.info("lease not released", extra={"lease": self.name, "error": str(err)})

    def _expired(self, now: datetime) -> bool:
        renewed = self._renewed
        return renewed is None or now - renewed > timedelta(seconds=self.lease_seconds)

    async def _get(self) -> dict[str, Any] | None:
        try:
            return await self.client.get(*_LEASE, self.name, namespace=self.namespace)
        except NotFoundError:
            return None

    async def _try(self, now: datetime) -> bool:
        lease = await self._get()
        stamp = _micro(now)
        if lease is None:
            body = {
                "apiVersion": _LEASE[0],
                "kind": _LEASE[1],
                "metadata": {"name": self.name, "namespace": self.namespace},
                "spec": self._spec(stamp, acquired=stamp, transitions=0),
            }
            try:
                await self.client.create(body)
            except AlreadyExistsError:
                return False
            return True
        spec = lease.get("spec") or {}
        holder = _holder(lease)
        if holder == self.identity:
            updated = {**spec, "renewTime": stamp, "leaseDurationSeconds": self._duration()}
        else:
            renewed = spec.get("renewTime") or spec.get("acquireTime")
            duration = float(spec.get("leaseDurationSeconds") or self.lease_seconds)
            free = not holder or renewed is None
            if not free and now < _parse(str(renewed)) + timedelta(seconds=duration):
                return False
            updated = self._spec(
                stamp, acquired=stamp, transitions=int(spec.get("leaseTransitions") or 0) + 1
            )
        try:
            await self.client.replace({**lease, "spec": updated})
        except ConflictError:
            return False  # someone else wrote it first; look again next round
        return True

    def _duration(self) -> int:
        return max(1, round(self.lease_seconds))

    def _spec(self, renewed: str, *, acquired: str, transitions: int) -> dict[str, Any]:
        return {
            "holderIdentity": self.identity,
            "leaseDurationSeconds": self._duration(),
            "acquireTime": acquired,
            "renewTime": renewed,
            "leaseTransitions": transitions,
        }


def _holder(lease: dict[str, Any]) -> str:
    return str((lease.get("spec") or {}).get("holderIdentity") or "")
