"""One hub connection for the client classes: its address, credentials, session and retries.

An aiohttp session belongs to the event loop and the process that made it. A client made before
``fork`` (gunicorn's ``--preload``) or used from one ``asyncio.run`` to the next must not touch the
old one: its sockets are shared with the parent, its loop is gone. The transport therefore keys its
session by process and loop and makes a new one when either changed, detaching the old one without
closing it (closing would shut the parent's connections down).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import ssl
import time
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import aiohttp

from .errors import HubError, HubUnavailable

DEFAULT_URL = "http://central-hub:8001"
"""Where the hub is when neither the code nor ``CENTRAL_HUB_URL`` says: the seeds' address."""

TokenSource = Union[None, str, Callable[[], Optional[str]]]


def resolve_base_url(base_url: Optional[str]) -> str:
    """The first of :func:`resolve_base_urls`: where a client that needs one address goes."""
    return resolve_base_urls(base_url)[0]


def resolve_base_urls(base_url: Union[None, str, Sequence[str]]) -> List[str]:
    """The hubs to try: one URL, several separated by commas, or a list of them."""
    given = base_url or os.environ.get("CENTRAL_HUB_URL") or DEFAULT_URL
    urls = [part.strip() for part in (given.split(",") if isinstance(given, str) else given) if part and part.strip()]
    if not urls:
        raise ValueError("no hub URL given: one, or several separated by commas")
    for url in urls:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"hub URL {url!r} must start with http:// or https://")
    return [url.rstrip("/") for url in urls]


FAILING_STATUSES = (500, 502, 503, 504)
"""A hub answering so is in trouble: another hub on the same database may take the request. A 4xx,
or a 501 (not enabled in that deployment), would be the same everywhere."""


class HubAddresses:
    """Several hubs on one database. Requests go to the hub that answered last; a hub that fails
    is set aside for a backoff that doubles with each failure in a row (0.25 s up to 30 s). When
    every hub is set aside they are tried anyway, the one whose backoff ends first first."""

    FIRST_BACKOFF = 0.25
    LONGEST_BACKOFF = 30.0

    def __init__(self, urls: List[str]) -> None:
        self.urls = urls
        self._failures = [0] * len(urls)
        self._retry_at = [0.0] * len(urls)
        self._preferred = 0

    @property
    def preferred(self) -> str:
        return self.urls[self._preferred]

    def order(self) -> List[int]:
        now = time.monotonic()
        turns = [(self._preferred + i) % len(self.urls) for i in range(len(self.urls))]
        ready = [hub for hub in turns if self._retry_at[hub] <= now]
        waiting = sorted((hub for hub in turns if self._retry_at[hub] > now), key=lambda hub: self._retry_at[hub])
        return ready + waiting

    def succeeded(self, hub: int) -> None:
        self._failures[hub] = 0
        self._retry_at[hub] = 0.0
        self._preferred = hub

    def failed(self, hub: int) -> None:
        backoff = min(self.LONGEST_BACKOFF, self.FIRST_BACKOFF * (2 ** min(self._failures[hub], 30)))
        self._failures[hub] += 1
        self._retry_at[hub] = time.monotonic() + backoff
        if self._preferred == hub:
            self._preferred = (hub + 1) % len(self.urls)


def backoff_delay(attempt: int, initial: float, maximum: float) -> float:
    """Exponential backoff with equal jitter: half the step fixed, half random, so a fleet that
    lost the hub at once does not come back at once."""
    step = min(maximum, initial * (2 ** min(attempt, 30)))
    return step / 2 + random.uniform(0, step / 2)


