#include "commands.hpp"

#include "command_kit.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <sstream>
#include <vector>

#include <unistd.h>

namespace hubctl {

namespace {

void print_diff(Context& context, const Json& changes) {
  for (const Json& change : changes) {
    const std::string kind = change.value("change", "");
    const std::string path = change.value("path", "");
    if (kind == "added")
      context.out << "+ " << path << ": " << text_of(change["to"]) << "\n";
    else if (kind == "removed")
      context.out << "- " << path << ": " << text_of(change["from"]) << "\n";
    else
      context.out << "~ " << path << ": " << text_of(change["from"]) << " -> " << text_of(change["to"]) << "\n";
  }
}

// The changes from `before` to `after`, as the hub's diff names them, for the confirmation.
void local_diff(const Json& before, const Json& after, const std::string& at, Json& changes) {
  if (before.is_object() && after.is_object()) {
    for (const auto& [key, value] : before.items()) {
      const std::string path = at.empty() ? key : at + "." + key;
      if (!after.contains(key))
        changes.push_back({{"change", "removed"}, {"path", path}, {"from", value}});
      else
        local_diff(value, after[key], path, changes);
    }
    for (const auto& [key, value] : after.items())
      if (!before.contains(key)) changes.push_back({{"change", "added"}, {"path", at.empty() ? key : at + "." + key}, {"to", value}});
  } else if (before != after) {
    changes.push_back({{"change", "changed"}, {"path", at}, {"from", before}, {"to", after}});
  }
}

void add_services(CLI::App& app, Context& context) {
  CLI::App* services = app.add_subcommand("services", "registered services and their instances");
  services->require_subcommand(1);
  static std::string status, tag, name;
  command(*services, "list", "every instance, optionally by --status or --tag", context,
          [&context] {
            std::string path = "/services";
            if (!status.empty()) path += "?status=" + escaped(status);
            if (!tag.empty()) path += std::string(status.empty() ? "?" : "&") + "tag=" + escaped(tag);
            const Json answer = context.api().get(path);
            context.output().table(answer["services"],
                                   {{"SERVICE", "service_name"},
                                    {"INSTANCE", "instance_id"},
                                    {"STATUS", "status"},
                                    {"VERSION", "version"},
                                    {"URL", "url"},
                                    {"LAST HEARTBEAT", "last_heartbeat"}},
                                   answer);
            return Exit::ok;
          })
      ->add_option("--status", status, "healthy, degraded or down")
      ->check(CLI::IsMember({"healthy", "degraded", "down"}));
  services->get_subcommand("list")->add_option("--tag", tag, "only instances with this tag");
  command(*services, "get", "one service's instances", context,
          [&context] {
            const Json answer = context.api().get("/services/" + escaped(name));
            context.output().table(answer["instances"],
                                   {{"INSTANCE", "instance_id"},
                                    {"STATUS", "status"},
                                    {"VERSION", "version"},
                                    {"URL", "url"},
                                    {"WEIGHT", "weight"},
                                    {"LAST HEARTBEAT", "last_heartbeat"}},
                                   answer);
            return Exit::ok;
          })
      ->add_option("name", name, "the service")
      ->required();
  // An instance an operator registers by hand (a database, a host outside the platform's clients),
  // from flags or from a JSON file in POST /register's shape.
  static std::string file, host, instance_id, version, health_endpoint;
  static int port = 0;
  static std::vector<std::string> tags, dependencies;
  CLI::App* add = command(*services, "register", "register an instance by hand, from flags or a JSON file", context, [&context] {
    Json body = file.empty() ? Json::object() : Json::parse(read_input(context, file), nullptr, false);
    if (body.is_discarded() || !body.is_object())
      throw CLI::ValidationError("--file", file + ": not a JSON object; nothing was registered");
    const auto set = [&body](const char* key, const auto& value, bool given) {
      if (given) body[key] = value;
    };
    set("service_name", name, !name.empty());
    set("host", host, !host.empty());
    set("port", port, port != 0);
    set("instance_id", instance_id, !instance_id.empty());
    set("version", version, !version.empty());
    set("health_endpoint", health_endpoint, !health_endpoint.empty());
    set("tags", tags, !tags.empty());
    set("dependencies", dependencies, !dependencies.empty());
    if (!body.contains("service_name") || !body.contains("host"))
      throw CLI::ValidationError("register", "a service name and --host are needed (as flags or in the file)");
    context.output().object(context.api().post("/register", body));
    return Exit::ok;
  });
  add->add_option("name", name, "the service");
  add->add_option("-f,--file", file, "a JSON object as POST /register takes it; - reads standard input; flags override it");
  add->add_option("--host", host, "the instance's host or address");
  add->add_option("--port", port, "its port")->check(CLI::Range(1, 65535));
  add->add_option("--instance-id", instance_id, "its id (default: HOST:PORT)");
  add->add_option("--version", version, "the version it runs");
  add->add_option("--health-endpoint", health_endpoint, "the path the hub checks, e.g. /health");
  add->add_option("--tag", tags, "a tag (repeat for more)");
  add->add_option("--dependency", dependencies, "a service it calls (repeat for more)");
  static std::string discovered;
  command(app, "discover", "a healthy instance's URL, as services discover it", context,
          [&context] {
            const Json answer = context.api().get("/discover/" + escaped(discovered));
            if (context.output().human())
              context.out << answer.value("url", "") << "\n";
            else
              context.output().document(answer);
            return Exit::ok;
          })
      ->add_option("service", discovered, "the service")
      ->required();
}

Json config_in_force(Context& context, const std::string& service) {
  try {
    return context.api().get(scope_path(service)).value("config", Json::object());
  } catch (const HubFailure& failure) {
    if (failure.status() != 404) throw;
    return Json::object();  // none yet: the first version
  }
}

// Shows what `next` changes against the config in force, asks unless `yes`, and stores it.
int store_config(Context& context, const std::string& service, const Json& next, bool yes, const std::string& created_by) {
  Json changes = Json::array();
  local_diff(config_in_force(context, service), next, "", changes);
  if (changes.empty()) {
    context.err << "no change: the config in force is the same\n";
    return Exit::ok;
  }
  print_diff(context, changes);
  if (!yes && !confirmed(context, "Store this as a new version of " + service + "?")) return Exit::cancelled;
  Json body = {{"config_data", next}};
  if (!created_by.empty()) body["created_by"] = created_by;
  context.output().object(context.api().put(scope_path(service), body));
  return Exit::ok;
}

// The config in force in $VISUAL or $EDITOR (vi), then checked, diffed and confirmed as set does.
int edit_config(Context& context, const std::string& service, bool yes, const std::string& created_by) {
  const std::string file =
      (std::filesystem::temp_directory_path() / ("hubctl-" + std::to_string(::getpid()) + "-" + service + ".json")).string();
  std::ofstream(file) << config_in_force(context, service).dump(2) << "\n";
  const char* visual = std::getenv("VISUAL");
  const char* editor = visual && *visual ? visual : std::getenv("EDITOR");
  const std::string command = std::string(editor && *editor ? editor : "vi") + " '" + file + "'";
  if (std::system(command.c_str()) != 0)
    throw CLI::ValidationError("editor", command + " failed; nothing was changed, the text is in " + file);
  const Json next = Json::parse(read_input(context, file), nullptr, false);
  if (next.is_discarded() || !next.is_object())
    throw CLI::ValidationError("editor", "not a JSON object; nothing was changed, the text is in " + file);
  const int code = store_config(context, service, next, yes, created_by);
  std::filesystem::remove(file);
  return code;
}

// What one config command line names; one set per resource (config, global-config).
struct ConfigArguments {
  std::string service, file, created_by;
  int64_t from = 0, to = 0, version = 0;
  bool yes = false;
  int watch_count = 0;
};

// `config` (a service's, or "global") or, with `global`, `global-config`: the same commands without the service.
void add_config(CLI::App& app, Context& context, bool global) {
  static std::vector<std::unique_ptr<ConfigArguments>> kept;
  ConfigArguments& a = *kept.emplace_back(std::make_unique<ConfigArguments>());
  if (global) a.service = "global";
  CLI::App* config = global ? app.add_subcommand("global-config", "the global config, under every service's")
                            : app.add_subcommand("config", "versioned configs: a service's, or 'global'");
  config->require_subcommand(1);
  const auto scoped = [&a, global](CLI::App* command) {
    if (!global) command->add_option("service", a.service, "the service, or global")->required();
    return command;
  };
  scoped(command(*config, "get", "the config in force", context, [&context, &a] {
    const Json answer = context.api().get(scope_path(a.service));
    if (context.output().human())
      context.out << "# version " << answer.value("version", 0) << ", revision " << answer.value("revision", 0) << "\n"
                  << answer.value("config", Json::object()).dump(2) << "\n";
    else
      context.output().document(answer);
    return Exit::ok;
  }));
  scoped(command(*config, "history", "its versions and changes", context, [&context, &a] {
    const Json answer = context.api().get(scope_path(a.service) + "/history");
    context.output().table(
        answer["versions"],
        {{"VERSION", "version"}, {"ACTIVE", "active"}, {"CREATED BY", "created_by"}, {"CREATED AT", "created_at"}, {"BYTES", "bytes"}},
        answer);
    return Exit::ok;
  }));
  CLI::App* diff = scoped(command(*config, "diff", "what changed between two versions", context, [&context, &a] {
    std::string path = scope_path(a.service) + "/diff?from=" + std::to_string(a.from);
    if (a.to) path += "&to=" + std::to_string(a.to);
    const Json answer = context.api().get(path);
    if (context.output().human())
      print_diff(context, answer["changes"]);
    else
      context.output().document(answer);
    return Exit::ok;
  }));
  diff->add_option("--from", a.from, "the older version")->required();
  diff->add_option("--to", a.to, "the newer version (default: the one in force)");
  CLI::App* set = scoped(
      command(*config, "set", "a new version from a file (- for standard input), after a diff and a confirmation", context, [&context, &a] {
        const Json next = Json::parse(read_input(context, a.file), nullptr, false);
        if (next.is_discarded() || !next.is_object())
          throw CLI::ValidationError("--file", a.file + ": not a JSON object; nothing was changed");
        return store_config(context, a.service, next, a.yes, a.created_by);
      }));
  set->add_option("-f,--file", a.file, "a JSON object; - reads standard input")->required();
  set->add_flag("-y,--yes", a.yes, "store without asking");
  set->add_option("--created-by", a.created_by, "who made the change, for the history");
  CLI::App* edit = scoped(command(*config, "edit", "the config in force in $VISUAL or $EDITOR, then a diff and a confirmation", context,
                                  [&context, &a] { return edit_config(context, a.service, a.yes, a.created_by); }));
  edit->add_flag("-y,--yes", a.yes, "store without asking");
  edit->add_option("--created-by", a.created_by, "who made the change, for the history");
  CLI::App* rollback = scoped(command(*config, "rollback", "make an earlier version the one in force", context, [&context, &a] {
    if (!a.yes && !confirmed(context, "Roll " + a.service + " back to version " + std::to_string(a.version) + "?")) return Exit::cancelled;
    context.output().object(context.api().post(scope_path(a.service) + "/rollback", {{"version", a.version}}));
    return Exit::ok;
  }));
  rollback->add_option("version", a.version, "the version to return to")->required();
  rollback->add_flag("-y,--yes", a.yes, "roll back without asking");
  CLI::App* watch = scoped(command(*config, "watch", "print each new version as it comes (blocking queries)", context, [&context, &a] {
    int64_t index = context.api().get(scope_path(a.service)).value("revision", int64_t{0});
    for (int seen = 0; a.watch_count == 0 || seen < a.watch_count;) {
      const Json answer = context.api().get(scope_path(a.service) + "/watch?index=" + std::to_string(index) + "&wait=60");
      if (!answer.value("changed", false)) continue;
      index = answer.value("revision", index);
      ++seen;
      if (context.output().human())
        context.out << "# version " << answer.value("version", 0) << ", revision " << index << "\n"
                    << answer.value("config", Json::object()).dump() << "\n"
                    << std::flush;
      else
        context.out << answer.dump() << "\n" << std::flush;  // one JSON document per line
    }
    return Exit::ok;
  }));
  watch->add_option("--count", a.watch_count, "stop after this many changes (default: never)");
}

// {"a": {...}, "b": {...}} as rows, each with its key as "name".
Json rows_by_name(const Json& object) {
  Json rows = Json::array();
  for (const auto& [name, entry] : object.items()) {
    Json row = entry;
    row["name"] = name;
    rows.push_back(std::move(row));
  }
  return rows;
}

void add_state(CLI::App& app, Context& context) {
  CLI::App* health = command(app, "health", "the hub's own health", context, [&context] {
    context.output().object(context.api().get("/health"));
    return Exit::ok;
  });
  command(*health, "services", "every service's health", context, [&context] {
    const Json answer = context.api().get("/health/services");
    const Json rows = rows_by_name(answer);
    context.output().table(
        rows,
        {{"SERVICE", "name"}, {"STATUS", "status"}, {"INSTANCES", "instances"}, {"LATENCY MS", "latency"}, {"LAST CHECK", "last_check"}},
        answer);
    return Exit::ok;
  });
  const auto infrastructure = [&context] {
    const Json answer = context.api().get("/health/infrastructure");
    const Json rows = rows_by_name(answer);
    context.output().table(rows,
                           {{"COMPONENT", "name"},
                            {"STATUS", "status"},
                            {"RESPONSE MS", "response_time_ms"},
                            {"CHECKED AT", "checked_at"},
                            {"ERROR", "error_message"}},
                           answer);
    return Exit::ok;
  };
  command(*health, "infrastructure", "every infrastructure component's health", context, infrastructure);
  command(app, "infrastructure", "every infrastructure component's health (as health infrastructure)", context, infrastructure);
  command(app, "alerts", "the recent alerts", context, [&context] {
    const Json answer = context.api().get("/health/alerts");
    context.output().table(
        answer["alerts"],
        {{"AT", "at"}, {"TYPE", "type"}, {"NAME", "name"}, {"INSTANCE", "instance_id"}, {"STATUS", "status"}, {"MESSAGE", "message"}},
        answer);
    return Exit::ok;
  });
  command(app, "circuits", "every service's circuit", context, [&context] {
    const Json answer = context.api().get("/circuits");
    context.output().table(answer["circuits"],
                           {{"SERVICE", "service_name"}, {"STATE", "state"}, {"OPENED AT", "opened_at"}, {"CALLS", "calls"}}, answer);
    return Exit::ok;
  });
  command(app, "cluster", "the hubs sharing this hub's database", context, [&context] {
    const Json answer = context.api().get("/cluster");
    context.output().table(answer["hubs"],
                           {{"HUB", "hub_id"},
                            {"ADDRESS", "address"},
                            {"VERSION", "version"},
                            {"LAG", "lag"},
                            {"SILENT S", "silent_seconds"},
                            {"LEASES", "leases"},
                            {"SELF", "self"}},
                           answer);
    return Exit::ok;
  });
}

}  // namespace

void add_commands(CLI::App& app, Context& context) {
  add_services(app, context);
  add_config(app, context, false);
  add_config(app, context, true);
  add_state(app, context);
  add_operations(app, context);
  add_completion(app, context);
}

}  // namespace hubctl
