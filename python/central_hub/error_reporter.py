"""``ErrorReporter``: sends a service's errors to the hub (``POST /errors``) in batches, from an asyncio
task, so reporting never blocks the code that failed and a burst costs one request per batch.

    reporter = ErrorReporter(service="api-gateway", version="3.1.0")
    try:
        process()
    except Exception as e:
        pattern = reporter.report(e)          # ErrorDNA's pattern, queued for the hub
    ...
    await reporter.aclose()                   # sends what is queued

The hub fingerprints each event again with the same rules, so the fingerprints agree.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from dataclasses import asdict
from typing import Any, Dict, List, Optional

from ._periodic import PeriodicFlush
from ._transport import TokenSource, Transport
from .error_dna import ErrorDNA, ErrorPattern
from .errors import HubError

log = logging.getLogger("central_hub.errors")


class ErrorReporter:
    """``service`` names the reporting service (a service token may report only its own).
    At most ``max_queue`` events wait; beyond that the oldest are dropped and counted
    (``dropped``). A batch goes every ``interval`` seconds, or at once when ``batch_size`` wait."""

    def __init__(
        self,
        service: str,
        *,
        version: str = "",
        host: Optional[str] = None,
        instance_id: str = "",
        base_url: Optional[str] = None,
        token: TokenSource = None,
        ca_file: Optional[str] = None,
        error_dna: Optional[ErrorDNA] = None,
        interval: float = 1.0,
        batch_size: int = 200,
        max_queue: int = 10_000,
    ) -> None:
        self.service = service
        self.version = version
        self.host = host if host is not None else socket.gethostname()
        self.instance_id = instance_id
        self.dna = error_dna or ErrorDNA()
        self.interval = interval
        self.batch_size = batch_size
        self.max_queue = max_queue
        self.dropped = 0
        self.sent = 0
        self._transport = Transport(base_url, token=token, ca_file=ca_file)
        self._queue: List[Dict[str, Any]] = []
        self._sending = asyncio.Lock()
        self._periodic = PeriodicFlush(self.flush, lambda: self.interval, f"central-hub errors {service}")

    def report(self, error: BaseException, correlation_id: str = "") -> ErrorPattern:
        """Analyzes ``error`` and queues it; returns its pattern. Call it from a running loop."""
        pattern = self.dna.analyze_error(error)
        self.report_pattern(pattern, correlation_id)
        return pattern

    def report_pattern(self, pattern: ErrorPattern, correlation_id: str = "") -> None:
        event = {
            "service": self.service,
            "version": self.version,
            "host": self.host,
            "instance_id": self.instance_id,
            "type": pattern.type,
            "message": pattern.message[:8192],
            "correlation_id": correlation_id,
            "frames": [asdict(frame) for frame in pattern.stack[-100:]],
            "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        self._queue.append(event)
        if len(self._queue) > self.max_queue:
            del self._queue[0]
            self.dropped += 1
        self._periodic.start()
        if len(self._queue) >= self.batch_size:
            self._periodic.wake()

    async def flush(self) -> None:
        """Sends what is queued now. A batch the hub did not take stays queued (to the limit),
        unless the hub refused it as wrong (4xx): that one is dropped and logged."""
        async with self._sending:  # one batch in flight: a batch is never sent twice
            await self._flush_queue()

    async def _flush_queue(self) -> None:
        while self._queue:
            batch = self._queue[: self.batch_size]
            try:
                await self._transport.request("POST", "/errors", body={"events": batch})
            except HubError as error:
                if error.transient:
                    log.info("errors not sent yet (%s); %d waiting", error, len(self._queue))
                    return
                log.error("the hub refused %d error events: %s", len(batch), error)
                self.dropped += len(batch)
            else:
                self.sent += len(batch)
            del self._queue[: len(batch)]

    async def aclose(self) -> None:
        """Sends what is queued, then stops."""
        try:
            await self._periodic.close()
        finally:
            await self._transport.aclose()

    async def __aenter__(self) -> "ErrorReporter":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()
