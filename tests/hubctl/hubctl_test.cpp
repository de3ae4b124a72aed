// hubctl against a live hub: tables and -o json/yaml, the exit codes scripts rely on, the hub's
// address from a flag, the environment or a config file, config set with its diff and
// confirmation, rollback, and watch.
#include "support/config_hub.hpp"
#include "support/registry_hub.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

namespace {

using hub::testing::Json;
using testing::HasSubstr;
using namespace std::chrono_literals;

struct Outcome {
  int code = -1;
  std::string out;  // standard output and error, in order
};

// A shell command line; stderr joins stdout.
Outcome shell(const std::string& command) {
  Outcome run;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return run;
  std::array<char, 4096> buffer;
  while (size_t got = std::fread(buffer.data(), 1, buffer.size(), pipe)) run.out.append(buffer.data(), got);
  const int status = ::pclose(pipe);
  run.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

// hubctl with `arguments` through the shell, so a test can redirect its input.
Outcome hubctl(const std::string& arguments, const std::string& environment = "") {
  return shell(environment + " " + HUBCTL_PATH + " " + arguments);
}

class Hubctl : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(hub_.post("/register", R"({"service_name": "orders", "host": "10.0.0.1", "port": 8000, "version": "1.2.0"})").status, 201);
    ASSERT_EQ(hub::testing::put_config(hub_.url() + "/config/orders", R"({"config_data": {"limit": 10}})").status, 201);
  }
  std::string at() const { return "-H " + hub_.url() + " "; }
  std::filesystem::path scratch(const std::string& name) const {
    return std::filesystem::temp_directory_path() / ("hubctl-test-" + std::to_string(::getpid()) + "-" + name);
  }

  hub::testing::TestHub hub_{hub::testing::registry_options(hub::testing::kLiveness, nullptr, "{backend: memory}",
                                                            "health_monitoring: {check_interval_seconds: 60}\n")};
};

TEST_F(Hubctl, ListsAsATableOrWholeAsJsonAndYaml) {
  const Outcome table = hubctl(at() + "services list");
  EXPECT_EQ(table.code, 0) << table.out;
  EXPECT_THAT(table.out, HasSubstr("SERVICE"));
  EXPECT_THAT(table.out, HasSubstr("orders   10.0.0.1:8000  healthy  1.2.0"));
  const Outcome json = hubctl(at() + "-o json services list");
  ASSERT_EQ(json.code, 0) << json.out;
  EXPECT_EQ(Json::parse(json.out)["services"][0]["instance_id"], "10.0.0.1:8000");
  const Outcome yaml = hubctl(at() + "-o yaml config get orders");
  EXPECT_EQ(yaml.code, 0);
  EXPECT_THAT(yaml.out, HasSubstr("config:\n  limit: 10\n"));
  EXPECT_EQ(hubctl(at() + "discover orders").out, "http://10.0.0.1:8000\n");
  const Outcome services = hubctl(at() + "health services");  // the subcommand, not its parent `health`
  EXPECT_THAT(services.out, HasSubstr("SERVICE  STATUS   INSTANCES"));
  EXPECT_THAT(services.out, HasSubstr("orders   healthy  1"));
}

TEST_F(Hubctl, ExitCodesSayHowItWent) {
  const Outcome missing = hubctl(at() + "services get nobody");
  EXPECT_EQ(missing.code, 3);
  EXPECT_THAT(missing.out, HasSubstr("404"));
  const Outcome away = hubctl("-H http://127.0.0.1:1 cluster");
  EXPECT_EQ(away.code, 5);
  EXPECT_THAT(away.out, HasSubstr("cannot reach the hub at http://127.0.0.1:1"));
  EXPECT_EQ(hubctl(at() + "no-such-command").code, 2);
  EXPECT_EQ(hubctl(at() + "-o xml cluster").code, 2);
  const Outcome refused = hubctl(at() + "config rollback orders 99 --yes");
  EXPECT_EQ(refused.code, 3) << refused.out;  // no such version
}

