// What the hub wants of one instance during a rollout, and what the instance answered.
#pragma once

#include <cstdint>
#include <string>

namespace hub::deployments {

struct Directive {
  uint64_t index = 0;  // hub-wide and increasing: what an instance's watch compares
  std::string service, instance_id, rollout_id;
  std::string action;   // drain, upgrade, resume, retire
  std::string version;  // upgrade: the version to run
  std::string reason;
  int64_t issued_at_unix_us = 0;
  std::string ack;  // empty until the instance answers: done or failed
  std::string ack_message;
  int64_t acked_at_unix_us = 0;
};

}  // namespace hub::deployments
