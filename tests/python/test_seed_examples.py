"""The seeds' Examples 1 to 6, as written, against a live hub at the seeds' address.

The samples (``seed_examples/``) are the seed's code block for block; only import lines differ
(``test_samples_are_the_seeds_code`` checks that). They use top-level ``await``, as the seed does,
so each runs as the body of a coroutine in a module namespace that already has ``asyncio`` and
a ``logger``, which the seed's samples use without importing.

``http://central-hub:8001`` must reach the test's hub: ``tests/python/run`` runs the suite in a
network namespace of its own, where ``central-hub`` is 127.0.0.1 and port 8001 is free.
"""

from __future__ import annotations

import ast
import asyncio
import glob
import inspect
import logging
import re
import socket
import tempfile
from pathlib import Path
from typing import Any, Dict, Optional

import pytest

from conftest import ROOT, Hub, eventually, free_port, wait_for

SAMPLES = Path(__file__).parent / "seed_examples"
SEED = ROOT.parent / "shared" / "seeds"


def sample_code(number: int):
    path = SAMPLES / f"example_{number}.py"
    return compile(path.read_text(), str(path), "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)


async def run_sample(number: int, namespace: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    """Runs a sample to its end in ``namespace`` (its module's globals) and returns that."""
    namespace = {} if namespace is None else namespace
    namespace.update({"__name__": f"seed_example_{number}", "asyncio": asyncio, "logger": logging.getLogger(f"seed_example_{number}")})
    result = eval(sample_code(number), namespace)  # noqa: S307 - the sample's own code, compiled from its file
    if inspect.isawaitable(result):
        await result
    return namespace


def test_samples_are_the_seeds_code():
    seeds = "".join(Path(p).read_text() for p in sorted(glob.glob(str(SEED / "*.txt"))))
    blocks = dict(re.findall(r"### Example (\d):.*?```python\n(.*?)```", seeds, re.S))
    assert sorted(blocks) == ["1", "2", "3", "4", "5", "6"]

    def code(text: str):
        return [line for line in text.splitlines() if not line.startswith(("from ", "import "))]

    for number, block in blocks.items():
        assert code((SAMPLES / f"example_{number}.py").read_text()) == code(block), f"Example {number} differs from the seed"


@pytest.fixture(scope="module")
def central_hub(tmp_path_factory) -> Hub:
    try:
        address = socket.gethostbyname("central-hub")
    except OSError:
        address = None
    if address != "127.0.0.1":
        pytest.fail("central-hub does not resolve to 127.0.0.1: run the suite through tests/python/run (its own network namespace)")
    closed = free_port()  # nothing listens there: a component that is down
    with socket.socket() as listening:  # a component that is up, before the hub's first check
        listening.bind(("127.0.0.1", 0))
        listening.listen(16)
        infrastructure = (
            "  infrastructure:\n"
            f"    - {{name: postgresql, probe: tcp, host: 127.0.0.1, port: {listening.getsockname()[1]}}}\n"
            f"    - {{name: kafka, probe: tcp, host: 127.0.0.1, port: {closed}}}\n"
        )
        hub = Hub(tmp_path_factory.mktemp("central-hub"), port=8001, extra=infrastructure, host="central-hub").start()
        yield hub
        hub.stop()


@pytest.fixture(autouse=True)
def cache_in_tmp(tmp_path, monkeypatch):
    # The samples' ConfigClients keep their cache files under the system's temporary folder.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))


def instance(hub: Hub, service: str, instance_id: str) -> Dict[str, Any]:
    for each in hub.call("GET", f"/services/{service}")["instances"]:
        if each["instance_id"] == instance_id:
            return each
    raise AssertionError(f"{service} has no instance {instance_id}")


def test_example_1_registers_and_heartbeats_beside_another_replica(central_hub: Hub):
    # A second replica first: from now on the hub needs to know which instance a heartbeat is for.
    central_hub.call("POST", "/register", {"service_name": "polygon-live-collector", "host": "polygon-live-collector-2", "port": 8002})
    central_hub.call(
        "POST", "/heartbeat", {"service_name": "polygon-live-collector", "instance_id": "polygon-live-collector-2:8002", "status": "degraded"}
    )

    async def main():
        namespace = await run_sample(1)
        hub = namespace["hub"]
        mine = hub.instance_id("polygon-live-collector")
        assert mine == "polygon-live-collector:8002"
        # The sample's task has not run yet (nothing awaited since it was made). Mark the instance
        # degraded from outside: only the sample's heartbeat can make it healthy again.
        central_hub.call("POST", "/heartbeat", {"service_name": "polygon-live-collector", "instance_id": mine, "status": "degraded"})
        beats = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        assert len(beats) == 1
        try:
            await eventually(
                lambda: beats[0].done() or instance(central_hub, "polygon-live-collector", mine)["status"] == "healthy",
                what="the sample's heartbeat",
            )
            assert not beats[0].done(), f"the heartbeat loop ended: {beats[0].exception()!r}"
            recorded = instance(central_hub, "polygon-live-collector", mine)
            assert recorded["status"] == "healthy"
            assert recorded["version"] == "1.2.3"
            assert recorded["dependencies"] == ["central-hub", "timescaledb", "nats"]
            assert recorded["metadata"] == {"type": "data-ingestion", "phase": "phase-1", "priority": "P0"}
            # The other replica's status is its own: the sample's heartbeats never named it.
            assert instance(central_hub, "polygon-live-collector", "polygon-live-collector-2:8002")["status"] == "degraded"
        finally:
            beats[0].cancel()
            await hub.aclose()

    asyncio.run(main())


def test_example_2_lays_the_hubs_config_over_the_safe_defaults(central_hub: Hub, capsys):
    central_hub.call("PUT", "/config/tick-aggregator", {"config_data": {"operational": {"timeframes": ["1m", "5m"]}}, "created_by": "test"})

    async def main():
        namespace = await run_sample(2)
        assert namespace["client"].source == "hub"
        await namespace["client"].aclose()

    asyncio.run(main())
    # timeframes from the hub, the interval from the safe defaults (the hub does not set it)
    assert capsys.readouterr().out == "Aggregating to: ['1m', '5m'], Interval: 60s\n"


def test_example_3_hot_reloads_into_the_samples_global(central_hub: Hub):
    central_hub.call(
        "PUT", "/config/risk-management", {"config_data": {"operational": {"position_limits": {"max_position_size": 100}}}}
    )

    async def main():
        namespace = await run_sample(3)
        client = namespace["client"]
        try:
            assert client.watching
            assert "MAX_POSITION_SIZE" not in namespace  # the callback runs on changes, not at the start
            for size in (250, 400):
                central_hub.call(
                    "PUT", "/config/risk-management", {"config_data": {"operational": {"position_limits": {"max_position_size": size}}}}
                )
                await eventually(lambda: namespace.get("MAX_POSITION_SIZE") == size, what=f"the hot reload to {size}")
        finally:
            await client.aclose()

    asyncio.run(main())


def test_example_4_lists_healthy_instances_and_finds_a_service(central_hub: Hub, capsys):
    for host, port, status in (("fe-1", 8010, "healthy"), ("fe-2", 8011, "healthy"), ("bridge-1", 8020, "degraded")):
        service = "feature-engineering" if host.startswith("fe") else "data-bridge"
        central_hub.call("POST", "/register", {"service_name": service, "host": host, "port": port})
        central_hub.call("POST", "/heartbeat", {"service_name": service, "instance_id": f"{host}:{port}", "status": status})
    healthy = [each for each in central_hub.call("GET", "/services?status=healthy")["services"]]

    async def main():
        namespace = await run_sample(4)
        await namespace["hub"].aclose()

    asyncio.run(main())
    lines = capsys.readouterr().out.splitlines()
    listed = lines[:-1]
    assert listed == [f"{each['service_name']}: {each['host']}:{each['port']}" for each in healthy]
    assert "feature-engineering: fe-1:8010" in listed and "feature-engineering: fe-2:8011" in listed
    assert not any(line.startswith("data-bridge") for line in listed)  # degraded
    assert lines[-1] in ("Feature service URL: http://fe-1:8010", "Feature service URL: http://fe-2:8011")


def test_example_5_creates_a_version_that_watchers_hot_reload(central_hub: Hub, capsys):
    from central_hub import ConfigClient

    async def main():
        watcher = ConfigClient("polygon-live-collector", base_url=central_hub.url, cache_file=central_hub.folder / "plc.json")
        seen = []
        await watcher.init_async()
        await watcher.watch_config(lambda config: seen.append(config))
        try:
            await eventually(lambda: watcher.watching and watcher.source == "hub", what="the watcher's start")
            await (await run_sample(5))["api"].aclose()
            await eventually(lambda: seen and seen[-1]["operational"]["symbols"][-1] == "GBPUSD", what="the watcher's reload")
            assert seen[-1]["operational"]["websocket_reconnect_delay"] == 10
        finally:
            await watcher.aclose()

    asyncio.run(main())
    stored = central_hub.call("GET", "/config/polygon-live-collector")
    assert capsys.readouterr().out == f"Config updated to version {stored['version']}\n"
    assert stored["created_by"] == "admin"


def test_example_6_prints_every_components_check(central_hub: Hub, capsys):
    def checked() -> bool:
        components = central_hub.call("GET", "/health/infrastructure")
        return all(each.get("checked_at") for each in components.values())

    wait_for(checked, what="the first infrastructure checks")

    async def main():
        namespace: Dict[str, Any] = {}
        loop = asyncio.get_running_loop().create_task(run_sample(6, namespace))
        printed = []

        def two_lines() -> bool:
            printed.extend(capsys.readouterr().out.splitlines())
            return len(printed) >= 2 or loop.done()

        await eventually(two_lines, what="the sample's first round of checks")
        assert not loop.done(), f"the sample's loop ended: {loop.exception()!r}"
        loop.cancel()
        await namespace["monitor"].aclose()
        return printed

    printed = asyncio.run(main())
    assert len([line for line in printed if re.fullmatch(r"✅ postgresql: \d+\.\d\dms", line)]) == 1, printed
    down = [line for line in printed if line.startswith("❌ kafka: ")]
    assert len(down) == 1 and "refused" in down[0].lower(), printed
