"""``PerformanceTracker``: how long a service's operations take, in histograms per operation, reported
to the hub (``POST /performance``) in the background. The hub serves them with percentiles
(``GET /performance``) and exports them on ``/metrics`` as ``hub_operation_duration_seconds``.

    tracker = PerformanceTracker(service_name="api-gateway")
    with tracker.measure("websocket_processing"):
        process_websocket_message()

Measuring costs a ``perf_counter`` call and a bucket increment; nothing waits on the hub. Reports
are deltas: what was measured since the last report the hub took, kept while it is away.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import logging
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterator, List, Optional, TypeVar

from ._periodic import PeriodicFlush
from ._transport import TokenSource, Transport
from .errors import HubError

log = logging.getLogger("central_hub.performance")

BOUNDS_MS = [0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000]
"""The buckets' upper bounds in milliseconds, the hub's (the last bucket is open)."""

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class Histogram:
    buckets: List[int] = field(default_factory=lambda: [0] * (len(BOUNDS_MS) + 1))
    count: int = 0
    sum_ms: float = 0.0

    def add(self, milliseconds: float) -> None:
        self.buckets[bisect.bisect_left(BOUNDS_MS, milliseconds)] += 1
        self.count += 1
        self.sum_ms += milliseconds

    def merge(self, other: "Histogram") -> None:
        self.buckets = [a + b for a, b in zip(self.buckets, other.buckets)]
        self.count += other.count
        self.sum_ms += other.sum_ms

    def percentile(self, fraction: float) -> float:
        """The duration below which ``fraction`` of them fell, interpolated in its bucket (as the hub does)."""
        if not self.count:
            return 0.0
        rank, below = fraction * self.count, 0.0
        for index, count in enumerate(self.buckets):
            if count and below + count >= rank:
                low = BOUNDS_MS[index - 1] if index else 0.0
                if index == len(BOUNDS_MS):
                    return low
                return low + (BOUNDS_MS[index] - low) * (rank - below) / count
            below += count
        return BOUNDS_MS[-1]


class PerformanceTracker:
    """The seed's ``PerformanceTracker(service_name=…)``. ``interval`` is how often a report goes to
    the hub, from an asyncio task started by the first measurement made in a running loop (or by
    :meth:`start`); :meth:`flush` sends one now and :meth:`aclose` a last one. At most
    ``max_operations`` names are tracked; measurements of others are counted in ``dropped``."""

    def __init__(
        self,
        service_name: str,
        *,
        base_url: Optional[str] = None,
        token: TokenSource = None,
        ca_file: Optional[str] = None,
        interval: float = 10.0,
        max_operations: int = 1000,
    ) -> None:
        self.service_name = service_name
        self.interval = interval
        self.max_operations = max_operations
        self.dropped = 0
        self._totals: Dict[str, Histogram] = {}  # since this tracker started: what stats() shows
        self._pending: Dict[str, Histogram] = {}  # not yet taken by the hub
        self._transport = Transport(base_url, token=token, ca_file=ca_file)
        self._sending = asyncio.Lock()
        self._periodic = PeriodicFlush(self.flush, lambda: self.interval, f"central-hub performance {service_name}")

    # --- measuring ---------------------------------------------------------------------------
    def record(self, operation: str, milliseconds: float) -> None:
        """Counts one run of ``operation`` that took ``milliseconds``."""
        if operation not in self._totals:
            if len(self._totals) >= self.max_operations:
                self.dropped += 1
                return
            self._totals[operation] = Histogram()
        self._totals[operation].add(milliseconds)
        self._pending.setdefault(operation, Histogram()).add(milliseconds)
        self._start_if_running()

    @contextlib.contextmanager
    def measure(self, operation: str) -> Iterator[None]:
        """Times the block, whether it returns or raises (a failing call takes time too)."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.record(operation, (time.perf_counter() - started) * 1000)

    def timed(self, operation: str) -> Callable[[F], F]:
        """A decorator: times every call of a function or coroutine function."""

        def wrap(function: F) -> F:
            if asyncio.iscoroutinefunction(function):

                async def timed_coroutine(*args: Any, **kwargs: Any) -> Any:
                    with self.measure(operation):
                        return await function(*args, **kwargs)

                return timed_coroutine  # type: ignore[return-value]

            def timed_function(*args: Any, **kwargs: Any) -> Any:
                with self.measure(operation):
                    return function(*args, **kwargs)

            return timed_function  # type: ignore[return-value]

        return wrap

    def stats(self) -> Dict[str, Dict[str, float]]:
        """Each operation measured here: count, mean and percentiles in milliseconds."""
        return {
            name: {
                "count": h.count,
                "mean_ms": h.sum_ms / h.count if h.count else 0.0,
                "p50_ms": h.percentile(0.5),
                "p95_ms": h.percentile(0.95),
                "p99_ms": h.percentile(0.99),
            }
            for name, h in self._totals.items()
        }

    # --- reporting ---------------------------------------------------------------------------
    def start(self) -> None:
        """Starts the background reports (the first measurement in a running loop does too)."""
        self._periodic.start()

    def _start_if_running(self) -> None:
        if self._periodic.closing or self._periodic.running:
            return
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop: flush() sends when the service calls it
        self._periodic.start()

    async def flush(self) -> None:
        """Sends what was measured since the last report the hub took. While the hub is away it is
        kept (and merged with what comes next); a report the hub refuses as wrong is dropped."""
        async with self._sending:
            if not self._pending:
                return
            pending, self._pending = self._pending, {}
            body = {
                "service": self.service_name,
                "bounds_ms": BOUNDS_MS,
                "operations": [
                    {"operation": name, "buckets": h.buckets, "count": h.count, "sum_ms": h.sum_ms} for name, h in pending.items()
                ],
            }
            try:
                await self._transport.request("POST", "/performance", body=body)
            except HubError as error:
                if error.transient:
                    for name, histogram in pending.items():
                        pending_now = self._pending.setdefault(name, Histogram())
                        pending_now.merge(histogram)
                    log.info("performance report not sent yet: %s", error)
                else:
                    log.error("the hub refused a performance report: %s", error)

    async def aclose(self) -> None:
        """Sends a last report and stops."""
        try:
            await self._periodic.close()
        finally:
            await self._transport.aclose()

    async def __aenter__(self) -> "PerformanceTracker":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()
