// The hub's side of the plugin host protocol reads what a host sends as
// hostile bytes: a message survives its own round trip, and a truncated,
// oversized or padded one is a WireError, never a crash or a huge allocation.
#include "isolation/messages.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace hub::isolation {
namespace {

TEST(PluginWire, AMessageSurvivesItsRoundTrip) {
  InstancesMessage sent{7, {{"payments", "p-1", "10.0.0.1", 8001, "grpc", "/health", "1.2.3", 50, {"blue", "eu"}, "{\"a\":1}"}}};
  const InstancesMessage got = decode_instances(encode(sent).bytes());
  ASSERT_EQ(got.records.size(), 1u);
  EXPECT_EQ(got.key, 7u);
  EXPECT_EQ(got.records[0].service, "payments");
  EXPECT_EQ(got.records[0].port, 8001u);
  EXPECT_THAT(got.records[0].tags, testing::ElementsAre("blue", "eu"));
  EXPECT_EQ(got.records[0].metadata_json, "{\"a\":1}");
  const ReportMessage report = decode_report(encode(ReportMessage{1ull << 41, true, HUB_HEALTH_DOWN, 1234, "no"}).bytes());
  EXPECT_EQ(report.check_id, 1ull << 41);
  EXPECT_TRUE(report.refused);
  EXPECT_EQ(report.latency_us, 1234);
}

TEST(PluginWire, BrokenMessagesAreRefused) {
  const std::string whole = encode(LogMessage{1, HUB_LOG_INFO, "hello"}).bytes();
  EXPECT_THROW(decode_log(whole.substr(0, whole.size() - 1)), WireError);  // truncated
  EXPECT_THROW(decode_log(whole + "x"), WireError);                        // padded
  Writer huge_list;
  huge_list.u32(1).u32(4'000'000'000u);  // a list claiming billions of records in a few bytes
  EXPECT_THROW(decode_instances(huge_list.bytes()), WireError);
  Writer long_string;
  long_string.u32(1).u32(0).u32(0xffffffffu);
  EXPECT_THROW(decode_log(long_string.bytes()), WireError);
  std::string oversized_frame = "\xff\xff\xff\x7f";
  EXPECT_THROW(take_frame(oversized_frame), WireError);
  std::string empty_frame = std::string("\0\0\0\0", 4);
  EXPECT_THROW(take_frame(empty_frame), WireError);
}

TEST(PluginWire, FramesAreSplitOffWhenWhole) {
  Writer body;
  body.str("abc");
  std::string frame("\x08\x00\x00\x00", 4);  // the length of the type byte and a 7-byte body
  frame += static_cast<char>(Message::log);
  frame += body.bytes();
  std::string buffer = frame.substr(0, 6);
  EXPECT_FALSE(take_frame(buffer));
  buffer += frame.substr(6) + "more";
  const auto taken = take_frame(buffer);
  ASSERT_TRUE(taken);
  EXPECT_EQ(taken->type, Message::log);
  EXPECT_EQ(taken->body, body.bytes());
  EXPECT_EQ(buffer, "more");
}

}  // namespace
}  // namespace hub::isolation
