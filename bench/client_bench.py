#!/usr/bin/python3
"""The Python client against a live hubd: lookups per second, one at a time and 64 at once, and how
long a config change takes to reach a watcher's callback, over the stream and over blocking watches.

    bench/client_bench.py     (hubd: HUB_HUBD and HUB_PLUGIN_DIR, by default build/core/hubd and build/plugins)

Prints figures; it is not a test (these machines are shared and noisy).
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "python"))
sys.path.insert(0, str(ROOT / "tests" / "python"))

import conftest  # noqa: E402 - the tests' hub launcher
from central_hub import CentralHubClient, ConfigClient  # noqa: E402

LOOKUPS = 5000
CHANGES = 200


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def lookups(url: str) -> None:
    async with CentralHubClient(url) as client:
        await client.register_service(service_name="orders", host="orders-1", port=7000)
        await client.discover_service("orders")
        started = time.perf_counter()
        for _ in range(LOOKUPS):
            await client.discover_service("orders")
        sequential = LOOKUPS / (time.perf_counter() - started)

        async def worker(count: int) -> None:
            for _ in range(count):
                await client.discover_service("orders")

        started = time.perf_counter()
        await asyncio.gather(*(worker(LOOKUPS // 64) for _ in range(64)))
        concurrent = (LOOKUPS // 64 * 64) / (time.perf_counter() - started)
        started = time.perf_counter()
        for _ in range(LOOKUPS // 5):
            await client.heartbeat("orders", status="healthy")
        beats = (LOOKUPS // 5) / (time.perf_counter() - started)
    # The floor: the same request through a bare aiohttp session, without the client.
    import aiohttp

    async with aiohttp.ClientSession() as session:
        started = time.perf_counter()
        for _ in range(LOOKUPS):
            async with session.get(f"{url}/discover/orders") as answer:
                await answer.json()
        bare = LOOKUPS / (time.perf_counter() - started)
    print(f"bare aiohttp GET /discover, one at a time: {bare:8.0f} /s  ({1e6 / bare:.0f} us each)")
    print(f"discover_service, one at a time:  {sequential:8.0f} /s  ({1e6 / sequential:.0f} us each, {sequential / bare:.2f} of bare aiohttp)")
    print(f"discover_service, 64 at once:     {concurrent:8.0f} /s")
    print(f"heartbeat, one at a time:         {beats:8.0f} /s")


async def reloads(url: str, use_stream: bool, folder: str) -> None:
    changed = asyncio.Event()
    client = ConfigClient("bench", base_url=url, use_stream=use_stream, cache_file=f"{folder}/bench-{use_stream}.json")
    await client.init_async()
    await client.watch_config(lambda config: changed.set())
    writer = CentralHubClient(url)
    transport = writer._transport  # a plain PUT through the same kind of session
    while client.following is None or not client.watching:
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.2)
    latencies = []
    for step in range(CHANGES):
        changed.clear()
        started = time.perf_counter()
        await transport.request("PUT", "/config/bench", body={"config_data": {"step": step, "use_stream": use_stream}})
        await asyncio.wait_for(changed.wait(), 10)
        latencies.append((time.perf_counter() - started) * 1000)
    await client.aclose()
    await writer.aclose()
    how = "stream (WebSocket)" if use_stream else "blocking watches  "
    print(
        f"config change -> callback, {how}: p50 {statistics.median(latencies):.2f} ms, "
        f"p99 {percentile(latencies, 0.99):.2f} ms, max {max(latencies):.2f} ms  ({CHANGES} changes, PUT included)"
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        hub = conftest.Hub(Path(folder) / "hub").start()
        try:
            print(f"hubd: {conftest.HUBD}")
            asyncio.run(lookups(hub.url))
            asyncio.run(reloads(hub.url, True, folder))
            asyncio.run(reloads(hub.url, False, folder))
        finally:
            hub.stop()


if __name__ == "__main__":
    main()
