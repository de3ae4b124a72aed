// The `events` section.
#pragma once

#include <optional>
#include <string>

namespace hub {

struct NatsSettings {
  std::string url = "nats://127.0.0.1:4222";
  std::string subject_prefix = "central-hub";
};

struct EventsSettings {
  std::optional<NatsSettings> nats;
};

}  // namespace hub
