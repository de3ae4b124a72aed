"""``ConfigClient``: a service's config in the seeds' three layers, with hot reload.

1. Secrets come from the environment (:meth:`ConfigClient.require_secret`), never from the hub.
2. The hub's config for the service (the global config with the service's own laid over it).
3. Safe defaults, given in code, under everything: a key the hub does not set keeps its default.

If the hub is away, the last config accepted from it (a cache file) stands in for layer 2, and
without one the safe defaults alone. Hot reload follows the hub's WebSocket stream and falls back
to blocking watches when a proxy refuses the upgrade; both resume from the last revision seen,
so a change made while the hub or the connection was away arrives when they are back.
"""

from __future__ import annotations

import asyncio
import copy
import inspect
import json
import logging
import os
import tempfile
import time
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, Optional, Union
from urllib.parse import quote

import aiohttp

from ._transport import TokenSource, Transport, backoff_delay
from .errors import HubError

log = logging.getLogger("central_hub.config")

Config = Dict[str, Any]
Callback = Callable[[Config], Union[None, Awaitable[None]]]
Validator = Callable[[Config], Any]


def merge(base: Config, over: Config) -> Config:
    """``over`` laid over ``base``: objects merge key by key, anything else replaces."""
    merged = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


class ConfigRefused(ValueError):
    """A config from the hub that ``validate`` refused; the one in force stays."""


