// The C++ side of the schemas' cross-language round trip (roundtrip.sh), on libhubschemas.
//
//   schemas_roundtrip write messages.json OUT    one MessageEnvelope per message, length-delimited
//   schemas_roundtrip read  messages.json IN     every envelope's payload equals its message
#include "common/tick_data.pb.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/io/zero_copy_stream_impl.h>
#include <google/protobuf/message.h>
#include <google/protobuf/util/delimited_message_util.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace {

using google::protobuf::Message;
using Expected = std::vector<std::pair<std::string, std::unique_ptr<Message>>>;

Expected expected(const std::string& path) {
  std::ifstream in(path);
  const nlohmann::ordered_json fixture = nlohmann::ordered_json::parse(in);
  Expected messages;
  for (const auto& [name, value] : fixture.items()) {
    if (name.starts_with("_")) continue;
    const auto* type = google::protobuf::DescriptorPool::generated_pool()->FindMessageTypeByName(name);
    if (!type) throw std::runtime_error("no generated type " + name);
    std::unique_ptr<Message> message(google::protobuf::MessageFactory::generated_factory()->GetPrototype(type)->New());
    const auto parsed = google::protobuf::util::JsonStringToMessage(value.dump(), message.get());
    if (!parsed.ok()) throw std::runtime_error(name + ": " + parsed.ToString());
    messages.emplace_back(name, std::move(message));
  }
  return messages;
}

constexpr int64_t kFirstTimestamp = 1764576000000000;

void write(const std::string& fixture, const std::string& path) {
  std::ofstream out(path, std::ios::binary);
  int number = 0;
  for (const auto& [name, message] : expected(fixture)) {
    aitrading::common::MessageEnvelope envelope;
    envelope.set_message_type(name);
    envelope.set_user_id("user123");
    envelope.set_payload(message->SerializeAsString());
    envelope.set_timestamp(kFirstTimestamp + number);
    envelope.set_service_source("cpp");
    envelope.set_correlation_id("cpp-" + std::to_string(number++));
    if (!google::protobuf::util::SerializeDelimitedToOstream(envelope, &out)) throw std::runtime_error("cannot write " + path);
  }
}

void read(const std::string& fixture, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  google::protobuf::io::IstreamInputStream stream(&in);
  std::vector<aitrading::common::MessageEnvelope> envelopes;
  for (;;) {
    aitrading::common::MessageEnvelope envelope;
    bool clean_eof = false;
    if (!google::protobuf::util::ParseDelimitedFromZeroCopyStream(&envelope, &stream, &clean_eof)) {
      if (clean_eof) break;
      throw std::runtime_error(path + ": a malformed envelope after " + std::to_string(envelopes.size()));
    }
    envelopes.push_back(std::move(envelope));
  }
  const Expected wanted = expected(fixture);
  if (envelopes.size() != wanted.size())
    throw std::runtime_error(path + ": " + std::to_string(envelopes.size()) + " envelopes, expected " + std::to_string(wanted.size()));
  for (size_t i = 0; i < wanted.size(); ++i) {
    const auto& [name, message] = wanted[i];
    if (envelopes[i].message_type() != name || envelopes[i].timestamp() != kFirstTimestamp + static_cast<int64_t>(i))
      throw std::runtime_error("envelope " + std::to_string(i) + " is " + envelopes[i].message_type() + ", expected " + name);
    std::unique_ptr<Message> got(message->New());
    if (!got->ParseFromString(envelopes[i].payload())) throw std::runtime_error(name + ": the payload does not parse");
    std::string differences;
    google::protobuf::util::MessageDifferencer differencer;
    differencer.ReportDifferencesToString(&differences);
    if (!differencer.Compare(*message, *got)) throw std::runtime_error(name + " differs: " + differences);
  }
  std::cout << "c++ read " << envelopes.size() << " messages from " << envelopes.front().service_source() << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: schemas_roundtrip write|read messages.json FILE\n";
    return 2;
  }
  try {
    std::string(argv[1]) == "write" ? write(argv[2], argv[3]) : read(argv[2], argv[3]);
  } catch (const std::exception& error) {
    std::cerr << "schemas_roundtrip: " << error.what() << "\n";
    return 1;
  }
  return 0;
}
