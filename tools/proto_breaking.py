#!/usr/bin/python3
"""Says what a change to the schemas breaks, as `buf breaking` does: compares the descriptor set of
a release (`proto/releases/*.binpb`) with the one the sources make now.

    tools/proto_breaking.py proto/releases/0.1.0.binpb NEW.binpb

A message that old code writes must still be read by new code, and the other way round, in binary
and in JSON (the hub and its clients speak JSON by default). So it is a break to delete a file,
message, enum or field (a deleted field's number and name must be reserved), to change a field's
number, name, type, message or enum type, cardinality (repeated, optional, map) or oneof, to delete
an enum value (or reserve its number and name instead) or change its number, and to change a
file's package. Adding is always allowed. Prints one line per break and exits 1 if there is any.
"""

from __future__ import annotations

import sys
from typing import Dict, Iterable, List

from google.protobuf import descriptor_pb2

Field = descriptor_pb2.FieldDescriptorProto


def load(path: str) -> descriptor_pb2.FileDescriptorSet:
    files = descriptor_pb2.FileDescriptorSet()
    with open(path, "rb") as data:
        files.ParseFromString(data.read())
    return files


def reserved(message: descriptor_pb2.DescriptorProto, number: int, name: str) -> bool:
    return name in message.reserved_name and any(r.start <= number < r.end for r in message.reserved_range)


def enum_reserved(enum: descriptor_pb2.EnumDescriptorProto, number: int, name: str) -> bool:
    # Enum reserved ranges are inclusive at both ends.
    return name in enum.reserved_name and any(r.start <= number <= r.end for r in enum.reserved_range)


def cardinality(field: Field) -> str:
    if field.label == Field.LABEL_REPEATED:
        return "repeated"
    return "optional" if field.proto3_optional else "singular"


def compare_enum(where: str, old: descriptor_pb2.EnumDescriptorProto, new: descriptor_pb2.EnumDescriptorProto) -> Iterable[str]:
    new_by_name = {value.name: value for value in new.value}
    for value in old.value:
        now = new_by_name.get(value.name)
        if now is None:
            if not enum_reserved(new, value.number, value.name):
                yield f"{where}.{value.name}: enum value {value.number} deleted without reserving its number and name"
        elif now.number != value.number:
            yield f"{where}.{value.name}: enum value number changed from {value.number} to {now.number}"


def compare_message(
    where: str, old: descriptor_pb2.DescriptorProto, new: descriptor_pb2.DescriptorProto
) -> Iterable[str]:
    new_by_number: Dict[int, Field] = {field.number: field for field in new.field}
    for field in old.field:
        now = new_by_number.get(field.number)
        name = f"{where}.{field.name}"
        if now is None:
            if not reserved(new, field.number, field.name):
                yield f"{name}: field {field.number} deleted without reserving its number and name"
            continue
        if now.name != field.name:
            yield f"{name}: field {field.number} renamed to {now.name} (breaks JSON)"
        if now.type != field.type or now.type_name != field.type_name:
            old_type = field.type_name or Field.Type.Name(field.type)
            new_type = now.type_name or Field.Type.Name(now.type)
            yield f"{name}: field {field.number} changed type from {old_type} to {new_type}"
        if cardinality(now) != cardinality(field):
            yield f"{name}: field {field.number} changed from {cardinality(field)} to {cardinality(now)}"
        was_oneof = field.HasField("oneof_index") and not field.proto3_optional
        is_oneof = now.HasField("oneof_index") and not now.proto3_optional
        if was_oneof != is_oneof or (
            was_oneof and old.oneof_decl[field.oneof_index].name != new.oneof_decl[now.oneof_index].name
        ):
            yield f"{name}: field {field.number} moved into or out of a oneof"
    yield from compare_nested(where, old.nested_type, new.nested_type, old.enum_type, new.enum_type)


def compare_nested(where: str, old_messages, new_messages, old_enums, new_enums) -> Iterable[str]:
    new_message_by_name = {message.name: message for message in new_messages}
    for message in old_messages:
        now = new_message_by_name.get(message.name)
        if now is None:
            yield f"{where}.{message.name}: message deleted"
        else:
            yield from compare_message(f"{where}.{message.name}", message, now)
    new_enum_by_name = {enum.name: enum for enum in new_enums}
    for enum in old_enums:
        now = new_enum_by_name.get(enum.name)
        if now is None:
            yield f"{where}.{enum.name}: enum deleted"
        else:
            yield from compare_enum(f"{where}.{enum.name}", enum, now)


def breaking_changes(old: descriptor_pb2.FileDescriptorSet, new: descriptor_pb2.FileDescriptorSet) -> List[str]:
    new_by_name = {file.name: file for file in new.file}
    found: List[str] = []
    for file in old.file:
        now = new_by_name.get(file.name)
        if now is None:
            found.append(f"{file.name}: file deleted")
            continue
        if now.package != file.package:
            found.append(f"{file.name}: package changed from {file.package} to {now.package}")
            continue
        found.extend(compare_nested(file.package, file.message_type, now.message_type, file.enum_type, now.enum_type))
    return found


def main(arguments: List[str]) -> int:
    if len(arguments) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    found = breaking_changes(load(arguments[0]), load(arguments[1]))
    for each in found:
        print(each)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
