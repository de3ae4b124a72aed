#include <hub/errors.hpp>
#include <hub/manifest.hpp>

#include "backup_settings_yaml.hpp"
#include "deployment_settings_yaml.hpp"
#include "error_settings_yaml.hpp"
#include "health_settings_yaml.hpp"
#include "liveness_settings_yaml.hpp"
#include "plugin_config_yaml.hpp"
#include "plugin_host/kinds.hpp"
#include "yaml_reader.hpp"

#include "basics/network.hpp"

#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

namespace hub {

ListenAddress ListenAddress::parse(const std::string& text) {
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) throw std::invalid_argument("expected HOST:PORT, got '" + text + "'");
  const std::string port_text = text.substr(colon + 1);
  if (port_text.empty() || port_text.find_first_not_of("0123456789") != std::string::npos || port_text.size() > 5 ||
      std::stoi(port_text) > 65535)
    throw std::invalid_argument("the port of '" + text + "' must be a number from 0 to 65535");
  std::string host = text.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  return ListenAddress{host, static_cast<uint16_t>(std::stoi(port_text))};
}

std::string PostgresSettings::connection_string() const {
  // libpq's keyword=value form; values are quoted so spaces and quotes survive.
  auto quoted = [](const std::string& value) {
    std::string out = "'";
    for (char c : value) out += (c == '\'' || c == '\\') ? std::string("\\") + c : std::string(1, c);
    return out + "'";
  };
  return "host=" + quoted(host) + " port=" + std::to_string(port) + " dbname=" + quoted(dbname) + " user=" + quoted(user) +
         (password.empty() ? "" : " password=" + quoted(password)) + " connect_timeout=" + std::to_string(connect_timeout_seconds);
}

std::string backend_name(StorageSettings::Backend backend) {
  switch (backend) {
    case StorageSettings::Backend::memory:
      return "memory";
    case StorageSettings::Backend::sqlite:
      return "sqlite";
    case StorageSettings::Backend::postgres:
      return "postgres";
  }
  return "unknown";
}

