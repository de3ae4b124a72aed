#include <hub/client.hpp>
#include <hub/config_client.hpp>

#include <Poco/Exception.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/URI.h>

#include "hub_addresses.hpp"
#include "hub_session.hpp"

#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <mutex>
#include <optional>
#include <random>
#include <stdexcept>
#include <thread>

namespace hub {

namespace {

using Json = nlohmann::json;

Json merged(const Json& base, const Json& over) {
  if (!base.is_object() || !over.is_object()) return over;
  Json out = base;
  for (const auto& [key, value] : over.items()) out[key] = out.contains(key) ? merged(out[key], value) : value;
  return out;
}

// What the hub answered for the service: its effective config and where it stands.
struct Layer2 {
  Json config = Json::object();
  int64_t version = 0;
  int64_t revision = 0;
};

}  // namespace

const char* to_string(ConfigSource source) {
  switch (source) {
    case ConfigSource::hub:
      return "hub";
    case ConfigSource::cache:
      return "cache";
    default:
      return "safe defaults";
  }
}

struct ConfigClient::Impl {
  std::string service;
  Json safe_defaults;
  ConfigClientOptions options;
  std::unique_ptr<client::HubAddresses> hubs;

  mutable std::mutex mutex;  // guards what follows
  Layer2 current;
  ConfigSource source = ConfigSource::safe_defaults;
  std::function<void(const Json&)> on_change;
  int64_t refused_revision = -1;  // not asked for again until something newer comes

  std::mutex wake_mutex;
  std::condition_variable wake;
  bool stopping = false;
  std::thread watcher;
  Poco::Net::HTTPClientSession* in_flight = nullptr;  // a blocking query stop() cuts short
  std::mt19937_64 random{std::random_device{}()};

  void log(const std::string& level, const std::string& message) const {
    if (options.log) return options.log(level, message);
    std::cerr << "[config-client " << service << "] " << level << ": " << message << "\n";
  }

  // One GET, to the first hub that takes it (a watch resumes on another hub from the same index:
  // revisions are the database's, the same on every hub). Throws std::runtime_error when no hub
  // can be reached or the hub refused.
  Json get(const std::string& path, std::chrono::milliseconds timeout) {
    const client::QuietPipe quiet;
    std::string unreachable;
    std::optional<std::pair<int, std::string>> failing;
    for (const size_t hub : hubs->order()) {
      try {
        std::pair<int, std::string> answer = get_from(hub, path, timeout);
        if (!client::hub_failing(answer.first)) {
          hubs->succeeded(hub);
          return checked(path, answer.first, answer.second);
        }
        failing = std::move(answer);
      } catch (const Poco::Exception& error) {
        unreachable += (unreachable.empty() ? "" : "; ") + hubs->url(hub) + ": " + error.displayText();
      }
      hubs->failed(hub);
      std::lock_guard lock(wake_mutex);
      if (stopping) throw std::runtime_error("stopping");
    }
    if (failing) return checked(path, failing->first, failing->second);
    throw std::runtime_error("cannot reach the hub at " + unreachable);
  }

  // Its status and body; throws Poco::Exception when it cannot be reached.
  std::pair<int, std::string> get_from(size_t hub, const std::string& path, std::chrono::milliseconds timeout) {
    const std::unique_ptr<Poco::Net::HTTPClientSession> opened = client::open_session(hubs->uri(hub), options.ca_file);
    Poco::Net::HTTPClientSession& session = *opened;
    session.setTimeout(Poco::Timespan(std::chrono::duration_cast<std::chrono::microseconds>(timeout).count()));
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, path, Poco::Net::HTTPMessage::HTTP_1_1);
    client::authorize(request, options.token);
    {
      std::lock_guard lock(wake_mutex);
      if (stopping) throw std::runtime_error("stopping");
      session.sendRequest(request);
      in_flight = &session;
    }
    struct Done {
      Impl& impl;
      ~Done() {
        std::lock_guard lock(impl.wake_mutex);
        impl.in_flight = nullptr;
      }
    } done{*this};
    Poco::Net::HTTPResponse response;
    std::istream& in = session.receiveResponse(response);
    return {response.getStatus(), std::string(std::istreambuf_iterator<char>(in), {})};
  }

