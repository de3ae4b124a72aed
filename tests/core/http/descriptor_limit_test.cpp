// hubd under a small descriptor limit, as an operator's default of 1,024 is:
// more idle sockets than descriptors must not lock out a new client.
#include "support/hubd_process.hpp"
#include "support/raw_http.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

namespace {

using hub::testing::HubdProcess;
using hub::testing::RawConnection;

TEST(DescriptorLimit, MoreIdleSocketsThanDescriptorsDoNotLockOutANewClient) {
  const uint16_t port = hub::testing::free_port();
  const std::filesystem::path config = std::filesystem::temp_directory_path() / ("descriptor-limit-" + std::to_string(port) + ".yaml");
  HubdProcess hubd(
      config,
      "listen: 127.0.0.1:" + std::to_string(port) + "\nstorage: {backend: memory}\nlogging: {level: error}\nhttp: {io_threads: 1}\n", port,
      /*descriptor_limit=*/256);
  std::vector<std::unique_ptr<RawConnection>> idle;
  for (int i = 0; i < 400; ++i) idle.push_back(std::make_unique<RawConnection>(port));
  RawConnection newcomer(port);
  newcomer.send("GET /health HTTP/1.1\r\n\r\n");
  EXPECT_EQ(newcomer.answer().status, 200);
  std::filesystem::remove(config);
}

}  // namespace
