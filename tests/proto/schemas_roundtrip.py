#!/usr/bin/python3
"""The Python side of the schemas' cross-language round trip (roundtrip.sh).

    schemas_roundtrip.py write messages.json OUT    one MessageEnvelope per message, length-delimited
    schemas_roundtrip.py read  messages.json IN     every envelope's payload equals its message

PYTHONPATH must hold the generated modules (build/generated/python).
"""

from __future__ import annotations

import json
import sys

from google.protobuf import json_format, symbol_database
from google.protobuf.internal import decoder, encoder

import business.subscriptions_pb2  # noqa: F401 - registers the schemas' types
import business.user_management_pb2  # noqa: F401
import common.tick_data_pb2
import ml.features_pb2  # noqa: F401
import ml.predictions_pb2  # noqa: F401
import trading.orders_pb2  # noqa: F401
import trading.signals_pb2  # noqa: F401

MessageEnvelope = common.tick_data_pb2.MessageEnvelope  # re-exported, as the seed imports it


def expected(path: str):
    fixture = json.load(open(path, encoding="utf-8"))
    for name, value in fixture.items():
        if name.startswith("_"):
            continue
        message = symbol_database.Default().GetSymbol(name)()
        json_format.ParseDict(value, message)
        yield name, message


def write(fixture: str, out: str) -> None:
    with open(out, "wb") as stream:
        for number, (name, message) in enumerate(expected(fixture)):
            envelope = MessageEnvelope(
                message_type=name,
                user_id="user123",
                payload=message.SerializeToString(),
                timestamp=1764576000000000 + number,
                service_source="python",
                correlation_id=f"python-{number}",
            )
            data = envelope.SerializeToString()
            stream.write(encoder._VarintBytes(len(data)) + data)


def read(fixture: str, path: str) -> None:
    data = open(path, "rb").read()
    envelopes = []
    position = 0
    while position < len(data):
        size, position = decoder._DecodeVarint32(data, position)
        envelopes.append(MessageEnvelope.FromString(data[position : position + size]))
        position += size
    wanted = list(expected(fixture))
    assert len(envelopes) == len(wanted), f"{path}: {len(envelopes)} envelopes, expected {len(wanted)}"
    for number, (envelope, (name, message)) in enumerate(zip(envelopes, wanted)):
        assert envelope.message_type == name, f"envelope {number}: {envelope.message_type}, expected {name}"
        assert envelope.timestamp == 1764576000000000 + number and envelope.user_id == "user123"
        got = type(message).FromString(envelope.payload)
        assert got == message, f"{name} differs:\n{got}\nexpected\n{message}"
    print(f"python read {len(envelopes)} messages from {envelopes[0].service_source}")


if __name__ == "__main__":
    mode, fixture, file = sys.argv[1:4]
    write(fixture, file) if mode == "write" else read(fixture, file)
