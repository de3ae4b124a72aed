"""PerformanceTracker: the seed's sample as written, histograms per operation, reports to a live hub
that serves percentiles and exports a Prometheus histogram, kept while the hub is away."""

from __future__ import annotations

import asyncio
import subprocess
import time
import urllib.request

from central_hub.performance import BOUNDS_MS, Histogram, PerformanceTracker
from conftest import Hub


def process_websocket_message():
    time.sleep(0.002)


def test_the_seeds_sample_as_written_and_the_hubs_view(hub: Hub):
    from central_hub.static.utils.performance import PerformanceTracker  # the seed's import line

    async def main():
        # Usage
        tracker = PerformanceTracker(service_name="api-gateway", base_url=hub.url, interval=60)
        with tracker.measure("websocket_processing"):
            process_websocket_message()
        for milliseconds in (0.3, 7, 7, 40, 20_000):
            tracker.record("orders.place", milliseconds)
        assert tracker.stats()["websocket_processing"]["count"] == 1
        assert 2 <= tracker.stats()["websocket_processing"]["mean_ms"] < 1000
        await tracker.aclose()  # the last report

    asyncio.run(main())
    served = hub.call("GET", "/performance?service=api-gateway")
    assert served["bounds_ms"] == BOUNDS_MS
    orders = served["services"]["api-gateway"]["orders.place"]
    assert orders["count"] == 5 and abs(orders["sum_ms"] - 20054.3) < 1e-6
    assert orders["p50_ms"] == 8.75  # the 2.5th of 5, inside the 5-10 ms bucket with two of them
    assert orders["p99_ms"] == 10000  # above the last bound: the bound is what is known
    assert served["services"]["api-gateway"]["websocket_processing"]["count"] == 1
    with urllib.request.urlopen(f"{hub.url}/metrics") as answer:
        metrics = answer.read().decode()
    assert 'hub_operation_duration_seconds_bucket{service="api-gateway",operation="orders.place",le="0.01"} 3' in metrics
    assert 'hub_operation_duration_seconds_count{service="api-gateway",operation="orders.place"} 5' in metrics
    promtool = subprocess.run(["promtool", "check", "metrics"], input=metrics, capture_output=True, text=True)
    assert promtool.returncode == 0, promtool.stdout + promtool.stderr


def test_reports_wait_for_a_hub_that_is_away_and_are_not_sent_twice(make_hub):
    hub = make_hub()

    async def main():
        tracker = PerformanceTracker("orders", base_url=hub.url, interval=0.05)

        @tracker.timed("handle")
        async def handle():
            await asyncio.sleep(0)

        for _ in range(3):
            await handle()
        await asyncio.sleep(0.2)  # reports fail: the hub is not there yet
        await asyncio.to_thread(hub.start)
        for _ in range(2):
            await handle()
        await asyncio.sleep(0.3)
        await tracker.aclose()

    asyncio.run(main())
    assert hub.call("GET", "/performance")["services"]["orders"]["handle"]["count"] == 5


def test_a_bad_report_is_refused_whole(hub: Hub):
    def post(body: str) -> int:
        request = urllib.request.Request(f"{hub.url}/performance", data=body.encode(), method="POST")
        try:
            with urllib.request.urlopen(request) as answer:
                return answer.status
        except urllib.error.HTTPError as error:
            return error.code

    good = '{"operation": "x", "buckets": [0,0,0,0,0,0,0,0,0,0,0,0,0,0,1], "count": 1, "sum_ms": 12000}'
    assert post('{"service": "orders", "operations": [' + good + "]}") == 200
    assert post('{"service": "orders", "bounds_ms": [1, 2], "operations": []}') == 400
    assert post('{"service": "orders", "operations": [' + good + ', {"operation": "y", "buckets": [1], "sum_ms": 1}]}') == 400
    assert post('{"service": "orders", "operations": [{"operation": "y", "buckets": [0,0,0,0,0,0,0,0,0,0,0,0,0,0,-1], "sum_ms": 1}]}') == 400
    assert post('{"service": "orders", "operations": [{"operation": "y", "buckets": [0,0,0,0,0,0,0,0,0,0,0,0,0,0,1], "count": 2, "sum_ms": 1}]}') == 400
    assert post('{"service": "bad name", "operations": []}') == 400
    assert hub.call("GET", "/performance")["services"]["orders"]["x"]["count"] == 1  # only the good report counted


def test_histogram_percentiles_interpolate_within_a_bucket():
    histogram = Histogram()
    for milliseconds in (6, 7, 8, 9):
        histogram.add(milliseconds)
    assert histogram.percentile(0.5) == 7.5  # the 5-10 ms bucket holds all four
    assert histogram.percentile(1.0) == 10
