#include "dns_resolver.hpp"

#include <ares.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <mutex>

namespace hub::net {

namespace {

constexpr int kClassIn = 1;
constexpr int kTypeSrv = 33;

long left_ms(Deadline deadline) {
  return static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count());
}

// One c-ares channel for one lookup, driven on the calling thread until its callback ran or the deadline passed.
class Channel {
 public:
  Channel(const std::optional<Nameserver>& nameserver, Deadline deadline, bool hosts_file) : deadline_(deadline) {
    static std::once_flag initialized;
    std::call_once(initialized, [] { ares_library_init(ARES_LIB_INIT_ALL); });
    ares_options options{};
    options.timeout = static_cast<int>(std::max(1L, left_ms(deadline) / 2));  // two tries fit in the time given
    options.tries = 2;
    char lookups[] = "fb";  // /etc/hosts, then DNS
    char dns_only[] = "b";
    options.lookups = hosts_file && !nameserver ? lookups : dns_only;
    if (const int status = ares_init_options(&channel_, &options, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_LOOKUPS);
        status != ARES_SUCCESS)
      throw DnsError(std::string("cannot initialize the DNS resolver: ") + ares_strerror(status));
    if (!nameserver) return;
    const std::string server = nameserver->address + ":" + std::to_string(nameserver->port);
    if (const int status = ares_set_servers_ports_csv(channel_, server.c_str()); status != ARES_SUCCESS) {
      ares_destroy(channel_);
      throw DnsError("nameserver " + server + ": " + ares_strerror(status));
    }
  }
  ~Channel() { ares_destroy(channel_); }
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  ares_channel get() const { return channel_; }

  // Runs the channel until `done` or the deadline; false at the deadline (the query is then cancelled).
  bool run(const bool& done) {
    while (!done) {
      const long left = left_ms(deadline_);
      if (left <= 0) {
        ares_cancel(channel_);  // runs the callback with ARES_ECANCELLED
        return false;
      }
      ares_socket_t sockets[ARES_GETSOCK_MAXNUM];
      const int mask = ares_getsock(channel_, sockets, ARES_GETSOCK_MAXNUM);
      pollfd polled[ARES_GETSOCK_MAXNUM];
      nfds_t count = 0;
      for (int i = 0; i < ARES_GETSOCK_MAXNUM; ++i) {
        short events = 0;
        if (ARES_GETSOCK_READABLE(mask, i)) events |= POLLIN;
        if (ARES_GETSOCK_WRITABLE(mask, i)) events |= POLLOUT;
        if (events) polled[count++] = {sockets[i], events, 0};
      }
      timeval longest{left / 1000, (left % 1000) * 1000}, next{};
      const timeval* wait = ares_timeout(channel_, &longest, &next);
      if (::poll(polled, count, static_cast<int>(wait->tv_sec * 1000 + wait->tv_usec / 1000) + 1) < 0 && errno != EINTR)
        throw DnsError("DNS: poll failed");
      if (count == 0) ares_process_fd(channel_, ARES_SOCKET_BAD, ARES_SOCKET_BAD);  // timeouts only
      for (nfds_t i = 0; i < count; ++i)
        ares_process_fd(channel_, polled[i].revents & (POLLIN | POLLERR | POLLHUP) ? polled[i].fd : ARES_SOCKET_BAD,
                        polled[i].revents & POLLOUT ? polled[i].fd : ARES_SOCKET_BAD);
    }
    return true;
  }

 private:
  ares_channel channel_ = nullptr;
  Deadline deadline_;
};

template <class Found>
struct Answer {
  bool done = false;
  int status = ARES_SUCCESS;
  std::vector<Found> found;
};

[[noreturn]] void fail(const char* record, const std::string& name, int status, bool in_time, long allowed_ms) {
  if (!in_time) throw DnsError(std::string(record) + " lookup of " + name + " timed out after " + std::to_string(allowed_ms) + " ms");
  throw DnsError(std::string(record) + " lookup of " + name + " failed: " + ares_strerror(status));
}

bool numeric(const std::string& host, int family) {
  in_addr v4{};
  in6_addr v6{};
  return inet_pton(AF_INET, host.c_str(), &v4) == 1 || (family != AF_INET && inet_pton(AF_INET6, host.c_str(), &v6) == 1);
}

}  // namespace

