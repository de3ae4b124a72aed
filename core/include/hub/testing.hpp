// Start a hub inside a GoogleTest test: memory storage, an ephemeral port,
// statically linked or file plugins, stopped when the test ends.
//
//   #include <hub/testing.hpp>
//
//   TEST(MyService, AnswersTheHub) {
//     hub::testing::TestHub hub;                   // started
//     EXPECT_EQ(hub.get("/health").status, 200);
//   }
//
//   class WithMyProbe : public hub::testing::HubTest {
//     void configure(hub::HubOptions& options) override {
//       options.static_plugins.push_back({"my-probe", &my_probe_plugin});
//       options.manifest = hub::parse_manifest(R"(...)", "test", ".");
//     }
//   };
#pragma once

#include <hub/http_call.hpp>
#include <hub/hub.hpp>

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace hub::testing {

// A manifest with memory storage on 127.0.0.1:0 and quiet logs.
inline HubOptions test_options() {
  HubOptions options;
  options.manifest.listen = {"127.0.0.1", 0};
  options.manifest.storage.backend = StorageSettings::Backend::memory;
  options.manifest.logging.level = "warn";
  return options;
}

class TestHub {
 public:
  explicit TestHub(HubOptions options = test_options()) : hub_(std::make_unique<Hub>(std::move(options))) { hub_->start(); }
  Hub& operator*() { return *hub_; }
  Hub* operator->() { return hub_.get(); }
  std::string url() const { return hub_->url(); }
  HttpReply get(const std::string& path, const HttpCallOptions& options = {}) const { return http_call("GET", url() + path, options); }
  HttpReply post(const std::string& path, const std::string& body) const {
    HttpCallOptions options;
    options.body = body;
    return http_call("POST", url() + path, options);
  }

 private:
  std::unique_ptr<Hub> hub_;
};

// A fixture: override configure() to change the options before the start.
class HubTest : public ::testing::Test {
 protected:
  virtual void configure(HubOptions&) {}
  void SetUp() override {
    HubOptions options = test_options();
    configure(options);
    hub_ = std::make_unique<TestHub>(std::move(options));
  }
  void TearDown() override { hub_.reset(); }
  TestHub& hub() { return *hub_; }

 private:
  std::unique_ptr<TestHub> hub_;
};

}  // namespace hub::testing
