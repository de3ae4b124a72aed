// A hub with auth: required, its first admin token given the documented way (the hash in
// HUB_ADMIN_TOKEN_SHA256), and helpers that call it with a token and make more tokens.
//
//   SecuredHub hub;                                  // discovery linked in, memory storage
//   std::string reader = hub.token("reader");
//   EXPECT_EQ(hub.call("GET", "/services", reader).status, 200);
#pragma once

#include "support/log_capture.hpp"
#include "support/registry_hub.hpp"

#include "security/token.hpp"

#include <hub/http_call.hpp>
#include <hub/testing.hpp>

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <memory>
#include <string>

namespace hub::testing {

inline constexpr const char* kAdminToken = "hub_test-admin-token-given-by-its-hash-in-the-environment";

inline HubOptions secured_options(const std::string& storage = "{backend: memory}", const std::string& sections = "",
                                  std::shared_ptr<Clock> clock = nullptr) {
  return registry_options(kLiveness, std::move(clock), storage, "auth: required\n" + sections);
}

class SecuredHub {
 public:
  explicit SecuredHub(HubOptions options = secured_options()) {
    ::setenv("HUB_ADMIN_TOKEN_SHA256", security::token_sha256(kAdminToken).c_str(), 1);
    hub_ = std::make_unique<Hub>(std::move(options));
    try {
      hub_->start();
    } catch (...) {
      ::unsetenv("HUB_ADMIN_TOKEN_SHA256");
      throw;
    }
    ::unsetenv("HUB_ADMIN_TOKEN_SHA256");  // read at start; other hubs of this process start without it
  }
  Hub& operator*() { return *hub_; }
  Hub* operator->() { return hub_.get(); }
  std::string url() const { return hub_->url(); }

  // The CA that signed a TLS hub's certificate, for every call() that does not name its own.
  void trust(const std::string& ca_file) { ca_file_ = ca_file; }

  HttpReply call(const std::string& method, const std::string& path, const std::string& token = "", const std::string& body = "",
                 HttpCallOptions options = {}) const {
    if (options.ca_file.empty()) options.ca_file = ca_file_;
    options.token = token;
    options.body = body;
    return http_call(method, url() + path, options);
  }
  // A new token with `role`; its id in `id` when asked.
  std::string token(const std::string& role, std::string* id = nullptr, const std::string& extra = "") const {
    const HttpReply made =
        call("POST", "/tokens", kAdminToken, R"({"role":")" + role + R"(","description":"test )" + role + "\"" + extra + "}");
    EXPECT_EQ(made.status, 201) << made.body;
    const auto answer = nlohmann::json::parse(made.body);
    if (id) *id = answer.at("id").get<std::string>();
    return answer.at("token").get<std::string>();
  }

 private:
  std::unique_ptr<Hub> hub_;
  std::string ca_file_;
};

}  // namespace hub::testing
