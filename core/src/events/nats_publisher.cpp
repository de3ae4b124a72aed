#include "nats_publisher.hpp"

#include <nats/nats.h>

#include <stdexcept>

namespace hub {

struct NatsPublisher::Impl {
  NatsSettings settings;
  std::shared_ptr<spdlog::logger> logger;
  natsOptions* options = nullptr;
  natsConnection* connection = nullptr;

  void check(natsStatus status, const char* what) const {
    if (status != NATS_OK) throw std::runtime_error(std::string("nats ") + settings.url + ": " + what + ": " + natsStatus_GetText(status));
  }
  static void on_connected(natsConnection*, void* self) {
    static_cast<Impl*>(self)->logger->info("nats: connected to {}", static_cast<Impl*>(self)->settings.url);
  }
  static void on_disconnected(natsConnection*, void* self) {
    static_cast<Impl*>(self)->logger->warn("nats: disconnected from {}; reconnecting", static_cast<Impl*>(self)->settings.url);
  }
  static void on_reconnected(natsConnection*, void* self) {
    static_cast<Impl*>(self)->logger->info("nats: reconnected to {}", static_cast<Impl*>(self)->settings.url);
  }
};

NatsPublisher::NatsPublisher(const NatsSettings& settings, std::shared_ptr<spdlog::logger> logger) : impl_(std::make_unique<Impl>()) {
  Impl& self = *impl_;
  self.settings = settings;
  self.logger = std::move(logger);
  try {
    self.check(natsOptions_Create(&self.options), "options");
    self.check(natsOptions_SetURL(self.options, settings.url.c_str()), "url");
    self.check(natsOptions_SetTimeout(self.options, 2000), "timeout");
    self.check(natsOptions_SetMaxReconnect(self.options, -1), "max reconnect");  // forever
    self.check(natsOptions_SetReconnectWait(self.options, 500), "reconnect wait");
    self.check(natsOptions_SetReconnectBufSize(self.options, 8 * 1024 * 1024), "reconnect buffer");
    self.check(natsOptions_SetDisconnectedCB(self.options, &Impl::on_disconnected, &self), "disconnected callback");
    self.check(natsOptions_SetReconnectedCB(self.options, &Impl::on_reconnected, &self), "reconnected callback");
    self.check(natsOptions_SetRetryOnFailedConnect(self.options, true, &Impl::on_connected, &self), "retry on failed connect");
    const natsStatus connected = natsConnection_Connect(&self.connection, self.options);
    if (connected == NATS_NOT_YET_CONNECTED)
      self.logger->warn("nats: {} is not reachable yet; retrying in the background", settings.url);
    else
      self.check(connected, "connect");
  } catch (...) {
    natsConnection_Destroy(self.connection);
    natsOptions_Destroy(self.options);
    throw;
  }
}

NatsPublisher::~NatsPublisher() {
  if (natsConnection_Status(impl_->connection) == NATS_CONN_STATUS_CONNECTED) natsConnection_FlushTimeout(impl_->connection, 1000);
  natsConnection_Destroy(impl_->connection);
  natsOptions_Destroy(impl_->options);
}

void NatsPublisher::publish(const Event& event) {
  const std::string subject = impl_->settings.subject_prefix + "." + event.topic;
  const natsStatus status =
      natsConnection_Publish(impl_->connection, subject.c_str(), event.json.data(), static_cast<int>(event.json.size()));
  if (status != NATS_OK) impl_->logger->warn("nats: publishing {} failed: {}", subject, natsStatus_GetText(status));
}

bool NatsPublisher::flush(int timeout_ms) {
  return natsConnection_FlushTimeout(impl_->connection, timeout_ms) == NATS_OK;
}

ComponentStatus NatsPublisher::status() const {
  switch (natsConnection_Status(impl_->connection)) {
    case NATS_CONN_STATUS_CONNECTED:
      return {"healthy", "connected to " + impl_->settings.url, 0};
    case NATS_CONN_STATUS_CLOSED:
      return {"down", "connection to " + impl_->settings.url + " closed", 0};
    default:
      return {"down", "not connected to " + impl_->settings.url + "; retrying", 0};
  }
}

}  // namespace hub