TEST_F(Hubctl, TheHubComesFromAFlagTheEnvironmentOrTheConfigFile) {
  EXPECT_EQ(hubctl("cluster", "HUB_URL=" + hub_.url()).code, 0);
  const std::filesystem::path file = scratch("config.yaml");
  std::ofstream(file) << "hub: " << hub_.url() << "\n";
  EXPECT_EQ(hubctl("--config " + file.string() + " cluster", "HOME=/nonexistent").code, 0);
  std::ofstream(file) << "hub: [not, a, string]\n";
  const Outcome broken = hubctl("--config " + file.string() + " cluster");
  EXPECT_EQ(broken.code, 2);
  EXPECT_THAT(broken.out, HasSubstr(file.string() + ": hub must be a string"));
  std::filesystem::remove(file);
  // Several hubs: a dead one first is passed over.
  EXPECT_EQ(hubctl("-H http://127.0.0.1:1," + hub_.url() + " services list").code, 0);
}

TEST_F(Hubctl, ConfigSetShowsTheDiffAndStoresOnlyWhenConfirmed) {
  const std::filesystem::path file = scratch("orders.json");
  std::ofstream(file) << R"({"limit": 20, "region": "eu"})";
  const Outcome no = hubctl(at() + "config set orders -f " + file.string() + " < /dev/null");  // no answer is no
  EXPECT_EQ(no.code, 6) << no.out;
  EXPECT_THAT(no.out, HasSubstr("~ limit: 10 -> 20"));
  EXPECT_THAT(no.out, HasSubstr("+ region: eu"));
  EXPECT_EQ(Json::parse(hub_.get("/config/orders").body)["version"], 1) << "a declined change was stored";
  const Outcome yes = hubctl(at() + "config set orders -f - --yes --created-by ops < " + file.string());
  EXPECT_EQ(yes.code, 0) << yes.out;
  EXPECT_EQ(Json::parse(hub_.get("/config/orders").body)["config"]["region"], "eu");
  std::ofstream(file) << "not json";
  const Outcome bad = hubctl(at() + "config set orders -f " + file.string() + " --yes");
  EXPECT_EQ(bad.code, 2);
  EXPECT_THAT(bad.out, HasSubstr("not a JSON object; nothing was changed"));
  const Outcome history = hubctl(at() + "config history orders");
  EXPECT_THAT(history.out, HasSubstr("ops"));
  const Outcome back = hubctl(at() + "config rollback orders 1 --yes");
  EXPECT_EQ(back.code, 0) << back.out;
  EXPECT_EQ(Json::parse(hub_.get("/config/orders").body)["config"], Json::parse(R"({"limit": 10})"));
  const Outcome diff = hubctl(at() + "config diff orders --from 2 --to 1");
  EXPECT_THAT(diff.out, HasSubstr("- region: eu"));
  std::filesystem::remove(file);
}

TEST_F(Hubctl, ConfigEditOpensTheEditorAndStoresWhatItLeaves) {
  const Outcome edited = hubctl(at() + "config edit orders --yes", "EDITOR='sed -i s/10/12/'");
  EXPECT_EQ(edited.code, 0) << edited.out;
  EXPECT_THAT(edited.out, HasSubstr("~ limit: 10 -> 12"));
  EXPECT_EQ(Json::parse(hub_.get("/config/orders").body)["config"]["limit"], 12);
  const Outcome same = hubctl(at() + "config edit orders", "EDITOR=true");
  EXPECT_EQ(same.code, 0);
  EXPECT_THAT(same.out, HasSubstr("no change"));
  const Outcome broken = hubctl(at() + "config edit orders --yes", "EDITOR='truncate -s 0'");
  EXPECT_EQ(broken.code, 2);
  EXPECT_THAT(broken.out, HasSubstr("not a JSON object; nothing was changed, the text is in "));
  EXPECT_EQ(Json::parse(hub_.get("/config/orders").body)["version"], 2);
}

