// hubd: runs a Central Hub from a manifest file until SIGTERM or SIGINT.
#include <hub/errors.hpp>
#include <hub/hub.hpp>
#include <hub/snapshot_admin.hpp>
#include <hub/token_admin.hpp>

#include "plugin_host/plugin_loader.hpp"

#include <csignal>
#include <cstring>
#include <ctime>
#include <iostream>
#include <optional>
#include <string>

namespace {

constexpr const char* kUsage =
    "usage: hubd --config FILE [--listen HOST:PORT]\n"
    "       hubd --check-config FILE\n"
    "       hubd token create --config FILE --role ROLE [--description TEXT] [--expires-in DURATION]\n"
    "       hubd token list --config FILE\n"
    "       hubd token revoke --config FILE ID\n"
    "       hubd --snapshot-save FILE --config CONFIG\n"
    "       hubd --snapshot-restore FILE --config CONFIG [--force]\n"
    "       hubd --version\n"
    "\n"
    "  --config FILE        run the deployment in FILE (see config/*.yaml)\n"
    "  --listen HOST:PORT   listen there instead of the deployment's address\n"
    "  --check-config FILE  validate FILE, load its plugins and create each instance, then exit\n"
    "  --snapshot-save FILE     write a snapshot of CONFIG's storage to FILE, verified, with no hub running\n"
    "  --snapshot-restore FILE  verify FILE and replace CONFIG's storage with it (refused when it holds\n"
    "                           anything, unless --force); stop the hub first\n"
    "  token ...            manage bearer tokens in FILE's storage, with or without a hub running;\n"
    "                       ROLE is admin, operator, reader or service:NAME; DURATION is 90s, 30m, 12h or 30d\n"
    "\n"
    "SIGHUP makes a running hubd load its TLS certificate and key again.\n";

struct Arguments {
  std::string config;
  std::string check;
  std::string snapshot_save, snapshot_restore;
  bool force = false;
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
    } else if (flag == "--snapshot-save" || flag == "--snapshot-restore") {
      auto v = value();
      if (!v) return std::nullopt;
      (flag == "--snapshot-save" ? args.snapshot_save : args.snapshot_restore) = *v;
    } else if (flag == "--force") {
      args.force = true;
    } else {
      std::cerr << "hubd: unknown argument '" << flag << "'\n" << kUsage;
      return std::nullopt;
    }
  }
  if (!args.snapshot_save.empty() || !args.snapshot_restore.empty()) return args;
  if (!args.version && args.config.empty() == args.check.empty()) {
    std::cerr << "hubd: give exactly one of --config FILE or --check-config FILE\n" << kUsage;
    return std::nullopt;
  }
  return args;
}

// "90s", "30m", "12h", "30d" or plain seconds; nullopt when it is none of them.
std::optional<int64_t> parse_duration(const std::string& text) {
  if (text.empty() || text.size() > 12) return std::nullopt;
  const char unit = text.back();
  const int64_t scale = unit == 's' ? 1 : unit == 'm' ? 60 : unit == 'h' ? 3600 : unit == 'd' ? 86400 : 0;
  const std::string digits = scale ? text.substr(0, text.size() - 1) : text;
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  const int64_t seconds = std::stoll(digits) * (scale ? scale : 1);
  return seconds > 0 ? std::optional<int64_t>(seconds) : std::nullopt;
}

std::string utc(int64_t unix_us) {
  if (!unix_us) return "-";
  const time_t seconds = static_cast<time_t>(unix_us / 1'000'000);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&seconds));
  return text;
}

