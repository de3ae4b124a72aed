"""Tokens and TLS as the hub's security defines them (README, "Security")."""

from __future__ import annotations

import asyncio
import hashlib
import subprocess
from pathlib import Path
from typing import Any, List

import pytest

from central_hub import CentralHubClient, ConfigAPI, ConfigClient, HubError, HubUnavailable
from conftest import Hub, eventually

ADMIN = "hub_python-test-admin-token-given-by-its-hash"


def make_ca(folder: Path) -> None:
    """A CA and a certificate for 127.0.0.1 it signed, made with the openssl command."""

    def run(*command: str) -> None:
        subprocess.run(command, cwd=folder, check=True, capture_output=True)

    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=test-ca")
    run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "hub.key", "-out", "hub.csr", "-subj", "/CN=hub")
    (folder / "hub.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    run("openssl", "x509", "-req", "-in", "hub.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "hub.crt", "-days", "2", "-extfile", "hub.ext")


@pytest.fixture
def secured(tmp_path: Path) -> Hub:
    folder = tmp_path / "tls"
    folder.mkdir()
    make_ca(folder)
    hub = Hub(
        tmp_path / "hub",
        extra=f"auth: required\ntls: {{certificate: {folder / 'hub.crt'}, key: {folder / 'hub.key'}}}\n",
        env={"HUB_ADMIN_TOKEN_SHA256": hashlib.sha256(ADMIN.encode()).hexdigest()},
        ca_file=str(folder / "ca.crt"),
    ).start()
    yield hub
    hub.stop()


def token(hub: Hub, role: str) -> dict:
    return hub.call("POST", "/tokens", {"role": role, "description": f"python test {role}"}, token=ADMIN)


def test_tokens_roles_and_tls(secured: Hub, monkeypatch):
    service = token(secured, "service:collector")["token"]
    operator = token(secured, "operator")["token"]
    ca = secured.ca_file

    async def main():
        async with CentralHubClient(secured.url, ca_file=ca) as anonymous:
            with pytest.raises(HubError) as refused:
                await anonymous.get_services()
            assert refused.value.status == 401
        async with CentralHubClient(secured.url, token=service, ca_file=ca) as client:
            await client.register_service(service_name="collector", host="collector-1", port=8002)
            with pytest.raises(HubError) as forbidden:
                await client.register_service(service_name="orders", host="orders-1", port=8003)
            assert forbidden.value.status == 403 and "collector" in forbidden.value.message
        # HUB_TOKEN and HUB_CA_FILE stand in for the arguments, as for the C++ clients.
        monkeypatch.setenv("HUB_TOKEN", operator)
        monkeypatch.setenv("HUB_CA_FILE", ca)
        async with ConfigAPI(secured.url) as api:
            assert await api.update_config("collector", {"operational": {"symbols": ["EURUSD"]}}, created_by="ops") == 1
        monkeypatch.delenv("HUB_TOKEN")
        monkeypatch.delenv("HUB_CA_FILE")
        async with CentralHubClient(secured.url, token=operator) as unverified:  # the system's CAs do not know this one
            with pytest.raises(HubUnavailable) as untrusted:
                await unverified.get_services()
            assert "certificate" in str(untrusted.value).lower()

    asyncio.run(main())


def test_a_watch_whose_token_is_revoked_says_so_and_resumes_with_a_new_one(secured: Hub, tmp_path: Path):
    first = token(secured, "service:collector")
    current = {"token": first["token"]}
    secured.call("PUT", "/config/collector", {"config_data": {"operational": {"step": 1}}}, token=ADMIN)

    async def main():
        client = ConfigClient(
            "collector",
            base_url=secured.url,
            token=lambda: current["token"],
            ca_file=secured.ca_file,
            cache_file=tmp_path / "collector.json",
            initial_backoff=0.05,
            max_backoff=0.2,
        )
        await client.init_async()
        assert client.source == "hub"
        seen: List[Any] = []
        await client.watch_config(lambda config: seen.append(config["operational"]["step"]))
        await eventually(lambda: client.following == "stream", what="the stream")
        secured.call("DELETE", f"/tokens/{first['id']}", token=ADMIN)
        await eventually(lambda: client.last_error and "401" in client.last_error, what="the watch saying its token was refused")
        assert client.watching  # it keeps trying rather than ending or hanging
        current["token"] = token(secured, "service:collector")["token"]
        secured.call("PUT", "/config/collector", {"config_data": {"operational": {"step": 2}}}, token=ADMIN)
        await eventually(lambda: seen == [2], what="the change after the new token")
        await client.aclose()

    asyncio.run(main())
