#include "command_kit.hpp"

#include <fstream>
#include <iostream>
#include <iterator>

namespace hubctl {

CLI::App* command(CLI::App& parent, const std::string& name, const std::string& what, Context& context, std::function<int()> body) {
  CLI::App* sub = parent.add_subcommand(name, what);
  // CLI11 calls a parent's callback after its chosen subcommand's: `health services` is not `health`.
  sub->callback([&context, sub, body = std::move(body)] {
    if (sub->get_subcommands().empty()) context.run = body;
  });
  return sub;
}

std::string scope_path(const std::string& service) {
  return service == "global" ? "/global-config" : "/config/" + escaped(service);
}

bool confirmed(Context& context, const std::string& question) {
  context.err << question << " [y/N] " << std::flush;
  std::string answer;
  std::getline(context.in, answer);
  return answer == "y" || answer == "Y" || answer == "yes";
}

std::string read_input(Context& context, const std::string& file) {
  if (file == "-") return std::string(std::istreambuf_iterator<char>(context.in), {});
  std::ifstream input(file, std::ios::binary);
  if (!input) throw CLI::ValidationError("--file", file + ": cannot be read");
  return std::string(std::istreambuf_iterator<char>(input), {});
}

}  // namespace hubctl