Nameserver Nameserver::parse(const std::string& text) {
  Nameserver server;
  const size_t colon = text.find(':');
  server.address = text.substr(0, colon);
  in_addr probe{};
  if (inet_pton(AF_INET, server.address.c_str(), &probe) != 1)
    throw std::invalid_argument("'" + text + "' is not an IPv4 nameserver address (IP or IP:PORT)");
  if (colon != std::string::npos) {
    const std::string port = text.substr(colon + 1);
    char* end = nullptr;
    const long value = std::strtol(port.c_str(), &end, 10);
    if (port.empty() || *end || value < 1 || value > 65535) throw std::invalid_argument("'" + text + "' has no valid port after ':'");
    server.port = static_cast<uint16_t>(value);
  }
  return server;
}

std::vector<std::string> resolve_addresses(const std::string& host, int family, const std::optional<Nameserver>& nameserver,
                                           Deadline deadline) {
  if (numeric(host, family)) return {host};
  const long allowed = left_ms(deadline);
  if (allowed <= 0) throw DnsError("A lookup of " + host + ": no time left before the deadline");
  Channel channel(nameserver, deadline, /*hosts_file=*/true);
  Answer<std::string> answer;
  ares_addrinfo_hints hints{};
  hints.ai_family = family;
  ares_getaddrinfo(
      channel.get(), host.c_str(), nullptr, &hints,
      [](void* context, int status, int, ares_addrinfo* result) {
        auto& answer = *static_cast<Answer<std::string>*>(context);
        answer.done = true;
        answer.status = status;
        if (status != ARES_SUCCESS || !result) return;
        for (const ares_addrinfo_node* node = result->nodes; node; node = node->ai_next) {
          char text[INET6_ADDRSTRLEN] = "";
          if (node->ai_family == AF_INET)
            inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(node->ai_addr)->sin_addr, text, sizeof text);
          else if (node->ai_family == AF_INET6)
            inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(node->ai_addr)->sin6_addr, text, sizeof text);
          if (*text && std::find(answer.found.begin(), answer.found.end(), text) == answer.found.end()) answer.found.emplace_back(text);
        }
        ares_freeaddrinfo(result);
      },
      &answer);
  const bool in_time = channel.run(answer.done);
  if (!in_time || answer.status != ARES_SUCCESS) fail("A", host, answer.status, in_time, allowed);
  return answer.found;
}

std::vector<SrvRecord> query_srv(const std::string& name, const std::optional<Nameserver>& nameserver, Deadline deadline) {
  const long allowed = left_ms(deadline);
  if (allowed <= 0) throw DnsError("SRV lookup of " + name + ": no time left before the deadline");
  Channel channel(nameserver, deadline, /*hosts_file=*/false);
  Answer<SrvRecord> answer;
  ares_query(
      channel.get(), name.c_str(), kClassIn, kTypeSrv,
      [](void* context, int status, int, unsigned char* reply, int length) {
        auto& answer = *static_cast<Answer<SrvRecord>*>(context);
        answer.done = true;
        answer.status = status;
        if (status != ARES_SUCCESS) return;
        ares_srv_reply* records = nullptr;
        answer.status = ares_parse_srv_reply(reply, length, &records);
        for (const ares_srv_reply* record = records; record; record = record->next)
          answer.found.push_back({record->host, record->port, record->priority, record->weight});
        if (records) ares_free_data(records);
      },
      &answer);
  const bool in_time = channel.run(answer.done);
  if (!in_time || answer.status != ARES_SUCCESS) fail("SRV", name, answer.status, in_time, allowed);
  return answer.found;
}

}  // namespace hub::net
