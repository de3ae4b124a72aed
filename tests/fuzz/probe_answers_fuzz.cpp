// The Kafka, NATS and Redis probes' exchanges against a peer made of fuzz
// bytes: each ends in a result or a ProbeFailure with a message, never a
// crash, a hang or an unbounded buffer. Built three times, PROTOCOL choosing.
#include "fuzz_check.hpp"
#include "fuzz_stream.hpp"
#include "kafka_probe.hpp"
#include "nats_probe.hpp"
#include "redis_probe.hpp"

#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzStream peer(data, size);
  try {
#if defined(FUZZ_KAFKA)
    const hub::ProbeResult result = hub::probes::ask_api_versions(peer);
#elif defined(FUZZ_NATS)
    const hub::ProbeResult result = hub::probes::ping_nats(peer);
#else
    const hub::ProbeResult result = hub::probes::ping_redis(peer, size % 2 ? "secret" : nullptr);
#endif
    FUZZ_CHECK(result.status == HUB_HEALTH_HEALTHY && !result.message.empty());
  } catch (const hub::probes::ProbeFailure& failure) {
    FUZZ_CHECK(*failure.what() != '\0');
  }
  return 0;
}
