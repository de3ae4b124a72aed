"""Several hubds on one PostgreSQL, as a platform runs them: the Python client given every hub's
address carries on when the hub it talks to is killed (kill -9) under load, nothing acknowledged
is lost, the liveness lease and the health checks move to a survivor, and a PostgreSQL restart
under load leaves reads uninterrupted, writes back by themselves and watchers missing nothing.

The test runs a PostgreSQL of its own (it restarts it), so it needs the server's binaries.
"""

from __future__ import annotations

import asyncio
import glob
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Iterator, List

import pytest

from central_hub import CentralHubClient, ConfigAPI, ConfigClient, HubError
from conftest import Hub, eventually, free_port, wait_for

PG_BINS = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda path: int(path.split("/")[-2]))


class Postgres:
    """A throwaway PostgreSQL cluster on a loopback port of its own."""

    def __init__(self) -> None:
        self.bin = PG_BINS[-1]
        self.folder = Path(tempfile.mkdtemp(prefix="hub-cluster-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        if os.getuid() == 0:  # PostgreSQL refuses to run as root
            shutil.chown(self.folder, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync")

    def _run(self, tool: str, *args: str) -> None:
        command = [f"{self.bin}/{tool}", *args]
        if os.getuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def start(self) -> None:
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.data} -c fsync=off -c max_connections=200"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.data / "server.log"), "-w", "-o", options, "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def create_database(self, name: str) -> str:
        subprocess.run(
            [f"{self.bin}/psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-qc", f"CREATE DATABASE {name}"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        return f"{{backend: postgres, postgres: {{host: 127.0.0.1, port: {self.port}, dbname: {name}, user: postgres, connect_timeout_seconds: 2}}}}"

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture(scope="module")
def postgres() -> Iterator[Postgres]:
    if not PG_BINS:
        pytest.skip("no PostgreSQL server binaries (postgresql) on this machine")
    server = Postgres()
    server.start()
    yield server
    try:
        server.stop()
    finally:
        server.remove()


def start_hubs(postgres: Postgres, tmp_path: Path, count: int, database: str) -> List[Hub]:
    storage = postgres.create_database(database)
    hubs = [Hub(tmp_path / f"hub{i}", storage=storage) for i in range(count)]
    for hub in hubs:
        hub.start()
    wait_for(lambda: all(len(hub.call("GET", "/cluster")["hubs"]) == count for hub in hubs), what="the hubs seeing each other")
    return hubs


async def write_configs(api: ConfigAPI, stop: asyncio.Event, written: list, pause: float) -> None:
    """Config updates n = 1, 2, ...; each acknowledged one is kept with when it was."""
    n = 0
    while not stop.is_set():
        n += 1
        try:
            await api.update_config("pricer", {"n": n})
            written.append((n, time.monotonic()))
        except HubError:
            pass  # refused (the database away) or unanswered: not acknowledged
        await asyncio.sleep(pause)


def leases(hub: Hub) -> dict:
    return {lease: member["address"] for member in hub.call("GET", "/cluster")["hubs"] for lease in member.get("leases", [])}


@pytest.mark.parametrize("use_stream", [True, False], ids=["stream", "watches"])
def test_kill_9_of_the_hub_in_use_under_load(postgres: Postgres, tmp_path: Path, use_stream: bool) -> None:
    hubs = start_hubs(postgres, tmp_path, 3, f"kill_{'stream' if use_stream else 'watches'}")
    closed = free_port()  # health endpoints that refuse at once: every registration is a check target
    urls = ",".join(hub.url for hub in hubs)  # the first, the one the clients use, is killed

    async def scenario() -> None:
        client = CentralHubClient(urls, timeout=2.0)
        api = ConfigAPI(urls, timeout=2.0)
        watcher = ConfigClient(
            "pricer", {}, base_url=urls, cache_file=tmp_path / "pricer.json", initial_backoff=0.05, max_backoff=0.3,
            watch_wait_seconds=2.0, use_stream=use_stream, timeout=2.0,
        )
        seen: List[int] = []
        await watcher.init_async()
        await watcher.watch_config(lambda config: seen.append(config.get("n", 0)))
        registered: List[str] = []
        written: List[tuple] = []  # (n, acknowledged at)
        stop = asyncio.Event()

        async def registrations() -> None:
            i = 0
            while not stop.is_set():
                name = f"load-{i}"
                i += 1
                try:
                    await client.register_service(
                        service_name=name, host="127.0.0.1", port=closed, health_endpoint="/health", version="1.0.0"
                    )
                    registered.append(name)
                except HubError:
                    pass  # not acknowledged: it may or may not have landed


        load = [asyncio.create_task(registrations()), asyncio.create_task(write_configs(api, stop, written, 0.01))]
        await eventually(lambda: len(registered) >= 20 and len(written) >= 20, what="load before the kill")
        hubs[0].stop(signal.SIGKILL)
        before = (len(registered), len(written))
        await eventually(lambda: len(registered) >= before[0] + 20 and len(written) >= before[1] + 20, what="load after the kill")
        stop.set()
        await asyncio.gather(*load)
        final = written[-1][0]
        await eventually(lambda: bool(seen) and seen[-1] == final, what=f"the watcher reaching n={final} (it saw {seen[-5:]})")
        assert seen == sorted(set(seen)), f"the watch went back in time or repeated itself: {seen}"
        await client.aclose()
        await api.aclose()
        await watcher.aclose()

        for hub in hubs[1:]:
            served = {service["service_name"] for service in hub.call("GET", "/services")["services"]}
            missing = set(registered) - served
            assert not missing, f"{hub.url} lost acknowledged registrations: {sorted(missing)[:5]}"
            assert hub.call("GET", "/config/pricer")["config"]["n"] == final

    asyncio.run(scenario())

    # The survivors see the kill within seconds; the leases and the checks move to them.
    survivors = {hub.url.split("//")[1] for hub in hubs[1:]}
    wait_for(lambda: len(hubs[1].call("GET", "/cluster")["hubs"]) == 2, timeout=15, what="the killed hub leaving the list")
    wait_for(lambda: leases(hubs[1]).get("liveness") in survivors, timeout=15, what="a survivor taking the liveness lease")

    def checks_shared() -> bool:
        shares = [hub.call("GET", "/health")["cluster"] for hub in hubs[1:]]
        return all(share["checks_known"] > 0 for share in shares) and sum(share["checks_owned"] for share in shares) == shares[0]["checks_known"]

    wait_for(checks_shared, timeout=15, what="the survivors sharing every check between them")
    for hub in hubs[1:]:
        hub.stop()


def test_a_postgres_restart_under_load(postgres: Postgres, tmp_path: Path) -> None:
    hubs = start_hubs(postgres, tmp_path, 2, "restart")
    urls = ",".join(hub.url for hub in hubs)

    async def scenario() -> None:
        client = CentralHubClient(urls, timeout=2.0)
        api = ConfigAPI(urls, timeout=2.0)
        await client.register_service(service_name="steady", host="10.0.0.9", port=9000)
        watcher = ConfigClient(
            "pricer", {}, base_url=hubs[1].url, cache_file=tmp_path / "pricer.json", initial_backoff=0.05, max_backoff=0.3,
            use_stream=True, timeout=2.0,
        )
        seen: List[int] = []
        await watcher.init_async()
        await watcher.watch_config(lambda config: seen.append(config.get("n", 0)))
        reads = {"ok": 0, "failed": 0}
        written: List[tuple] = []  # (n, acknowledged at)
        stop = asyncio.Event()

        async def reading() -> None:
            while not stop.is_set():
                try:
                    assert await client.discover_service("steady") == "http://10.0.0.9:9000"
                    reads["ok"] += 1
                except HubError:
                    reads["failed"] += 1
                await asyncio.sleep(0.005)


        load = [asyncio.create_task(reading()), asyncio.create_task(write_configs(api, stop, written, 0.02))]
        await eventually(lambda: len(written) >= 10, what="writes before the restart")
        await asyncio.to_thread(postgres.stop)
        await asyncio.to_thread(postgres.start)
        restarted = time.monotonic()
        await eventually(lambda: sum(1 for _, at in written if at > restarted) >= 20, timeout=30, what="writes after the restart")
        stop.set()
        await asyncio.gather(*load)
        assert reads["failed"] == 0, f"{reads['failed']} of {reads['ok'] + reads['failed']} reads failed while PostgreSQL restarted"
        final = written[-1][0]
        await eventually(lambda: bool(seen) and seen[-1] == final, what=f"the watcher on the other hub reaching n={final}")
        assert seen == sorted(set(seen)), f"the watch went back in time or repeated itself: {seen}"
        for hub in hubs:
            assert hub.call("GET", "/config/pricer")["config"]["n"] == final
        await client.aclose()
        await api.aclose()
        await watcher.aclose()

    asyncio.run(scenario())
    for hub in hubs:
        hub.stop()
