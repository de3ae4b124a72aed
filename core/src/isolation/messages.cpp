#include "messages.hpp"

namespace hub::isolation {

namespace {

void pairs(Writer& out, const Pairs& values) {
  out.u32(static_cast<uint32_t>(values.size()));
  for (const auto& [key, value] : values) out.str(key).str(value);
}

Pairs pairs(Reader& in) {
  Pairs values(in.count(8));
  for (auto& [key, value] : values) {
    key = in.str();
    value = in.str();
  }
  return values;
}

void strings(Writer& out, const std::vector<std::string>& values) {
  out.u32(static_cast<uint32_t>(values.size()));
  for (const std::string& value : values) out.str(value);
}

std::vector<std::string> strings(Reader& in) {
  std::vector<std::string> values(in.count(4));
  for (std::string& value : values) value = in.str();
  return values;
}

// The whole body must be the message: trailing bytes are as wrong as missing ones.
template <class Message>
Message whole(Reader& in, Message message) {
  if (!in.done()) throw WireError("a frame carries bytes past its message");
  return message;
}

}  // namespace

Writer encode(const DescriptorMessage& m) {
  Writer out;
  out.str(m.name).str(m.version).str(m.description).u32(m.abi_version).u32(static_cast<uint32_t>(m.implementations.size()));
  for (const auto& implementation : m.implementations)
    out.u32(static_cast<uint32_t>(implementation.kind)).str(implementation.name).u8(implementation.liveness ? 1 : 0);
  return out;
}

DescriptorMessage decode_descriptor(std::string_view body) {
  Reader in(body);
  DescriptorMessage m;
  m.name = in.str();
  m.version = in.str();
  m.description = in.str();
  m.abi_version = in.u32();
  m.implementations.resize(in.count(9));
  for (auto& implementation : m.implementations) {
    implementation.kind = static_cast<hub_kind>(in.u32());
    implementation.name = in.str(1024);
    implementation.liveness = in.u8() != 0;
  }
  return whole(in, m);
}

Writer encode(const CreateMessage& m) {
  Writer out;
  out.u32(m.key).u32(static_cast<uint32_t>(m.kind)).str(m.implementation).str(m.id).str(m.json);
  pairs(out, m.entries);
  return out;
}

CreateMessage decode_create(std::string_view body) {
  Reader in(body);
  CreateMessage m;
  m.key = in.u32();
  m.kind = static_cast<hub_kind>(in.u32());
  m.implementation = in.str();
  m.id = in.str();
  m.json = in.str();
  m.entries = pairs(in);
  return whole(in, m);
}

Writer encode(const CreatedMessage& m) {
  Writer out;
  out.u32(m.key).u32(static_cast<uint32_t>(m.status)).str(m.message).u8(m.declaring ? 1 : 0);
  strings(out, m.keys);
  return out;
}

CreatedMessage decode_created(std::string_view body) {
  Reader in(body);
  CreatedMessage m;
  m.key = in.u32();
  m.status = static_cast<hub_status>(in.u32());
  m.message = in.str();
  m.declaring = in.u8() != 0;
  m.keys = strings(in);
  return whole(in, m);
}

Writer encode(const CheckMessage& m) {
  Writer out;
  out.u32(m.key).u64(m.check_id).i64(m.timeout_us).str(m.name).str(m.host).u32(m.port).str(m.endpoint);
  pairs(out, m.attributes);
  return out;
}

CheckMessage decode_check(std::string_view body) {
  Reader in(body);
  CheckMessage m;
  m.key = in.u32();
  m.check_id = in.u64();
  m.timeout_us = in.i64();
  m.name = in.str();
  m.host = in.str();
  m.port = in.u32();
  m.endpoint = in.str();
  m.attributes = pairs(in);
  return whole(in, m);
}

Writer encode(const ReportMessage& m) {
  Writer out;
  out.u64(m.check_id).u8(m.refused ? 1 : 0).u32(static_cast<uint32_t>(m.status)).i64(m.latency_us).str(m.message);
  return out;
}

ReportMessage decode_report(std::string_view body) {
  Reader in(body);
  ReportMessage m;
  m.check_id = in.u64();
  m.refused = in.u8() != 0;
  m.status = static_cast<hub_health>(in.u32());
  m.latency_us = in.i64();
  m.message = in.str();
  return whole(in, m);
}

Writer encode(const ReplyMessage& m) {
  Writer out;
  out.u32(m.key).u32(static_cast<uint32_t>(m.status)).str(m.message);
  return out;
}

ReplyMessage decode_reply(std::string_view body) {
  Reader in(body);
  ReplyMessage m;
  m.key = in.u32();
  m.status = static_cast<hub_status>(in.u32());
  m.message = in.str();
  return whole(in, m);
}

Writer encode(const AssessMessage& m) {
  Writer out;
  out.u32(m.key)
      .u64(m.request)
      .str(m.service)
      .str(m.instance_id)
      .u32(static_cast<uint32_t>(m.status))
      .i64(m.silent_for_us)
      .i64(m.down_for_us);
  return out;
}

AssessMessage decode_assess(std::string_view body) {
  Reader in(body);
  AssessMessage m;
  m.key = in.u32();
  m.request = in.u64();
  m.service = in.str();
  m.instance_id = in.str();
  m.status = static_cast<hub_health>(in.u32());
  m.silent_for_us = in.i64();
  m.down_for_us = in.i64();
  return whole(in, m);
}

Writer encode(const AssessedMessage& m) {
  Writer out;
  out.u64(m.request).u32(static_cast<uint32_t>(m.action));
  return out;
}

AssessedMessage decode_assessed(std::string_view body) {
  Reader in(body);
  AssessedMessage m;
  m.request = in.u64();
  m.action = static_cast<hub_liveness_action>(in.u32());
  return whole(in, m);
}

Writer encode(const InstancesMessage& m) {
  Writer out;
  out.u32(m.key).u32(static_cast<uint32_t>(m.records.size()));
  for (const RecordMessage& r : m.records) {
    out.str(r.service).str(r.instance_id).str(r.host).u32(r.port).str(r.protocol).str(r.health_endpoint).str(r.version).u32(r.weight);
    strings(out, r.tags);
    out.str(r.metadata_json);
  }
  return out;
}

InstancesMessage decode_instances(std::string_view body) {
  Reader in(body);
  InstancesMessage m;
  m.key = in.u32();
  m.records.resize(in.count(40));
  for (RecordMessage& r : m.records) {
    r.service = in.str();
    r.instance_id = in.str();
    r.host = in.str();
    r.port = in.u32();
    r.protocol = in.str();
    r.health_endpoint = in.str();
    r.version = in.str();
    r.weight = in.u32();
    r.tags = strings(in);
    r.metadata_json = in.str();
  }
  return whole(in, m);
}

Writer encode(const LogMessage& m) {
  Writer out;
  out.u32(m.key).u32(static_cast<uint32_t>(m.level)).str(m.message);
  return out;
}

LogMessage decode_log(std::string_view body) {
  Reader in(body);
  LogMessage m;
  m.key = in.u32();
  m.level = static_cast<hub_log_level>(in.u32());
  m.message = in.str();
  return whole(in, m);
}

Writer encode(const MetricMessage& m) {
  Writer out;
  out.u32(m.key).u8(m.type).str(m.name).f64(m.value);
  return out;
}

MetricMessage decode_metric(std::string_view body) {
  Reader in(body);
  MetricMessage m;
  m.key = in.u32();
  m.type = in.u8();
  if (m.type > 2) throw WireError("unknown metric type " + std::to_string(m.type));
  m.name = in.str(1024);
  m.value = in.f64();
  return whole(in, m);
}

Writer encode_key(uint32_t key) {
  Writer out;
  out.u32(key);
  return out;
}

uint32_t decode_key(std::string_view body) {
  Reader in(body);
  const uint32_t key = in.u32();
  return whole(in, key);
}

Writer encode_text(std::string_view text) {
  Writer out;
  out.str(text);
  return out;
}

std::string decode_text(std::string_view body) {
  Reader in(body);
  std::string text = in.str();
  return whole(in, text);
}

}  // namespace hub::isolation
