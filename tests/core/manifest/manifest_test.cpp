#include <hub/errors.hpp>
#include <hub/manifest.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>

using testing::HasSubstr;

namespace {

constexpr const char* kMinimal = "listen: 127.0.0.1:9000\nstorage:\n  backend: memory\n";

hub::Manifest parse(const std::string& yaml) {
  return hub::parse_manifest(yaml, "deploy.yaml", "/etc/hub");
}

std::string error_of(const std::string& yaml) {
  try {
    parse(yaml);
  } catch (const hub::ManifestError& error) {
    return error.what();
  }
  ADD_FAILURE() << "accepted:\n" << yaml;
  return "";
}

}  // namespace

TEST(Manifest, TheMinimalDeployment) {
  hub::Manifest d = parse(kMinimal);
  EXPECT_EQ(d.listen.host, "127.0.0.1");
  EXPECT_EQ(d.listen.port, 9000);
  EXPECT_EQ(d.storage.backend, hub::StorageSettings::Backend::memory);
  EXPECT_EQ(d.logging.format, hub::LoggingSettings::Format::text);
  EXPECT_FALSE(d.events.nats.has_value());
  EXPECT_TRUE(d.plugins.empty());
}

TEST(Manifest, EveryShippedDeploymentParses) {
  setenv("CENTRAL_HUB_DB_HOST", "db.internal", 1);
  setenv("CENTRAL_HUB_DB_USER", "hub", 1);
  for (const char* name : {"development", "production", "test"}) {
    SCOPED_TRACE(name);
    hub::Manifest d = hub::load_manifest(std::string(HUB_SOURCE_DIR) + "/config/" + name + ".yaml");
    EXPECT_FALSE(d.plugins.empty());
  }
  hub::Manifest production = hub::load_manifest(std::string(HUB_SOURCE_DIR) + "/config/production.yaml");
  EXPECT_EQ(production.storage.backend, hub::StorageSettings::Backend::postgres);
  EXPECT_EQ(production.storage.postgres.host, "db.internal");
  EXPECT_EQ(production.logging.format, hub::LoggingSettings::Format::json);
  ASSERT_TRUE(production.events.nats.has_value());
  EXPECT_EQ(production.security.auth, hub::SecuritySettings::Auth::required);
  EXPECT_TRUE(production.security.tls.enabled());
  EXPECT_EQ(production.security.registration.denied_networks.front(), "127.0.0.0/8");
  for (const char* name : {"development", "test"})
    EXPECT_EQ(hub::load_manifest(std::string(HUB_SOURCE_DIR) + "/config/" + name + ".yaml").security.auth,
              hub::SecuritySettings::Auth::disabled);
  unsetenv("CENTRAL_HUB_DB_HOST");
  unsetenv("CENTRAL_HUB_DB_USER");
}

TEST(Manifest, SecuritySectionsAreReadStrictly) {
  const hub::Manifest secured = parse(std::string(kMinimal) + R"(
auth: required
tls: {certificate: certs/hub.crt, key: /etc/hub.key, min_version: "1.3", client_ca: certs/ca.crt, client_certificate_required: true}
audit: {retention_days: 7}
registration: {allowed_networks: [10.0.0.0/8], denied_networks: ["fe80::/10"], allowed_host_names: none}
)");
  EXPECT_EQ(secured.security.auth, hub::SecuritySettings::Auth::required);
  EXPECT_TRUE(secured.security.tls.certificate.is_absolute());  // relative to the file's folder
  EXPECT_EQ(secured.security.tls.key, "/etc/hub.key");
  EXPECT_EQ(secured.security.tls.min_version, "1.3");
  EXPECT_TRUE(secured.security.tls.client_certificate_required);
  EXPECT_EQ(secured.security.audit_retention_days, 7);
  EXPECT_TRUE(secured.security.registration.allowed_host_names.empty());

  const std::pair<std::string, std::string> refused[] = {
      {"auth: maybe\n", "auth: expected required or disabled, got 'maybe'"},
      {"auth: required\nallow_remote_without_auth: true\n", "allow_remote_without_auth: only means something with auth: disabled"},
      {"tls: {certificate: a.crt}\n", "tls.key: required key is missing"},
      {"tls: {certificate: a.crt, key: a.key, min_version: \"1.1\"}\n", "tls.min_version: expected \"1.2\" or \"1.3\""},
      {"tls: {certificate: a.crt, key: a.key, client_certificate_required: true}\n", "needs client_ca"},
      {"registration: {denied_networks: [localhost]}\n", "registration.denied_networks: \"localhost\" is not a network"},
      {"registration: {allowed_networks: [10.0.0.0/40]}\n", "the prefix must be 0 to 32"},
      {"audit: {retention_days: 0}\n", "audit.retention_days"},
  };

  for (const auto& [yaml, message] : refused) {
    try {
      parse(std::string(kMinimal) + yaml);
      ADD_FAILURE() << "accepted: " << yaml;
    } catch (const hub::ManifestError& error) {
      EXPECT_NE(std::string(error.what()).find(message), std::string::npos) << error.what();
    }
  }
}

