// hubd: runs a Central Hub from a manifest file until SIGTERM or SIGINT.
#include <hub/errors.hpp>
#include <hub/hub.hpp>

#include "plugin_host/plugin_loader.hpp"

#include <csignal>
#include <cstring>
#include <iostream>
#include <optional>
#include <string>

namespace {

constexpr const char* kUsage =
    "usage: hubd --config FILE [--listen HOST:PORT]\n"
    "       hubd --check-config FILE\n"
    "       hubd --version\n"
    "\n"
    "  --config FILE        run the deployment in FILE (see config/*.yaml)\n"
    "  --listen HOST:PORT   listen there instead of the deployment's address\n"
    "  --check-config FILE  validate FILE, load its plugins and create each instance, then exit\n";

struct Arguments {
  std::string config;
  std::string check;
  std::optional<std::string> listen;
  bool version = false;
};

// Returns nullopt after printing what was wrong.
std::optional<Arguments> parse(int argc, char** argv) {
  Arguments args;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    auto value = [&]() -> std::optional<std::string> {
      if (i + 1 < argc) return std::string(argv[++i]);
      std::cerr << "hubd: " << flag << " needs a value\n" << kUsage;
      return std::nullopt;
    };
    if (flag == "--help" || flag == "-h") {
      std::cout << kUsage;
      std::exit(0);
    } else if (flag == "--version") {
      args.version = true;
    } else if (flag == "--config" || flag == "--check-config" || flag == "--listen") {
      auto v = value();
      if (!v) return std::nullopt;
      (flag == "--config" ? args.config : flag == "--check-config" ? args.check : args.listen.emplace()) = *v;
    } else {
      std::cerr << "hubd: unknown argument '" << flag << "'\n" << kUsage;
      return std::nullopt;
    }
  }
  if (!args.version && args.config.empty() == args.check.empty()) {
    std::cerr << "hubd: give exactly one of --config FILE or --check-config FILE\n" << kUsage;
    return std::nullopt;
  }
  return args;
}

int run(const Arguments& args) {
  hub::HubOptions options = hub::HubOptions::from_file(args.config);
  if (args.listen) {
    try {
      options.manifest.listen = hub::ListenAddress::parse(*args.listen);
    } catch (const std::invalid_argument& error) {
      std::cerr << "hubd: --listen: " << error.what() << "\n";
      return 2;
    }
  }
  // Block the stop signals before any thread starts, so only sigwait sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  hub::Hub hub(std::move(options));
  hub.start();
  int signal = 0;
  sigwait(&stop_signals, &signal);
  std::cerr << "hubd: " << strsignal(signal) << ", stopping\n";
  hub.stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::optional<Arguments> args = parse(argc, argv);
  if (!args) return 2;
  if (args->version) {
    std::cout << "hubd " << HUB_VERSION << " (plugin ABI " << hub::version_string(HUB_PLUGIN_ABI_VERSION) << ")\n";
    return 0;
  }
  try {
    if (!args->check.empty()) {
      hub::check_manifest(hub::load_manifest(args->check));
      std::cout << args->check << ": OK\n";
      return 0;
    }
    return run(*args);
  } catch (const std::exception& error) {
    std::cerr << "hubd: " << error.what() << "\n";
    return 1;
  }
}
