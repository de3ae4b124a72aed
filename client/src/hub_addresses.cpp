#include "hub_addresses.hpp"

#include <algorithm>
#include <stdexcept>

namespace hub::client {

namespace {

constexpr std::chrono::milliseconds kFirstBackoff{250};
constexpr std::chrono::milliseconds kLongestBackoff{30'000};

std::string trimmed(const std::string& text) {
  const size_t begin = text.find_first_not_of(" \t");
  if (begin == std::string::npos) return "";
  return text.substr(begin, text.find_last_not_of(" \t") - begin + 1);
}

}  // namespace

bool hub_failing(int status) {
  return status == 0 || status == 500 || status == 502 || status == 503 || status == 504;
}

HubAddresses::HubAddresses(const std::string& hub_urls) : urls_(hub_urls) {
  size_t from = 0;
  while (from <= hub_urls.size()) {
    const size_t comma = std::min(hub_urls.find(',', from), hub_urls.size());
    const std::string url = trimmed(hub_urls.substr(from, comma - from));
    from = comma + 1;
    if (url.empty()) continue;
    Poco::URI uri;
    try {
      uri = Poco::URI(url);
    } catch (const std::exception&) {
    }
    if ((uri.getScheme() != "http" && uri.getScheme() != "https") || uri.getHost().empty())
      throw std::invalid_argument("hub_url: \"" + url + "\" is not an http://HOST:PORT or https://HOST:PORT URL");
    hubs_.push_back({url, uri});
  }
  if (hubs_.empty()) throw std::invalid_argument("hub_url: no hub given; one URL, or several separated by commas");
}

std::vector<size_t> HubAddresses::order() const {
  std::lock_guard lock(mutex_);
  const auto now = std::chrono::steady_clock::now();
  std::vector<size_t> ready, waiting;
  for (size_t i = 0; i < hubs_.size(); ++i) {
    const size_t hub = (preferred_ + i) % hubs_.size();
    (hubs_[hub].retry_at <= now ? ready : waiting).push_back(hub);
  }
  std::stable_sort(waiting.begin(), waiting.end(), [&](size_t a, size_t b) { return hubs_[a].retry_at < hubs_[b].retry_at; });
  ready.insert(ready.end(), waiting.begin(), waiting.end());
  return ready;
}

void HubAddresses::succeeded(size_t hub) {
  std::lock_guard lock(mutex_);
  hubs_[hub].failures = 0;
  hubs_[hub].retry_at = {};
  preferred_ = hub;
}

void HubAddresses::failed(size_t hub) {
  std::lock_guard lock(mutex_);
  Hub& failing = hubs_[hub];
  auto backoff = kFirstBackoff;
  for (int i = 0; i < failing.failures && backoff < kLongestBackoff; ++i) backoff *= 2;
  failing.failures = std::min(failing.failures + 1, 30);
  failing.retry_at = std::chrono::steady_clock::now() + std::min(backoff, kLongestBackoff);
  if (preferred_ == hub) preferred_ = (hub + 1) % hubs_.size();
}

}  // namespace hub::client