TEST(Manifest, PluginsWithTheirConfigAsJsonAndFlatEntries) {
  hub::Manifest d = parse(std::string(kMinimal) + R"(
plugins:
  search_paths: [plugins, /opt/hub/plugins]
  libraries:
    - library: disk-space-probe
      enable:
        - implementation: disk_space
          kind: health_probe
          id: root-disk
          config:
            path: /
            warning_free_percent: 15
            quoted: "15"
            enabled: true
            nothing: null
            paths: [/a, /b]
            nested: {deep: {value: "x\"y"}}
)");
  ASSERT_EQ(d.plugin_search_paths.size(), 2u);
  EXPECT_EQ(d.plugin_search_paths[0], "/etc/hub/plugins");  // relative to the file's folder
  EXPECT_EQ(d.plugin_search_paths[1], "/opt/hub/plugins");
  ASSERT_EQ(d.plugins.size(), 1u);
  const hub::EnabledImplementation& enabled = d.plugins[0].enable.at(0);
  EXPECT_EQ(enabled.id, "root-disk");
  EXPECT_EQ(enabled.kind, "health_probe");
  EXPECT_EQ(enabled.where, "deploy.yaml:10:11");
  EXPECT_EQ(
      enabled.config.json,
      R"({"path":"/","warning_free_percent":15,"quoted":"15","enabled":true,"nothing":null,"paths":["/a","/b"],"nested":{"deep":{"value":"x\"y"}}})");
  using Entry = std::pair<std::string, std::string>;
  EXPECT_THAT(enabled.config.entries, testing::ElementsAre(Entry{"path", "/"}, Entry{"warning_free_percent", "15"}, Entry{"quoted", "15"},
                                                           Entry{"enabled", "true"}, Entry{"nothing", ""}, Entry{"paths.0", "/a"},
                                                           Entry{"paths.1", "/b"}, Entry{"nested.deep.value", "x\"y"}));
}

TEST(Manifest, EnvironmentVariablesExpandWithDefaults) {
  setenv("HUB_TEST_PORT", "9123", 1);
  unsetenv("HUB_TEST_UNSET");
  hub::Manifest d = parse("listen: 127.0.0.1:${HUB_TEST_PORT}\nstorage:\n  backend: ${HUB_TEST_UNSET:-memory}\n");
  EXPECT_EQ(d.listen.port, 9123);
  EXPECT_EQ(d.storage.backend, hub::StorageSettings::Backend::memory);
  EXPECT_EQ(error_of("listen: ${HUB_TEST_UNSET}\nstorage: {backend: memory}\n"),
            "deploy.yaml:1:9: listen: environment variable HUB_TEST_UNSET is not set (write ${HUB_TEST_UNSET:-default} for a default)");
  unsetenv("HUB_TEST_PORT");
}

TEST(Manifest, AnUnknownKeyNamesFileLineKeyAndTheKnownKeys) {
  EXPECT_EQ(error_of(std::string(kMinimal) + "logging:\n  level: info\n  colour: blue\n"),
            "deploy.yaml:6:3: logging.colour: unknown key (expected one of: format, level)");
  EXPECT_THAT(error_of(std::string(kMinimal) + "listenn: 1\n"), HasSubstr("deploy.yaml:4:1: listenn: unknown key (expected one of: "));
}

