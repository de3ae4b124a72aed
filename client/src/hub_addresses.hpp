// The hubs a client may talk to: one URL, or several separated by commas
// ("http://hub-1:8001,http://hub-2:8001"), all serving the same database. A request goes to the
// hub that answered last; a hub that fails (no answer, or a 5xx) is set aside for a backoff that
// doubles with each failure in a row (250 ms up to 30 s), and the request goes on to the next. When
// every hub is set aside they are tried anyway, the one whose backoff ends first first.
#pragma once

#include <Poco/URI.h>

#include <chrono>
#include <mutex>
#include <string>
#include <vector>

namespace hub::client {

// Worth asking another hub: no answer (0), or the hub is failing (500, 502, 503, 504). A 4xx, or a
// 501 (not enabled in that deployment), would be the same everywhere.
bool hub_failing(int status);

class HubAddresses {
 public:
  // Throws std::invalid_argument naming the entry that is not an http:// or https:// URL.
  explicit HubAddresses(const std::string& hub_urls);

  size_t size() const { return hubs_.size(); }
  const Poco::URI& uri(size_t hub) const { return hubs_[hub].uri; }
  const std::string& url(size_t hub) const { return hubs_[hub].url; }
  const std::string& urls() const { return urls_; }  // as given

  // Every hub, in the order to try them now.
  std::vector<size_t> order() const;
  void succeeded(size_t hub);
  void failed(size_t hub);

 private:
  struct Hub {
    std::string url;
    Poco::URI uri;
    int failures = 0;  // in a row
    std::chrono::steady_clock::time_point retry_at{};
  };
  std::string urls_;
  mutable std::mutex mutex_;
  std::vector<Hub> hubs_;
  size_t preferred_ = 0;  // the one that answered last
};

}  // namespace hub::client
