"""``InfrastructureMonitor``: the hub's checks of PostgreSQL, NATS, Kafka, ClickHouse and the rest
(the seeds' Example 6). The hub runs the checks on its schedule; this reads their results."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from ._transport import TokenSource, Transport


class InfrastructureMonitor:
    """``base_url``, ``token`` and ``ca_file`` as for :class:`~central_hub.client.CentralHubClient`."""

    def __init__(
        self, base_url: Optional[str] = None, *, token: TokenSource = None, ca_file: Optional[str] = None, timeout: float = 10.0
    ) -> None:
        self._transport = Transport(base_url, token=token, ca_file=ca_file, timeout=timeout)

    async def __aenter__(self) -> "InfrastructureMonitor":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._transport.aclose()

    async def check_all(self) -> Dict[str, Dict[str, Any]]:
        """Every component's latest check: ``{"postgresql": {"status": "healthy",
        "response_time_ms": 1.2, "error_message": None, "checked_at": "...", ...}}``.

        ``response_time_ms`` is always a number (0.0 before the first check), so the seeds'
        ``f"{status['response_time_ms']:.2f}"`` formats; ``error_message`` says why a component is
        not healthy, and that it has not been checked yet when it has not."""
        _, answer = await self._transport.request("GET", "/health/infrastructure", attempts=3)
        for status in answer.values():
            if status.get("response_time_ms") is None:
                status["response_time_ms"] = 0.0
            if status.get("status") != "healthy" and not status.get("error_message"):
                status["error_message"] = status.get("last_message") or f"status {status.get('status')}"
        return answer

    async def check(self, component: str) -> Optional[Dict[str, Any]]:
        """One component's latest check, or ``None`` when the hub does not check it."""
        return (await self.check_all()).get(component)

    async def alerts(self) -> List[Dict[str, Any]]:
        """The hub's newest alerts (service down, infrastructure down, rollouts, backups)."""
        _, answer = await self._transport.request("GET", "/health/alerts", attempts=3)
        return answer.get("alerts", answer) if isinstance(answer, dict) else answer