namespace {

namespace fs = std::filesystem;

fs::path resolve(const fs::path& base_dir, const std::string& path) {
  fs::path p(path);
  return p.is_absolute() ? p : (base_dir / p).lexically_normal();
}

ListenAddress read_listen(yaml::MapReader& top) {
  const std::string text = top.required_string("listen");
  try {
    return ListenAddress::parse(text);
  } catch (const std::invalid_argument& error) {
    top.fail_at("listen", error.what());
  }
}

StorageSettings read_storage(yaml::MapReader& top, const fs::path& base_dir) {
  if (!top.has("storage")) top.fail_at("storage", "required key is missing (backend: memory, sqlite or postgres)");
  yaml::MapReader storage(top.source(), top.node("storage"), "storage");
  StorageSettings settings;
  const std::string backend = storage.required_string("backend");
  if (backend == "memory")
    settings.backend = StorageSettings::Backend::memory;
  else if (backend == "sqlite")
    settings.backend = StorageSettings::Backend::sqlite;
  else if (backend == "postgres")
    settings.backend = StorageSettings::Backend::postgres;
  else
    storage.fail_at("backend", "expected memory, sqlite or postgres, got '" + backend + "'");

  if (storage.has("sqlite") || settings.backend == StorageSettings::Backend::sqlite) {
    if (!storage.has("sqlite")) storage.fail_at("sqlite", "required key is missing for backend sqlite (path: FILE)");
    yaml::MapReader sqlite(top.source(), storage.node("sqlite"), "storage.sqlite");
    settings.sqlite_path = resolve(base_dir, sqlite.required_string("path"));
    const std::string synchronous = sqlite.string("synchronous", "normal");
    if (synchronous == "full")
      settings.sqlite_synchronous = StorageSettings::SqliteSync::full;
    else if (synchronous != "normal")
      sqlite.fail_at("synchronous", "expected normal or full, got '" + synchronous + "'");
    sqlite.finish();
  }
  if (storage.has("postgres") || settings.backend == StorageSettings::Backend::postgres) {
    if (!storage.has("postgres"))
      storage.fail_at("postgres", "required key is missing for backend postgres (host, port, dbname, user, password)");
    yaml::MapReader pg(top.source(), storage.node("postgres"), "storage.postgres");
    settings.postgres.host = pg.required_string("host");
    settings.postgres.port = static_cast<uint16_t>(pg.integer("port", 5432, 1, 65535));
    settings.postgres.dbname = pg.required_string("dbname");
    settings.postgres.user = pg.required_string("user");
    settings.postgres.password = pg.string("password", "");
    settings.postgres.connect_timeout_seconds = static_cast<int>(pg.integer("connect_timeout_seconds", 5, 1, 300));
    pg.finish();
  }
  storage.finish();
  return settings;
}

LoggingSettings read_logging(yaml::MapReader& top) {
  yaml::MapReader logging(top.source(), top.node("logging"), "logging");
  LoggingSettings settings;
  settings.level = logging.string("level", "info");
  static const std::set<std::string> levels{"trace", "debug", "info", "warn", "error", "off"};
  if (!levels.count(settings.level))
    logging.fail_at("level", "expected trace, debug, info, warn, error or off, got '" + settings.level + "'");
  const std::string format = logging.string("format", "text");
  if (format == "text")
    settings.format = LoggingSettings::Format::text;
  else if (format == "json")
    settings.format = LoggingSettings::Format::json;
  else
    logging.fail_at("format", "expected text or json, got '" + format + "'");
  logging.finish();
  return settings;
}

HttpSettings read_http(yaml::MapReader& top) {
  yaml::MapReader http(top.source(), top.node("http"), "http");
  HttpSettings settings;
  settings.io_threads = static_cast<int>(http.integer("io_threads", settings.io_threads, 0, 64));
  settings.threads = static_cast<int>(http.integer("threads", settings.threads, 1, 1024));
  settings.idle_timeout_seconds = static_cast<int>(http.integer("idle_timeout_seconds", settings.idle_timeout_seconds, 1, 86400));
  settings.max_queued = static_cast<int>(http.integer("max_queued", settings.max_queued, 1, 1'000'000));
  settings.max_body_bytes =
      static_cast<size_t>(http.integer("max_body_bytes", static_cast<int64_t>(settings.max_body_bytes), 1024, 1 << 30));
  settings.max_header_bytes =
      static_cast<size_t>(http.integer("max_header_bytes", static_cast<int64_t>(settings.max_header_bytes), 1024, 1 << 20));
  settings.header_timeout_seconds = static_cast<int>(http.integer("header_timeout_seconds", settings.header_timeout_seconds, 1, 3600));
  settings.body_timeout_seconds = static_cast<int>(http.integer("body_timeout_seconds", settings.body_timeout_seconds, 1, 3600));
  settings.max_connections = static_cast<int>(http.integer("max_connections", settings.max_connections, 0, 10'000'000));
  http.finish();
  return settings;
}

std::vector<std::string> read_networks(yaml::MapReader& section, const std::string& key) {
  std::vector<std::string> networks = section.strings(key);
  for (const std::string& text : networks) {
    std::string problem;
    if (!Network::parse(text, problem)) section.fail_at(key, problem);
  }
  return networks;
}

TlsSettings read_tls(yaml::MapReader& top, const fs::path& base_dir) {
  TlsSettings settings;
  if (!top.has("tls")) return settings;
  yaml::MapReader tls(top.source(), top.node("tls"), "tls");
  settings.certificate = resolve(base_dir, tls.required_string("certificate"));
  settings.key = resolve(base_dir, tls.required_string("key"));
  settings.min_version = tls.string("min_version", settings.min_version);
  if (settings.min_version != "1.2" && settings.min_version != "1.3")
    tls.fail_at("min_version", "expected \"1.2\" or \"1.3\", got '" + settings.min_version + "'");
  settings.ciphers = tls.string("ciphers", settings.ciphers);
  if (tls.has("client_ca")) settings.client_ca = resolve(base_dir, tls.required_string("client_ca"));
  settings.client_certificate_required = tls.boolean("client_certificate_required", false);
  if (settings.client_certificate_required && settings.client_ca.empty())
    tls.fail_at("client_certificate_required", "needs client_ca, the CA that signs the client certificates");
  tls.finish();
  return settings;
}

RegistrationRules read_registration(yaml::MapReader& top) {
  RegistrationRules rules;
  if (!top.has("registration")) return rules;
  yaml::MapReader section(top.source(), top.node("registration"), "registration");
  rules.allowed_networks = read_networks(section, "allowed_networks");
  rules.denied_networks = read_networks(section, "denied_networks");
  if (section.has("allowed_host_names")) {
    const YAML::Node names = section.node("allowed_host_names");
    if (names.IsScalar() && (names.Scalar() == "any" || names.Scalar() == "none"))
      rules.allowed_host_names = names.Scalar() == "any" ? std::vector<std::string>{"*"} : std::vector<std::string>{};
    else
      rules.allowed_host_names = section.strings("allowed_host_names");
  }
  section.finish();
  return rules;
}

SecuritySettings read_security(yaml::MapReader& top, const fs::path& base_dir) {
  SecuritySettings settings;
  const std::string auth = top.string("auth", "disabled");
  if (auth == "required")
    settings.auth = SecuritySettings::Auth::required;
  else if (auth != "disabled")
    top.fail_at("auth", "expected required or disabled, got '" + auth + "'");
  settings.allow_remote_without_auth = top.boolean("allow_remote_without_auth", false);
  if (settings.allow_remote_without_auth && settings.auth == SecuritySettings::Auth::required)
    top.fail_at("allow_remote_without_auth", "only means something with auth: disabled; remove it");
  settings.tls = read_tls(top, base_dir);
  if (top.has("audit")) {
    yaml::MapReader audit(top.source(), top.node("audit"), "audit");
    settings.audit_retention_days = static_cast<int>(audit.integer("retention_days", settings.audit_retention_days, 1, 36500));
    audit.finish();
  }
  settings.registration = read_registration(top);
  return settings;
}

ConfigManagementSettings read_config_management(yaml::MapReader& top) {
  yaml::MapReader section(top.source(), top.node("config_management"), "config_management");
  ConfigManagementSettings settings;
  settings.retention_versions = static_cast<int>(section.integer("retention_versions", settings.retention_versions, 1, 100000));
  settings.max_config_bytes =
      static_cast<size_t>(section.integer("max_config_bytes", static_cast<int64_t>(settings.max_config_bytes), 64, 16 * 1024 * 1024));
  settings.max_depth = static_cast<int>(section.integer("max_depth", settings.max_depth, 1, 256));
  settings.max_watch_seconds = static_cast<int>(section.integer("max_watch_seconds", settings.max_watch_seconds, 1, 3600));
  section.finish();
  return settings;
}

EventsSettings read_events(yaml::MapReader& top) {
  yaml::MapReader events(top.source(), top.node("events"), "events");
  EventsSettings settings;
  if (events.has("nats")) {
    yaml::MapReader nats(top.source(), events.node("nats"), "events.nats");
    NatsSettings n;
    n.url = nats.required_string("url");
    if (!n.url.starts_with("nats://") && !n.url.starts_with("tls://"))
      nats.fail_at("url", "expected nats://HOST:PORT, got '" + n.url + "'");
    n.subject_prefix = nats.string("subject_prefix", n.subject_prefix);
    nats.finish();
    settings.nats = n;
  }
  events.finish();
  return settings;
}

EnabledImplementation read_enabled(const yaml::Source& source, const YAML::Node& node, const std::string& path) {
  yaml::MapReader reader(source, node, path);
  EnabledImplementation enabled;
  enabled.implementation = reader.required_string("implementation");
  enabled.kind = reader.string("kind", "");
  if (!enabled.kind.empty() && !find_kind(enabled.kind))
    reader.fail_at("kind", "expected " + kind_names() + ", got '" + enabled.kind + "'");
  enabled.id = reader.string("id", enabled.implementation);
  enabled.config = plugin_config_from_yaml(source, reader.node("config"), reader.path("config"));
  enabled.where = yaml::where(source, node);
  reader.finish();
  return enabled;
}

std::vector<PluginLibrarySettings> read_libraries(yaml::MapReader& plugins) {
  std::vector<PluginLibrarySettings> libraries;
  const YAML::Node list = plugins.node("libraries");
  if (!list.IsDefined()) return libraries;
  if (!list.IsSequence()) plugins.fail_at("libraries", "expected a sequence of libraries, got " + yaml::describe(list));
  std::set<std::string> ids;
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string path = "plugins.libraries[" + std::to_string(i) + "]";
    yaml::MapReader reader(plugins.source(), list[i], path);
    PluginLibrarySettings library;
    library.library = reader.required_string("library");
    library.where = yaml::where(plugins.source(), list[i]);
    const std::string isolation = reader.string("isolation", "in_process");
    if (isolation == "process")
      library.isolation = PluginLibrarySettings::Isolation::process;
    else if (isolation != "in_process")
      reader.fail_at("isolation", "expected in_process or process, got '" + isolation + "'");
    const YAML::Node enable = reader.node("enable");
    if (!enable.IsDefined() || !enable.IsSequence() || enable.size() == 0)
      reader.fail_at("enable", "expected a non-empty sequence of implementations to enable");
    for (size_t j = 0; j < enable.size(); ++j) {
      const std::string item = path + ".enable[" + std::to_string(j) + "]";
      EnabledImplementation enabled = read_enabled(plugins.source(), enable[j], item);
      if (!ids.insert(enabled.id).second)
        yaml::fail(plugins.source(), enable[j].Mark(), item + ".id",
                   "'" + enabled.id + "' is already used by another implementation; ids must be unique");
      library.enable.push_back(std::move(enabled));
    }
    reader.finish();
    libraries.push_back(std::move(library));
  }
  return libraries;
}

}  // namespace

