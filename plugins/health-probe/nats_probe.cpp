#include "nats_probe.hpp"

namespace hub::probes {

namespace {

constexpr size_t kMaxLineBytes = 64 * 1024;  // INFO carries the server's description

std::string next_line(ByteStream& server, std::string& buffer) {
  const size_t end = server.read_until(buffer, "\r\n", kMaxLineBytes);
  std::string line = buffer.substr(0, end);
  buffer.erase(0, end + 2);
  return line;
}

}  // namespace

hub::ProbeResult ping_nats(ByteStream& server) {
  std::string buffer;
  const std::string info = next_line(server, buffer);
  if (info.rfind("INFO ", 0) != 0)
    throw ProbeFailure(server.peer() + " is not a NATS server: it greeted with '" + info.substr(0, 40) + "'");
  server.send_all("CONNECT {\"verbose\":false,\"pedantic\":false,\"name\":\"central-hub-probe\"}\r\nPING\r\n");
  for (;;) {
    const std::string line = next_line(server, buffer);
    if (line == "PONG") return hub::ProbeResult::healthy("PING answered by PONG");
    if (line.rfind("-ERR", 0) == 0) throw ProbeFailure("NATS refused the connection: " + line.substr(std::min<size_t>(5, line.size())));
    if (line == "PING")
      server.send_all("PONG\r\n");
    else if (line != "+OK" && line.rfind("INFO ", 0) != 0)
      throw ProbeFailure("NATS answered PING with '" + line.substr(0, 40) + "'");
  }
}

hub::ProbeResult NatsProbe::check(const hub::ProbeTarget& target, hub::Deadline deadline) {
  return timed_check(host_, deadline, [&](SteadyTime until) {
    DeadlineSocket socket(std::string(target.host()), target.port(), until);
    return ping_nats(socket);
  });
}

}  // namespace hub::probes
