"""A flush that runs every few seconds from an asyncio task, for the reporters that send to the hub
in the background (``ErrorReporter``, ``PerformanceTracker``). Not a public class."""

from __future__ import annotations

import asyncio
from typing import Awaitable, Callable, Optional


class PeriodicFlush:
    """Calls ``flush`` every ``interval()`` seconds (asked each time), and at once when woken. ``close()`` lets a flush
    in flight finish (cancelling it there could lose or repeat what it sends), ends the task, and
    flushes a last time."""

    def __init__(self, flush: Callable[[], Awaitable[None]], interval: Callable[[], float], name: str) -> None:
        self._flush = flush
        self._interval = interval
        self._name = name
        self._task: Optional["asyncio.Task[None]"] = None
        self._wake: Optional[asyncio.Event] = None
        self.closing = False

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        """Starts the task in the running loop, unless it runs or the flush was closed."""
        if self.closing or self.running:
            return
        loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._task = loop.create_task(self._loop(), name=self._name)

    def wake(self) -> None:
        if self._wake is not None:
            self._wake.set()

    async def _loop(self) -> None:
        assert self._wake is not None
        while not self.closing:
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self._interval())
            except asyncio.TimeoutError:
                pass
            self._wake.clear()
            await self._flush()

    async def close(self) -> None:
        self.closing = True
        task, self._task = self._task, None
        if task is not None:
            self.wake()
            await task
        await self._flush()
