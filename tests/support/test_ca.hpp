// A certificate authority for one test, made with the `openssl` command as an operator would:
// a CA, and certificates it signs for the hub (127.0.0.1, localhost) or for clients (CN=NAME).
//
//   TestCa ca("tls");
//   auto hub = ca.issue("hub", "127.0.0.1");         // hub.crt, hub.key
//   auto expired = ca.issue("old", "127.0.0.1", -1); // already expired
#pragma once

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

namespace hub::testing {

struct IssuedCertificate {
  std::filesystem::path certificate, key;
};

class TestCa {
 public:
  explicit TestCa(const std::string& name) {
    static std::atomic<int> made{0};
    dir_ = std::filesystem::temp_directory_path() / ("hub-ca-" + name + "-" + std::to_string(::getpid()) + "-" + std::to_string(made++));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    run("openssl req -x509 -newkey rsa:2048 -nodes -keyout " + path("ca.key") + " -out " + path("ca.crt") + " -days 2 -subj '/CN=" + name +
        " test CA'");
  }
  ~TestCa() { std::filesystem::remove_all(dir_); }
  TestCa(const TestCa&) = delete;
  TestCa& operator=(const TestCa&) = delete;

  std::filesystem::path ca() const { return dir_ / "ca.crt"; }

  // Signed by this CA, valid for `days` from now (negative: expired that long ago).
  IssuedCertificate issue(const std::string& file, const std::string& common_name, int days = 1) const {
    const std::string key = path(file + ".key"), csr = path(file + ".csr"), crt = path(file + ".crt"), ext = path(file + ".ext");
    std::ofstream(ext) << "subjectAltName=IP:127.0.0.1,DNS:localhost\n";
    run("openssl req -newkey rsa:2048 -nodes -keyout " + key + " -out " + csr + " -subj '/CN=" + common_name + "'");
    run("openssl x509 -req -in " + csr + " -CA " + path("ca.crt") + " -CAkey " + path("ca.key") + " -CAcreateserial -out " + crt +
        " -days " + std::to_string(days) + " -extfile " + ext);
    return {crt, key};
  }

 private:
  std::string path(const std::string& file) const { return (dir_ / file).string(); }
  static void run(const std::string& command) {
    if (std::system((command + " >/dev/null 2>&1").c_str()) != 0) throw std::runtime_error("failed: " + command);
  }
  std::filesystem::path dir_;
};

}  // namespace hub::testing
