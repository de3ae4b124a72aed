"""ConfigClient: the three layers, the cache, hot reload through restarts, validation, fallbacks."""

from __future__ import annotations

import asyncio
import json
import logging
import os
from pathlib import Path
from typing import Any, Dict, List

import aiohttp
from aiohttp import web

from central_hub import ConfigClient
from conftest import Hub, eventually

DEFAULTS = {"operational": {"symbols": ["EURUSD"], "websocket_reconnect_delay": 5}}


def put(hub: Hub, service: str, config: Dict[str, Any]) -> int:
    return hub.call("PUT", f"/config/{service}", {"config_data": config, "created_by": "test"})["revision"]


def client_for(hub: Hub, tmp_path: Path, **options: Any) -> ConfigClient:
    options.setdefault("cache_file", tmp_path / "collector.json")
    options.setdefault("initial_backoff", 0.05)
    options.setdefault("max_backoff", 0.3)
    return ConfigClient("collector", DEFAULTS, base_url=hub.url, **options)


def test_layers_secrets_and_the_cache(hub: Hub, tmp_path: Path, monkeypatch):
    put(hub, "collector", {"operational": {"symbols": ["EURUSD", "XAUUSD"]}})
    hub.call("PUT", "/global-config", {"config_data": {"operational": {"region": "eu"}}})

    async def first():
        client = client_for(hub, tmp_path)
        config = await client.init_async()
        assert client.source == "hub"
        assert config == {"operational": {"symbols": ["EURUSD", "XAUUSD"], "websocket_reconnect_delay": 5, "region": "eu"}}
        await client.aclose()

    asyncio.run(first())
    hub.stop()

    async def hub_away():
        client = client_for(hub, tmp_path)
        config = await client.init_async()  # never raises for the hub's absence
        assert client.source == "cache"
        assert config["operational"]["symbols"] == ["EURUSD", "XAUUSD"]
        assert await client.get_config() == config  # the hub is still away: the cache stays
        await client.aclose()
        bare = client_for(hub, tmp_path, cache_file=tmp_path / "none.json")
        assert await bare.init_async() == DEFAULTS and bare.source == "defaults"
        await bare.aclose()

    asyncio.run(hub_away())
    monkeypatch.setenv("POLYGON_API_KEY", "secret-from-env")
    assert ConfigClient.require_secret("POLYGON_API_KEY") == "secret-from-env"
    monkeypatch.delenv("POLYGON_API_KEY")
    try:
        ConfigClient.require_secret("POLYGON_API_KEY")
        raise AssertionError("an unset secret must raise")
    except KeyError as error:
        assert "POLYGON_API_KEY" in str(error)


def test_a_hub_down_at_start_gives_safe_defaults_then_its_config(make_hub, tmp_path: Path):
    hub = make_hub()

    async def main():
        client = client_for(hub, tmp_path)
        assert await client.init_async() == DEFAULTS and client.source == "defaults"
        seen: List[Dict[str, Any]] = []
        await client.watch_config(seen.append)
        await asyncio.to_thread(hub.start)
        put(hub, "collector", {"operational": {"symbols": ["GBPUSD"]}})
        await eventually(lambda: seen and seen[-1]["operational"]["symbols"] == ["GBPUSD"], what="the hub's config once it is up")
        assert client.source == "hub" and seen[-1]["operational"]["websocket_reconnect_delay"] == 5
        await client.aclose()

    asyncio.run(main())


def follow_through_restarts(hub: Hub, tmp_path: Path, **options: Any) -> None:
    """A watcher sees every change made while the hub restarts under it, in order, none twice."""

    async def main():
        client = client_for(hub, tmp_path, **options)
        await client.init_async()
        seen: List[int] = []
        revisions: List[int] = []

        async def on_change(config):
            seen.append(config["operational"]["step"])
            revisions.append(client.revision)

        await client.watch_config(on_change)
        for step in range(1, 4):
            put(hub, "collector", {"operational": {"step": step}})
            await eventually(lambda: seen and seen[-1] == step, what=f"step {step}")
            await asyncio.to_thread(hub.restart)  # kill, start again on the same port and file
            put(hub, "collector", {"operational": {"step": step * 10}})  # while the watcher reconnects
            await eventually(lambda: seen and seen[-1] == step * 10, what=f"step {step * 10} made during the restart")
        assert seen == [1, 10, 2, 20, 3, 30]
        assert client.following == ("stream" if options.get("use_stream", True) else "watches")
        assert revisions == sorted(set(revisions))  # never back in time, never twice
        await client.aclose()

    asyncio.run(main())