Manifest parse_manifest(const std::string& yaml_text, const std::string& name, const fs::path& base_dir) {
  const yaml::Source source{name};
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& error) {
    yaml::fail(source, error.mark, "", "not valid YAML: " + error.msg);
  }
  if (!root.IsMap()) yaml::fail(source, root.Mark(), "", "a deployment must be a mapping, got " + yaml::describe(root));
  try {
    yaml::MapReader top(source, root, "");
    Manifest manifest;
    manifest.name = name;
    manifest.listen = read_listen(top);
    manifest.storage = read_storage(top, base_dir);
    manifest.logging = read_logging(top);
    manifest.http = read_http(top);
    manifest.security = read_security(top, base_dir);
    manifest.events = read_events(top);
    manifest.config_management = read_config_management(top);
    manifest.health_monitoring = read_health_monitoring(top);
    manifest.liveness = read_liveness(top);
    manifest.load_balancing = read_load_balancing(top);
    manifest.circuit_breaking = read_circuit_breaking(top);
    manifest.deployments = read_deployments(top);
    manifest.backups = read_backups(top);
    for (BackupJobSettings& job : manifest.backups.jobs) job.output = resolve(base_dir, job.output).string();
    manifest.errors = read_errors(top);
    yaml::MapReader plugins(source, top.node("plugins"), "plugins");
    for (const std::string& path : plugins.strings("search_paths")) manifest.plugin_search_paths.push_back(resolve(base_dir, path));
    manifest.plugins = read_libraries(plugins);
    plugins.finish();
    top.finish();
    return manifest;
  } catch (const YAML::Exception& error) {
    yaml::fail(source, error.mark, "", error.msg);
  }
}

Manifest load_manifest(const fs::path& file) {
  std::ifstream in(file);
  if (!in) throw ManifestError(file.string() + ": cannot read the deployment file");
  std::stringstream text;
  text << in.rdbuf();
  return parse_manifest(text.str(), file.string(), fs::absolute(file).parent_path());
}

}  // namespace hub
