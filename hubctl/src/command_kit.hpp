// What every hubctl command uses: declaring one, asking the operator, reading a file or stdin.
#pragma once

#include "commands.hpp"

#include <functional>
#include <string>

namespace hubctl {

// A subcommand of `parent` that, when chosen, runs `body` after the whole line is parsed.
CLI::App* command(CLI::App& parent, const std::string& name, const std::string& what, Context& context, std::function<int()> body);
// The config path of a service, or of the global config for "global".
std::string scope_path(const std::string& service);
// Asks on stderr, reads a line from stdin: only y or yes is a yes.
bool confirmed(Context& context, const std::string& question);
// A file's bytes, or stdin's for "-"; throws CLI::ValidationError naming a file that cannot be read.
std::string read_input(Context& context, const std::string& file);

// Commands that change state: rollouts, circuits, instances, backups, snapshots, tokens, errors.
void add_operations(CLI::App& app, Context& context);
// `hubctl completion bash|zsh`: a completion script built from the commands themselves.
void add_completion(CLI::App& app, Context& context);

}  // namespace hubctl