TEST(Manifest, AWrongTypeNamesFileLineAndKey) {
  EXPECT_EQ(error_of("listen: [127.0.0.1]\nstorage: {backend: memory}\n"),
            "deploy.yaml:1:9: listen: expected a scalar value, got a sequence");
  EXPECT_EQ(error_of(std::string(kMinimal) + "http:\n  threads: many\n"),
            "deploy.yaml:5:12: http.threads: expected an integer, got 'many'");
  EXPECT_EQ(error_of(std::string(kMinimal) + "http:\n  threads: 0\n"), "deploy.yaml:5:12: http.threads: must be between 1 and 1024, got 0");
  EXPECT_EQ(error_of("listen: 127.0.0.1:9000\nstorage: sqlite\n"), "deploy.yaml:2:10: storage: expected a mapping, got 'sqlite'");
  EXPECT_EQ(error_of("listen: localhost:http\nstorage: {backend: memory}\n"),
            "deploy.yaml:1:9: listen: the port of 'localhost:http' must be a number from 0 to 65535");
  EXPECT_EQ(error_of(std::string(kMinimal) + "plugins:\n  libraries: {library: x}\n"),
            "deploy.yaml:5:14: plugins.libraries: expected a sequence of libraries, got a mapping");
  EXPECT_EQ(error_of(std::string(kMinimal) + "logging: {format: xml}\n"),
            "deploy.yaml:4:19: logging.format: expected text or json, got 'xml'");
}

TEST(Manifest, AMissingRequiredValueNamesFileLineAndKey) {
  EXPECT_EQ(error_of("storage: {backend: memory}\n"), "deploy.yaml:1:1: listen: required key is missing");
  EXPECT_EQ(error_of("listen: 127.0.0.1:1\n"), "deploy.yaml:1:1: storage: required key is missing (backend: memory, sqlite or postgres)");
  EXPECT_EQ(error_of("listen: 127.0.0.1:1\nstorage:\n  backend: sqlite\n"),
            "deploy.yaml:3:3: storage.sqlite: required key is missing for backend sqlite (path: FILE)");
  EXPECT_EQ(error_of("listen: 127.0.0.1:1\nstorage:\n  backend: postgres\n  postgres:\n    host: db\n    user: hub\n"),
            "deploy.yaml:5:5: storage.postgres.dbname: required key is missing");
  EXPECT_EQ(error_of(std::string(kMinimal) + "plugins:\n  libraries:\n    - enable: [{implementation: x}]\n"),
            "deploy.yaml:6:7: plugins.libraries[0].library: required key is missing");
  EXPECT_EQ(error_of(std::string(kMinimal) + "plugins:\n  libraries:\n    - library: x\n      enable:\n        - id: a\n"),
            "deploy.yaml:8:11: plugins.libraries[0].enable[0].implementation: required key is missing");
}

TEST(Manifest, SqliteSyncsAtCommitOnlyWhenTheManifestSaysFull) {
  EXPECT_EQ(parse("listen: 127.0.0.1:1\nstorage: {backend: sqlite, sqlite: {path: hub.db}}\n").storage.sqlite_synchronous,
            hub::StorageSettings::SqliteSync::normal);
  EXPECT_EQ(
      parse("listen: 127.0.0.1:1\nstorage: {backend: sqlite, sqlite: {path: hub.db, synchronous: full}}\n").storage.sqlite_synchronous,
      hub::StorageSettings::SqliteSync::full);
  EXPECT_EQ(error_of("listen: 127.0.0.1:1\nstorage: {backend: sqlite, sqlite: {path: hub.db, synchronous: off}}\n"),
            "deploy.yaml:2:64: storage.sqlite.synchronous: expected normal or full, got 'off'");
}

TEST(Manifest, InvalidValuesAreRefused) {
  EXPECT_EQ(error_of("listen: 127.0.0.1:1\nstorage: {backend: mongodb}\n"),
            "deploy.yaml:2:20: storage.backend: expected memory, sqlite or postgres, got 'mongodb'");
  EXPECT_THAT(error_of(std::string(kMinimal) +
                       "plugins:\n  libraries:\n    - library: x\n      enable:\n        - {implementation: a, kind: probe}\n"),
              HasSubstr("deploy.yaml:8:37: plugins.libraries[0].enable[0].kind: expected discovery, health_probe,"));
  EXPECT_EQ(error_of(std::string(kMinimal) + "plugins:\n  libraries:\n    - library: x\n      enable:\n        - {implementation: a}\n"
                                             "        - {implementation: a}\n"),
            "deploy.yaml:9:11: plugins.libraries[0].enable[1].id: 'a' is already used by another implementation; ids must be unique");
  EXPECT_EQ(error_of(std::string(kMinimal) + "events:\n  nats: {url: http://x}\n"),
            "deploy.yaml:5:15: events.nats.url: expected nats://HOST:PORT, got 'http://x'");
  EXPECT_THAT(error_of(std::string(kMinimal) + "errors: {save_interval_seconds: 0}\n"), HasSubstr("errors.save_interval_seconds"));
  EXPECT_EQ(parse(std::string(kMinimal) + "errors: {save_interval_seconds: 30}\n").errors.save_interval_seconds, 30);
  EXPECT_EQ(parse(kMinimal).errors.save_interval_seconds, 10);
}