  static Json checked(const std::string& path, int status, const std::string& body) {
    Json parsed = Json::parse(body, nullptr, false);
    if (status != 200) {
      const std::string why = parsed.is_object() && parsed.contains("message") && parsed["message"].is_string()
                                  ? parsed["message"].get<std::string>()
                                  : body.substr(0, 200);
      throw std::runtime_error("GET " + path + ": " + std::to_string(status) + " " + why);
    }
    if (!parsed.is_object()) throw std::runtime_error("GET " + path + ": the answer is not a JSON object");
    return parsed;
  }

  static Layer2 layer2_of(const Json& answer) {
    Layer2 layer;
    layer.config = answer.value("config", Json::object());
    layer.version = answer.value("version", int64_t{0});
    layer.revision = answer.value("revision", int64_t{0});
    return layer;
  }

  bool acceptable(const Layer2& candidate, std::string& why) const {
    if (!candidate.config.is_object()) {
      why = "the config is not a JSON object";
      return false;
    }
    return !options.validate || options.validate(merged(safe_defaults, candidate.config), why);
  }

  // Applies a config that passed validation and keeps it as the last good one.
  void apply(const Layer2& accepted, ConfigSource from) {
    std::function<void(const Json&)> callback;
    {
      std::lock_guard lock(mutex);
      current = accepted;
      source = from;
      callback = on_change;
    }
    if (from == ConfigSource::hub) save_cache(accepted);
    log("info", "config version " + std::to_string(accepted.version) + " (revision " + std::to_string(accepted.revision) + ") from " +
                    to_string(from) + " is in force");
    if (callback) callback(merged(safe_defaults, accepted.config));
  }

  void save_cache(const Layer2& layer) const {
    std::error_code ignored;
    std::filesystem::create_directories(options.cache_file.parent_path(), ignored);
    const std::filesystem::path partial = options.cache_file.string() + ".partial";
    {
      std::ofstream out(partial, std::ios::trunc);
      out << Json{{"service_name", service}, {"version", layer.version}, {"revision", layer.revision}, {"config", layer.config}}.dump();
      if (!out) {
        log("warn", "cannot write the config cache " + partial.string());
        return;
      }
    }
    std::filesystem::rename(partial, options.cache_file, ignored);  // whole or not at all
    if (ignored) log("warn", "cannot replace the config cache " + options.cache_file.string() + ": " + ignored.message());
  }

  std::optional<Layer2> load_cache() const {
    std::ifstream in(options.cache_file);
    if (!in) return std::nullopt;
    const Json cached = Json::parse(in, nullptr, false);
    if (!cached.is_object() || cached.value("service_name", "") != service || !cached.contains("config")) {
      log("warn", "ignoring the config cache " + options.cache_file.string() + ": it is not a cache of this service");
      return std::nullopt;
    }
    return layer2_of(cached);
  }

  // Sleeps `wait` unless stop() comes first; false when stopping.
  bool pause(std::chrono::milliseconds wait) {
    std::unique_lock lock(wake_mutex);
    return !wake.wait_for(lock, wait, [this] { return stopping; });
  }

  void watch_loop() {
    ClientOptions backoff;
    backoff.initial_backoff = options.initial_backoff;
    backoff.max_backoff = options.max_backoff;
    for (int failures = 0;;) {
      {
        std::lock_guard lock(wake_mutex);
        if (stopping) return;
      }
      int64_t known;
      {
        std::lock_guard lock(mutex);
        known = std::max(current.revision, refused_revision);
        if (source != ConfigSource::hub) known = -1;  // anything the hub has is news
      }
      try {
        const Json answer = get("/config/" + service + "/watch?index=" + std::to_string(std::max<int64_t>(known, 0)) +
                                    (known < 0 ? "&wait=0.001" : "&wait=" + std::to_string(options.watch_wait.count())),
                                options.watch_wait + options.request_timeout);
        failures = 0;
        if (!answer.value("changed", false) && known >= 0) continue;
        consider(layer2_of(answer));
      } catch (const std::exception& error) {
        const auto wait = backoff_delay(++failures, backoff, std::uniform_real_distribution<double>(0, 1)(random));
        log("warn", std::string(error.what()) + "; retrying in " + std::to_string(wait.count()) + " ms");
        if (!pause(wait)) return;
      }
    }
  }

