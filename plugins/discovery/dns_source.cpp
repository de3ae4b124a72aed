#include "dns_source.hpp"

namespace hub::discovery {

DnsSource::DnsSource(const hub::Context& context) : host_(context.host) {
  const hub::Config& config = context.config;
  template_.service = config.required_string("service");
  name_ = config.required_string("name");
  const std::string record = config.string("record", "A");
  if (record != "A" && record != "SRV")
    throw hub::Error(HUB_INVALID_ARGUMENT, "config key 'record': expected A or SRV, got '" + record + "'");
  srv_ = record == "SRV";
  if (!srv_) template_.port = read_port(config, "port");
  read_instance_fields(config, "", template_);
  const double interval = config.number("interval_seconds", 30);
  if (!(interval >= 0.01) || interval > 86400)
    throw hub::Error(HUB_INVALID_ARGUMENT, "config key 'interval_seconds': expected 0.01 to 86400, got " + std::to_string(interval));
  interval_ = std::chrono::milliseconds(static_cast<int64_t>(interval * 1000));
  const int64_t timeout = config.integer("timeout_seconds", 2);
  if (timeout < 1 || timeout > 60)
    throw hub::Error(HUB_INVALID_ARGUMENT, "config key 'timeout_seconds': expected 1 to 60, got " + std::to_string(timeout));
  timeout_ = std::chrono::seconds(timeout);
  if (config.has("nameserver")) {
    try {
      nameserver_ = Nameserver::parse(config.string("nameserver", ""));
    } catch (const std::invalid_argument& error) {
      throw hub::Error(HUB_INVALID_ARGUMENT, std::string("config key 'nameserver': ") + error.what());
    }
  }
}

void DnsSource::start(hub::DiscoverySink sink) {
  stopping_ = false;
  thread_ = std::thread([this, sink] { run(sink); });
}

void DnsSource::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void DnsSource::run(hub::DiscoverySink sink) {
  std::string last_error;
  std::unique_lock lock(mutex_);
  do {
    lock.unlock();
    try {
      sink.snapshot(resolve());
      if (!last_error.empty()) host_.info("DNS lookups of " + name_ + " work again");
      last_error.clear();
    } catch (const std::exception& error) {
      if (last_error != error.what()) host_.warn(std::string(error.what()) + "; keeping the instances found before");
      last_error = error.what();
      host_.counter_add("lookup_failures");
    }
    lock.lock();
  } while (!wake_.wait_for(lock, interval_, [this] { return stopping_; }));
}

std::vector<hub::Instance> DnsSource::resolve() const {
  std::vector<hub::Instance> instances;
  const auto targets = srv_ ? lookup_srv(name_, nameserver_, timeout_) : lookup_a(name_, nameserver_, timeout_);
  for (const DnsTarget& target : targets) {
    hub::Instance instance = template_;
    instance.host = target.host;
    if (srv_) {
      instance.port = target.port;
      instance.weight = target.weight ? target.weight : template_.weight;
    }
    instance.instance_id = instance.host + ":" + std::to_string(instance.port);
    instances.push_back(std::move(instance));
  }
  return instances;
}

}  // namespace hub::discovery
