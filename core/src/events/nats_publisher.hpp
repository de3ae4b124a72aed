// Publishes the hub's events to NATS. Connecting and reconnecting happen in
// libnats' own threads: the hub starts and keeps serving while NATS is down,
// and messages published meanwhile wait in a bounded reconnect buffer.
#pragma once

#include "basics/component_status.hpp"

#include <hub/event_bus.hpp>
#include <hub/events_settings.hpp>

#include <spdlog/logger.h>

#include <memory>

namespace hub {

class NatsPublisher {
 public:
  // Throws std::runtime_error only for settings libnats refuses (a malformed URL).
  NatsPublisher(const NatsSettings& settings, std::shared_ptr<spdlog::logger> logger);
  ~NatsPublisher();
  void publish(const Event& event);
  ComponentStatus status() const;
  // Waits until what was published reached the server; false on timeout.
  bool flush(int timeout_ms);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hub
