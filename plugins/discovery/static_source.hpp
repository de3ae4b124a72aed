// Instances listed in the manifest's YAML: infrastructure that does not
// register itself (databases, brokers, third-party endpoints).
//
//   - implementation: static
//     id: infrastructure
//     config:
//       instances:
//         - {service: postgresql, host: 10.0.0.5, port: 5432, protocol: tcp, tags: [database]}
#pragma once

#include "instance_config.hpp"

#include <vector>

namespace hub::discovery {

class StaticSource {
 public:
  explicit StaticSource(const hub::Context& context) {
    for (int index = 0;; ++index) {
      const std::string prefix = "instances." + std::to_string(index) + ".";
      if (!context.config.has(prefix + "service") && !context.config.has(prefix + "host")) break;
      hub::Instance instance;
      instance.service = context.config.required_string(prefix + "service");
      instance.host = context.config.required_string(prefix + "host");
      instance.port = read_port(context.config, prefix + "port");
      instance.instance_id = context.config.string(prefix + "instance_id", "");
      read_instance_fields(context.config, prefix, instance);
      instances_.push_back(std::move(instance));
    }
    if (instances_.empty()) throw hub::Error(HUB_INVALID_ARGUMENT, "config key 'instances' is required: a list of {service, host, port}");
  }

  void start(hub::DiscoverySink sink) { sink.snapshot(instances_); }
  void stop() {}

 private:
  std::vector<hub::Instance> instances_;
};

}  // namespace hub::discovery
