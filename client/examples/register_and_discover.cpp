// A service's life with the hub: register on start, heartbeat in the
// background, find a dependency, deregister on shutdown.
//
//   register_and_discover http://127.0.0.1:8001 my-service 127.0.0.1 9000 [dependency]
//
// Against a hub with auth and TLS, the token and CA come from the service's environment:
//   HUB_TOKEN=hub_… HUB_CA_FILE=/etc/central-hub/ca.crt register_and_discover https://hub:8001 my-service …
#include <hub/client.hpp>

#include <csignal>
#include <iostream>

int main(int argc, char** argv) {
  if (argc < 5) {
    std::cerr << "usage: " << argv[0] << " HUB_URL SERVICE HOST PORT [DEPENDENCY]\n";
    return 2;
  }
  try {
    hub::Client hub({.hub_url = argv[1], .heartbeat_interval = std::chrono::seconds(30), .on_retry = [](int attempt, auto wait, auto& why) {
                       std::cerr << "register attempt " << attempt << " failed (" << why << "); retrying in " << wait.count() << " ms\n";
                     }});
    hub::ServiceRegistration self{.name = argv[2], .host = argv[3], .port = static_cast<uint16_t>(std::stoi(argv[4]))};
    if (argc > 5) self.dependencies.push_back(argv[5]);
    for (const std::string& warning : hub.register_service(self)) std::cerr << "hub: " << warning << "\n";
    hub.start_heartbeats();
    std::cout << "registered " << self.name << "\n";
    if (argc > 5) {
      try {
        const std::string url = hub.discover(argv[5]);
        std::cout << argv[5] << " is at " << url << "\n";
      } catch (const hub::ClientError& error) {
        std::cout << argv[5] << ": " << error.what() << "\n";
      }
    }
    for (const hub::InstanceInfo& instance : hub.services("healthy")) std::cout << instance.service_name << ": " << instance.url << "\n";
    // A real service serves here until told to stop; the destructor deregisters.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    if (std::getenv("EXAMPLE_WAIT_FOR_SIGNAL")) {
      int received = 0;
      sigwait(&signals, &received);
    }
    std::cout << "deregistering\n";
  } catch (const std::exception& error) {
    std::cerr << "error: " << error.what() << "\n";
    return 1;
  }
  return 0;
}
