// Request messages read from a checked JSON body in one pass, by field name.
#include "api/json_message.hpp"
#include "hub/api/v1/registry.pb.h"

#include <gtest/gtest.h>

namespace {

using hub::api::read_json_message;
using nlohmann::json;
namespace v1 = hub::api::v1;

TEST(JsonMessage, FieldsAreReadByTheirProtoOrJsonNames) {
  v1::RegisterRequest request;
  const json body = json::parse(R"({"service_name": "api", "instanceId": "a-1", "port": "8080", "tags": ["edge", "eu"],
                                    "metadata": {"tier": 1, "owners": ["x"], "on": true}})");
  ASSERT_TRUE(read_json_message(body, request).ok());
  EXPECT_EQ(request.service_name(), "api");
  EXPECT_EQ(request.instance_id(), "a-1");
  EXPECT_EQ(request.port(), 8080u);  // a string of digits, as protobuf's JSON reader takes it
  ASSERT_EQ(request.tags_size(), 2);
  EXPECT_EQ(request.metadata().fields().at("tier").number_value(), 1);
  EXPECT_EQ(request.metadata().fields().at("owners").list_value().values(0).string_value(), "x");
  EXPECT_TRUE(request.metadata().fields().at("on").bool_value());
}

TEST(JsonMessage, AMapTakesAnObjectOfNumbers) {
  v1::HeartbeatRequest request;
  ASSERT_TRUE(read_json_message(json::parse(R"({"service_name": "api", "metrics": {"cpu": 0.5, "rps": 12}})"), request).ok());
  EXPECT_EQ(request.metrics().at("cpu"), 0.5);
  EXPECT_EQ(request.metrics().at("rps"), 12);
  const hub::Status refused = read_json_message(json::parse(R"({"metrics": {"cpu": "high"}})"), request);
  EXPECT_EQ(refused.message(), "metrics.cpu: invalid value \"high\" for type double");
}

TEST(JsonMessage, WhatDoesNotFitIsRefusedWithTheFieldsName) {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"port": -1})", "port: invalid value -1 for type uint32"},
      {R"({"port": 4294967296})", "port: invalid value 4294967296 for type uint32"},
      {R"({"port": 80.5})", "port: invalid value 80.5 for type uint32"},
      {R"({"host": 7})", "host: invalid value 7 for type string"},
      {R"({"tags": "edge"})", "tags: expected an array"},
      {R"({"tags": [["a"]]})", "tags: expected an array of single values, not of arrays or objects"},
      {R"({"metadata": [1]})", "metadata: expected an object"},
      {R"({"colour": "red"})", "colour: unknown field"},
      {R"([1])", "the body must be a JSON object, got array"},
  };
  for (const auto& [text, message] : cases) {
    v1::RegisterRequest request;
    const hub::Status status = read_json_message(json::parse(text), request);
    EXPECT_EQ(status.code(), hub::Code::invalid_argument) << text;
    EXPECT_EQ(status.message(), message) << text;
  }
}

}  // namespace