TEST(Manifest, BrokenYamlSaysWhere) {
  EXPECT_THAT(error_of("listen: [unclosed\n"), HasSubstr("deploy.yaml:2:1: not valid YAML"));
  EXPECT_EQ(error_of("- a list\n"), "deploy.yaml:1:1: a deployment must be a mapping, got a sequence");
}

TEST(Manifest, AFileThatCannotBeReadIsNamed) {
  EXPECT_THROW(
      {
        try {
          hub::load_manifest("/nonexistent/deploy.yaml");
        } catch (const hub::ManifestError& error) {
          EXPECT_STREQ(error.what(), "/nonexistent/deploy.yaml: cannot read the deployment file");
          throw;
        }
      },
      hub::ManifestError);
}

TEST(Manifest, OnlyJsonNumbersBecomeNumbersInPluginConfig) {
  hub::Manifest d = parse(std::string(kMinimal) +
                          "plugins:\n  libraries:\n    - library: x\n      enable:\n        - implementation: a\n          config: "
                          "{int: -12, real: 1.5e3, version: 1.10.2, octal: 012, plus: +5, dot: 5., word: infinity}\n");
  EXPECT_EQ(d.plugins[0].enable[0].config.json,
            R"({"int":-12,"real":1.5e3,"version":"1.10.2","octal":"012","plus":"+5","dot":"5.","word":"infinity"})");
}

TEST(Manifest, LivenessRulesAndPanicThresholdsWithTheirDefaults) {
  const hub::Manifest defaults = parse(kMinimal);
  EXPECT_EQ(defaults.liveness.heartbeat_interval_seconds, 30);
  EXPECT_TRUE(defaults.liveness.guard);
  EXPECT_EQ(defaults.liveness.max_expiring_percent, 15);
  EXPECT_EQ(defaults.liveness.window_seconds, 90);
  EXPECT_EQ(defaults.liveness.min_instances, 10);
  EXPECT_EQ(defaults.load_balancing.panic_threshold_for("any"), 0);

  const hub::Manifest d = parse(std::string(kMinimal) + R"(
liveness:
  heartbeat_interval_seconds: 10
  guard: {enabled: false, max_expiring_percent: 40, window_seconds: 30, min_instances: 3}
load_balancing:
  panic_threshold_percent: 20
  services:
    payments: {panic_threshold_percent: 50}
    batch: {}
)");
  EXPECT_EQ(d.liveness.heartbeat_interval_seconds, 10);
  EXPECT_FALSE(d.liveness.guard);
  EXPECT_EQ(d.liveness.max_expiring_percent, 40);
  EXPECT_EQ(d.liveness.window_seconds, 30);
  EXPECT_EQ(d.liveness.min_instances, 3);
  EXPECT_EQ(d.load_balancing.panic_threshold_for("payments"), 50);
  EXPECT_EQ(d.load_balancing.panic_threshold_for("batch"), 20);  // the section's, when the service names none
  EXPECT_EQ(d.load_balancing.panic_threshold_for("orders"), 20);
}

TEST(Manifest, LivenessAndLoadBalancingMistakesSayWhere) {
  EXPECT_EQ(error_of(std::string(kMinimal) + "liveness:\n  guard: {max_expiring_percent: 0}\n"),
            "deploy.yaml:5:33: liveness.guard.max_expiring_percent: must be between 1 and 100, got 0");
  EXPECT_THAT(error_of(std::string(kMinimal) + "liveness:\n  guard: {enable: false}\n"),
              HasSubstr("deploy.yaml:5:11: liveness.guard.enable: unknown key (expected one of: enabled, max_expiring_percent,"));
  EXPECT_EQ(error_of(std::string(kMinimal) + "load_balancing:\n  services:\n    payments: {panic_threshold_percent: 150}\n"),
            "deploy.yaml:6:41: load_balancing.services.payments.panic_threshold_percent: must be between 0 and 100, got 150");
  EXPECT_EQ(error_of(std::string(kMinimal) + "load_balancing:\n  services: [payments]\n"),
            "deploy.yaml:5:13: load_balancing.services: expected a mapping, got a sequence");
  EXPECT_EQ(error_of(std::string(kMinimal) + "load_balancing:\n  services:\n    payments: 50\n"),
            "deploy.yaml:6:15: load_balancing.services.payments: expected a mapping, got '50'");
}
