// kafka: an ApiVersions request (version 0) and its response, the first
// exchange of every Kafka client. Healthy when the broker answers with error
// code 0 and its list of APIs.
#pragma once

#include "byte_stream.hpp"
#include "timed_check.hpp"

namespace hub::probes {

// The exchange itself, over any stream: sends ApiVersions v0, reads and checks the answer.
hub::ProbeResult ask_api_versions(ByteStream& broker);

class KafkaProbe {
 public:
  explicit KafkaProbe(const hub::Context& context) : host_(context.host) {}
  hub::ProbeResult check(const hub::ProbeTarget& target, hub::Deadline deadline);

 private:
  hub::Host host_;
};

}  // namespace hub::probes