class Transport:
    """HTTP to the hub (or one of several), shared by a client's calls. Not a public class."""

    def __init__(
        self,
        base_url: Union[None, str, Sequence[str]] = None,
        *,
        token: TokenSource = None,
        ca_file: Optional[str] = None,
        timeout: float = 10.0,
    ) -> None:
        self.hubs = HubAddresses(resolve_base_urls(base_url))
        self._token = token
        self._ca_file = ca_file or os.environ.get("HUB_CA_FILE") or None
        self.timeout = timeout
        self._session: Optional[aiohttp.ClientSession] = None
        self._owner: Tuple[int, Optional[asyncio.AbstractEventLoop]] = (0, None)
        self._ssl: Union[None, ssl.SSLContext] = None
        self._closed = False

    @property
    def base_url(self) -> str:
        """The hub requests go to now."""
        return self.hubs.preferred

    def set_aside(self) -> None:
        """The hub in use failed outside a request (a stream ended): the next goes to another."""
        self.hubs.failed(self.hubs.urls.index(self.hubs.preferred))

    # --- credentials -------------------------------------------------------------------------
    def token(self) -> Optional[str]:
        """The token to send now. A callable is asked on every request, so a rotated token
        (a file re-read, a secret store) is used at once rather than after a restart."""
        source = self._token
        value = source() if callable(source) else source
        return value or os.environ.get("HUB_TOKEN") or None

    def headers(self) -> Dict[str, str]:
        token = self.token()
        return {"Authorization": f"Bearer {token}"} if token else {}

    def ssl_context(self) -> Union[None, ssl.SSLContext]:
        if not any(url.startswith("https://") for url in self.hubs.urls):
            return None
        if self._ssl is None:
            self._ssl = ssl.create_default_context(cafile=self._ca_file)
        return self._ssl

    def websocket_url(self, path: str) -> str:
        return "ws" + self.base_url[len("http") :] + path

    # --- session -----------------------------------------------------------------------------
    def session(self) -> aiohttp.ClientSession:
        if self._closed:
            raise RuntimeError("this client was closed")
        owner = (os.getpid(), asyncio.get_running_loop())
        if self._session is not None and (self._owner != owner or self._session.closed):
            # Another process or loop made it: leave its sockets to their owner.
            self._session.detach()
            self._session = None
        if self._session is None:
            connector = aiohttp.TCPConnector(ssl=self.ssl_context(), limit=32)
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=aiohttp.ClientTimeout(total=None, connect=self.timeout, sock_read=None),
                json_serialize=json.dumps,
            )
            self._owner = owner
        return self._session

    async def aclose(self) -> None:
        self._closed = True
        session, self._session = self._session, None
        if session is None:
            return
        if self._owner[0] != os.getpid():
            session.detach()
            return
        try:
            same_loop = self._owner[1] is asyncio.get_running_loop()
        except RuntimeError:
            same_loop = False
        if same_loop:
            await session.close()
        else:
            session.detach()

    # --- requests ----------------------------------------------------------------------------
    async def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: Optional[Dict[str, Any]] = None,
        timeout: Optional[float] = None,
        attempts: int = 1,
        initial_backoff: float = 0.2,
        max_backoff: float = 5.0,
    ) -> Tuple[int, Any]:
        """Sends one request and returns ``(status, parsed JSON)`` for a 2xx answer.

        Raises ``HubError`` for a 4xx or 5xx, ``HubUnavailable`` when no answer came. With
        ``attempts`` above 1, connection failures, 5xx and 429 are tried again with backoff;
        a 4xx never is: the same request would get the same answer.
        """
        for attempt in range(attempts):
            try:
                return await self._once(method, path, body, params, timeout)
            except HubError as error:
                if not error.transient or attempt + 1 >= attempts:
                    raise
                await asyncio.sleep(backoff_delay(attempt, initial_backoff, max_backoff))
        raise AssertionError("unreachable")

    async def _once(
        self, method: str, path: str, body: Any, params: Optional[Dict[str, Any]], timeout: Optional[float]
    ) -> Tuple[int, Any]:
        """One request, to the first hub that takes it: a hub that gives no answer or a 5xx is
        passed over for the next (they share one database, so any of them may answer)."""
        failure: Optional[HubError] = None
        for hub in self.hubs.order():
            try:
                answer = await self._ask(self.hubs.urls[hub], method, path, body, params, timeout)
            except HubUnavailable as error:
                failure = error
            except HubError as error:
                if error.status not in FAILING_STATUSES:
                    self.hubs.succeeded(hub)  # it answered; the same request would get the same answer elsewhere
                    raise
                failure = error
            else:
                self.hubs.succeeded(hub)
                return answer
            self.hubs.failed(hub)
        assert failure is not None
        raise failure

    async def _ask(
        self, base_url: str, method: str, path: str, body: Any, params: Optional[Dict[str, Any]], timeout: Optional[float]
    ) -> Tuple[int, Any]:
        query = {k: str(v) for k, v in (params or {}).items() if v is not None}
        limit = aiohttp.ClientTimeout(total=timeout if timeout is not None else self.timeout)
        try:
            async with self.session().request(
                method, base_url + path, json=body, params=query, headers=self.headers(), timeout=limit
            ) as response:
                text = await response.text()
                status = response.status
        except asyncio.TimeoutError as error:
            raise HubUnavailable(f"no answer from {base_url} within {limit.total} s", path, error) from error
        except aiohttp.ClientError as error:
            raise HubUnavailable(f"{base_url}: {error}", path, error) from error
        return status, parse_answer(status, text, path)


def parse_answer(status: int, text: str, path: str) -> Any:
    try:
        parsed = json.loads(text) if text else None
    except ValueError:
        parsed = None
    if 200 <= status < 300:
        if parsed is None and text:
            raise HubError(status, "bad_answer", f"the hub's answer is not JSON: {text[:200]!r}", path)
        return parsed
    if isinstance(parsed, dict):
        raise HubError(status, str(parsed.get("error", "error")), str(parsed.get("message", text[:500])), path)
    raise HubError(status, "error", text[:500] or f"HTTP {status}", path)
