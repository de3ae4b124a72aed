#include "redis_probe.hpp"

#include <cstdlib>

namespace hub::probes {

namespace {

std::string resp_command(std::initializer_list<std::string> parts) {
  std::string command = "*" + std::to_string(parts.size()) + "\r\n";
  for (const std::string& part : parts) command += "$" + std::to_string(part.size()) + "\r\n" + part + "\r\n";
  return command;
}

std::string answer_line(ByteStream& server, std::string& buffer) {
  const size_t end = server.read_until(buffer, "\r\n", 4096);
  std::string line = buffer.substr(0, end);
  buffer.erase(0, end + 2);
  return line;
}

}  // namespace

RedisProbe::RedisProbe(const hub::Context& context) : host_(context.host), password_env_(context.config.string("password_env", "")) {}

hub::ProbeResult ping_redis(ByteStream& server, const char* password) {
  std::string buffer;
  if (password) {
    server.send_all(resp_command({"AUTH", password}));
    const std::string answer = answer_line(server, buffer);
    if (answer != "+OK") throw ProbeFailure("Redis refused AUTH: " + answer.substr(0, 80));
  }
  server.send_all(resp_command({"PING"}));
  const std::string answer = answer_line(server, buffer);
  if (answer == "+PONG") return hub::ProbeResult::healthy("PING answered by PONG");
  if (!answer.empty() && answer[0] == '-') throw ProbeFailure("Redis answered PING with an error: " + answer.substr(1, 80));
  throw ProbeFailure("Redis answered PING with '" + answer.substr(0, 40) + "'");
}

hub::ProbeResult RedisProbe::check(const hub::ProbeTarget& target, hub::Deadline deadline) {
  return timed_check(host_, deadline, [&](SteadyTime until) {
    const char* password = nullptr;
    if (!password_env_.empty()) {
      password = std::getenv(password_env_.c_str());
      if (!password) throw ProbeFailure("the environment variable " + password_env_ + " (password_env) is not set");
    }
    DeadlineSocket socket(std::string(target.host()), target.port(), until);
    return ping_redis(socket, password);
  });
}

}  // namespace hub::probes
