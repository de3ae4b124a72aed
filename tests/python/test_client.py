"""CentralHubClient against a live hub: the happy paths, the hub's refusals, its absence, fork."""

from __future__ import annotations

import asyncio
import gc
import os
import threading
import warnings

import pytest

from central_hub import CentralHubClient, HubError, HubUnavailable
from conftest import Hub, eventually, free_port


def register(hub: Hub, service: str, host: str, port: int, **extra) -> None:
    hub.call("POST", "/register", {"service_name": service, "host": host, "port": port, **extra})


def test_get_service_has_the_seeds_shape(hub: Hub):
    register(hub, "feature-engineering", "fe-1", 8010)
    register(hub, "feature-engineering", "fe-2", 8011)
    hub.call("POST", "/heartbeat", {"service_name": "feature-engineering", "instance_id": "fe-1:8010", "status": "degraded"})

    async def main():
        async with CentralHubClient(hub.url) as client:
            service = await client.get_service("feature-engineering")
            assert (service["host"], service["port"]) == ("fe-2", 8011)  # the healthy one
            assert service["url"] == "http://fe-2:8011"
            assert sorted(each["instance_id"] for each in service["instances"]) == ["fe-1:8010", "fe-2:8011"]
            assert await client.get_service("no-such-service") is None
            assert await client.discover_service("feature-engineering") == "http://fe-2:8011"
            assert await client.discover_service("no-such-service") is None
            endpoint = await client.get_load_balanced_endpoint("feature-engineering")
            assert (endpoint["host"], endpoint["port"], endpoint["load"]) == ("fe-2", 8011, None)
            assert await client.report_outcome(endpoint, "success", 3.5) == {"accepted": 1, "unknown": 0}
            assert await client.get_circuit_state("feature-engineering") == "CLOSED"
            with pytest.raises(HubError) as refused:
                await client.get_circuit_state("no-such-service")
            assert refused.value.status == 404 and "not registered" in refused.value.message

    asyncio.run(main())


def test_a_service_whose_instances_are_all_down_has_no_host(hub: Hub):
    register(hub, "ml-processing", "ml-1", 9000)
    hub.call("POST", "/deregister", {"service_name": "ml-processing", "instance_id": "ml-1:9000"})
    register(hub, "ml-processing", "ml-1", 9000)

    async def main():
        async with CentralHubClient(hub.url) as client:
            await client.register_service(service_name="ml-processing", host="ml-2", port=9001)
            services = await client.get_services(status="healthy")
            assert sorted(each["instance_id"] for each in services) == ["ml-1:9000", "ml-2:9001"]

    asyncio.run(main())


def test_registration_refused_is_raised_at_once_with_the_reason(hub: Hub):
    async def main():
        async with CentralHubClient(hub.url, register_attempts=5) as client:
            started = asyncio.get_running_loop().time()
            with pytest.raises(HubError) as refused:
                await client.register_service({"name": "orders", "host": "orders-1", "port": 70000})
            assert refused.value.status == 400 and "port" in refused.value.message
            assert asyncio.get_running_loop().time() - started < 2  # no retries of a 4xx
            with pytest.raises(ValueError):
                await client.register_service(host="orders-1", port=80)

    asyncio.run(main())


def test_registration_waits_for_a_hub_that_starts_later(make_hub):
    hub = make_hub()

    async def main():
        async with CentralHubClient(hub.url, register_attempts=30, max_backoff=0.5) as client:
            registering = asyncio.get_running_loop().create_task(
                client.register_service({"name": "data-bridge", "host": "data-bridge-1", "port": 8001, "protocol": "http"})
            )
            await asyncio.sleep(0.3)
            assert not registering.done()  # refused connections, retried
            await asyncio.to_thread(hub.start)
            instance = await asyncio.wait_for(registering, 30)
            assert instance["instance_id"] == "data-bridge-1:8001"
            assert client.instance_id("data-bridge") == "data-bridge-1:8001"

    asyncio.run(main())


def test_no_hub_is_hub_unavailable_not_a_hang(make_hub):
    hub = make_hub()  # never started: its port refuses

    async def main():
        async with CentralHubClient(hub.url) as client:
            with pytest.raises(HubUnavailable) as failed:
                await client.get_services()
            assert failed.value.status == 0 and hub.url in str(failed.value)

    asyncio.run(main())


def test_background_heartbeats_keep_beating_and_re_register_a_forgotten_instance(hub: Hub):
    async def main():
        client = CentralHubClient(hub.url)
        await client.register_service(service_name="payments", host="payments-1", port=7000, version="2.0")
        register(hub, "payments", "payments-2", 7000)  # a replica: beats must name the instance
        task = client.start_heartbeat("payments", interval=0.1, status=lambda: "degraded", metrics=lambda: {"load": 0.25})
        assert client.start_heartbeat("payments") is task  # one task per service

        def status() -> str:
            return {i["instance_id"]: i["status"] for i in hub.call("GET", "/services/payments")["instances"]}.get("payments-1:7000", "gone")

        await eventually(lambda: status() == "degraded", what="a background heartbeat")
        # The hub forgets the instance (an operator, an expiry): the next beat registers it again.
        hub.call("POST", "/deregister", {"service_name": "payments", "instance_id": "payments-1:7000"})
        await eventually(lambda: status() == "degraded", what="the re-registration")
        again = [i for i in hub.call("GET", "/services/payments")["instances"] if i["instance_id"] == "payments-1:7000"][0]
        assert again["version"] == "2.0"
        endpoint = await client.get_load_balanced_endpoint("payments")
        assert endpoint is not None
        await client.aclose()
        assert task.cancelled()

    asyncio.run(main())


