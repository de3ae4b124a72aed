// hubd as the benchmarks' child process, on SQLite (the embedded default).
#pragma once

#include "http_connection.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>

// Writes "listen: 127.0.0.1:PORT" plus `yaml` to scratch/bench.yaml, starts hubd on it and
// waits for /health; -1 when it does not answer within 20 s.
inline pid_t start_hubd(const std::filesystem::path& scratch, uint16_t port, const std::string& yaml) {
  std::filesystem::create_directories(scratch);
  std::ofstream(scratch / "bench.yaml") << "listen: 127.0.0.1:" << port << "\n" << yaml;
  const pid_t hubd = ::fork();
  if (hubd == 0) {
    const std::string config = (scratch / "bench.yaml").string();
    ::execl(HUB_HUBD_PATH, "hubd", "--config", config.c_str(), static_cast<char*>(nullptr));
    std::perror("exec hubd");
    std::_Exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  for (;;) {
    try {
      Connection probe(port);
      if (probe.exchange(get_request("/health")) == 200) return hubd;
    } catch (const std::exception&) {
    }
    if (std::chrono::steady_clock::now() > deadline) {
      std::cerr << "hubd did not answer on port " << port << "\n";
      ::kill(hubd, SIGTERM);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling a starting process, bounded by the deadline
  }
}

inline void stop_hubd(pid_t hubd) {
  ::kill(hubd, SIGTERM);
  int status = 0;
  ::waitpid(hubd, &status, 0);
}

inline long resident_kib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}