  void consider(const Layer2& candidate) {
    std::string why;
    if (!acceptable(candidate, why)) {
      log("error", "refused config version " + std::to_string(candidate.version) + " (revision " + std::to_string(candidate.revision) +
                       "): " + why + "; version " + std::to_string(version()) + " stays in force");
      std::lock_guard lock(mutex);
      refused_revision = candidate.revision;
      return;
    }
    apply(candidate, ConfigSource::hub);
  }

  int64_t version() const {
    std::lock_guard lock(mutex);
    return current.version;
  }
};

ConfigClient::ConfigClient(std::string service_name, nlohmann::json safe_defaults, ConfigClientOptions options)
    : impl_(std::make_unique<Impl>()) {
  if (!safe_defaults.is_object()) throw std::invalid_argument("ConfigClient: safe_defaults must be a JSON object");
  impl_->service = std::move(service_name);
  impl_->safe_defaults = std::move(safe_defaults);
  impl_->options = std::move(options);
  if (impl_->options.cache_file.empty())
    impl_->options.cache_file = std::filesystem::temp_directory_path() / "central-hub-config" / (impl_->service + ".json");
  impl_->hubs = std::make_unique<client::HubAddresses>(impl_->options.hub_url);
  impl_->options.token = client::from_environment(impl_->options.token, "HUB_TOKEN");
  impl_->options.ca_file = client::from_environment(impl_->options.ca_file, "HUB_CA_FILE");
}

ConfigClient::~ConfigClient() {
  stop();
}

ConfigSource ConfigClient::init() {
  std::string why;
  try {
    const Layer2 from_hub = Impl::layer2_of(impl_->get("/config/" + impl_->service, impl_->options.request_timeout));
    if (impl_->acceptable(from_hub, why)) {
      impl_->apply(from_hub, ConfigSource::hub);
      return ConfigSource::hub;
    }
    impl_->log("error", "refused config version " + std::to_string(from_hub.version) + " from the hub: " + why);
    std::lock_guard lock(impl_->mutex);
    impl_->refused_revision = from_hub.revision;
  } catch (const std::exception& error) {
    impl_->log("warn", error.what());
  }
  if (auto cached = impl_->load_cache(); cached && impl_->acceptable(*cached, why)) {
    impl_->apply(*cached, ConfigSource::cache);
    return ConfigSource::cache;
  }
  impl_->apply(Layer2{}, ConfigSource::safe_defaults);
  return ConfigSource::safe_defaults;
}

nlohmann::json ConfigClient::get_config() const {
  std::lock_guard lock(impl_->mutex);
  return merged(impl_->safe_defaults, impl_->current.config);
}

ConfigSource ConfigClient::source() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->source;
}

int64_t ConfigClient::version() const {
  return impl_->version();
}

int64_t ConfigClient::revision() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->current.revision;
}

void ConfigClient::watch_config(std::function<void(const nlohmann::json&)> on_change) {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->on_change = std::move(on_change);
  }
  std::lock_guard lock(impl_->wake_mutex);
  if (impl_->watcher.joinable() || impl_->stopping) return;
  impl_->watcher = std::thread([impl = impl_.get()] { impl->watch_loop(); });
}

void ConfigClient::stop() {
  {
    std::lock_guard lock(impl_->wake_mutex);
    impl_->stopping = true;
    // Shutting the socket (not closing it) ends a blocking query at once, safely from this thread.
    if (impl_->in_flight) impl_->in_flight->socket().impl()->shutdown();
  }
  impl_->wake.notify_all();
  if (impl_->watcher.joinable()) impl_->watcher.join();
}

std::optional<std::string> ConfigClient::secret(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (!value) return std::nullopt;
  return std::string(value);
}

std::string ConfigClient::require_secret(const std::string& name) {
  auto value = secret(name);
  if (!value) throw std::runtime_error("the secret " + name + " is not set in the environment (secrets never come from the hub)");
  return *value;
}

}  // namespace hub
