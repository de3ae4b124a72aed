// hubctl's commands, each a subcommand of the CLI11 app that, when chosen, sets what runs.
#pragma once

#include "hub_api.hpp"
#include "output.hpp"
#include "settings.hpp"

#include <CLI/CLI.hpp>

#include <functional>
#include <iosfwd>
#include <memory>

namespace hubctl {

struct Context {
  Settings settings;
  std::ostream& out;
  std::ostream& err;
  std::istream& in;
  std::function<int()> run;  // the chosen command
  std::unique_ptr<HubApi> api_;
  HubApi& api() {
    if (!api_) api_ = std::make_unique<HubApi>(settings = resolved(settings));
    return *api_;
  }
  Output output() const { return Output(settings.output, out); }
};

void add_commands(CLI::App& app, Context& context);

}  // namespace hubctl
