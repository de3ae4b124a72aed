#include "nats_probe.hpp"

namespace hub::probes {

namespace {

constexpr size_t kMaxLineBytes = 64 * 1024;  // INFO carries the server's description

std::string next_line(DeadlineSocket& socket, std::string& buffer) {
  const size_t end = socket.read_until(buffer, "\r\n", kMaxLineBytes);
  std::string line = buffer.substr(0, end);
  buffer.erase(0, end + 2);
  return line;
}

}  // namespace

hub::ProbeResult NatsProbe::check(const hub::ProbeTarget& target, hub::Deadline deadline) {
  return timed_check(host_, deadline, [&](SteadyTime until) {
    DeadlineSocket socket(std::string(target.host()), target.port(), until);
    std::string buffer;
    const std::string info = next_line(socket, buffer);
    if (info.rfind("INFO ", 0) != 0)
      throw ProbeFailure(socket.peer() + " is not a NATS server: it greeted with '" + info.substr(0, 40) + "'");
    socket.send_all("CONNECT {\"verbose\":false,\"pedantic\":false,\"name\":\"central-hub-probe\"}\r\nPING\r\n");
    for (;;) {
      const std::string line = next_line(socket, buffer);
      if (line == "PONG") return hub::ProbeResult::healthy("PING answered by PONG");
      if (line.rfind("-ERR", 0) == 0) throw ProbeFailure("NATS refused the connection: " + line.substr(5));
      if (line == "PING")
        socket.send_all("PONG\r\n");
      else if (line != "+OK" && line.rfind("INFO ", 0) != 0)
        throw ProbeFailure("NATS answered PING with '" + line.substr(0, 40) + "'");
    }
  });
}

}  // namespace hub::probes
