// The seed's Examples 2 and 3 in C++: fetch a service's config with safe
// defaults, then follow it as it changes.
//
//   build/client/config_hot_reload http://127.0.0.1:8001 risk-management
//   curl -X PUT localhost:8001/config/risk-management -d '{"config_data":
//        {"operational": {"position_limits": {"max_position_size": 5}}}}'
//
// Against a hub with auth and TLS: HUB_TOKEN (a service:risk-management or reader token) and
// HUB_CA_FILE come from the environment, and the URL is https://.
#include <hub/config_client.hpp>

#include <csignal>
#include <iostream>
#include <thread>

namespace {
volatile std::sig_atomic_t stop_requested = 0;
}

int main(int argc, char** argv) {
  const std::string hub_url = argc > 1 ? argv[1] : "http://127.0.0.1:8001";
  const std::string service = argc > 2 ? argv[2] : "risk-management";
  std::signal(SIGINT, [](int) { stop_requested = 1; });

  hub::ConfigClientOptions options;
  options.hub_url = hub_url;
  options.validate = [](const nlohmann::json& config, std::string& why) {
    const auto& size = config["operational"]["position_limits"]["max_position_size"];
    if (size.is_number() && size.get<double>() > 0) return true;
    why = "operational.position_limits.max_position_size must be a positive number";
    return false;
  };
  hub::ConfigClient client(service, {{"operational", {{"position_limits", {{"max_position_size", 1}}}}}}, options);
  std::cout << "started from " << hub::to_string(client.init()) << ": " << client.get_config().dump() << "\n";
  if (auto key = hub::ConfigClient::secret("POLYGON_API_KEY")) std::cout << "a secret came from the environment\n";
  client.watch_config([](const nlohmann::json& config) {
    std::cout << "max position size is now " << config["operational"]["position_limits"]["max_position_size"] << "\n";
  });
  while (!stop_requested) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  return 0;
}
