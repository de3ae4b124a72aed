#include "nats_publisher.hpp"

#include <nats/nats.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>

namespace hub {

namespace {

// What libnats' callbacks touch. They run on libnats' own thread and may come
// after natsConnection_Destroy returns, so this outlives the publisher until
// the closed callback, always the last one, has run.
struct Callbacks {
  std::string url;
  std::shared_ptr<spdlog::logger> logger;
  std::mutex mutex;
  std::condition_variable closed_signal;
  bool closed = false;
  std::atomic<bool> closing{false};  // our own close: its disconnection is no news

  static Callbacks& of(void* self) { return *static_cast<Callbacks*>(self); }
  static void on_connected(natsConnection*, void* self) { of(self).logger->info("nats: connected to {}", of(self).url); }
  static void on_disconnected(natsConnection*, void* self) {
    if (!of(self).closing) of(self).logger->warn("nats: disconnected from {}; reconnecting", of(self).url);
  }
  static void on_reconnected(natsConnection*, void* self) { of(self).logger->info("nats: reconnected to {}", of(self).url); }
  static void on_closed(natsConnection*, void* self) {
    Callbacks& callbacks = of(self);
    std::lock_guard lock(callbacks.mutex);
    callbacks.closed = true;
    callbacks.closed_signal.notify_all();
  }
};

}  // namespace

struct NatsPublisher::Impl {
  NatsSettings settings;
  std::shared_ptr<spdlog::logger> logger;
  Callbacks* callbacks = nullptr;
  natsOptions* options = nullptr;
  natsConnection* connection = nullptr;

  void check(natsStatus status, const char* what) const {
    if (status != NATS_OK) throw std::runtime_error(std::string("nats ") + settings.url + ": " + what + ": " + natsStatus_GetText(status));
  }
};

NatsPublisher::NatsPublisher(const NatsSettings& settings, std::shared_ptr<spdlog::logger> logger) : impl_(std::make_unique<Impl>()) {
  Impl& self = *impl_;
  self.settings = settings;
  self.logger = std::move(logger);
  self.callbacks = new Callbacks{settings.url, self.logger};
  try {
    self.check(natsOptions_Create(&self.options), "options");
    self.check(natsOptions_SetURL(self.options, settings.url.c_str()), "url");
    self.check(natsOptions_SetTimeout(self.options, 2000), "timeout");
    self.check(natsOptions_SetMaxReconnect(self.options, -1), "max reconnect");  // forever
    self.check(natsOptions_SetReconnectWait(self.options, 500), "reconnect wait");
    self.check(natsOptions_SetReconnectBufSize(self.options, 8 * 1024 * 1024), "reconnect buffer");
    self.check(natsOptions_SetDisconnectedCB(self.options, &Callbacks::on_disconnected, self.callbacks), "disconnected callback");
    self.check(natsOptions_SetReconnectedCB(self.options, &Callbacks::on_reconnected, self.callbacks), "reconnected callback");
    self.check(natsOptions_SetClosedCB(self.options, &Callbacks::on_closed, self.callbacks), "closed callback");
    self.check(natsOptions_SetRetryOnFailedConnect(self.options, true, &Callbacks::on_connected, self.callbacks),
               "retry on failed connect");
    const natsStatus connected = natsConnection_Connect(&self.connection, self.options);
    if (connected == NATS_NOT_YET_CONNECTED)
      self.logger->warn("nats: {} is not reachable yet; retrying in the background", settings.url);
    else
      self.check(connected, "connect");
  } catch (...) {
    natsOptions_Destroy(self.options);
    delete self.callbacks;  // no connection was made, so no callback can come
    throw;
  }
}

NatsPublisher::~NatsPublisher() {
  Impl& self = *impl_;
  if (natsConnection_Status(self.connection) == NATS_CONN_STATUS_CONNECTED) natsConnection_FlushTimeout(self.connection, 1000);
  self.callbacks->closing = true;
  natsConnection_Close(self.connection);
  bool closed = false;
  {
    std::unique_lock lock(self.callbacks->mutex);
    closed = self.callbacks->closed_signal.wait_for(lock, std::chrono::seconds(5), [&] { return self.callbacks->closed; });
  }
  natsConnection_Destroy(self.connection);
  natsOptions_Destroy(self.options);
  // Without the closed callback a late callback may still come: keep its context rather than risk a use after free.
  if (closed)
    delete self.callbacks;
  else
    self.logger->error("nats: {} did not confirm the close within 5 s; keeping its callback context", self.settings.url);
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