def test_hot_reload_over_the_stream_survives_hub_restarts(hub: Hub, tmp_path: Path):
    follow_through_restarts(hub, tmp_path)


def test_hot_reload_over_blocking_watches_survives_hub_restarts(hub: Hub, tmp_path: Path):
    follow_through_restarts(hub, tmp_path, use_stream=False)


def test_validation_refuses_a_config_and_keeps_the_old_one(hub: Hub, tmp_path: Path, caplog):
    put(hub, "collector", {"operational": {"max_position_size": 10}})

    def validate(config):
        if config["operational"]["max_position_size"] <= 0:
            raise ValueError("max_position_size must be positive")

    async def main():
        client = client_for(hub, tmp_path, validate=validate)
        await client.init_async()
        seen: List[int] = []
        await client.watch_config(lambda config: seen.append(config["operational"]["max_position_size"]))
        await eventually(lambda: client.watching and client.source == "hub", what="the watch")
        with caplog.at_level(logging.ERROR, logger="central_hub.config"):
            put(hub, "collector", {"operational": {"max_position_size": -5}})
            await eventually(lambda: "max_position_size must be positive" in caplog.text, what="the refusal's log")
        assert (await client.get_config())["operational"]["max_position_size"] == 10
        put(hub, "collector", {"operational": {"max_position_size": 20}})
        await eventually(lambda: seen == [20], what="the next valid config")
        await client.aclose()
        cached = json.loads((tmp_path / "collector.json").read_text())
        assert cached["config"]["operational"]["max_position_size"] == 20  # only accepted configs are cached

    asyncio.run(main())


def test_a_proxy_that_refuses_websockets_gets_blocking_watches(hub: Hub, tmp_path: Path):
    async def main():
        # A proxy in front of the hub that passes plain requests and refuses upgrades.
        async def forward(request: web.Request) -> web.StreamResponse:
            if request.headers.get("Upgrade", "").lower() == "websocket":
                return web.Response(status=404, text="no websockets here")
            async with aiohttp.ClientSession() as session:
                async with session.request(request.method, hub.url + request.path_qs, data=await request.read()) as answer:
                    return web.Response(status=answer.status, body=await answer.read(), content_type="application/json")

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", forward)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, shutdown_timeout=0.1)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        client = ConfigClient("collector", DEFAULTS, base_url=f"http://127.0.0.1:{port}", cache_file=tmp_path / "c.json")
        await client.init_async()
        seen: List[Any] = []
        await client.watch_config(lambda config: seen.append(config["operational"]["symbols"]))
        await asyncio.sleep(0)
        put(hub, "collector", {"operational": {"symbols": ["XAUUSD"]}})
        await eventually(lambda: seen and seen[-1] == ["XAUUSD"], what="a change through the proxy")
        assert client.following == "watches"
        await client.aclose()
        await runner.cleanup()

    asyncio.run(main())


def test_a_watching_client_forked_watches_in_the_child_too(hub: Hub, tmp_path: Path):
    """A process forks while its client watches (a worker pool started from a running service):
    the child, with a loop of its own, starts the watch again and gets the hub's changes; the
    parent's watch carries on."""
    put(hub, "collector", {"operational": {"step": 1}})
    client = client_for(hub, tmp_path)

    async def worker(ready: int) -> int:
        seen: List[int] = []
        await client.watch_config(lambda config: seen.append(config["operational"]["step"]))
        await eventually(lambda: client.following == "stream" and client.watching, what="the child's stream")
        os.write(ready, b"1")
        await eventually(lambda: seen == [2], what="the change in the child")
        await client.aclose()
        return 0

    async def parent():
        await client.init_async()
        seen: List[int] = []
        await client.watch_config(lambda config: seen.append(config["operational"]["step"]))
        await eventually(lambda: client.following == "stream", what="the parent's stream")
        ready_read, ready_write = os.pipe()
        child = os.fork()
        if child == 0:
            try:
                code = asyncio.run(worker(ready_write))
            except BaseException:
                code = 1
            os._exit(code)
        os.close(ready_write)
        assert await asyncio.to_thread(os.read, ready_read, 1) == b"1", "the child never started watching"
        put(hub, "collector", {"operational": {"step": 2}})
        _, status = await asyncio.to_thread(os.waitpid, child, 0)
        assert os.WEXITSTATUS(status) == 0
        await eventually(lambda: seen == [2], what="the change in the parent")
        await client.aclose()

    asyncio.run(parent())
