"""ErrorDNA in Python: the cases the C++ library checks too give the same fingerprints, categories and
severities; real exceptions group by cause, not by value; the seed's sample runs as written."""

from __future__ import annotations

import json
import logging

import pytest

from central_hub.error_dna import ErrorClassifier, ErrorDNA, Frame
from conftest import ROOT, Hub  # noqa: F401 - the hub fixtures come from conftest

CASES = json.loads((ROOT / "tests" / "errordna" / "fingerprints.json").read_text())["cases"]


@pytest.mark.parametrize("case", CASES, ids=[c["case"] for c in CASES])
def test_the_shared_cases(case):
    pattern = ErrorDNA().analyze(case["type"], case["message"], [Frame(**f) for f in case["frames"]])
    classification = ErrorClassifier().classify(pattern)
    expect = case["expect"]
    assert pattern.type == expect["type"]
    assert pattern.parameterized_message == expect["parameterized_message"]
    assert [f.key() for f in pattern.frames] == expect["frames"]
    assert pattern.fingerprint == expect["fingerprint"]
    assert (classification.category, classification.severity) == (expect["category"], expect["severity"])


def load_order(orders, order_id):
    return orders[order_id]["price"]


def price_of(text):
    return json.loads(text)["price"]


def caught(function, *arguments):
    try:
        function(*arguments)
    except Exception as error:  # the point: what ErrorDNA makes of it
        return ErrorDNA().analyze_error(error)
    raise AssertionError("it did not raise")


def test_real_exceptions_group_by_cause_not_by_value():
    first = caught(load_order, {}, "order-1001")
    second = caught(load_order, {}, "order-2002")
    assert first.type == "KeyError" and first.parameterized_message == "'order-<num>'"
    assert first.fingerprint == second.fingerprint
    assert [f.key() for f in first.frames] == [
        "test_error_dna:caught",
        "test_error_dna:load_order",
    ]
    # The standard library's frames are not the service's: json's decoder does not count.
    bad_json = caught(price_of, "{not json")
    assert bad_json.type == "json.decoder.JSONDecodeError"
    assert [f.key() for f in bad_json.frames] == ["test_error_dna:caught", "test_error_dna:price_of"]
    assert any(f.module == "json.decoder" and f.in_app is False for f in bad_json.stack)
    assert ErrorClassifier().classify(bad_json).category == "validation"
    # Another cause with the same stack is another group.
    assert caught(load_order, {"x": {}}, "x").fingerprint != first.fingerprint


def test_in_app_modules_decide_which_frames_are_the_services():
    dna = ErrorDNA(in_app_modules=["conftest"])
    try:
        load_order({}, "7")
    except KeyError as error:
        pattern = dna.analyze_error(error)
    assert pattern.frames == []  # none of this test's frames are in conftest: none fingerprinted
    assert all(f.in_app is False for f in pattern.stack)


def test_a_services_own_rules_come_first_and_are_checked():
    pattern = ErrorDNA().analyze("trading.RiskLimitExceeded", "position 1200 above limit 1000")
    assert ErrorClassifier().classify(pattern).category == "bug"
    own = ErrorClassifier([{"category": "validation", "severity": "warning", "types": "RiskLimit"}])
    assert str(own.classify(pattern)) == "validation (warning)" and own.classify(pattern).rule == 0
    with pytest.raises(ValueError, match="weather"):
        ErrorClassifier([{"category": "weather", "types": "x"}])


def test_the_seeds_error_dna_sample_runs_as_written(caplog):
    from central_hub.static.logging.error_dna import ErrorClassifier, ErrorDNA  # the seed's import line

    logger = logging.getLogger("trading")

    def process_trading_data():
        raise ConnectionRefusedError(111, "Connection refused")

    # The seed's code, as written:
    error_dna = ErrorDNA()
    classifier = ErrorClassifier()

    # Usage in any service
    try:
        process_trading_data()
    except Exception as e:
        error_pattern = error_dna.analyze_error(e)
        classification = classifier.classify(error_pattern)
        logger.error(f"Trading error: {classification}", extra={"error_dna": error_pattern})

    assert caplog.records[-1].getMessage() == "Trading error: dependency_down (critical)"
    assert caplog.records[-1].error_dna.fingerprint == error_pattern.fingerprint


def fail_to_load(order_id):
    return {}[order_id]


def test_the_reporter_sends_errors_the_hub_groups_with_the_same_fingerprint(hub):
    import asyncio

    from central_hub import ErrorReporter

    async def main():
        async with ErrorReporter("orders", version="2.1.0", base_url=hub.url, interval=0.05) as reporter:
            patterns = []
            for n in range(5):
                try:
                    fail_to_load(f"order-{n}")
                except KeyError as error:
                    patterns.append(reporter.report(error, correlation_id=f"req-{n}"))
            deadline = asyncio.get_running_loop().time() + 10
            while reporter.sent < 5 and asyncio.get_running_loop().time() < deadline:
                await asyncio.sleep(0.02)
            assert reporter.sent == 5 and reporter.dropped == 0
        return patterns

    patterns = asyncio.run(main())
    assert len({p.fingerprint for p in patterns}) == 1
    group = hub.call("GET", f"/errors/{patterns[0].fingerprint}")  # the hub's own fingerprint is ours
    assert group["count"] == 5 and group["versions"] == ["2.1.0"] and group["category"] == "bug"
    assert group["samples"][-1]["correlation_id"] == "req-4"


def test_a_reporter_keeps_events_while_the_hub_is_away_and_bounds_them(make_hub):
    import asyncio

    from central_hub import ErrorReporter

    hub = make_hub()

    async def main():
        reporter = ErrorReporter("orders", base_url=hub.url, interval=0.05, max_queue=3)
        for n in range(5):
            try:
                fail_to_load(f"order-{n}")
            except KeyError as error:
                reporter.report(error)
        await asyncio.sleep(0.2)  # the hub is not there: nothing sent, the oldest two dropped
        assert reporter.sent == 0 and reporter.dropped == 2
        await asyncio.to_thread(hub.start)
        await reporter.aclose()  # sends the three kept
        assert reporter.sent == 3

    asyncio.run(main())
    assert hub.call("GET", "/errors")["groups"][0]["count"] == 3
