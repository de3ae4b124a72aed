#!/usr/bin/python3
"""Several hubds on one PostgreSQL: how long a config change made through one hub takes to wake
watchers on the others (p50, p99), and lookups per second with 1, 2 and 3 hubs (wrk, one per hub).

    bench/cluster_bench.py [changes]    (hubd: HUB_HUBD and HUB_PLUGIN_DIR, by default build/'s;
                                         PostgreSQL: HUB_TEST_PG_HOST, _PORT, _USER, as tools/dev sets them)

A scratch database is made and dropped. Prints figures; not a test.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "python"))

import conftest  # noqa: E402 - the tests' hub launcher

PG = {
    "host": os.environ.get("HUB_TEST_PG_HOST", "127.0.0.1"),
    "port": os.environ.get("HUB_TEST_PG_PORT", "5432"),
    "user": os.environ.get("HUB_TEST_PG_USER", "postgres"),
}
DATABASE = f"hub_cluster_bench_{os.getpid()}"


def psql(sql: str) -> None:
    subprocess.run(["psql", "-h", PG["host"], "-p", PG["port"], "-U", PG["user"], "-d", "postgres", "-qc", sql], check=True)


class PostgresHub(conftest.Hub):
    sections = "health_monitoring:\n  check_interval_seconds: 60\n  service_probe: http\n"  # the manifest's own sections

    def write_manifest(self) -> None:
        self.manifest.write_text(
            f"listen: 127.0.0.1:{self.port}\n"
            f"storage: {{backend: postgres, postgres: {{host: {PG['host']}, port: {PG['port']}, dbname: {DATABASE}, user: {PG['user']}}}}}\n"
            "logging: {level: warn, format: text}\n"
            "registration: {denied_networks: []}\n" + self.sections + conftest.PLUGINS
        )


def percentile(values: list, fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def change_latency(hubs: list, changes: int) -> None:
    """Each change is a PUT through hubs[0]; a watcher on every hub waits for it."""
    latencies = {i: [] for i in range(len(hubs))}
    async with aiohttp.ClientSession() as session:

        async def revision(url: str) -> int:
            async with session.get(f"{url}/config/latency") as answer:
                return (await answer.json()).get("revision", 0) if answer.status == 200 else 0

        async with session.put(f"{hubs[0].url}/config/latency", json={"config_data": {"n": -1}}) as answer:
            assert answer.status == 201, await answer.text()
        while 0 in [await revision(hub.url) for hub in hubs]:
            await asyncio.sleep(0.01)
        for n in range(changes):
            known = [await revision(hub.url) for hub in hubs]

            async def watch(i: int) -> float:
                url = f"{hubs[i].url}/config/latency/watch?index={known[i]}&wait=10"
                async with session.get(url) as answer:
                    assert answer.status == 200, await answer.text()
                    return time.perf_counter()

            watchers = [asyncio.create_task(watch(i)) for i in range(len(hubs))]
            await asyncio.sleep(0.005)  # the watches are parked
            started = time.perf_counter()
            async with session.put(f"{hubs[0].url}/config/latency", json={"config_data": {"n": n}}) as answer:
                assert answer.status == 201, await answer.text()
            for i, woken in enumerate(await asyncio.gather(*watchers)):
                latencies[i].append((woken - started) * 1000)
    own = latencies[0]
    others = [ms for i in range(1, len(hubs)) for ms in latencies[i]]
    print(f"a config change through one hub, {changes} changes: watchers on the same hub p50 {percentile(own, 0.5):.2f} ms, "
          f"p99 {percentile(own, 0.99):.2f} ms; on the other hubs p50 {percentile(others, 0.5):.2f} ms, p99 {percentile(others, 0.99):.2f} ms")


def lookups(hubs: list, seconds: int) -> float:
    runs = [
        subprocess.Popen(["wrk", "-t1", "-c32", f"-d{seconds}s", f"{hub.url}/services/orders"], stdout=subprocess.PIPE, text=True)
        for hub in hubs
    ]
    total = 0.0
    for run in runs:
        out, _ = run.communicate()
        total += float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    return total


def main() -> None:
    changes = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    print(f"hubd: {conftest.HUBD}; PostgreSQL {PG['host']}:{PG['port']}")
    psql(f"CREATE DATABASE {DATABASE}")
    hubs = []
    try:
        with tempfile.TemporaryDirectory() as folder:
            for i in range(3):
                hubs.append(PostgresHub(Path(folder) / f"hub{i}").start())
            hubs[0].call("POST", "/register", {"service_name": "orders", "host": "10.0.0.1", "port": 8000})
            while any(not hub.call("GET", "/services").get("services") for hub in hubs):
                time.sleep(0.01)
            asyncio.run(change_latency(hubs, changes))
            for count in (1, 2, 3):
                print(f"GET /services/orders with {count} hub(s), wrk -t1 -c32 per hub, 5 s: {lookups(hubs[:count], 5):,.0f} requests/s")
    finally:
        for hub in hubs:
            hub.stop()
        psql(f"DROP DATABASE IF EXISTS {DATABASE}")


if __name__ == "__main__":
    main()
