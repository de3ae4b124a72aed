// The C++ half of ErrorDNA's labeled corpus: causes of errors as C++ services meet them, each raised by a
// real code path several times with other ids, numbers, paths and ports. Prints one JSON line per
// event: its label, type, message, the stack capture_stack took where it was caught, and the
// fingerprint, category and severity the C++ library gives it (grouping.py checks that Python agrees).
//
// A C++ exception carries no stack: a service catches it in the handler of its request or message
// and reports the stack there. So each cause here has a handler of its own, as routes do, except
// dispatch's operations, which share one handler and one frame (causes sharing a stack);
// validate_order and validate_transfer raise the same words (causes sharing a message).
#include <hub/error_dna.hpp>

#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <regex>
#include <stdexcept>
#include <string>
#include <system_error>
#include <variant>
#include <vector>

constexpr int kRounds = 10;

[[gnu::noinline]] long dispatch(const std::string& operation, const std::string& value) {
  static const std::map<std::string, double> rates{{"EURUSD", 1.08}};
  const std::vector<int> levels{1, 2, 3};
  if (operation == "quantity") return std::stoi(value);
  if (operation == "volume") return std::stol(value);
  if (operation == "level") return levels.at(std::stoul(value));
  if (operation == "rate") return static_cast<long>(rates.at(value));
  throw std::logic_error("no operation " + operation);
}

[[gnu::noinline]] void validate_order(int quantity) {
  if (quantity <= 0) throw std::invalid_argument("quantity must be positive, got " + std::to_string(quantity));
}

[[gnu::noinline]] void validate_transfer(int quantity) {
  if (quantity <= 0) throw std::invalid_argument("quantity must be positive, got " + std::to_string(quantity));
}

[[gnu::noinline]] uintmax_t report_size(int user) {
  return std::filesystem::file_size("/var/data/user" + std::to_string(user) + "/report-" + std::to_string(user) + ".csv");
}

