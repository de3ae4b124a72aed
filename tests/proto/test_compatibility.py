"""The schemas stay wire- and JSON-compatible with the last release's descriptors
(proto/releases/), and the check (tools/proto_breaking.py) catches each kind of break."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from google.protobuf import descriptor_pb2

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
from proto_breaking import breaking_changes, load  # noqa: E402


def version_key(path: Path):
    return tuple(int(part) for part in path.stem.split("."))


LAST_RELEASE = max((ROOT / "proto" / "releases").glob("*.binpb"), key=version_key)


def descriptors(proto_root: Path, out: Path) -> descriptor_pb2.FileDescriptorSet:
    files = sorted(str(p.relative_to(proto_root)) for p in proto_root.rglob("*.proto"))
    subprocess.run(
        ["protoc", f"-I{proto_root}", "--include_imports", f"--descriptor_set_out={out}", *files], check=True, capture_output=True
    )
    return load(str(out))


def test_the_sources_are_compatible_with_the_last_release(tmp_path: Path):
    released = load(str(LAST_RELEASE))
    now = descriptors(ROOT / "proto", tmp_path / "now.binpb")
    assert breaking_changes(released, now) == []
    assert {f.name for f in released.file} <= {f.name for f in now.file}


def edited(tmp_path: Path, file: str, old: str, new: str) -> descriptor_pb2.FileDescriptorSet:
    """The descriptors of a copy of proto/ with one edit to one file."""
    copy = tmp_path / "proto"
    shutil.copytree(ROOT / "proto", copy, ignore=shutil.ignore_patterns("releases", "python", "CMakeLists.txt"))
    text = (copy / file).read_text()
    assert old in text, f"{old!r} is not in {file}"
    (copy / file).write_text(text.replace(old, new, 1))
    return descriptors(copy, tmp_path / "edited.binpb")


BREAKS = [
    ("common/tick_data.proto", "double bid = 2;", "string bid = 2;", "aitrading.common.Tick.bid: field 2 changed type from TYPE_DOUBLE to TYPE_STRING"),
    ("common/tick_data.proto", "double bid = 2;", "double bid = 20;", "aitrading.common.Tick.bid: field 2 deleted without reserving"),
    ("common/tick_data.proto", "double bid = 2;", "double best_bid = 2;", "aitrading.common.Tick.bid: field 2 renamed to best_bid"),
    ("common/tick_data.proto", "repeated Tick ticks = 3;", "Tick ticks = 3;", "aitrading.common.BatchTickData.ticks: field 3 changed from repeated to singular"),
    ("common/envelope.proto", "int64 timestamp = 4;", "int32 timestamp = 4;", "aitrading.common.MessageEnvelope.timestamp: field 4 changed type"),
    ("common/envelope.proto", "package aitrading.common;", "package aitrading.core;", "common/envelope.proto: package changed"),
    ("trading/orders.proto", "  ORDER_TYPE_STOP_LIMIT = 4;", "", "aitrading.trading.OrderType.ORDER_TYPE_STOP_LIMIT: enum value 4 deleted"),
    ("trading/orders.proto", "ORDER_STATUS_EXPIRED = 7;", "ORDER_STATUS_EXPIRED = 8;", "aitrading.trading.OrderStatus.ORDER_STATUS_EXPIRED: enum value number changed"),
    ("ml/features.proto", "map<string, double> features = 5;", "map<string, float> features = 5;", "aitrading.ml.FeatureVector.FeaturesEntry.value: field 2 changed type from TYPE_DOUBLE to TYPE_FLOAT"),
    ("business/subscriptions.proto", "aitrading.common.SubscriptionTier tier = 3;", "string tier = 3;", "aitrading.business.Subscription.tier: field 3 changed type from .aitrading.common.SubscriptionTier to TYPE_STRING"),
]


@pytest.mark.parametrize("file,old,new,reported", BREAKS, ids=[b[3].split(":")[0] + "/" + b[2][:24] for b in BREAKS])
def test_each_kind_of_break_is_reported(tmp_path: Path, file: str, old: str, new: str, reported: str):
    found = breaking_changes(load(str(LAST_RELEASE)), edited(tmp_path, file, old, new))
    assert any(each.startswith(reported) for each in found), found


def test_a_deleted_message_is_reported(tmp_path: Path):
    released = load(str(LAST_RELEASE))
    now = load(str(LAST_RELEASE))
    orders = next(f for f in now.file if f.name == "trading/orders.proto")
    fill = next(i for i, m in enumerate(orders.message_type) if m.name == "Fill")
    del orders.message_type[fill]
    assert breaking_changes(released, now) == ["aitrading.trading.Fill: message deleted"]


def test_additions_and_reserved_deletions_are_allowed(tmp_path: Path):
    added = edited(tmp_path, "common/tick_data.proto", "uint64 sequence = 8;", "uint64 sequence = 8;\n  string exchange_time_zone = 9;")
    assert breaking_changes(load(str(LAST_RELEASE)), added) == []
    reserved = edited(tmp_path / "r", "common/tick_data.proto", "  double volume = 5;", '  reserved 5;\n  reserved "volume";')
    assert breaking_changes(load(str(LAST_RELEASE)), reserved) == []
    unreserved = edited(tmp_path / "u", "common/tick_data.proto", "  double volume = 5;", "  reserved 5;")
    assert breaking_changes(load(str(LAST_RELEASE)), unreserved) == [
        "aitrading.common.Tick.volume: field 5 deleted without reserving its number and name"
    ]


def test_the_command_line_exits_1_on_a_break(tmp_path: Path):
    edited(tmp_path, "common/tick_data.proto", "double bid = 2;", "float bid = 2;")
    result = subprocess.run(
        ["/usr/bin/python3", str(ROOT / "tools" / "proto_breaking.py"), str(LAST_RELEASE), str(tmp_path / "edited.binpb")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1 and "Tick.bid: field 2 changed type from TYPE_DOUBLE to TYPE_FLOAT" in result.stdout
