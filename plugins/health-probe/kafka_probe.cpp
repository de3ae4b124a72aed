#include "kafka_probe.hpp"

#include <cstdint>

namespace hub::probes {

namespace {

constexpr int16_t kApiVersionsKey = 18;
constexpr int32_t kMaxResponseBytes = 1 << 20;
constexpr int32_t kCorrelationId = 0x48554221;  // "HUB!"
constexpr std::string_view kClientId = "central-hub-probe";

void put16(std::string& out, int16_t value) {
  out.push_back(static_cast<char>((value >> 8) & 0xff));
  out.push_back(static_cast<char>(value & 0xff));
}
void put32(std::string& out, int32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((value >> shift) & 0xff));
}
int32_t get32(const std::string& bytes, size_t at) {
  uint32_t value = 0;
  for (size_t i = 0; i < 4; ++i) value = (value << 8) | static_cast<unsigned char>(bytes[at + i]);
  return static_cast<int32_t>(value);
}
int16_t get16(const std::string& bytes, size_t at) {
  return static_cast<int16_t>((static_cast<unsigned char>(bytes[at]) << 8) | static_cast<unsigned char>(bytes[at + 1]));
}

std::string api_versions_request() {
  std::string body;
  put16(body, kApiVersionsKey);
  put16(body, 0);  // request version
  put32(body, kCorrelationId);
  put16(body, static_cast<int16_t>(kClientId.size()));
  body.append(kClientId);
  std::string request;
  put32(request, static_cast<int32_t>(body.size()));
  return request + body;
}

}  // namespace

hub::ProbeResult ask_api_versions(ByteStream& broker) {
  broker.send_all(api_versions_request());
  const int32_t size = get32(broker.read_exact(4), 0);
  if (size < 10 || size > kMaxResponseBytes)
    throw ProbeFailure(broker.peer() + " is not a Kafka broker: its answer claims " + std::to_string(size) + " bytes");
  std::string response;
  try {
    response = broker.read_exact(static_cast<size_t>(size));
  } catch (const ProbeFailure& failure) {
    throw ProbeFailure("no whole ApiVersions response: " + std::string(failure.what()));
  }
  if (get32(response, 0) != kCorrelationId) throw ProbeFailure(broker.peer() + " answered ApiVersions with another correlation id");
  const int16_t error_code = get16(response, 4);
  if (error_code != 0) throw ProbeFailure("the Kafka broker answered ApiVersions with error code " + std::to_string(error_code));
  const int32_t api_count = get32(response, 6);
  if (api_count < 1 || static_cast<int64_t>(api_count) * 6 != size - 10)
    throw ProbeFailure(broker.peer() + " sent a malformed ApiVersions response (" + std::to_string(api_count) + " APIs in " +
                       std::to_string(size) + " bytes)");
  return hub::ProbeResult::healthy("ApiVersions: the broker supports " + std::to_string(api_count) + " APIs");
}

hub::ProbeResult KafkaProbe::check(const hub::ProbeTarget& target, hub::Deadline deadline) {
  return timed_check(host_, deadline, [&](SteadyTime until) {
    DeadlineSocket socket(std::string(target.host()), target.port(), until);
    return ask_api_versions(socket);
  });
}

}  // namespace hub::probes