TEST_F(Hubctl, ConfigWatchPrintsEachNewVersion) {
  auto watched = std::async(std::launch::async, [&] { return hubctl(at() + "-o json config watch orders --count 1"); });
  // The watch parks on the hub before the change: the gauge says so.
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (hub_.get("/metrics").body.find("\nhub_config_watchers 1") == std::string::npos && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(10ms);  // polling the hub's gauge, bounded by the deadline
  ASSERT_EQ(hub::testing::put_config(hub_.url() + "/config/orders", R"({"config_data": {"limit": 11}})").status, 201);
  ASSERT_EQ(watched.wait_for(10s), std::future_status::ready);
  const Outcome run = watched.get();
  EXPECT_EQ(run.code, 0);
  EXPECT_EQ(Json::parse(run.out)["config"]["limit"], 11);
}

TEST_F(Hubctl, OperatesInstancesCircuitsAndSnapshots) {
  EXPECT_EQ(hubctl(at() + "instances drain orders 10.0.0.1:8000").code, 0);
  EXPECT_EQ(Json::parse(hub_.get("/services/orders").body)["instances"][0]["status"], "healthy");
  const Outcome forced = hubctl(at() + "circuit orders FORCED_OPEN");
  EXPECT_EQ(forced.code, 0) << forced.out;
  EXPECT_THAT(hubctl(at() + "circuits").out, HasSubstr("orders   FORCED_OPEN"));
  EXPECT_EQ(hubctl(at() + "circuit orders SIDEWAYS").code, 1);  // the hub refuses an unknown state
  const Outcome no_tokens = hubctl(at() + "tokens list");
  EXPECT_EQ(no_tokens.code, 4) << no_tokens.out;  // 409: auth is disabled here
  EXPECT_THAT(no_tokens.out, HasSubstr("auth is disabled"));
  EXPECT_EQ(hubctl(at() + "rollouts status no-such-rollout").code, 3);
  const std::filesystem::path file = scratch("hub.snapshot");
  ASSERT_EQ(hubctl(at() + "snapshot save " + file.string()).code, 0);
  hub::testing::TestHub empty(hub::testing::registry_options());
  const Outcome restored = hubctl("-H " + empty.url() + " snapshot restore " + file.string() + " --yes");
  EXPECT_EQ(restored.code, 0) << restored.out;
  EXPECT_EQ(Json::parse(empty.get("/config/orders").body)["config"]["limit"], 10);
  EXPECT_EQ(hubctl(at() + "instances deregister orders 10.0.0.1:8000 < /dev/null").code, 6);
  EXPECT_EQ(hubctl(at() + "instances deregister orders 10.0.0.1:8000 --yes").code, 0);
  EXPECT_EQ(hub_.get("/services/orders").status, 404);
  std::filesystem::remove(file);
}

// A rollout the test's fleet never follows: it waits at its first batch while the operator pauses,
// resumes and aborts it; watch then ends with 4 (it ended without succeeding).
TEST_F(Hubctl, StartsFollowsAndStopsARollout) {
  const std::filesystem::path file = scratch("rollout.json");
  std::ofstream(file) << R"({"service": "orders", "version": "1.3.0", "min_ready_seconds": 0})";
  const Outcome started = hubctl(at() + "-o json rollouts start -f " + file.string());
  ASSERT_EQ(started.code, 0) << started.out;
  const std::string id = Json::parse(started.out)["id"];
  EXPECT_THAT(hubctl(at() + "rollouts list").out, HasSubstr(id));
  const Outcome status = hubctl(at() + "rollouts status " + id);
  EXPECT_EQ(status.code, 0) << status.out;
  EXPECT_THAT(status.out, HasSubstr("orders 1.2.0 -> 1.3.0"));
  EXPECT_THAT(status.out, HasSubstr("batches, progressing"));
  EXPECT_THAT(hubctl(at() + "rollouts pause " + id).out, HasSubstr("paused"));
  EXPECT_THAT(hubctl(at() + "rollouts resume " + id).out, HasSubstr("progressing"));
  auto watched = std::async(std::launch::async, [&] { return hubctl(at() + "-o json rollouts watch " + id + " --every 0.1"); });
  EXPECT_EQ(hubctl(at() + "rollouts abort " + id).code, 0);
  ASSERT_EQ(watched.wait_for(20s), std::future_status::ready);
  const Outcome watch = watched.get();
  EXPECT_EQ(watch.code, 4) << watch.out;
  EXPECT_THAT(watch.out, HasSubstr(R"("phase":)"));
  EXPECT_EQ(hubctl(at() + "rollouts abort " + id).code, 4) << "aborting an ended rollout is a conflict";
  std::filesystem::remove(file);
}

TEST_F(Hubctl, RegistersByHandAndReachesTheGlobalConfigAndTheInfrastructure) {
  const Outcome flags = hubctl(at() + "-o json services register payments --host 10.0.0.9 --port 9000 --version 2.0.0 --tag eu");
  ASSERT_EQ(flags.code, 0) << flags.out;
  EXPECT_THAT(hubctl(at() + "services get payments").out, HasSubstr("10.0.0.9:9000  healthy  2.0.0"));
  const Outcome missing = hubctl(at() + "services register payments --port 9000");
  EXPECT_EQ(missing.code, 2);
  EXPECT_THAT(missing.out, HasSubstr("--host are needed"));
  const std::filesystem::path file = scratch("ledger.json");
  std::ofstream(file) << R"({"service_name": "ledger", "host": "10.0.0.10", "port": 7000, "version": "0.9.0"})";
  ASSERT_EQ(hubctl(at() + "services register -f " + file.string() + " --version 1.0.0").code, 0);  // a flag overrides the file
  EXPECT_THAT(hubctl(at() + "services get ledger").out, HasSubstr("10.0.0.10:7000  healthy  1.0.0"));

  std::ofstream(file, std::ios::trunc) << R"({"region": "eu"})";
  const Outcome set = hubctl(at() + "global-config set -f " + file.string() + " --yes");
  ASSERT_EQ(set.code, 0) << set.out;
  EXPECT_THAT(hubctl(at() + "global-config get").out, HasSubstr("\"region\": \"eu\""));
  EXPECT_THAT(hubctl(at() + "config get global").out, HasSubstr("\"region\": \"eu\""));  // the same config
  EXPECT_THAT(hubctl(at() + "global-config history").out, HasSubstr("VERSION"));
  EXPECT_EQ(hubctl(at() + "global-config get orders").code, 2);  // no service to name
  const Outcome infrastructure = hubctl(at() + "infrastructure");
  EXPECT_EQ(infrastructure.code, 0) << infrastructure.out;
  EXPECT_THAT(infrastructure.out, HasSubstr("COMPONENT"));
  std::filesystem::remove(file);
}

TEST_F(Hubctl, CompletionScriptsComeFromTheCommandTree) {
  const Outcome bash = hubctl("completion bash");
  EXPECT_EQ(bash.code, 0);
  EXPECT_THAT(bash.out, HasSubstr("complete -F _hubctl hubctl"));
  EXPECT_THAT(bash.out, HasSubstr("\"hubctl config\") words=\"get history diff set edit rollback watch"));
  const Outcome completed = shell("bash -c 'source <(" + std::string(HUBCTL_PATH) +
                                  " completion bash); COMP_WORDS=(hubctl rollouts pa); COMP_CWORD=2; _hubctl; echo ${COMPREPLY[@]}'");
  EXPECT_EQ(completed.out, "pause\n");
  EXPECT_THAT(hubctl("completion zsh").out, HasSubstr("#compdef hubctl"));
  EXPECT_EQ(hubctl("completion fish").code, 2);
}

}  // namespace
