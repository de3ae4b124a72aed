// redis: RESP's PING, answered by +PONG. With `password_env`, AUTH first
// with the password from that environment variable (secrets stay out of YAML).
//
//   config: {password_env: REDIS_PASSWORD}
#pragma once

#include "byte_stream.hpp"
#include "timed_check.hpp"

#include <string>

namespace hub::probes {

// The exchange itself, over any stream: AUTH when a password is given, then PING until +PONG.
hub::ProbeResult ping_redis(ByteStream& server, const char* password);

class RedisProbe {
 public:
  explicit RedisProbe(const hub::Context& context);
  hub::ProbeResult check(const hub::ProbeTarget& target, hub::Deadline deadline);

 private:
  hub::Host host_;
  std::string password_env_;
};

}  // namespace hub::probes
