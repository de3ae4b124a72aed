#include <hub/client.hpp>
#include <hub/error_reporter.hpp>
#include <hub/structured_logger.hpp>

#include "background_flush.hpp"
#include "connection.hpp"
#include "hub_session.hpp"

#include <nlohmann/json.hpp>

#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <deque>
#include <mutex>

namespace hub {

namespace {

constexpr size_t kMaxFrames = 100;        // the hub's limit per event: the innermost are kept
constexpr size_t kMaxMessage = 8 * 1024;  // the hub's limit per message
constexpr size_t kMaxText = 1024;         // the hub's limit for a type, host, version or frame field

std::string host_name() {
  char name[256] = {};
  return gethostname(name, sizeof name - 1) == 0 ? std::string(name) : std::string();
}

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm parts{};
  gmtime_r(&now, &parts);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts);
  return text;
}

// Cut at a character boundary: the hub takes UTF-8 only.
std::string cut(std::string text, size_t max) {
  if (text.size() <= max) return text;
  size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  text.resize(end);
  return text;
}

}  // namespace

struct ErrorReporter::Impl {
  std::string service;
  ErrorReporterOptions options;
  ErrorDNA dna;
  client::Connection connection;
  mutable std::mutex mutex;
  std::deque<nlohmann::json> queue;
  uint64_t sent = 0, dropped = 0;
  uint64_t front_pops = 0;  // events the cap took off the front: a batch in flight may lose its first ones so
  std::string last_error;
  std::mutex sending;  // one batch in flight: a batch is never sent twice
  std::unique_ptr<client::BackgroundFlush> background;

  Impl(std::string name, ErrorReporterOptions given, ErrorDNA rules)
      : service(std::move(name)),
        options(std::move(given)),
        dna(std::move(rules)),
        connection(options.hub_url, client::from_environment(options.token, "HUB_TOKEN"),
                   client::from_environment(options.ca_file, "HUB_CA_FILE"), options.request_timeout) {
    if (options.host.empty()) options.host = host_name();
    options.batch_size = std::clamp<size_t>(options.batch_size, 1, 1000);  // the hub's errors.max_batch by default
  }

  nlohmann::json event_of(const ErrorPattern& pattern, const std::string& correlation_id) const {
    nlohmann::json frames = nlohmann::json::array();
    const size_t first = pattern.stack.size() > kMaxFrames ? pattern.stack.size() - kMaxFrames : 0;
    for (size_t i = first; i < pattern.stack.size(); ++i) {
      Frame frame = pattern.stack[i];
      frame.module = cut(frame.module, kMaxText);
      frame.function = cut(frame.function, kMaxText);
      frame.file = cut(frame.file, kMaxText);
      frames.push_back(frame.to_json());
    }
    return {{"service", service},
            {"version", cut(options.version, kMaxText)},
            {"host", cut(options.host, kMaxText)},
            {"instance_id", cut(options.instance_id, kMaxText)},
            {"type", cut(pattern.type, kMaxText)},
            {"message", cut(pattern.message, kMaxMessage)},
            {"correlation_id", cut(correlation_id.empty() ? CorrelationScope::current() : correlation_id, kMaxText)},
            {"frames", std::move(frames)},
            {"at", utc_now()}};
  }

  void enqueue(nlohmann::json event) {
    bool full = false;
    {
      std::lock_guard lock(mutex);
      queue.push_back(std::move(event));
      if (queue.size() > options.max_queue) {
        queue.pop_front();
        ++dropped;
        ++front_pops;
      }
      full = queue.size() >= options.batch_size;
    }
    if (full && background) background->wake();
  }

  bool flush() {
    std::lock_guard in_flight(sending);
    for (;;) {
      nlohmann::json batch = nlohmann::json::array();
      uint64_t pops_before = 0;
      {
        std::lock_guard lock(mutex);
        pops_before = front_pops;
        for (size_t i = 0; i < queue.size() && i < options.batch_size; ++i) batch.push_back(queue[i]);
      }
      if (batch.empty()) return true;
      client::Reply reply;
      try {
        const std::string body = nlohmann::json{{"events", batch}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        reply = connection.exchange("POST", "/errors", "application/json", body, "application/json");
      } catch (const ClientError& error) {
        reply = {0, error.what()};
      }
      std::lock_guard lock(mutex);
      const bool taken = reply.status >= 200 && reply.status < 300;
      if (!taken) {
        last_error = "POST /errors: " + (reply.status ? std::to_string(reply.status) + " " : std::string()) + reply.body.substr(0, 500);
        if (client::transient(reply.status)) return false;  // kept: it goes with the next flush
        dropped += batch.size();
      } else {
        sent += batch.size();
        last_error.clear();
      }
      // Only flush() takes from the queue, one at a time; what the cap dropped meanwhile came off the
      // front, which was this batch: the rest of it is still there.
      const uint64_t popped = front_pops - pops_before;
      const size_t gone = popped >= batch.size() ? 0 : std::min(batch.size() - static_cast<size_t>(popped), queue.size());
      queue.erase(queue.begin(), queue.begin() + static_cast<std::ptrdiff_t>(gone));
      if (!taken) return false;
    }
  }
};

ErrorReporter::ErrorReporter(std::string service, ErrorReporterOptions options, ErrorDNA dna)
    : impl_(std::make_unique<Impl>(std::move(service), std::move(options), std::move(dna))) {
  impl_->background = std::make_unique<client::BackgroundFlush>([impl = impl_.get()] { impl->flush(); }, impl_->options.interval);
}

ErrorReporter::~ErrorReporter() {
  impl_->background.reset();  // its last flush sends what is queued
}

ErrorPattern ErrorReporter::report(const std::exception& error, const std::vector<Frame>& stack, const std::string& correlation_id) {
  ErrorPattern pattern = impl_->dna.analyze_error(error, stack);
  report(pattern, correlation_id);
  return pattern;
}

void ErrorReporter::report(const ErrorPattern& pattern, const std::string& correlation_id) {
  impl_->enqueue(impl_->event_of(pattern, correlation_id));
}

bool ErrorReporter::flush() {
  return impl_->flush();
}

uint64_t ErrorReporter::sent() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->sent;
}

uint64_t ErrorReporter::dropped() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->dropped;
}

std::string ErrorReporter::last_error() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->last_error;
}

}  // namespace hub
