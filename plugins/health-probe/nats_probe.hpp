// nats: the NATS protocol's handshake, then PING answered by PONG.
#pragma once

#include "byte_stream.hpp"
#include "timed_check.hpp"

namespace hub::probes {

// The exchange itself, over any stream: INFO, CONNECT and PING, until PONG.
hub::ProbeResult ping_nats(ByteStream& server);

class NatsProbe {
 public:
  explicit NatsProbe(const hub::Context& context) : host_(context.host) {}
  hub::ProbeResult check(const hub::ProbeTarget& target, hub::Deadline deadline);

 private:
  hub::Host host_;
};

}  // namespace hub::probes