class ConfigClient:
    """The seeds' ``ConfigClient(service_name=..., safe_defaults=...)``.

    ``base_url``, ``token`` and ``ca_file`` as for :class:`~central_hub.client.CentralHubClient`.
    ``validate(config)`` is asked before a config from the hub takes effect: it refuses by
    returning ``False`` or raising (the message is logged); anything else accepts. ``cache_file``
    defaults to ``<temp>/central-hub-config/<service>.json``. ``cache_ttl_seconds`` is how long
    :meth:`get_config` serves what it has without asking the hub when no watch keeps it fresh.
    """

    def __init__(
        self,
        service_name: str,
        safe_defaults: Optional[Config] = None,
        *,
        base_url: Optional[str] = None,
        token: TokenSource = None,
        ca_file: Optional[str] = None,
        validate: Optional[Validator] = None,
        cache_file: Union[None, str, Path] = None,
        cache_ttl_seconds: float = 300.0,
        timeout: float = 5.0,
        watch_wait_seconds: float = 60.0,
        initial_backoff: float = 0.5,
        max_backoff: float = 30.0,
        use_stream: bool = True,
    ) -> None:
        if not service_name:
            raise ValueError("ConfigClient: service_name is required")
        self.service_name = service_name
        self.safe_defaults: Config = copy.deepcopy(safe_defaults or {})
        self._transport = Transport(base_url, token=token, ca_file=ca_file, timeout=timeout)
        self._validate = validate
        self.cache_file = Path(cache_file) if cache_file else Path(tempfile.gettempdir()) / "central-hub-config" / f"{service_name}.json"
        self.cache_ttl_seconds = cache_ttl_seconds
        self.watch_wait_seconds = watch_wait_seconds
        self.initial_backoff = initial_backoff
        self.max_backoff = max_backoff
        self.use_stream = use_stream
        self._hub_config: Config = {}
        self._revision = 0
        self._version = 0
        self._source = "defaults"
        self._fetched_at = 0.0
        self._callbacks: List[Callback] = []
        self._watch: Optional["asyncio.Task[None]"] = None
        self._watch_pid = 0
        self.last_error: Optional[str] = None
        self.following: Optional[str] = None  # how the watch follows the hub: "stream" or "watches"

    # --- state -------------------------------------------------------------------------------
    @property
    def source(self) -> str:
        """Where layer 2 comes from now: ``"hub"``, ``"cache"`` or ``"defaults"`` (none)."""
        return self._source

    @property
    def revision(self) -> int:
        """The hub's revision of the config in force (0 before any came from the hub)."""
        return self._revision

    @property
    def version(self) -> int:
        """The service's config version in force (0 when it has none)."""
        return self._version

    @property
    def watching(self) -> bool:
        task = self._watch
        if task is None or task.done():
            return False
        # A task of another process (a fork) or of a loop that no longer runs does not watch here.
        return self._watch_pid == os.getpid() and task.get_loop().is_running()

    def _owns(self, task: "asyncio.Task[None]") -> bool:
        try:
            return self._watch_pid == os.getpid() and task.get_loop() is asyncio.get_running_loop()
        except RuntimeError:
            return False

    def current(self) -> Config:
        """The config in force, without asking the hub: the safe defaults with layer 2 over them."""
        return merge(self.safe_defaults, self._hub_config)

    @staticmethod
    def require_secret(name: str) -> str:
        """Layer 1: a secret from the environment. Raises ``KeyError`` naming it when unset."""
        value = os.environ.get(name)
        if not value:
            raise KeyError(f"secret {name} is not set in the environment; secrets never come from the hub")
        return value

    @staticmethod
    def get_secret(name: str, default: Optional[str] = None) -> Optional[str]:
        return os.environ.get(name, default)

    # --- life --------------------------------------------------------------------------------
    async def init_async(self) -> Config:
        """Asks the hub once; never raises for its absence. Falls back to the cache file, then to
        the safe defaults alone. Returns the config in force; :attr:`source` says where from."""
        try:
            await self._fetch()
        except (HubError, ConfigRefused) as error:
            self.last_error = str(error)
            if isinstance(error, HubError) and 0 < error.status < 500:
                log.error("config for %s: the hub refused: %s", self.service_name, error)  # a token, a name: not transient
            self._load_cache(error)
        return self.current()

    async def get_config(self) -> Config:
        """The config in force (the safe defaults with the hub's config over them).

        While :meth:`watch_config` runs it is kept fresh by the hub; otherwise the hub is asked
        again once ``cache_ttl_seconds`` have passed, and while it is away the last config stays.
        """
        stale = time.monotonic() - self._fetched_at >= self.cache_ttl_seconds
        if not self.watching and (stale or self._source != "hub"):
            try:
                await self._fetch()
            except (HubError, ConfigRefused) as error:
                self.last_error = str(error)
                log.debug("config for %s: keeping what is in force: %s", self.service_name, error)
        return self.current()

    async def watch_config(self, callback: Optional[Callback] = None) -> None:
        """Calls ``callback(new_config)`` (a function or a coroutine function) on every change
        the hub makes to this service's config, with the whole config in force. Returns at once;
        the watch runs in a background task until :meth:`aclose`. Several callbacks may be added.
        """
        if callback is not None:
            self._callbacks.append(callback)
        if not self.watching:
            self._watch = asyncio.get_running_loop().create_task(self._follow(), name=f"central-hub config {self.service_name}")
            self._watch_pid = os.getpid()

    async def aclose(self) -> None:
        """Ends the watch and closes the connections."""
        task, self._watch = self._watch, None
        if task is not None and self._owns(task):
            task.cancel()
            try:
                await task
            except BaseException:  # noqa: B036 - ended either way
                pass
        await self._transport.aclose()

    async def __aenter__(self) -> "ConfigClient":
        await self.init_async()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()

    # --- the hub -----------------------------------------------------------------------------
    def _path(self, suffix: str = "") -> str:
        return f"/config/{quote(self.service_name, safe='')}{suffix}"

    async def _fetch(self) -> None:
        _, answer = await self._transport.request("GET", self._path())
        await self._take(answer, notify=False)

    async def _take(self, answer: Dict[str, Any], notify: bool) -> bool:
        """Applies an answer from the hub if it is new and valid. Returns whether it changed."""
        revision = int(answer.get("revision", 0))
        config = answer.get("config") or {}
        if not isinstance(config, dict):
            raise ConfigRefused(f"the hub's config for {self.service_name} is not an object")
        self._fetched_at = time.monotonic()
        if revision and revision == self._revision and self._source == "hub":
            return False
        candidate = merge(self.safe_defaults, config)
        why = self._refusal(candidate)
        if why is not None:
            self._revision = revision  # do not ask for the refused one again; wait for the next
            log.error("config for %s revision %d refused, the old one stays: %s", self.service_name, revision, why)
            raise ConfigRefused(why)
        changed = config != self._hub_config
        previous = self._version
        self._hub_config, self._revision = config, revision
        self._version = int(answer.get("version", 0))
        self._source = "hub"
        self.last_error = None
        self._write_cache(answer)
        if changed:
            log.info("config for %s now version %d (revision %d, was version %d)", self.service_name, self._version, revision, previous)
        if changed and notify:
            await self._notify(candidate)
        return changed

    def _refusal(self, candidate: Config) -> Optional[str]:
        if self._validate is None:
            return None
        try:
            verdict = self._validate(copy.deepcopy(candidate))
        except Exception as error:  # the validator's reason
            return str(error) or type(error).__name__
        return "validate() returned False" if verdict is False else None

    async def _notify(self, config: Config) -> None:
        for callback in list(self._callbacks):
            try:
                result = callback(copy.deepcopy(config))
                if inspect.isawaitable(result):
                    await result
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("config callback for %s failed", self.service_name)

    # --- watching ----------------------------------------------------------------------------
    async def _follow(self) -> None:
        attempt = 0
        stream = self.use_stream
        while True:
            self.following = "stream" if stream else "watches"
            try:
                if stream:
                    if self._source != "hub":
                        await self._catch_up()  # the hub may hold what the cache holds: say where it comes from
                    await self._follow_stream()
                else:
                    await self._follow_watches()
                attempt = 0  # the hub ended a healthy stream (a restart): reconnect at once
            except asyncio.CancelledError:
                raise
            except aiohttp.WSServerHandshakeError as error:
                if error.status in (401, 403):
                    self._refused(error.status, error.message)
                else:
                    log.warning("config stream for %s refused (%s %s); following with blocking watches", self.service_name, error.status, error.message)
                    stream = False
                    continue
            except HubError as error:
                if error.status in (401, 403):
                    self._refused(error.status, error.message)
                else:
                    self.last_error = str(error)
                    log.info("config watch for %s: %s; trying again", self.service_name, error)
            except (aiohttp.ClientError, asyncio.TimeoutError, OSError, ConfigRefused, ValueError) as error:
                self.last_error = str(error) or type(error).__name__
                log.info("config watch for %s: %s; trying again", self.service_name, self.last_error)
                if stream and isinstance(error, (aiohttp.ClientError, asyncio.TimeoutError, OSError)):
                    self._transport.set_aside()  # the stream's hub: the next goes to another, from the same revision
            await asyncio.sleep(backoff_delay(attempt, self.initial_backoff, self.max_backoff))
            attempt += 1

    def _refused(self, status: int, message: str) -> None:
        # A watch must not hang silently on an expired or revoked token: say so, keep trying,
        # and pick up a new token (a callable or HUB_TOKEN) at the next attempt.
        self.last_error = f"{status}: the hub refused this client's token: {message}"
        log.error("config watch for %s: %s", self.service_name, self.last_error)

    async def _catch_up(self) -> None:
        """Before following, take whatever changed while we were away."""
        _, answer = await self._transport.request("GET", self._path())
        try:
            await self._take(answer, notify=True)
        except ConfigRefused:
            pass

    async def _follow_stream(self) -> None:
        session = self._transport.session()
        url = self._transport.websocket_url(self._path("/stream"))
        # With an index the hub answers at once if the config moved on meanwhile: nothing is missed.
        params = {"index": str(self._revision)} if self._revision else {}
        async with session.ws_connect(
            url,
            params=params,
            headers=self._transport.headers(),
            heartbeat=20.0,
            ssl=self._transport.ssl_context(),
            timeout=self._transport.timeout,
        ) as socket:
            async for message in socket:
                if message.type != aiohttp.WSMsgType.TEXT:
                    break
                try:
                    await self._take(json.loads(message.data), notify=True)
                except ConfigRefused:
                    pass
            if socket.close_code and socket.close_code not in (1000, 1001, 1006):
                raise HubError(socket.close_code, "stream_closed", f"the hub closed the config stream: {socket.close_code}")

    async def _follow_watches(self) -> None:
        await self._catch_up()
        while True:
            _, answer = await self._transport.request(
                "GET",
                self._path("/watch"),
                params={"index": self._revision, "wait": int(self.watch_wait_seconds)},
                timeout=self.watch_wait_seconds + self._transport.timeout,
            )
            if answer.get("changed"):
                try:
                    await self._take(answer, notify=True)
                except ConfigRefused:
                    pass

    # --- the cache ---------------------------------------------------------------------------
    def _write_cache(self, answer: Dict[str, Any]) -> None:
        record = {
            "service_name": self.service_name,
            "revision": answer.get("revision", 0),
            "version": answer.get("version", 0),
            "config": answer.get("config") or {},
        }
        try:
            self.cache_file.parent.mkdir(parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(prefix=self.cache_file.name + ".", dir=self.cache_file.parent)
            with os.fdopen(fd, "w") as out:
                json.dump(record, out)
            os.replace(temporary, self.cache_file)  # a reader sees the old file or the new, never half
        except OSError as error:
            log.warning("config for %s: cannot write the cache %s: %s", self.service_name, self.cache_file, error)

    def _load_cache(self, why: BaseException) -> None:
        try:
            record = json.loads(self.cache_file.read_text())
            config = record["config"]
            if record.get("service_name") != self.service_name or not isinstance(config, dict):
                raise ValueError("it is not this service's cache")
            if self._refusal(merge(self.safe_defaults, config)) is not None:
                raise ValueError("validate() refuses it")
        except (OSError, ValueError, KeyError, TypeError) as error:
            log.warning("config for %s: hub unavailable (%s), no usable cache (%s): safe defaults", self.service_name, why, error)
            self._source = "defaults"
            return
        self._hub_config = config
        self._revision = int(record.get("revision", 0))
        self._version = int(record.get("version", 0))
        self._source = "cache"
        log.warning("config for %s: hub unavailable (%s): the cached version %d", self.service_name, why, self._version)
