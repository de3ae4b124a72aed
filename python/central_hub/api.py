"""``ConfigAPI``: what operators and deploy tools call to change configs (the seeds' Example 5)."""

from __future__ import annotations

from typing import Any, Dict, List, Optional
from urllib.parse import quote

from ._transport import TokenSource, Transport


class ConfigAPI:
    """Versioned config writes and reads.

    ``base_url`` defaults to ``CENTRAL_HUB_URL``, then ``http://central-hub:8001``; ``token``
    to ``HUB_TOKEN`` (on a secured hub an ``operator`` token), ``ca_file`` to ``HUB_CA_FILE``.
    """

    def __init__(
        self, base_url: Optional[str] = None, *, token: TokenSource = None, ca_file: Optional[str] = None, timeout: float = 10.0
    ) -> None:
        self._transport = Transport(base_url, token=token, ca_file=ca_file, timeout=timeout)

    async def __aenter__(self) -> "ConfigAPI":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._transport.aclose()

    async def _call(self, method: str, path: str, body: Any = None, **options: Any) -> Any:
        _, answer = await self._transport.request(method, path, body=body, **options)
        return answer

    @staticmethod
    def _scope(service_name: Optional[str]) -> str:
        return f"/config/{quote(service_name, safe='')}" if service_name else "/global-config"

    async def update_config(self, service_name: str, config_data: Dict[str, Any], created_by: Optional[str] = None) -> int:
        """Stores ``config_data`` as the service's next version and returns the version. It is
        stored before the hub answers; every watching instance hot-reloads."""
        body: Dict[str, Any] = {"config_data": config_data}
        if created_by:
            body["created_by"] = created_by
        return (await self._call("PUT", self._scope(service_name), body))["version"]

    async def update_global_config(self, config_data: Dict[str, Any], created_by: Optional[str] = None) -> int:
        """The same for the global config, under every service's own."""
        body: Dict[str, Any] = {"config_data": config_data}
        if created_by:
            body["created_by"] = created_by
        return (await self._call("PUT", "/global-config", body))["version"]

    async def get_config(self, service_name: str) -> Dict[str, Any]:
        """The effective config: ``{"service_name", "version", "global_version", "revision", "config", ...}``."""
        return await self._call("GET", self._scope(service_name), attempts=3)

    async def get_version(self, service_name: Optional[str], version: int) -> Dict[str, Any]:
        """One stored version (``service_name=None`` for the global config)."""
        return await self._call("GET", f"{self._scope(service_name)}/versions/{int(version)}", attempts=3)

    async def history(self, service_name: Optional[str], limit: int = 20) -> Dict[str, Any]:
        return await self._call("GET", f"{self._scope(service_name)}/history", params={"limit": limit}, attempts=3)

    async def diff(self, service_name: Optional[str], from_version: int, to_version: Optional[int] = None) -> List[Dict[str, Any]]:
        """What changed between two versions: ``[{"path", "change", "from", "to"}]``."""
        params = {"from": from_version, "to": to_version}
        return (await self._call("GET", f"{self._scope(service_name)}/diff", params=params, attempts=3))["changes"]

    async def rollback(self, service_name: Optional[str], version: int, created_by: Optional[str] = None) -> Dict[str, Any]:
        """Makes ``version`` active again, as a new revision (the seeds' "activate previous version")."""
        body: Dict[str, Any] = {"version": int(version)}
        if created_by:
            body["created_by"] = created_by
        return await self._call("POST", f"{self._scope(service_name)}/rollback", body)
