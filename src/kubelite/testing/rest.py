"""A small client for raw requests to an API server, as the tests send them.

Codes, reasons, headers and bodies are seen as a client sees them: nothing is
decoded into types and nothing is retried.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

import aiohttp
import orjson

__all__ = ["APPLY", "JSON", "JSON_PATCH", "MERGE", "Api"]

JSON = "application/json"
APPLY = "application/apply-patch+yaml"
MERGE = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"


class Api:
    """Requests to one in-process server."""

    def __init__(self, session: aiohttp.ClientSession, base: str) -> None:
        self.session = session
        self.base = base

    async def call(
        self,
        method: str,
        path: str,
        body: object = None,
        *,
        content_type: str = JSON,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        raw: bytes | None = None,
    ) -> tuple[int, Any]:
        """Send ``body`` as JSON (or ``raw`` as it is); the status and the decoded answer."""
        encoded = raw if raw is not None else None if body is None else orjson.dumps(body)
        # As a stream: aiohttp warns of a large bytes body.
        data = None if encoded is None else io.BytesIO(encoded)
        sent = {"Content-Type": content_type, **(headers or {})}
        async with self.session.request(
            method, self.base + path, data=data, headers=sent, params=params
        ) as response:
            return response.status, orjson.loads(await response.read())

    async def ok(self, method: str, path: str, body: object = None, **kwargs: Any) -> Any:
        status, answer = await self.call(method, path, body, **kwargs)
        assert status in (200, 201), answer
        return answer
