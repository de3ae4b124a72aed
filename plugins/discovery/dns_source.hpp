// Instances of one service found in DNS, looked up again on an interval:
// A records (each address with the configured port) or SRV records (each
// target with its own port and weight). A failed lookup keeps what the last
// good one found and is logged.
//
//   - implementation: dns
//     id: payments-dns
//     config: {service: payments, name: payments.internal, record: SRV, interval_seconds: 30}
#pragma once

#include "dns_lookup.hpp"
#include "instance_config.hpp"

#include <condition_variable>
#include <mutex>
#include <thread>

namespace hub::discovery {

class DnsSource {
 public:
  explicit DnsSource(const hub::Context& context);
  ~DnsSource() { stop(); }

  void start(hub::DiscoverySink sink);
  void stop();

 private:
  void run(hub::DiscoverySink sink);
  std::vector<hub::Instance> resolve() const;

  hub::Host host_;
  hub::Instance template_;  // service, protocol, health endpoint, version, tags
  std::string name_;
  bool srv_ = false;
  std::optional<Nameserver> nameserver_;
  std::chrono::milliseconds interval_;
  std::chrono::seconds timeout_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
};

}  // namespace hub::discovery