// hubd token create|list|revoke; returns the exit status.
int token_command(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "hubd token: say create, list or revoke\n" << kUsage;
    return 2;
  }
  const std::string action = argv[2];
  std::string config, role, description, id;
  std::optional<int64_t> lifetime = 0;
  for (int i = 3; i < argc; ++i) {
    const std::string flag = argv[i];
    const bool has_value = i + 1 < argc;
    if (flag == "--config" && has_value)
      config = argv[++i];
    else if (flag == "--role" && has_value)
      role = argv[++i];
    else if (flag == "--description" && has_value)
      description = argv[++i];
    else if (flag == "--expires-in" && has_value)
      lifetime = parse_duration(argv[++i]);
    else if (action == "revoke" && id.empty() && !flag.starts_with("--"))
      id = flag;
    else {
      std::cerr << "hubd token " << action << ": unexpected '" << flag << "'\n" << kUsage;
      return 2;
    }
  }
  if (!lifetime) {
    std::cerr << "hubd token create: --expires-in takes 90s, 30m, 12h, 30d or a number of seconds\n";
    return 2;
  }
  if (config.empty() || (action == "create" && role.empty()) || (action == "revoke" && id.empty()) ||
      (action != "create" && action != "list" && action != "revoke")) {
    std::cerr << "hubd token " << action << ": missing or unknown arguments\n" << kUsage;
    return 2;
  }
  const hub::Manifest manifest = hub::load_manifest(config);
  if (action == "create") {
    const hub::IssuedToken issued = hub::create_token(manifest, role, description, *lifetime);
    std::cerr << "token " << issued.listing.id << " (" << issued.listing.role << ") created; expires "
              << utc(issued.listing.expires_at_unix_us) << ". It is shown this once: the hub keeps only its SHA-256.\n";
    std::cout << issued.token << "\n";
    return 0;
  }
  if (action == "list") {
    std::cout << "ID            ROLE                      CREATED               EXPIRES               REVOKED               DESCRIPTION\n";
    for (const hub::TokenListing& token : hub::list_tokens(manifest)) {
      char line[512];
      std::snprintf(line, sizeof line, "%-13s %-25s %-21s %-21s %-21s %s\n", token.id.c_str(), token.role.c_str(),
                    utc(token.created_at_unix_us).c_str(), utc(token.expires_at_unix_us).c_str(), utc(token.revoked_at_unix_us).c_str(),
                    token.description.c_str());
      std::cout << line;
    }
    return 0;
  }
  if (!hub::revoke_token(manifest, id)) {
    std::cerr << "hubd token revoke: no token has id '" << id << "'\n";
    return 1;
  }
  std::cerr << "token " << id << " revoked; a running hub refuses it within a second\n";
  return 0;
}

// hubd --snapshot-save|--snapshot-restore FILE --config CONFIG; returns the exit status.
int snapshot_command(const Arguments& args) {
  if (args.config.empty() || args.snapshot_save.empty() == args.snapshot_restore.empty()) {
    std::cerr << "hubd: give one of --snapshot-save FILE or --snapshot-restore FILE, and --config CONFIG\n" << kUsage;
    return 2;
  }
  const hub::Manifest manifest = hub::load_manifest(args.config);
  const bool saving = !args.snapshot_save.empty();
  const hub::SnapshotSummary summary =
      saving ? hub::save_snapshot(manifest, args.snapshot_save) : hub::restore_snapshot(manifest, args.snapshot_restore, args.force);
  std::cerr << (saving ? "saved " + args.snapshot_save : "restored " + args.snapshot_restore) << ": " << summary.instances
            << " instance(s), " << summary.config_versions << " config version(s), " << summary.rollouts << " rollout(s); " << summary.bytes
            << " bytes, sha256 " << summary.sha256 << (saving ? ", verified" : "") << "\n";
  return 0;
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
  sigaddset(&stop_signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  hub::Hub hub(std::move(options));
  hub.start();
  int signal = 0;
  for (;;) {
    sigwait(&stop_signals, &signal);
    if (signal != SIGHUP) break;
    try {
      hub.reload_certificates();
    } catch (const std::exception& error) {
      std::cerr << "hubd: SIGHUP: " << error.what() << "; the certificate already loaded keeps serving\n";
    }
  }
  std::cerr << "hubd: " << strsignal(signal) << ", stopping\n";
  hub.stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // A peer that goes away mid-write is an error to handle, not the end of the hub: OpenSSL writes
  // with write(), which raises SIGPIPE. The event loops block it too; this covers every other thread.
  std::signal(SIGPIPE, SIG_IGN);
  if (argc >= 2 && std::string(argv[1]) == "token") {
    try {
      return token_command(argc, argv);
    } catch (const std::exception& error) {
      std::cerr << "hubd token: " << error.what() << "\n";
      return 1;
    }
  }
  const std::optional<Arguments> args = parse(argc, argv);
  if (!args) return 2;
  if (args->version) {
    std::cout << "hubd " << HUB_VERSION << " (plugin ABI " << hub::version_string(HUB_PLUGIN_ABI_VERSION) << ")\n";
    return 0;
  }
  try {
    if (!args->snapshot_save.empty() || !args->snapshot_restore.empty()) return snapshot_command(*args);
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
