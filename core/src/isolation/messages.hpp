// The fields of each message between the hub and a plugin host, with one
// encode and one decode per message, shared by both sides (see wire.hpp).
#pragma once

#include "wire.hpp"

#include <hub/plugin_api.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace hub::isolation {

using Pairs = std::vector<std::pair<std::string, std::string>>;

struct DescriptorMessage {
  struct Implementation {
    hub_kind kind = 0;
    std::string name;
    bool liveness = false;  // a discovery implementation that is also a liveness policy
  };
  std::string name, version, description;
  uint32_t abi_version = 0;
  std::vector<Implementation> implementations;
};

struct CreateMessage {
  uint32_t key = 0;  // the hub's number for the instance
  hub_kind kind = 0;
  std::string implementation, id, json;
  Pairs entries;
};

struct CreatedMessage {
  uint32_t key = 0;
  hub_status status = HUB_OK;
  std::string message;
  bool declaring = false;  // the plugin declared its config keys (ABI 1.1)
  std::vector<std::string> keys;
};

struct CheckMessage {
  uint32_t key = 0;
  uint64_t check_id = 0;
  int64_t timeout_us = 0;  // the host keeps its own clock: the time left, not a deadline
  std::string name, host;
  uint32_t port = 0;
  std::string endpoint;
  Pairs attributes;
};

struct ReportMessage {
  uint64_t check_id = 0;
  bool refused = false;  // check() returned an error: nothing else will be reported
  hub_health status = HUB_HEALTH_UNKNOWN;
  int64_t latency_us = 0;
  std::string message;
};

struct ReplyMessage {  // started, stopped
  uint32_t key = 0;
  hub_status status = HUB_OK;
  std::string message;
};

struct AssessMessage {
  uint32_t key = 0;
  uint64_t request = 0;
  std::string service, instance_id;
  hub_health status = HUB_HEALTH_UNKNOWN;
  int64_t silent_for_us = 0, down_for_us = 0;
};

struct AssessedMessage {
  uint64_t request = 0;
  hub_liveness_action action = HUB_LIVENESS_KEEP;
};

struct RecordMessage {
  std::string service, instance_id, host;
  uint32_t port = 0;
  std::string protocol, health_endpoint, version;
  uint32_t weight = 0;
  std::vector<std::string> tags;
  std::string metadata_json;
};

struct InstancesMessage {  // snapshot, upsert (one record), remove (service and instance id only)
  uint32_t key = 0;
  std::vector<RecordMessage> records;
};

struct LogMessage {
  uint32_t key = 0;
  hub_log_level level = HUB_LOG_INFO;
  std::string message;
};

struct MetricMessage {
  uint32_t key = 0;
  uint8_t type = 0;  // 0 counter, 1 gauge, 2 summary
  std::string name;
  double value = 0;
};

Writer encode(const DescriptorMessage& message);
Writer encode(const CreateMessage& message);
Writer encode(const CreatedMessage& message);
Writer encode(const CheckMessage& message);
Writer encode(const ReportMessage& message);
Writer encode(const ReplyMessage& message);
Writer encode(const AssessMessage& message);
Writer encode(const AssessedMessage& message);
Writer encode(const InstancesMessage& message);
Writer encode(const LogMessage& message);
Writer encode(const MetricMessage& message);
Writer encode_key(uint32_t key);  // destroy, start, stop

// Each throws WireError when the body is not that message.
DescriptorMessage decode_descriptor(std::string_view body);
CreateMessage decode_create(std::string_view body);
CreatedMessage decode_created(std::string_view body);
CheckMessage decode_check(std::string_view body);
ReportMessage decode_report(std::string_view body);
ReplyMessage decode_reply(std::string_view body);
AssessMessage decode_assess(std::string_view body);
AssessedMessage decode_assessed(std::string_view body);
InstancesMessage decode_instances(std::string_view body);
LogMessage decode_log(std::string_view body);
MetricMessage decode_metric(std::string_view body);
uint32_t decode_key(std::string_view body);
std::string decode_text(std::string_view body);  // load_failed
Writer encode_text(std::string_view text);

}  // namespace hub::isolation
