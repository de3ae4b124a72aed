// A probe's peer made of fuzz bytes: reads come from the input in chunks the
// input's first byte sizes, writes are taken and dropped, the input's end is
// the peer closing.
#pragma once

#include "byte_stream.hpp"
#include "probe_failure.hpp"

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>

class FuzzStream final : public hub::probes::ByteStream {
 public:
  FuzzStream(const uint8_t* data, size_t size) : input_(reinterpret_cast<const char*>(data), size) {
    if (!input_.empty()) {
      chunk_ = 1 + static_cast<unsigned char>(input_[0]) % 32;
      input_.remove_prefix(1);
    }
  }
  void send_all(std::string_view) override {}
  bool read_some(std::string& into, size_t limit) override {
    if (into.size() >= limit) throw hub::probes::ProbeFailure("fuzz peer sent more than the limit");
    if (input_.empty()) return false;
    const size_t n = std::min({chunk_, input_.size(), limit - into.size()});
    into.append(input_.substr(0, n));
    input_.remove_prefix(n);
    return true;
  }
  const std::string& peer() const override { return peer_; }

 private:
  std::string_view input_;
  size_t chunk_ = 1;
  std::string peer_ = "fuzz:0";
};