[[gnu::noinline]] uint16_t closed_port() {
  const int probe = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{.sin_family = AF_INET, .sin_port = 0, .sin_addr = {htonl(INADDR_LOOPBACK)}};
  ::bind(probe, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t size = sizeof address;
  ::getsockname(probe, reinterpret_cast<sockaddr*>(&address), &size);
  ::close(probe);
  return ntohs(address.sin_port);
}

[[gnu::noinline]] void connect_feed(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{.sin_family = AF_INET, .sin_port = htons(port), .sin_addr = {htonl(INADDR_LOOPBACK)}};
  const int result = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  const int error = errno;
  ::close(fd);
  if (result != 0) throw std::system_error(error, std::generic_category(), "connect 127.0.0.1:" + std::to_string(port));
}

[[gnu::noinline]] nlohmann::json parse_settings(int n) {
  return nlohmann::json::parse("{\"symbols\": [\"EURUSD\", " + std::string(static_cast<size_t>(n + 1), 'x') + "]}");
}

[[gnu::noinline]] std::string setting(int n) {
  const nlohmann::json settings = {{"symbols", {"EURUSD"}}};
  return settings.at("symbol_" + std::to_string(n)).get<std::string>();
}

[[gnu::noinline]] int setting_type(int n) {
  const nlohmann::json settings = {{"limit", "unlimited-" + std::to_string(n)}};
  return settings.at("limit").get<int>();
}

[[gnu::noinline]] double stop_price(int n) {
  std::optional<double> stop;
  if (n < 0) stop = 1.0;
  return stop.value();
}

[[gnu::noinline]] double fill_price(int n) {
  std::variant<double, std::string> price = "pending-" + std::to_string(n);
  return std::get<double>(price);
}

[[gnu::noinline]] bool matches_symbol(int n) {
  return std::regex_match("EURUSD", std::regex("EUR(USD" + std::string(static_cast<size_t>(n + 1), '(')));
}

[[gnu::noinline]] size_t reserve_book(int n) {
  std::string book;
  book.reserve(book.max_size() + static_cast<size_t>(n) + 1);
  return book.capacity();
}

[[gnu::noinline]] void authenticate(int n) {
  throw std::runtime_error("401 Unauthorized: token for user " + std::to_string(4000 + n) + " expired");
}

[[gnu::noinline]] void write_journal(int n) {
  throw std::system_error(ENOSPC, std::generic_category(), "write /var/lib/journal/segment-" + std::to_string(n) + ".log");
}

const hub::ErrorDNA& dna() {
  static const hub::ErrorDNA instance;
  return instance;
}

void record(const std::string& label, const std::exception& error) {
  static const hub::ErrorClassifier classifier;
  const auto pattern = dna().analyze_error(error, hub::ErrorDNA::capture_stack(1));
  const auto classification = classifier.classify(pattern);
  nlohmann::json event = pattern.to_json();
  event["label"] = label;
  event["category"] = classification.category;
  event["severity"] = classification.severity;
  std::cout << event.dump() << "\n";
}

std::vector<uint16_t> closed;

// One handler per route; each catches what its work throws and reports it with the stack there.
#define HANDLER(name, label, work)                                     \
  [[gnu::noinline]] void name(int n) {                                 \
    try {                                                              \
      work;                                                            \
      throw std::logic_error(label " did not throw");                  \
    } catch (const std::logic_error& error) {                          \
      if (std::string(error.what()).ends_with("did not throw")) throw; \
      record(label, error);                                            \
    } catch (const std::exception& error) {                            \
      record(label, error);                                            \
    }                                                                  \
  }

[[gnu::noinline]] void handle_dispatch(const std::string& label, const std::string& operation, const std::string& value) {
  try {
    dispatch(operation, value);
  } catch (const std::exception& error) {
    record(label, error);
  }
}

HANDLER(handle_validate_order, "cpp.validate_order", validate_order(-n))
HANDLER(handle_validate_transfer, "cpp.validate_transfer", validate_transfer(-n))
HANDLER(handle_report_size, "cpp.report_size", report_size(n))
HANDLER(handle_connect_feed, "cpp.connect_feed", connect_feed(closed[static_cast<size_t>(n)]))
HANDLER(handle_parse_settings, "cpp.parse_settings", parse_settings(n))
HANDLER(handle_setting, "cpp.setting", setting(n))
HANDLER(handle_setting_type, "cpp.setting_type", setting_type(n))
HANDLER(handle_stop_price, "cpp.stop_price", stop_price(n))
HANDLER(handle_fill_price, "cpp.fill_price", fill_price(n))
HANDLER(handle_matches_symbol, "cpp.matches_symbol", matches_symbol(n))
HANDLER(handle_reserve_book, "cpp.reserve_book", reserve_book(n))
HANDLER(handle_authenticate, "cpp.authenticate", authenticate(n))
HANDLER(handle_write_journal, "cpp.write_journal", write_journal(n))

int main() {
  for (int n = 0; n < kRounds; ++n) closed.push_back(closed_port());
  const std::vector<void (*)(int)> handlers{handle_validate_order, handle_validate_transfer, handle_report_size,  handle_connect_feed,
                                            handle_parse_settings, handle_setting,           handle_setting_type, handle_stop_price,
                                            handle_fill_price,     handle_matches_symbol,    handle_reserve_book, handle_authenticate,
                                            handle_write_journal};
  try {
    for (int n = 0; n < kRounds; ++n) {
      handle_dispatch("cpp.dispatch.quantity", "quantity", "q" + std::to_string(n));
      handle_dispatch("cpp.dispatch.volume", "volume", std::to_string(n) + "99999999999999999999");
      handle_dispatch("cpp.dispatch.level", "level", std::to_string(n + 3));
      handle_dispatch("cpp.dispatch.rate", "rate", "XAU" + std::to_string(n));
    }
    for (auto* handler : handlers)
      for (int n = 0; n < kRounds; ++n) handler(n);
  } catch (const std::logic_error& error) {
    std::cerr << error.what() << "\n";
    return 1;
  }
  return 0;
}
