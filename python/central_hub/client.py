"""``CentralHubClient``: registration, heartbeats, discovery, balancing, circuits, rollouts.

The calls and their shapes are the seeds' (``register_service``, ``heartbeat``, ``get_services``,
``get_service``, ``discover_service``, ``get_load_balanced_endpoint``, ``get_circuit_state``,
``coordinate_deployment``, ``update_global_config``), so their samples run as written.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Callable, Dict, List, Optional, Union
from urllib.parse import quote

from ._transport import TokenSource, Transport, backoff_delay
from .errors import HubError

log = logging.getLogger("central_hub.client")

StatusSource = Union[str, Callable[[], str]]


def _segment(name: str) -> str:
    return quote(name, safe="")


class CentralHubClient:
    """A service's connection to the hub.

    ``base_url`` defaults to ``CENTRAL_HUB_URL``, then ``http://central-hub:8001``. ``token``
    (a string, or a callable asked before every request) defaults to ``HUB_TOKEN``; ``ca_file``,
    for an ``https://`` hub, to ``HUB_CA_FILE``. The client makes no threads; its background work
    (heartbeats) is asyncio tasks, which :meth:`aclose` ends. Use it as ``async with``.
    """

    def __init__(
        self,
        base_url: Optional[str] = None,
        *,
        token: TokenSource = None,
        ca_file: Optional[str] = None,
        timeout: float = 10.0,
        heartbeat_interval: float = 30.0,
        register_attempts: int = 8,
        max_backoff: float = 30.0,
    ) -> None:
        self._transport = Transport(base_url, token=token, ca_file=ca_file, timeout=timeout)
        self.heartbeat_interval = heartbeat_interval
        self.register_attempts = register_attempts
        self.max_backoff = max_backoff
        self._instances: Dict[str, str] = {}  # service name -> this process's instance id
        self._registrations: Dict[str, Dict[str, Any]] = {}  # what to send again if the hub forgot us
        self._heartbeats: Dict[str, "asyncio.Task[None]"] = {}

    @property
    def base_url(self) -> str:
        return self._transport.base_url

    async def __aenter__(self) -> "CentralHubClient":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stops the heartbeat tasks and closes the connections. Does not deregister."""
        tasks = [task for task in self._heartbeats.values() if not task.done()]
        self._heartbeats.clear()
        for task in tasks:
            task.cancel()
        for task in tasks:
            try:
                await task
            except BaseException:  # noqa: B036 - a cancelled or failed heartbeat task is ended either way
                pass
        await self._transport.aclose()

    async def _call(self, method: str, path: str, body: Any = None, **options: Any) -> Any:
        _, answer = await self._transport.request(method, path, body=body, **options)
        return answer

    # --- registration ------------------------------------------------------------------------
    async def register_service(self, service: Optional[Dict[str, Any]] = None, /, **fields: Any) -> Dict[str, Any]:
        """Registers this instance and returns it as the hub stored it.

        Takes the seeds' two forms: a dict (``{"name": ..., "host": ..., "port": ...}``) or
        keywords (``service_name=..., version=..., host=..., port=..., dependencies=[...],
        metadata={...}``). A hub that is away or answers 5xx is tried again with exponential
        backoff and jitter, ``register_attempts`` times; a 4xx (a bad registration) is raised at
        once with the hub's reason. The instance id is remembered, so :meth:`heartbeat` needs
        only the service's name even when it has several replicas.
        """
        body = dict(service or {})
        body.update(fields)
        name = body.get("service_name") or body.get("name")
        if not name:
            raise ValueError("register_service: service_name (or name) is required")
        answer = await self._call(
            "POST", "/register", body, attempts=self.register_attempts, initial_backoff=0.5, max_backoff=self.max_backoff
        )
        instance = answer["instance"]
        self._instances[name] = instance["instance_id"]
        self._registrations[name] = body
        for warning in answer.get("warnings", []):
            log.warning("registering %s: %s", name, warning)
        return instance

    def instance_id(self, service_name: str) -> Optional[str]:
        """The id of the instance this client registered for ``service_name``, if any."""
        return self._instances.get(service_name)

    async def heartbeat(
        self,
        service_name: str,
        status: str = "healthy",
        metrics: Optional[Dict[str, float]] = None,
        *,
        instance_id: Optional[str] = None,
    ) -> Dict[str, Any]:
        """Tells the hub this instance is alive, ``healthy`` or ``degraded``, with optional
        metrics (``{"cpu": 0.4, "latency": 12, "load": 0.3}``).

        If the hub no longer knows the instance (it expired, or the hub lost its state), the
        client registers it again with what it registered last time, then beats.
        """
        body: Dict[str, Any] = {"service_name": service_name, "status": status}
        chosen = instance_id or self._instances.get(service_name)
        if chosen:
            body["instance_id"] = chosen
        if metrics:
            body["metrics"] = metrics
        try:
            return await self._call("POST", "/heartbeat", body)
        except HubError as error:
            if error.status != 404 or service_name not in self._registrations or instance_id:
                raise
            log.warning("the hub forgot %s (%s); registering it again", service_name, error.message)
            await self.register_service(self._registrations[service_name])
            return await self._call("POST", "/heartbeat", body)

    def start_heartbeat(
        self,
        service_name: str,
        *,
        interval: Optional[float] = None,
        status: StatusSource = "healthy",
        metrics: Optional[Callable[[], Dict[str, float]]] = None,
    ) -> "asyncio.Task[None]":
        """Beats for ``service_name`` every ``interval`` seconds (``heartbeat_interval``, 30) in
        a background task, until :meth:`stop_heartbeat` or :meth:`aclose`.

        The beats keep a fixed cadence: a slow answer does not push the next beat later, and a
        failed one is logged and retried at the next tick rather than ending the task. ``status``
        and ``metrics`` may be callables, asked before each beat.
        """
        existing = self._heartbeats.get(service_name)
        if existing is not None and not existing.done():
            return existing
        period = interval or self.heartbeat_interval
        task = asyncio.get_running_loop().create_task(self._beat(service_name, period, status, metrics))
        self._heartbeats[service_name] = task
        return task

    async def stop_heartbeat(self, service_name: str) -> None:
        task = self._heartbeats.pop(service_name, None)
        if task is None:
            return
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass

    async def _beat(
        self, service_name: str, period: float, status: StatusSource, metrics: Optional[Callable[[], Dict[str, float]]]
    ) -> None:
        next_at = time.monotonic()
        while True:
            try:
                now_status = status() if callable(status) else status
                await asyncio.wait_for(
                    self.heartbeat(service_name, now_status, metrics() if metrics else None), timeout=max(1.0, period / 2)
                )
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the next tick tries again; a heartbeat task must not die
                log.warning("heartbeat for %s failed: %s", service_name, error)
            next_at += period
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))

    async def deregister_service(self, service_name: str, *, instance_id: Optional[str] = None) -> Dict[str, Any]:
        """Removes this instance (the seeds' "DEREGISTER on graceful shutdown") and stops its heartbeats."""
        await self.stop_heartbeat(service_name)
        chosen = instance_id or self._instances.get(service_name)
        body: Dict[str, Any] = {"service_name": service_name}
        if chosen:
            body["instance_id"] = chosen
        answer = await self._call("POST", "/deregister", body)
        if not instance_id:
            self._instances.pop(service_name, None)
            self._registrations.pop(service_name, None)
        return answer

    # --- discovery ---------------------------------------------------------------------------
    async def get_services(self, status: Optional[str] = None, tag: Optional[str] = None) -> List[Dict[str, Any]]:
        """Every registered instance, one dict each (``service_name``, ``instance_id``, ``host``,
        ``port``, ``status``, ``version``, ``last_heartbeat``, ...), filtered by ``status``
        (``healthy``, ``degraded``, ``down``) and ``tag``."""
        answer = await self._call("GET", "/services", params={"status": status, "tag": tag}, attempts=3)
        return answer["services"]

    async def get_service(self, name: str) -> Optional[Dict[str, Any]]:
        """The service as the seeds read it, or ``None`` when it is not registered.

        ``host``, ``port`` and ``url`` are those of the instance the hub's balancer picks (a
        healthy one; a degraded one when none is healthy; ``None`` when every instance is down).
        ``instances`` lists them all, with ``status``, ``dependencies`` and ``dependents``.
        """
        try:
            service = await self._call("GET", f"/services/{_segment(name)}", attempts=3)
        except HubError as error:
            if error.status == 404:
                return None
            raise
        chosen: Optional[Dict[str, Any]] = None
        try:
            chosen = (await self._call("GET", f"/discover/{_segment(name)}", attempts=3))["instance"]
        except HubError as error:
            if error.status not in (404, 503):
                raise
        for key in ("instance_id", "host", "port", "url", "version", "protocol"):
            service[key] = chosen.get(key) if chosen else None
        return service

    async def discover_service(self, name: str) -> Optional[str]:
        """A URL to call ``name`` at (``http://10.0.0.7:8001``), picked by its balancer; ``None``
        when it is not registered. Raises ``HubError`` (503) when every instance is down."""
        try:
            return (await self._call("GET", f"/discover/{_segment(name)}", attempts=3))["url"]
        except HubError as error:
            if error.status == 404:
                return None
            raise

    async def get_load_balanced_endpoint(self, name: str, key: Optional[str] = None) -> Optional[Dict[str, Any]]:
        """The best instance now: ``{"host", "port", "load", "url", "instance_id", "lease"}``;
        ``None`` when ``name`` is not registered. ``key`` keeps a caller on one instance under
        ``ring_hash`` or ``maglev``. Raises ``HubError`` (503, ``circuit_open`` or
        ``unavailable``) when the service cannot take a call now. ``load`` is ``None`` until
        the instance reports one in its heartbeats."""
        try:
            endpoint = await self._call("GET", f"/lb/{_segment(name)}", params={"key": key})
        except HubError as error:
            if error.status == 404:
                return None
            raise
        endpoint.setdefault("load", None)
        return endpoint

    async def report_outcome(
        self, endpoint: Dict[str, Any], result: str, duration_ms: float
    ) -> Dict[str, Any]:
        """Reports how a call to an endpoint from :meth:`get_load_balanced_endpoint` went
        (``success``, ``failure``, ``timeout`` or ``rejected``): it ends the lease and feeds the
        service's circuit and outlier detection."""
        outcome = {
            "service_name": endpoint["service_name"],
            "instance_id": endpoint["instance_id"],
            "result": result,
            "duration_ms": duration_ms,
        }
        if "lease" in endpoint:
            outcome["lease"] = endpoint["lease"]
        return await self._call("POST", "/outcomes", {"outcomes": [outcome]})

    async def get_circuit_state(self, name: str) -> str:
        """The service's circuit: ``"CLOSED"``, ``"OPEN"``, ``"HALF_OPEN"``, ``"FORCED_OPEN"``
        or ``"DISABLED"``. Raises ``HubError`` (404) for a service the hub does not know."""
        return (await self.get_circuit(name))["state"]

    async def get_circuit(self, name: str) -> Dict[str, Any]:
        """The whole circuit: state, failure and slow-call rates, calls, ejected instances."""
        return await self._call("GET", f"/circuits/{_segment(name)}", attempts=3)

    # --- management --------------------------------------------------------------------------
    async def coordinate_deployment(self, deployment: Dict[str, Any]) -> Dict[str, Any]:
        """Starts a rollout (``{"service", "version", "strategy", "batch_size", ...}``) and
        returns it (``id``, ``phase``, ...). Needs an ``operator`` token on a secured hub."""
        return await self._call("POST", "/deployments", deployment)

    async def get_deployment(self, deployment_id: str) -> Dict[str, Any]:
        return await self._call("GET", f"/deployments/{_segment(deployment_id)}", attempts=3)

    async def update_global_config(self, config: Dict[str, Any], created_by: Optional[str] = None) -> int:
        """Stores a new version of the global config, which every service's config is laid
        over, and returns its version. Every watching service hot-reloads."""
        body: Dict[str, Any] = {"config_data": config}
        if created_by:
            body["created_by"] = created_by
        return (await self._call("PUT", "/global-config", body))["version"]

    async def get_global_config(self) -> Dict[str, Any]:
        return (await self._call("GET", "/global-config", attempts=3))["config"]

    async def get_health(self) -> Dict[str, Any]:
        """``GET /health``: the hub's own status."""
        return await self._call("GET", "/health", attempts=3)

    async def wait_until_available(self, timeout: float = 60.0) -> None:
        """Waits for the hub to answer ``/health`` (the seeds' "VERIFY Central Hub accessible
        before service starts"), with backoff; raises ``HubUnavailable`` after ``timeout``."""
        deadline = time.monotonic() + timeout
        attempt = 0
        while True:
            try:
                await self._call("GET", "/health", timeout=min(5.0, timeout))
                return
            except HubError as error:
                if error.status not in (0, 503) or time.monotonic() >= deadline:
                    raise
            await asyncio.sleep(min(backoff_delay(attempt, 0.2, 5.0), max(0.0, deadline - time.monotonic())))
            attempt += 1