def test_deployments_and_the_global_config(hub: Hub):
    for n in (1, 2):
        register(hub, "trading-engine", f"te-{n}", 7100, version="v2.0.0")

    async def main():
        async with CentralHubClient(hub.url) as client:
            rollout = await client.coordinate_deployment(
                {"service": "trading-engine", "version": "v2.1.0", "strategy": "rolling", "batch_size": 2}
            )
            assert rollout["phase"] == "progressing" and rollout["from_version"] == "v2.0.0"
            assert (await client.get_deployment(rollout["id"]))["id"] == rollout["id"]
            with pytest.raises(HubError) as refused:
                await client.coordinate_deployment({"service": "trading-engine", "version": "v2.2.0", "strategy": "sideways"})
            assert refused.value.status in (400, 409)
            first = await client.update_global_config({"rate_limits": {"free_tier": 50, "pro_tier": 200, "enterprise_tier": 1000}})
            second = await client.update_global_config({"rate_limits": {"free_tier": 60}}, created_by="ops")
            assert second == first + 1
            assert await client.get_global_config() == {"rate_limits": {"free_tier": 60}}

    asyncio.run(main())


def test_one_client_serves_several_loops_and_a_forked_child(hub: Hub):
    register(hub, "orders", "orders-1", 7200)
    client = CentralHubClient(hub.url)
    assert asyncio.run(client.discover_service("orders")) == "http://orders-1:7200"
    # A second loop (another asyncio.run): the first loop's session is not touched.
    assert asyncio.run(client.discover_service("orders")) == "http://orders-1:7200"

    child = os.fork()
    if child == 0:  # gunicorn's --preload: the parent made the client, a worker uses it
        try:
            code = 0 if asyncio.run(client.discover_service("orders")) == "http://orders-1:7200" else 1
        except BaseException:
            code = 2
        os._exit(code)
    _, status = os.waitpid(child, 0)
    assert os.WEXITSTATUS(status) == 0
    # The parent's connections survived the child.
    assert asyncio.run(client.discover_service("orders")) == "http://orders-1:7200"

    async def close():
        await client.aclose()

    asyncio.run(close())


def test_a_closed_client_leaves_nothing_unclosed(hub: Hub):
    async def main():
        async with CentralHubClient(hub.url) as client:
            await client.get_services()
            client.start_heartbeat("nobody", interval=10)

    gc.collect()  # what earlier tests left is not this test's
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        asyncio.run(main())
        gc.collect()
    assert [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)] == []


def test_the_client_makes_no_threads(hub: Hub, tmp_path):
    from central_hub import ConfigClient

    # By address: a host name is resolved by aiohttp with getaddrinfo on the loop's executor.
    register(hub, "orders", "orders-1", 7200)
    address = hub.url

    async def main():
        assert threading.active_count() == 1
        async with CentralHubClient(address) as client:
            await client.register_service(service_name="payments", host="payments-1", port=7000)
            client.start_heartbeat("payments", interval=0.05)
            assert (await client.get_service("orders"))["host"] == "orders-1"
            config = ConfigClient("payments", base_url=address, cache_file=tmp_path / "p.json")
            await config.init_async()
            await config.watch_config(lambda c: None)
            await eventually(lambda: config.following == "stream", what="the stream")
            await asyncio.sleep(0.2)  # some beats
            assert threading.active_count() == 1, [t.name for t in threading.enumerate()]
            await config.aclose()

    asyncio.run(main())


def test_several_hubs_a_dead_or_failing_one_is_passed_over(hub: Hub):
    from aiohttp import web

    async def scenario():
        async def unavailable(request):
            return web.json_response({"error": "unavailable", "message": "storage is away"}, status=503)

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", unavailable)
        runner = web.AppRunner(app)
        await runner.setup()
        failing = web.TCPSite(runner, "127.0.0.1", 0)
        await failing.start()
        failing_url = f"http://127.0.0.1:{failing._server.sockets[0].getsockname()[1]}"
        dead_url = f"http://127.0.0.1:{free_port()}"
        async with CentralHubClient(f"{dead_url}, {failing_url},{hub.url}") as client:
            await client.register_service(service_name="quotes", host="10.0.0.5", port=8002)
            assert await client.discover_service("quotes") == "http://10.0.0.5:8002"
            assert client.base_url == hub.url  # the hub that answered is asked first from now on
        async with CentralHubClient(f"{dead_url},{failing_url}", register_attempts=1) as client:
            with pytest.raises(HubError) as refused:
                await client.get_services()
            assert refused.value.status == 503  # every hub failed: the last answer, as it was
        await runner.cleanup()

    asyncio.run(scenario())


def test_a_bad_address_in_the_list_is_refused_with_its_name():
    with pytest.raises(ValueError, match="ftp://hub-2"):
        CentralHubClient("http://127.0.0.1:8001,ftp://hub-2")
