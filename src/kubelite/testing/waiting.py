"""Waiting in tests for what happens elsewhere (a controller, a watch)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


async def until(condition: Callable[[], bool], seconds: float = 10, step: float = 0.02) -> None:
    """Return once ``condition()`` holds; ``AssertionError`` after ``seconds``."""
    for _ in range(max(1, int(seconds / step))):
        if condition():
            return
        await asyncio.sleep(step)
    if not condition():
        raise AssertionError(f"not so after {seconds:g} s")
