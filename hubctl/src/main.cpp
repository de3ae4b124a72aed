// hubctl: the hub's API from a shell. `hubctl --help` lists the commands; -o json or -o yaml
// prints the hub's answers whole for scripts, and the exit code says how it went (hub_api.hpp).
#include "commands.hpp"

#include <iostream>

int main(int argc, char** argv) {
  hubctl::Context context{{}, std::cout, std::cerr, std::cin, {}, {}};
  CLI::App app("hubctl: operate a Central Hub", "hubctl");
  app.require_subcommand(1);
  app.add_option("-H,--hub", context.settings.hub, "the hub's URL, or several separated by commas (HUB_URL, CENTRAL_HUB_URL)");
  app.add_option("--token", context.settings.token, "a bearer token (HUB_TOKEN)");
  app.add_option("--ca-file", context.settings.ca_file, "the CA that signed an https:// hub's certificate (HUB_CA_FILE)");
  app.add_option("--config", context.settings.config_file, "hub, token and ca_file in YAML (default ~/.config/hubctl/config.yaml)");
  app.add_option("-o,--output", context.settings.output, "table, json or yaml")->check(CLI::IsMember({"table", "json", "yaml"}));
  hubctl::add_commands(app, context);
  try {
    app.parse(argc, argv);
    return context.run ? context.run() : hubctl::Exit::usage;
  } catch (const CLI::ParseError& error) {
    const int code = app.exit(error);
    return code == 0 ? 0 : hubctl::Exit::usage;
  } catch (const hubctl::HubFailure& failure) {
    std::cerr << "hubctl: " << failure.what() << "\n";
    return failure.exit_code();
  } catch (const std::exception& error) {
    std::cerr << "hubctl: " << error.what() << "\n";
    return hubctl::Exit::usage;
  }
}
