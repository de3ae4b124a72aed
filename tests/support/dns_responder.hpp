// A tiny authoritative DNS server on 127.0.0.1 (UDP, an ephemeral port) that
// answers A and SRV questions from tables the test fills, so DNS discovery is
// tested against real resolver code without a network.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace hub::testing {

class DnsResponder {
 public:
  struct Srv {
    uint16_t priority, weight, port;
    std::string target;
  };

  DnsResponder() {
    socket_ = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(socket_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) throw std::runtime_error("dns responder: bind failed");
    socklen_t length = sizeof address;
    ::getsockname(socket_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~DnsResponder() {
    stopping_ = true;
    thread_.join();
    ::close(socket_);
  }

  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  void set_a(const std::string& name, std::vector<std::string> addresses) {
    std::lock_guard lock(mutex_);
    a_[name] = std::move(addresses);
  }
  void set_srv(const std::string& name, std::vector<Srv> records) {
    std::lock_guard lock(mutex_);
    srv_[name] = std::move(records);
  }
  int questions() const { return questions_; }
  // Answers every query with what `answer` makes of it instead, nothing meaning silence: a hostile nameserver.
  void answer_with(std::function<std::string(const std::string& query)> answer) {
    std::lock_guard lock(mutex_);
    override_ = std::move(answer);
  }

 private:
  static void put16(std::string& out, uint16_t value) {
    out += static_cast<char>(value >> 8);
    out += static_cast<char>(value & 0xff);
  }
  static std::string encode_name(const std::string& name) {
    std::string out;
    size_t at = 0;
    while (at < name.size()) {
      size_t dot = name.find('.', at);
      if (dot == std::string::npos) dot = name.size();
      out += static_cast<char>(dot - at);
      out += name.substr(at, dot - at);
      at = dot + 1;
    }
    return out + '\0';
  }

  void serve() {
    while (!stopping_) {
      pollfd ready{socket_, POLLIN, 0};
      if (::poll(&ready, 1, 20) <= 0) continue;
      char buffer[512];
      sockaddr_in from{};
      socklen_t from_length = sizeof from;
      const ssize_t size = ::recvfrom(socket_, buffer, sizeof buffer, 0, reinterpret_cast<sockaddr*>(&from), &from_length);
      if (size < 17) continue;
      ++questions_;
      const std::string query(buffer, static_cast<size_t>(size));
      std::function<std::string(const std::string&)> answer_by;
      {
        std::lock_guard lock(mutex_);
        answer_by = override_;
      }
      const std::string answer = answer_by ? answer_by(query) : respond(query);
      if (!answer.empty()) ::sendto(socket_, answer.data(), answer.size(), 0, reinterpret_cast<sockaddr*>(&from), from_length);
    }
  }

  std::string respond(const std::string& query) {
    std::string name;
    size_t at = 12;
    while (at < query.size() && query[at]) {
      const size_t length = static_cast<unsigned char>(query[at]);
      if (!name.empty()) name += '.';
      name += query.substr(at + 1, length);
      at += length + 1;
    }
    const size_t question_end = at + 5;
    const uint16_t type =
        static_cast<uint16_t>((static_cast<unsigned char>(query[at + 1]) << 8) | static_cast<unsigned char>(query[at + 2]));
    std::vector<std::string> records;
    {
      std::lock_guard lock(mutex_);
      if (type == 1)
        for (const std::string& address : a_[name]) {
          in_addr raw{};
          inet_pton(AF_INET, address.c_str(), &raw);
          records.push_back(std::string(reinterpret_cast<const char*>(&raw), 4));
        }
      if (type == 33)
        for (const Srv& srv : srv_[name]) {
          std::string data;
          put16(data, srv.priority);
          put16(data, srv.weight);
          put16(data, srv.port);
          records.push_back(data + encode_name(srv.target));
        }
    }
    std::string out = query.substr(0, 2);           // the id
    put16(out, records.empty() ? 0x8183 : 0x8180);  // a response; NXDOMAIN when there is nothing
    put16(out, 1);
    put16(out, static_cast<uint16_t>(records.size()));
    put16(out, 0);
    put16(out, 0);
    out += query.substr(12, question_end - 12);
    for (const std::string& data : records) {
      put16(out, 0xc00c);  // the question's name
      put16(out, type);
      put16(out, 1);
      put16(out, 0);
      put16(out, 60);
      put16(out, static_cast<uint16_t>(data.size()));
      out += data;
    }
    return out;
  }

  int socket_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> questions_{0};
  std::mutex mutex_;
  std::map<std::string, std::vector<std::string>> a_;
  std::map<std::string, std::vector<Srv>> srv_;
  std::function<std::string(const std::string&)> override_;
};

}  // namespace hub::testing
