#include "byte_stream.hpp"

#include "probe_failure.hpp"

namespace hub::probes {

std::string ByteStream::read_exact(size_t n) {
  std::string bytes;
  while (bytes.size() < n)
    if (!read_some(bytes, n))
      throw ProbeFailure(peer() + " closed the connection after " + std::to_string(bytes.size()) + " of " + std::to_string(n) + " bytes");
  return bytes;
}

size_t ByteStream::read_until(std::string& buffer, std::string_view delimiter, size_t limit) {
  for (size_t searched = 0;;) {
    const size_t found = buffer.find(delimiter, searched);
    if (found != std::string::npos) return found;
    searched = buffer.size() >= delimiter.size() ? buffer.size() - delimiter.size() + 1 : 0;  // never scan a byte twice
    if (!read_some(buffer, limit)) throw ProbeFailure(peer() + " closed the connection before answering in full");
  }
}

}  // namespace hub::probes
