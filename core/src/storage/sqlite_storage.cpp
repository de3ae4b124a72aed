#include "sqlite_checkpointer.hpp"
#include "storage.hpp"

#include <hub/errors.hpp>

#include "basics/json_text.hpp"
#include "basics/time_text.hpp"

#include <sqlite3.h>

#include <chrono>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <variant>

namespace hub {

namespace {

// One prepared statement, finalized on every path.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql, bool kept = false) : db_(db) {
    if (sqlite3_prepare_v3(db, sql, -1, kept ? SQLITE_PREPARE_PERSISTENT : 0, &statement_, nullptr) != SQLITE_OK) fail(sql);
  }
  ~Statement() { sqlite3_finalize(statement_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int index, const std::string& text) {
    sqlite3_bind_text(statement_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Statement& bind(int index, int64_t value) {
    sqlite3_bind_int64(statement_, index, value);
    return *this;
  }
  Statement& bind(int index, double value) {
    sqlite3_bind_double(statement_, index, value);
    return *this;
  }
  Statement& bind_null(int index) {
    sqlite3_bind_null(statement_, index);
    return *this;
  }
  // Runs to completion; for statements without rows.
  void run() {
    if (sqlite3_step(statement_) != SQLITE_DONE) fail(sqlite3_sql(statement_));
    sqlite3_reset(statement_);
    sqlite3_clear_bindings(statement_);
  }
  bool next_row() {
    const int result = sqlite3_step(statement_);
    if (result == SQLITE_ROW) return true;
    if (result != SQLITE_DONE) fail(sqlite3_sql(statement_));
    return false;
  }
  std::string text(int column) const {
    const auto* value = reinterpret_cast<const char*>(sqlite3_column_text(statement_, column));
    return value ? value : "";
  }
  int64_t integer(int column) const { return sqlite3_column_int64(statement_, column); }
  double real(int column) const { return sqlite3_column_double(statement_, column); }

 private:
  // Resets first, so a kept statement is ready for its next use.
  [[noreturn]] void fail(const char* sql) const {
    std::string what = std::string(sql ? sql : "?") + ": " + sqlite3_errmsg(db_);
    if (statement_) {
      sqlite3_reset(statement_);
      sqlite3_clear_bindings(statement_);
    }
    throw StorageError(what);
  }
  sqlite3* db_;
  sqlite3_stmt* statement_ = nullptr;
};

// SQLite keeps TIMESTAMP as text; julianday() reads it back to microseconds.
constexpr const char* kUnixMicros = "CAST(ROUND((julianday(%s) - 2440587.5) * 86400000.0) AS INTEGER) * 1000";

std::string unix_micros(const char* column) {
  char text[160];
  std::snprintf(text, sizeof text, kUnixMicros, column);
  return text;
}

class SqliteStorage final : public Storage, private MigrationTarget {
 public:
  SqliteStorage(const std::filesystem::path& file, StorageSettings::SqliteSync synchronous) : file_(file) {
    std::error_code ignored;
    if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path(), ignored);
    if (sqlite3_open_v2(file.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr) != SQLITE_OK) {
      std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
      sqlite3_close(db_);
      throw StorageError("sqlite " + file.string() + ": cannot open: " + message);
    }
    sqlite3_busy_timeout(db_, 5000);
    // WAL lets readers run beside the single writer. What NORMAL and FULL promise: StorageSettings::SqliteSync.
    execute("PRAGMA journal_mode=WAL");
    const std::string sync = synchronous == StorageSettings::SqliteSync::full ? "FULL" : "NORMAL";
    execute(("PRAGMA synchronous=" + sync).c_str());
    execute("PRAGMA foreign_keys=ON");
    execute("PRAGMA journal_size_limit=67108864");  // a WAL that grew under a burst shrinks back once checkpointed
    checkpointer_ = std::make_unique<SqliteCheckpointer>(file, db_, sync);
  }
  ~SqliteStorage() override {
    checkpointer_.reset();
    statements_.clear();
    sqlite3_close(db_);
  }

  std::string backend() const override { return "sqlite"; }

  ComponentStatus check() override {
    const auto started = std::chrono::steady_clock::now();
    try {
      execute("SELECT 1");
    } catch (const StorageError& error) {
      return {"down", error.what(), 0};
    }
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    return {"healthy", file_.string(), ms};
  }

  int migrate(const std::vector<Migration>& migrations) override { return run_migrations(*this, migrations); }

  void save_writes(std::vector<Write>& writes) override {
    transaction([&] {
      for (Write& write : writes) {
        statement("SAVEPOINT one_write").run();
        try {
          std::visit([&](const auto& change) { store(change, write); }, write.change);
          statement("RELEASE one_write").run();
        } catch (const StorageError& error) {
          if (sqlite3_get_autocommit(db_)) throw;  // SQLite rolled the whole transaction back (I/O error, disk full)
          statement("ROLLBACK TO one_write").run();
          statement("RELEASE one_write").run();
          write.outcome = write_refused(error.what());
        }
      }
    });
  }

  void save_heartbeats(const std::vector<HeartbeatMark>& marks, const std::vector<MetricSample>& samples) override {
    transaction([&] {
      Statement beat(db_, "UPDATE service_registry SET last_heartbeat = ?3 WHERE service_name = ?1 AND instance_id = ?2");
      for (const HeartbeatMark& mark : marks)
        beat.bind(1, mark.service_name).bind(2, mark.instance_id).bind(3, sql_timestamp_utc(mark.last_heartbeat_unix_us)).run();
      Statement metric(
          db_, "INSERT INTO health_metrics (service_name, metric_type, metric_value, status, timestamp) VALUES (?1, ?2, ?3, ?4, ?5)");
      for (const MetricSample& sample : samples)
        metric.bind(1, sample.service_name)
            .bind(2, sample.metric_type)
            .bind(3, sample.value)
            .bind(4, sample.status)
            .bind(5, sql_timestamp_utc(sample.unix_us))
            .run();
    });
  }

  std::vector<ConfigVersion> load_config_versions() override {
    std::lock_guard lock(mutex_);
    const std::string sql = "SELECT service_name, version, config_data, COALESCE(created_by, ''), COALESCE(" + unix_micros("created_at") +
                            ", 0), active FROM service_configs ORDER BY service_name, version";
    Statement rows(db_, sql.c_str());
    std::vector<ConfigVersion> versions;
    while (rows.next_row())
      versions.push_back({rows.text(0), rows.integer(1), rows.text(2), rows.text(3), rows.integer(4), rows.integer(5) != 0});
    return versions;
  }

  void save_health_rows(const std::vector<HealthRow>& rows) override {
    transaction([&] {
      Statement component(db_,
                          "INSERT INTO infrastructure_status (component_name, status, response_time_ms, error_message, checked_at) "
                          "VALUES (?1, ?2, ?3, ?4, ?5)");
      Statement service(db_,
                        "INSERT INTO health_metrics (service_name, metric_type, metric_value, status, timestamp) VALUES (?1, "
                        "'health_check', ?2, ?3, ?4)");
      for (const HealthRow& row : rows) {
        if (row.infrastructure) {
          component.bind(1, row.name).bind(2, row.status).bind(3, row.latency_ms).bind(5, sql_timestamp_utc(row.unix_us));
          if (row.status == "healthy")
            component.bind_null(4);
          else
            component.bind(4, row.message);
          component.run();
        } else {
          service.bind(1, row.name).bind(2, row.latency_ms).bind(3, row.status).bind(4, sql_timestamp_utc(row.unix_us)).run();
        }
      }
    });
  }

  void prune_health_rows(int64_t older_than_unix_us) override {
    transaction([&] {
      const std::string cutoff = sql_timestamp_utc(older_than_unix_us);
      Statement(db_, "DELETE FROM infrastructure_status WHERE checked_at < ?1").bind(1, cutoff).run();
      Statement(db_, "DELETE FROM health_metrics WHERE timestamp < ?1").bind(1, cutoff).run();
    });
  }

  std::vector<UptimeCount> load_uptime(int64_t since_unix_us) override {
    std::lock_guard lock(mutex_);
    Statement rows(db_,
                   "SELECT service_name, COUNT(*), COUNT(CASE WHEN status = 'healthy' THEN 1 END) FROM health_metrics "
                   "WHERE timestamp > ?1 AND status IS NOT NULL GROUP BY service_name ORDER BY service_name");
    rows.bind(1, sql_timestamp_utc(since_unix_us));
    std::vector<UptimeCount> counts;
    while (rows.next_row()) counts.push_back({rows.text(0), rows.integer(1), rows.integer(2)});
    return counts;
  }

  std::vector<HealthBucket> load_health_trend(bool infrastructure, const std::string& name, int64_t since_unix_us,
                                              int bucket_seconds) override {
    std::lock_guard lock(mutex_);
    const std::string table = infrastructure ? "infrastructure_status" : "health_metrics";
    const std::string name_column = infrastructure ? "component_name" : "service_name";
    const std::string at = infrastructure ? "checked_at" : "timestamp";
    const std::string latency = infrastructure ? "response_time_ms" : "metric_value";
    const std::string checks_only = infrastructure ? "" : " AND metric_type = 'health_check'";  // not heartbeats' samples
    const std::string sql = "SELECT " + name_column + ", CAST(strftime('%s', " + at + ") AS INTEGER) / ?3 * ?3 AS bucket, COUNT(*), " +
                            "COUNT(CASE WHEN status = 'healthy' THEN 1 END), AVG(COALESCE(" + latency + ", 0)), MAX(COALESCE(" + latency +
                            ", 0)) FROM " + table + " WHERE " + at + " > ?1 AND status IS NOT NULL AND (?2 = '' OR " + name_column +
                            " = ?2) GROUP BY 1, 2 ORDER BY 1, 2";
    Statement rows(db_, sql.c_str());
    rows.bind(1, sql_timestamp_utc(since_unix_us)).bind(2, name).bind(3, int64_t{bucket_seconds});
    std::vector<HealthBucket> buckets;
    while (rows.next_row())
      buckets.push_back({rows.text(0), rows.integer(1) * 1'000'000, rows.integer(2), rows.integer(3), rows.real(4), rows.real(5)});
    return buckets;
  }

  void save_token(const TokenRecord& token) override {
    transaction([&] {
      Statement insert(
          db_, "INSERT INTO hub_tokens (id, token_sha256, role, description, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
      insert.bind(1, token.id).bind(2, token.sha256).bind(3, token.role).bind(4, token.description);
      insert.bind(5, sql_timestamp_utc(token.created_at_unix_us));
      if (token.expires_at_unix_us)
        insert.bind(6, sql_timestamp_utc(token.expires_at_unix_us));
      else
        insert.bind_null(6);
      insert.run();
    });
  }

  std::vector<TokenRecord> load_tokens() override {
    std::lock_guard lock(mutex_);
    const std::string sql = "SELECT id, token_sha256, role, description, " + unix_micros("created_at") + ", COALESCE(" +
                            unix_micros("expires_at") + ", 0), COALESCE(" + unix_micros("revoked_at") +
                            ", 0) FROM hub_tokens ORDER BY created_at, id";
    Statement rows(db_, sql.c_str());
    std::vector<TokenRecord> tokens;
    while (rows.next_row())
      tokens.push_back({rows.text(0), rows.text(1), rows.text(2), rows.text(3), rows.integer(4), rows.integer(5), rows.integer(6)});
    return tokens;
  }

  bool revoke_token(const std::string& id, int64_t at_unix_us) override {
    bool found = false;
    transaction([&] {
      Statement(db_, "UPDATE hub_tokens SET revoked_at = COALESCE(revoked_at, ?2) WHERE id = ?1")
          .bind(1, id)
          .bind(2, sql_timestamp_utc(at_unix_us))
          .run();
      found = sqlite3_changes(db_) > 0;
    });
    return found;
  }

  void save_audit(const std::vector<AuditEntry>& entries) override {
    transaction([&] {
      Statement& insert = statement(
          "INSERT INTO hub_audit (at, token_id, token_description, role, address, action, target, status, message) "
          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
      for (const AuditEntry& entry : entries)
        insert.bind(1, sql_timestamp_utc(entry.at_unix_us))
            .bind(2, entry.token_id)
            .bind(3, entry.token_description)
            .bind(4, entry.role)
            .bind(5, entry.address)
            .bind(6, entry.action)
            .bind(7, entry.target)
            .bind(8, static_cast<int64_t>(entry.status))
            .bind(9, entry.message)
            .run();
    });
  }

  std::vector<AuditEntry> load_audit(int64_t since_unix_us, size_t limit) override {
    std::lock_guard lock(mutex_);
    const std::string sql = "SELECT id, " + unix_micros("at") +
                            ", token_id, token_description, role, address, action, target, status, message FROM hub_audit "
                            "WHERE at >= ?1 ORDER BY id LIMIT ?2";
    Statement rows(db_, sql.c_str());
    rows.bind(1, sql_timestamp_utc(since_unix_us)).bind(2, static_cast<int64_t>(limit));
    std::vector<AuditEntry> entries;
    while (rows.next_row())
      entries.push_back({rows.integer(0), rows.integer(1), rows.text(2), rows.text(3), rows.text(4), rows.text(5), rows.text(6),
                         rows.text(7), static_cast<int>(rows.integer(8)), rows.text(9)});
    return entries;
  }

  void prune_audit(int64_t older_than_unix_us) override {
    transaction([&] { Statement(db_, "DELETE FROM hub_audit WHERE at < ?1").bind(1, sql_timestamp_utc(older_than_unix_us)).run(); });
  }

  void save_circuits(const std::vector<CircuitRecord>& circuits) override {
    transaction([&] {
      for (const CircuitRecord& circuit : circuits) {
        if (circuit.state == "CLOSED") {
          Statement(db_, "DELETE FROM hub_circuits WHERE service_name = ?1").bind(1, circuit.service).run();
          continue;
        }
        put(circuit);
      }
    });
  }

  // Inside a transaction: the circuit's row, replacing the service's.
  void put(const CircuitRecord& circuit) {
    Statement upsert(db_,
                     "INSERT INTO hub_circuits (service_name, state, opened_at, changed_at, set_by) VALUES (?1, ?2, ?3, ?4, ?5) "
                     "ON CONFLICT (service_name) DO UPDATE SET state = excluded.state, opened_at = excluded.opened_at, "
                     "changed_at = excluded.changed_at, set_by = excluded.set_by");
    upsert.bind(1, circuit.service).bind(2, circuit.state);
    if (circuit.opened_at_unix_us)
      upsert.bind(3, sql_timestamp_utc(circuit.opened_at_unix_us));
    else
      upsert.bind_null(3);
    upsert.bind(4, sql_timestamp_utc(circuit.changed_at_unix_us)).bind(5, circuit.set_by).run();
  }

  std::vector<CircuitRecord> load_circuits() override {
    std::lock_guard lock(mutex_);
    const std::string sql = "SELECT service_name, state, COALESCE(" + unix_micros("opened_at") + ", 0), " + unix_micros("changed_at") +
                            ", set_by FROM hub_circuits ORDER BY service_name";
    Statement rows(db_, sql.c_str());
    std::vector<CircuitRecord> circuits;
    while (rows.next_row()) circuits.push_back({rows.text(0), rows.text(1), rows.integer(2), rows.integer(3), rows.text(4)});
    return circuits;
  }

  void save_error_groups(const ErrorGroupChanges& changes) override {
    transaction([&] {
      Statement group(db_,
                      "INSERT INTO hub_error_groups (fingerprint, service_name, error_type, first_seen, last_seen, event_count, document) "
                      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (fingerprint) DO UPDATE SET service_name = excluded.service_name, "
                      "error_type = excluded.error_type, first_seen = excluded.first_seen, last_seen = excluded.last_seen, "
                      "event_count = excluded.event_count, document = excluded.document");
      for (const ErrorGroupRecord& record : changes.groups) {
        group.bind(1, record.fingerprint).bind(2, record.service).bind(3, record.type);
        group.bind(4, sql_timestamp_utc(record.first_seen_unix_us)).bind(5, sql_timestamp_utc(record.last_seen_unix_us));
        group.bind(6, static_cast<int64_t>(record.count)).bind(7, record.document).run();
      }
      Statement forget(db_, "DELETE FROM hub_error_groups WHERE fingerprint = ?1");
      for (const std::string& fingerprint : changes.forgotten) forget.bind(1, fingerprint).run();
      if (changes.forget_seen_before_unix_us)
        Statement(db_, "DELETE FROM hub_error_groups WHERE last_seen < ?1")
            .bind(1, sql_timestamp_utc(changes.forget_seen_before_unix_us))
            .run();
      Statement rate(db_,
                     "INSERT INTO hub_error_rates (service_name, document, updated_at) VALUES (?1, ?2, ?3) ON CONFLICT (service_name) "
                     "DO UPDATE SET document = excluded.document, updated_at = excluded.updated_at");
      for (const ErrorRateRecord& record : changes.rates)
        rate.bind(1, record.service).bind(2, record.document).bind(3, sql_timestamp_utc(record.updated_at_unix_us)).run();
    });
  }

  StoredErrorGroups load_error_groups() override {
    std::lock_guard lock(mutex_);
    StoredErrorGroups stored;
    const std::string groups_sql = "SELECT fingerprint, service_name, error_type, " + unix_micros("first_seen") + ", " +
                                   unix_micros("last_seen") + ", event_count, document FROM hub_error_groups ORDER BY fingerprint";
    Statement groups(db_, groups_sql.c_str());
    while (groups.next_row())
      stored.groups.push_back({groups.text(0), groups.text(1), groups.text(2), groups.integer(3), groups.integer(4),
                               static_cast<uint64_t>(groups.integer(5)), groups.text(6)});
    const std::string rates_sql =
        "SELECT service_name, document, " + unix_micros("updated_at") + " FROM hub_error_rates ORDER BY service_name";
    Statement rates(db_, rates_sql.c_str());
    while (rates.next_row()) stored.rates.push_back({rates.text(0), rates.text(1), rates.integer(2)});
    return stored;
  }

  void save_operation_timings(const std::vector<OperationTimingRecord>& timings) override {
    transaction([&] {
      Statement upsert(db_,
                       "INSERT INTO hub_operation_timings (service_name, operation, buckets, event_count, sum_ms, last_report) VALUES "
                       "(?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (service_name, operation) DO UPDATE SET buckets = excluded.buckets, "
                       "event_count = excluded.event_count, sum_ms = excluded.sum_ms, last_report = excluded.last_report");
      for (const OperationTimingRecord& timing : timings)
        upsert.bind(1, timing.service)
            .bind(2, timing.operation)
            .bind(3, timing.buckets)
            .bind(4, static_cast<int64_t>(timing.count))
            .bind(5, timing.sum_ms)
            .bind(6, sql_timestamp_utc(timing.last_report_unix_us))
            .run();
    });
  }

  std::vector<OperationTimingRecord> load_operation_timings() override {
    std::lock_guard lock(mutex_);
    const std::string sql = "SELECT service_name, operation, buckets, event_count, sum_ms, " + unix_micros("last_report") +
                            " FROM hub_operation_timings ORDER BY service_name, operation";
    Statement rows(db_, sql.c_str());
    std::vector<OperationTimingRecord> timings;
    while (rows.next_row())
      timings.push_back({rows.text(0), rows.text(1), rows.text(2), static_cast<uint64_t>(rows.integer(3)), rows.real(4), rows.integer(5)});
    return timings;
  }

  void save_rollout(const RolloutRecord& rollout) override {
    transaction([&] { put(rollout); });
  }

  // Inside a transaction: the rollout's row, replacing its earlier one.
  void put(const RolloutRecord& rollout) {
    Statement(db_,
              "INSERT INTO hub_rollouts (id, service_name, phase, document, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
              "ON CONFLICT (id) DO UPDATE SET phase = excluded.phase, document = excluded.document, updated_at = excluded.updated_at")
        .bind(1, rollout.id)
        .bind(2, rollout.service)
        .bind(3, rollout.phase)
        .bind(4, rollout.document)
        .bind(5, sql_timestamp_utc(rollout.created_at_unix_us))
        .bind(6, sql_timestamp_utc(rollout.updated_at_unix_us))
        .run();
  }

  std::vector<RolloutRecord> load_rollouts() override {
    std::lock_guard lock(mutex_);
    const std::string sql = "SELECT id, service_name, phase, document, " + unix_micros("created_at") + ", " + unix_micros("updated_at") +
                            " FROM hub_rollouts ORDER BY created_at, id";
    Statement rows(db_, sql.c_str());
    std::vector<RolloutRecord> rollouts;
    while (rows.next_row()) rollouts.push_back({rows.text(0), rows.text(1), rows.text(2), rows.text(3), rows.integer(4), rows.integer(5)});
    return rollouts;
  }

  void delete_rollouts(const std::vector<std::string>& ids) override {
    transaction([&] {
      for (const std::string& id : ids) Statement(db_, "DELETE FROM hub_rollouts WHERE id = ?1").bind(1, id).run();
    });
  }

  void save_backup_run(const BackupRun& run) override {
    transaction([&] {
      Statement(db_,
                "INSERT INTO hub_backup_runs (job, started_at, duration_ms, succeeded, exit_code, size_bytes, output, message) "
                "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")
          .bind(1, run.job)
          .bind(2, sql_timestamp_utc(run.started_at_unix_us))
          .bind(3, run.duration_ms)
          .bind(4, int64_t{run.succeeded})
          .bind(5, int64_t{run.exit_code})
          .bind(6, run.size_bytes)
          .bind(7, run.output)
          .bind(8, run.message)
          .run();
    });
  }

  std::vector<BackupRun> load_backup_runs(int per_job) override {
    std::lock_guard lock(mutex_);
    const std::string sql = "SELECT job, " + unix_micros("started_at") +
                            ", duration_ms, succeeded, exit_code, size_bytes, output, message FROM (SELECT *, ROW_NUMBER() OVER "
                            "(PARTITION BY job ORDER BY started_at DESC, id DESC) AS n FROM hub_backup_runs) WHERE n <= ?1 "
                            "ORDER BY job, started_at DESC, id DESC";
    Statement rows(db_, sql.c_str());
    rows.bind(1, int64_t{per_job});
    std::vector<BackupRun> runs;
    while (rows.next_row())
      runs.push_back({rows.text(0), rows.integer(1), rows.integer(2), rows.integer(3) != 0, static_cast<int>(rows.integer(4)),
                      rows.integer(5), rows.text(6), rows.text(7)});
    return runs;
  }

  // Under the connection's lock in one transaction: no write of the hub's lands in between.
  StoredState export_state() override {
    StoredState state;
    transaction([&] {
      state.instances = load_instances();
      state.config_versions = load_config_versions();
      state.config_changes = load_config_changes(std::numeric_limits<int>::max());
      state.rollouts = load_rollouts();
      state.circuits = load_circuits();
    });
    return state;
  }

  void import_state(const StoredState& state) override {
    transaction([&] {
      for (const char* table : {"service_registry", "service_configs", "config_changes", "hub_rollouts", "hub_circuits"})
        Statement(db_, ("DELETE FROM " + std::string(table)).c_str()).run();
      Write unused;
      for (const InstanceRecord& instance : state.instances) {
        store(instance, unused);
        if (instance.status != "healthy")
          store(StatusChange{instance.service_name, instance.instance_id, instance.status, instance.down_since_unix_us}, unused);
      }
      for (const ConfigVersion& version : state.config_versions)
        Statement(db_,
                  "INSERT INTO service_configs (service_name, config_data, version, active, created_by, created_at) VALUES (?1, ?2, ?3, "
                  "?4, ?5, ?6)")
            .bind(1, version.scope)
            .bind(2, version.content)
            .bind(3, version.version)
            .bind(4, int64_t{version.active})
            .bind(5, version.created_by)
            .bind(6, sql_timestamp_utc(version.created_at_unix_us))
            .run();
      for (const ConfigChange& change : state.config_changes)
        Statement(db_,
                  "INSERT INTO config_changes (revision, service_name, version, action, created_by, created_at) VALUES (?1, ?2, ?3, ?4, "
                  "?5, ?6)")
            .bind(1, change.revision)
            .bind(2, change.scope)
            .bind(3, change.version)
            .bind(4, change.action)
            .bind(5, change.created_by)
            .bind(6, sql_timestamp_utc(change.at_unix_us))
            .run();
      for (const RolloutRecord& rollout : state.rollouts) put(rollout);
      for (const CircuitRecord& circuit : state.circuits) put(circuit);
    });
  }

  std::vector<ConfigChange> load_config_changes(int per_scope) override {
    std::lock_guard lock(mutex_);
    const std::string sql =
        "SELECT revision, service_name, version, action, COALESCE(created_by, ''), COALESCE(" + unix_micros("created_at") +
        ", 0) FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY service_name ORDER BY revision DESC) AS newest FROM config_changes) "
        "WHERE newest <= ?1 ORDER BY revision";
    Statement rows(db_, sql.c_str());
    rows.bind(1, static_cast<int64_t>(per_scope));
    std::vector<ConfigChange> changes;
    while (rows.next_row())
      changes.push_back({rows.integer(0), rows.text(1), rows.integer(2), rows.text(3), rows.text(4), rows.integer(5)});
    return changes;
  }

  std::vector<InstanceRecord> load_instances() override {
    std::lock_guard lock(mutex_);
    const std::string sql =
        "SELECT service_name, instance_id, host, port, protocol, health_endpoint, COALESCE(version, ''), "
        "COALESCE(dependencies, '[]'), tags, COALESCE(metadata, '{}'), weight, status, " +
        unix_micros("last_heartbeat") + ", " + unix_micros("created_at") + ", COALESCE(" + unix_micros("down_since") +
        ", 0) FROM service_registry ORDER BY service_name, instance_id";
    Statement rows(db_, sql.c_str());
    std::vector<InstanceRecord> records;
    try {
      while (rows.next_row()) {
        InstanceRecord& record = records.emplace_back();
        record.service_name = rows.text(0);
        record.instance_id = rows.text(1);
        record.host = rows.text(2);
        record.port = static_cast<uint16_t>(rows.integer(3));
        record.protocol = rows.text(4);
        record.health_endpoint = rows.text(5);
        record.version = rows.text(6);
        record.dependencies = parse_json_string_array(rows.text(7));
        record.tags = parse_json_string_array(rows.text(8));
        record.metadata_json = rows.text(9);
        record.weight = static_cast<uint32_t>(rows.integer(10));
        record.status = rows.text(11);
        record.last_heartbeat_unix_us = rows.integer(12);
        record.registered_at_unix_us = rows.integer(13);
        record.down_since_unix_us = rows.integer(14);
      }
    } catch (const std::exception& error) {
      throw StorageError(describe() + ": cannot load service_registry: " + error.what());
    }
    return records;
  }

 private:
  void store(const InstanceRecord& record, Write&) {
    statement(
        "INSERT INTO service_registry (service_name, instance_id, status, last_heartbeat, version, host, port, dependencies, "
        "metadata, protocol, health_endpoint, weight, tags, down_since, created_at, updated_at) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, NULL, ?14, ?4) "
        "ON CONFLICT (service_name, instance_id) DO UPDATE SET status = excluded.status, "
        "last_heartbeat = excluded.last_heartbeat, version = excluded.version, host = excluded.host, port = excluded.port, "
        "dependencies = excluded.dependencies, metadata = excluded.metadata, protocol = excluded.protocol, "
        "health_endpoint = excluded.health_endpoint, weight = excluded.weight, tags = excluded.tags, down_since = NULL, "
        "updated_at = excluded.updated_at")
        .bind(1, record.service_name)
        .bind(2, record.instance_id)
        .bind(3, record.status)
        .bind(4, sql_timestamp_utc(record.last_heartbeat_unix_us))
        .bind(5, record.version)
        .bind(6, record.host)
        .bind(7, static_cast<int64_t>(record.port))
        .bind(8, json_string_array(record.dependencies))
        .bind(9, record.metadata_json)
        .bind(10, record.protocol)
        .bind(11, record.health_endpoint)
        .bind(12, static_cast<int64_t>(record.weight))
        .bind(13, json_string_array(record.tags))
        .bind(14, sql_timestamp_utc(record.registered_at_unix_us))
        .run();
  }

  void store(const InstanceRemoval& removal, Write&) {
    statement("DELETE FROM service_registry WHERE service_name = ?1 AND instance_id = ?2")
        .bind(1, removal.service_name)
        .bind(2, removal.instance_id)
        .run();
  }

  void store(const StatusChange& change, Write&) {
    Statement& update = statement(
        "UPDATE service_registry SET status = ?3, down_since = ?4, updated_at = CURRENT_TIMESTAMP WHERE service_name = ?1 AND "
        "instance_id = ?2");
    update.bind(1, change.service_name).bind(2, change.instance_id).bind(3, change.status);
    if (change.down_since_unix_us)
      update.bind(4, sql_timestamp_utc(change.down_since_unix_us));
    else
      update.bind_null(4);
    update.run();
  }

  // The previously active version and the new one by their key, not every retained version's row.
  void store(const ConfigWrite& config, Write& write) {
    const ConfigChange& change = config.change;
    statement("UPDATE service_configs SET active = 0 WHERE service_name = ?1 AND version = ?2")
        .bind(1, change.scope)
        .bind(2, config.previously_active)
        .run();
    if (const auto& added = config.added)
      statement(
          "INSERT INTO service_configs (service_name, config_data, version, active, created_by, created_at) VALUES (?1, ?2, ?3, 1, ?4, "
          "?5)")
          .bind(1, added->scope)
          .bind(2, added->content)
          .bind(3, added->version)
          .bind(4, added->created_by)
          .bind(5, sql_timestamp_utc(added->created_at_unix_us))
          .run();
    else
      statement("UPDATE service_configs SET active = 1 WHERE service_name = ?1 AND version = ?2")
          .bind(1, change.scope)
          .bind(2, change.version)
          .run();
    statement("DELETE FROM service_configs WHERE service_name = ?1 AND version <= ?2 AND NOT active")
        .bind(1, change.scope)
        .bind(2, config.prune_through)
        .run();
    statement("INSERT INTO config_changes (service_name, version, action, created_by, created_at) VALUES (?1, ?2, ?3, ?4, ?5)")
        .bind(1, change.scope)
        .bind(2, change.version)
        .bind(3, change.action)
        .bind(4, change.created_by)
        .bind(5, sql_timestamp_utc(change.at_unix_us))
        .run();
    write.revision = sqlite3_last_insert_rowid(db_);
  }

  // Prepared once per connection: parsing SQL was a third of a registration's cost.
  Statement& statement(const char* sql) {
    auto found = statements_.find(sql);
    if (found == statements_.end()) found = statements_.emplace(sql, std::make_unique<Statement>(db_, sql, true)).first;
    return *found->second;
  }

  std::string describe() const override { return "sqlite " + file_.string(); }

  void ensure_migrations_table() override {
    execute(
        "CREATE TABLE IF NOT EXISTS hub_schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
        "applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)");
  }

  std::optional<std::pair<int, std::string>> latest_migration() override {
    std::lock_guard lock(mutex_);
    sqlite3_stmt* statement = nullptr;
    sqlite3_prepare_v2(db_, "SELECT version, name FROM hub_schema_migrations ORDER BY version DESC LIMIT 1", -1, &statement, nullptr);
    std::optional<std::pair<int, std::string>> latest;
    if (sqlite3_step(statement) == SQLITE_ROW)
      latest.emplace(sqlite3_column_int(statement, 0), reinterpret_cast<const char*>(sqlite3_column_text(statement, 1)));
    sqlite3_finalize(statement);
    return latest;
  }

  bool apply(const Migration& migration) override {
    // IMMEDIATE takes the write lock first, so two hubs on one file cannot both apply it.
    execute("BEGIN IMMEDIATE");
    try {
      auto latest = latest_migration();
      if (latest && latest->first >= migration.version) {
        execute("ROLLBACK");
        return false;
      }
      execute(migration.sql.c_str());
      execute(
          ("INSERT INTO hub_schema_migrations (version, name) VALUES (" + std::to_string(migration.version) + ", '" + migration.name + "')")
              .c_str());
      execute("COMMIT");
      return true;
    } catch (const StorageError& error) {
      execute("ROLLBACK");
      throw StorageError(describe() + ": migration " + migration.name + " failed, nothing of it was applied: " + error.what());
    }
  }

  // Runs `body` inside BEGIN IMMEDIATE .. COMMIT; on any failure rolls back and throws StorageError.
  template <class Body>
  void transaction(Body body) {
    std::lock_guard lock(mutex_);
    if (checkpointer_) checkpointer_->catch_up();  // every writer, heartbeats too, keeps the WAL short
    statement("BEGIN IMMEDIATE").run();
    try {
      body();
      statement("COMMIT").run();
    } catch (const std::exception& error) {
      if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      const std::string what = error.what();
      throw StorageError(what.rfind("sqlite ", 0) == 0 ? what : describe() + ": " + what);
    }
  }

  void execute(const char* sql) {
    std::lock_guard lock(mutex_);
    char* error = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &error) != SQLITE_OK) {
      std::string message = error ? error : "unknown error";
      sqlite3_free(error);
      throw StorageError("sqlite " + file_.string() + ": " + sql + ": " + message);
    }
  }

  std::filesystem::path file_;
  sqlite3* db_ = nullptr;
  std::recursive_mutex mutex_;  // a transaction holds it throughout
  std::map<std::string, std::unique_ptr<Statement>, std::less<>> statements_;
  std::unique_ptr<SqliteCheckpointer> checkpointer_;
};

}  // namespace

std::unique_ptr<Storage> open_sqlite_storage(const std::filesystem::path& file, StorageSettings::SqliteSync synchronous) {
  return std::make_unique<SqliteStorage>(file, synchronous);
}

}  // namespace hub
