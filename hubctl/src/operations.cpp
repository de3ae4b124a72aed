// The commands that change the hub's state, and the errors' groups.
#include "command_kit.hpp"

#include <chrono>
#include <fstream>
#include <iostream>
#include <set>
#include <thread>

namespace hubctl {

namespace {

const std::set<std::string> kEnded = {"succeeded", "rolled_back", "aborted", "failed"};

std::string progress_bar(const Json& rollout) {
  const int done = rollout.value("batches_done", 0), total = std::max(1, rollout.value("batches_total", 1));
  const int filled = 20 * std::min(done, total) / total;
  return "[" + std::string(static_cast<size_t>(filled), '#') + std::string(static_cast<size_t>(20 - filled), '.') + "] " +
         std::to_string(done) + "/" + std::to_string(total) + " batches, " + rollout.value("phase", "") + ", step " +
         text_of(rollout.value("step", Json())) +
         (rollout.value("weight_percent", -1) >= 0 ? ", " + std::to_string(rollout.value("weight_percent", 0)) + "% on the new version"
                                                   : "");
}

void add_rollouts(CLI::App& app, Context& context) {
  CLI::App* rollouts = app.add_subcommand("rollouts", "rolling, canary and blue-green rollouts");
  rollouts->require_subcommand(1);
  static std::string service, id, file;
  command(*rollouts, "list", "every rollout, newest first", context, [&context] {
    const Json answer = context.api().get("/deployments" + (service.empty() ? "" : "?service=" + escaped(service)));
    context.output().table(answer["deployments"],
                           {{"ID", "id"},
                            {"SERVICE", "service"},
                            {"STRATEGY", "strategy"},
                            {"FROM", "from_version"},
                            {"TO", "version"},
                            {"PHASE", "phase"},
                            {"DONE", "batches_done"},
                            {"OF", "batches_total"}},
                           answer);
    return Exit::ok;
  })->add_option("--service", service, "only this service's");
  command(*rollouts, "status", "one rollout: its step, gates and history", context,
          [&context] {
            const Json answer = context.api().get("/deployments/" + escaped(id));
            if (!context.output().human()) return context.output().document(answer), int(Exit::ok);
            context.out << answer.value("id", "") << "  " << answer.value("service", "") << " " << answer.value("from_version", "")
                        << " -> " << answer.value("version", "") << " (" << answer.value("strategy", "") << ")\n"
                        << progress_bar(answer) << "\n";
            for (const Json& line : answer.value("history", Json::array()))
              context.out << "  " << line.value("at", "") << "  " << line.value("action", "") << "  " << line.value("reason", "") << "\n";
            return int(Exit::ok);
          })
      ->add_option("id", id, "the rollout")
      ->required();
  command(*rollouts, "start", "a rollout from a JSON file (- for standard input), as POST /deployments takes it", context,
          [&context] {
            const Json body = Json::parse(read_input(context, file), nullptr, false);
            if (!body.is_object()) throw CLI::ValidationError("--file", file + ": not a JSON object; nothing was started");
            context.output().object(context.api().post("/deployments", body));
            return Exit::ok;
          })
      ->add_option("-f,--file", file, "the rollout: service, version, strategy, ...")
      ->required();
  for (const char* verb : {"pause", "resume", "abort", "promote", "retry"}) {
    command(*rollouts, verb, std::string(verb) + " a rollout", context,
            [&context, verb = std::string(verb)] {
              const Json answer = context.api().post("/deployments/" + escaped(id) + "/" + verb, Json::object());
              if (context.output().human())
                context.out << answer.value("id", id) << ": " << progress_bar(answer) << "\n";
              else
                context.output().document(answer);
              return Exit::ok;
            })
        ->add_option("id", id, "the rollout")
        ->required();
  }
  static double every = 1.0;
  CLI::App* watch = command(*rollouts, "watch", "a live progress bar until the rollout ends", context, [&context] {
    for (;;) {
      const Json answer = context.api().get("/deployments/" + escaped(id));
      const bool ended = kEnded.count(answer.value("phase", ""));
      if (context.output().human())
        context.out << "\r" << progress_bar(answer) << std::string(8, ' ') << (ended ? "\n" : "") << std::flush;
      else
        context.out << answer.dump() << "\n" << std::flush;
      if (ended) return answer.value("phase", "") == "succeeded" ? int(Exit::ok) : int(Exit::conflict);
      std::this_thread::sleep_for(std::chrono::duration<double>(every));  // polls at the operator's pace
    }
  });
  watch->add_option("id", id, "the rollout")->required();
  watch->add_option("--every", every, "seconds between looks (1)")->check(CLI::Range(0.1, 60.0));
}

void add_circuits(CLI::App& app, Context& context) {
  static std::string service, state;
  CLI::App* force =
      command(app, "circuit", "force a service's circuit (FORCED_OPEN, FORCED_CLOSED) or give it back (CLOSED)", context, [&context] {
        context.output().object(context.api().put("/circuits/" + escaped(service) + "/state", {{"state", state}}));
        return Exit::ok;
      });
  force->add_option("service", service, "the service")->required();
  force->add_option("state", state, "FORCED_OPEN, FORCED_CLOSED or CLOSED")->required();
}

void add_instances(CLI::App& app, Context& context) {
  CLI::App* instances = app.add_subcommand("instances", "one instance: drain it, or remove it");
  instances->require_subcommand(1);
  static std::string service, instance;
  static bool undo = false, yes = false;
  CLI::App* drain = command(*instances, "drain", "stop sending it new calls (--undo: send them again)", context, [&context] {
    context.output().object(context.api().post("/drain", {{"service_name", service}, {"instance_id", instance}, {"draining", !undo}}));
    return Exit::ok;
  });
  drain->add_option("service", service)->required();
  drain->add_option("instance", instance)->required();
  drain->add_flag("--undo", undo, "send it calls again");
  CLI::App* remove = command(*instances, "deregister", "remove it from the registry", context, [&context] {
    if (!yes && !confirmed(context, "Remove " + service + "/" + instance + " from the registry?")) return int(Exit::cancelled);
    context.output().object(context.api().post("/deregister", {{"service_name", service}, {"instance_id", instance}}));
    return int(Exit::ok);
  });
  remove->add_option("service", service)->required();
  remove->add_option("instance", instance)->required();
  remove->add_flag("-y,--yes", yes, "without asking");
}

void add_backups(CLI::App& app, Context& context) {
  CLI::App* backups = app.add_subcommand("backups", "the scheduled backup jobs");
  backups->require_subcommand(1);
  static std::string job;
  command(*backups, "list", "every job and its last runs", context, [&context] {
    const Json answer = context.api().get("/backups");
    context.output().table(answer["jobs"],
                           {{"JOB", "name"},
                            {"STATUS", "status"},
                            {"LAST RUN", "last_run.started_at"},
                            {"SUCCEEDED", "last_run.succeeded"},
                            {"NEXT RUN", "next_run_at"}},
                           answer);
    return Exit::ok;
  });
  command(*backups, "run", "run a job now and wait for it", context,
          [&context] {
            const Json answer = context.api().post("/backups/" + escaped(job) + "/run", Json::object());
            context.output().object(answer);
            return answer.value("succeeded", false) ? int(Exit::ok) : int(Exit::refused);
          })
      ->add_option("job", job)
      ->required();
}

void add_snapshots(CLI::App& app, Context& context) {
  CLI::App* snapshot = app.add_subcommand("snapshot", "the hub's state in one verified file");
  snapshot->require_subcommand(1);
  static std::string file;
  static bool yes = false;
  command(*snapshot, "save", "write a snapshot to a file (- for standard output)", context,
          [&context] {
            const std::string bytes = context.api().raw("GET", "/snapshot", "", "");
            if (file == "-") {
              context.out << bytes;
            } else {
              std::ofstream out(file, std::ios::binary);
              if (!(out << bytes)) throw CLI::ValidationError("file", file + ": cannot be written");
              context.err << "wrote " << bytes.size() << " bytes to " << file << "\n";
            }
            return Exit::ok;
          })
      ->add_option("file", file)
      ->required();
  CLI::App* restore = command(*snapshot, "restore", "restore a snapshot into an empty hub", context, [&context] {
    const std::string bytes = read_input(context, file);
    if (!yes && !confirmed(context, "Restore " + file + " into the hub?")) return int(Exit::cancelled);
    const Json answer = Json::parse(context.api().raw("POST", "/snapshot/restore", bytes, "application/octet-stream"), nullptr, false);
    context.output().object(answer);
    return int(Exit::ok);
  });
  restore->add_option("file", file)->required();
  restore->add_flag("-y,--yes", yes, "without asking");
}

void add_tokens(CLI::App& app, Context& context) {
  CLI::App* tokens = app.add_subcommand("tokens", "API tokens (admin)");
  tokens->require_subcommand(1);
  static std::string role, description, id;
  static int64_t expires = 0;
  command(*tokens, "list", "every token, without its secret", context, [&context] {
    const Json answer = context.api().get("/tokens");
    context.output().table(answer["tokens"],
                           {{"ID", "id"},
                            {"ROLE", "role"},
                            {"DESCRIPTION", "description"},
                            {"CREATED", "created_at"},
                            {"EXPIRES", "expires_at"},
                            {"REVOKED", "revoked_at"}},
                           answer);
    return Exit::ok;
  });
  CLI::App* create = command(*tokens, "create", "a token; its secret is shown once", context, [&context] {
    Json body = {{"role", role}, {"description", description}};
    if (expires) body["expires_in_seconds"] = expires;
    context.output().object(context.api().post("/tokens", body));
    return Exit::ok;
  });
  create->add_option("--role", role, "admin, operator, reader or service:NAME")->required();
  create->add_option("--description", description, "who or what holds it");
  create->add_option("--expires-in", expires, "seconds until it expires");
  command(*tokens, "revoke", "revoke a token at once", context,
          [&context] {
            context.output().object(context.api().call("DELETE", "/tokens/" + escaped(id), Json()));
            return Exit::ok;
          })
      ->add_option("id", id)
      ->required();
}

void add_errors(CLI::App& app, Context& context) {
  CLI::App* errors = app.add_subcommand("errors", "ErrorDNA's error groups");
  errors->require_subcommand(1);
  static std::string service, fingerprint;
  command(*errors, "list", "the groups, most recent first", context, [&context] {
    const Json answer = context.api().get("/errors" + (service.empty() ? "" : "?service=" + escaped(service)));
    context.output().table(answer["groups"],
                           {{"FINGERPRINT", "fingerprint"},
                            {"TYPE", "type"},
                            {"COUNT", "count"},
                            {"SEVERITY", "severity"},
                            {"SPIKING", "spiking"},
                            {"LAST SEEN", "last_seen"},
                            {"MESSAGE", "message"}},
                           answer);
    return Exit::ok;
  })->add_option("--service", service, "only this service's");
  command(*errors, "get", "one group: its pattern, counts, hosts and sample", context,
          [&context] {
            context.output().document(context.api().get("/errors/" + escaped(fingerprint)));
            return Exit::ok;
          })
      ->add_option("fingerprint", fingerprint)
      ->required();
}

}  // namespace

void add_operations(CLI::App& app, Context& context) {
  add_rollouts(app, context);
  add_circuits(app, context);
  add_instances(app, context);
  add_backups(app, context);
  add_snapshots(app, context);
  add_tokens(app, context);
  add_errors(app, context);
}

}  // namespace hubctl
