#include "storage.hpp"

#include <hub/errors.hpp>

#include "basics/json_text.hpp"

#include <pqxx/pqxx>

#include <libpq-fe.h>
#include <poll.h>
#include <unistd.h>

#include <limits>

#include <cctype>
#include <chrono>
#include <cmath>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <variant>

namespace hub {

namespace {

class PostgresStorage final : public Storage, private MigrationTarget {
 public:
  explicit PostgresStorage(const PostgresSettings& settings) : settings_(settings) {
    try {
      connect();
    } catch (const std::exception& error) {
      throw StorageError(describe() + ": cannot connect: " + first_line(error.what()));
    }
  }

  std::string backend() const override { return "postgres"; }

  ComponentStatus check() override {
    std::lock_guard lock(mutex_);
    const auto started = std::chrono::steady_clock::now();
    try {
      if (!connection_ || !connection_->is_open()) connect();
      pqxx::nontransaction query(*connection_);
      query.exec("SELECT 1");
    } catch (const std::exception& error) {
      connection_.reset();  // reconnect on the next check
      return {"down", location() + ": " + first_line(error.what()), 0};
    }
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    return {"healthy", location(), ms};
  }

  // The group is tried whole first: a savepoint is two more round trips per write. Only when a
  // write failed is it all rolled back and stored again, each write in a savepoint of its own.
  void save_writes(std::vector<Write>& writes) override {
    bool refused = false;
    try {
      write([&](pqxx::work& tx) {
        begin_feed(tx);
        for (Write& write : writes) {
          write.outcome = {};  // a transaction run again after a reconnect starts over
          try {
            std::visit([&](const auto& change) { store(tx, change, write); }, write.change);
          } catch (const pqxx::sql_error&) {
            refused = true;
            throw;
          }
        }
        tx.exec("NOTIFY hub_changes");
      });
      return;
    } catch (const StorageError&) {
      if (!refused) throw;
    }
    write([&](pqxx::work& tx) {
      begin_feed(tx);
      // Savepoints by hand: libpqxx 6's subtransaction left the transaction aborted after a failed
      // write, and a COMMIT of an aborted transaction rolls back without an error.
      for (Write& write : writes) {
        write.outcome = {};
        tx.exec("SAVEPOINT one_write");
        try {
          std::visit([&](const auto& change) { store(tx, change, write); }, write.change);
        } catch (const pqxx::sql_error& error) {
          tx.exec("ROLLBACK TO SAVEPOINT one_write");
          write.outcome = write_refused(first_line(error.what()));
        }
        tx.exec("RELEASE SAVEPOINT one_write");
      }
      tx.exec("NOTIFY hub_changes");
    });
  }

  // Every hub's writing transactions take this lock first and hold it to their commit: revisions
  // (the feed's and config_changes') are then allocated in commit order, so a reader that has
  // seen revision N has seen every change before it.
  static void begin_feed(pqxx::transaction_base& tx) { tx.exec("SELECT pg_advisory_xact_lock(" + std::to_string(kFeedLock) + ")"); }
  void record_feed(pqxx::transaction_base& tx, const char* kind, const std::string& service, const std::string& instance_id) {
    tx.exec_prepared("record_feed_change", hub_id_, kind, service, instance_id);
  }

  // One statement per batch rather than per row: 100,000 instances beating every 30 s are 3,300
  // rows a second, and a round trip each held the group commit's connection for most of a second.
  void save_heartbeats(const std::vector<HeartbeatMark>& marks, const std::vector<MetricSample>& samples) override {
    write([&](pqxx::work& tx) {
      for (size_t from = 0; from < marks.size(); from += kBatchRows) {
        const size_t to = std::min(marks.size(), from + kBatchRows);
        std::vector<std::string> services, instances, ats;
        for (size_t i = from; i < to; ++i) {
          services.push_back(marks[i].service_name);
          instances.push_back(marks[i].instance_id);
          ats.push_back(std::to_string(marks[i].last_heartbeat_unix_us));
        }
        tx.exec_params("UPDATE service_registry r SET last_heartbeat = " + timestamp("v.at") +
                           " FROM unnest($1::text[], $2::text[], $3::bigint[]) AS v(service, instance, at) "
                           "WHERE r.service_name = v.service AND r.instance_id = v.instance",
                       array_literal(services), array_literal(instances), array_literal(ats, false));
      }
      for (size_t from = 0; from < samples.size(); from += kBatchRows) {
        const size_t to = std::min(samples.size(), from + kBatchRows);
        std::vector<std::string> services, types, values, statuses, ats;
        for (size_t i = from; i < to; ++i) {
          services.push_back(samples[i].service_name);
          types.push_back(samples[i].metric_type);
          values.push_back(exact_number(samples[i].value));
          statuses.push_back(samples[i].status);
          ats.push_back(std::to_string(samples[i].unix_us));
        }
        tx.exec_params(
            "INSERT INTO health_metrics (service_name, metric_type, metric_value, status, timestamp) SELECT service, kind, "
            "value, status, " +
                timestamp("at") +
                " FROM unnest($1::text[], $2::text[], $3::float8[], $4::text[], $5::bigint[]) AS v(service, kind, value, "
                "status, at)",
            array_literal(services), array_literal(types), array_literal(values, false), array_literal(statuses),
            array_literal(ats, false));
      }
    });
  }

  static constexpr size_t kBatchRows = 5000;

  // A PostgreSQL array literal: {"a","b"}, each text element quoted and escaped; numbers as they are.
  static std::string array_literal(const std::vector<std::string>& elements, bool quoted = true) {
    std::string literal = "{";
    for (const std::string& element : elements) {
      if (literal.size() > 1) literal += ',';
      if (!quoted) {
        literal += element;
        continue;
      }
      literal += '"';
      for (const char c : element) {
        if (c == '"' || c == '\\') literal += '\\';
        literal += c;
      }
      literal += '"';
    }
    return literal + "}";
  }

  static std::string exact_number(double value) {
    if (!std::isfinite(value)) return "NaN";
    char text[32];
    std::snprintf(text, sizeof text, "%.17g", value);
    return text;
  }

  void save_health_rows(const std::vector<HealthRow>& rows) override {
    write([&](pqxx::work& tx) {
      for (const HealthRow& row : rows) {
        if (row.infrastructure)
          tx.exec_params(
              "INSERT INTO infrastructure_status (component_name, status, response_time_ms, error_message, checked_at) "
              "VALUES ($1, $2, $3, NULLIF($4, ''), " +
                  timestamp("$5") + ")",
              row.name, row.status, row.latency_ms, row.status == "healthy" ? std::string() : row.message, row.unix_us);
        else
          tx.exec_params(
              "INSERT INTO health_metrics (service_name, metric_type, metric_value, status, timestamp) "
              "VALUES ($1, 'health_check', $2, $3, " +
                  timestamp("$4") + ")",
              row.name, row.latency_ms, row.status, row.unix_us);
      }
    });
  }

  void prune_health_rows(int64_t older_than_unix_us) override {
    write([&](pqxx::work& tx) {
      tx.exec_params("DELETE FROM infrastructure_status WHERE checked_at < " + timestamp("$1"), older_than_unix_us);
      tx.exec_params("DELETE FROM health_metrics WHERE timestamp < " + timestamp("$1"), older_than_unix_us);
    });
  }

  std::vector<UptimeCount> load_uptime(int64_t since_unix_us) override {
    std::vector<UptimeCount> counts;
    write([&](pqxx::work& tx) {
      counts.clear();
      const pqxx::result rows = tx.exec_params(
          "SELECT service_name, COUNT(*), COUNT(CASE WHEN status = 'healthy' THEN 1 END) FROM health_metrics WHERE timestamp > " +
              timestamp("$1") + " AND status IS NOT NULL GROUP BY service_name ORDER BY service_name",
          since_unix_us);
      for (const auto& row : rows) counts.push_back({row[0].as<std::string>(), row[1].as<int64_t>(), row[2].as<int64_t>()});
    });
    return counts;
  }

  std::vector<HealthBucket> load_health_trend(bool infrastructure, const std::string& name, int64_t since_unix_us,
                                              int bucket_seconds) override {
    const std::string table = infrastructure ? "infrastructure_status" : "health_metrics";
    const std::string name_column = infrastructure ? "component_name" : "service_name";
    const std::string at = infrastructure ? "checked_at" : "timestamp";
    const std::string latency = infrastructure ? "response_time_ms" : "metric_value";
    const std::string checks_only = infrastructure ? "" : " AND metric_type = 'health_check'";  // not heartbeats' samples
    std::vector<HealthBucket> buckets;
    write([&](pqxx::work& tx) {
      buckets.clear();
      const pqxx::result rows = tx.exec_params(
          "SELECT " + name_column + ", (floor(extract(epoch FROM " + at + ") / $3) * $3)::bigint AS bucket, COUNT(*), " +
              "COUNT(CASE WHEN status = 'healthy' THEN 1 END), AVG(COALESCE(" + latency + ", 0))::float8, MAX(COALESCE(" + latency +
              ", 0))::float8 FROM " + table + " WHERE " + at + " > " + timestamp("$1") + " AND status IS NOT NULL" + checks_only +
              " AND ($2 = '' OR " + name_column + " = $2) GROUP BY 1, 2 ORDER BY 1, 2",
          since_unix_us, name, bucket_seconds);
      for (const auto& row : rows)
        buckets.push_back({row[0].as<std::string>(), row[1].as<int64_t>() * 1'000'000, row[2].as<int64_t>(), row[3].as<int64_t>(),
                           row[4].as<double>(), row[5].as<double>()});
    });
    return buckets;
  }

  std::vector<InstanceRecord> load_instances() override {
    std::vector<InstanceRecord> records;
    write([&](pqxx::work& tx) { records = read_instances(tx); });
    return records;
  }

  static std::string instance_columns() {
    return "SELECT service_name, instance_id, COALESCE(host, ''), COALESCE(port, 0), protocol, health_endpoint, COALESCE(version, ''), "
           "COALESCE(dependencies, '[]')::text, tags::text, COALESCE(metadata, '{}')::text, weight, status, " +
           micros("last_heartbeat") + ", COALESCE(" + micros("created_at") + ", 0), COALESCE(" + micros("down_since") +
           ", 0) FROM service_registry";
  }

  static InstanceRecord instance_of(const pqxx::row& row) {
    InstanceRecord record;
    record.service_name = row[0].as<std::string>();
    record.instance_id = row[1].as<std::string>();
    record.host = row[2].as<std::string>();
    record.port = static_cast<uint16_t>(row[3].as<int>());
    record.protocol = row[4].as<std::string>();
    record.health_endpoint = row[5].as<std::string>();
    record.version = row[6].as<std::string>();
    record.dependencies = parse_json_string_array(row[7].as<std::string>());
    record.tags = parse_json_string_array(row[8].as<std::string>());
    record.metadata_json = row[9].as<std::string>();
    record.weight = static_cast<uint32_t>(row[10].as<long long>());
    record.status = row[11].as<std::string>();
    record.last_heartbeat_unix_us = row[12].as<long long>();
    record.registered_at_unix_us = row[13].as<long long>();
    record.down_since_unix_us = row[14].as<long long>();
    return record;
  }

  std::vector<InstanceRecord> read_instances(pqxx::transaction_base& tx) {
    std::vector<InstanceRecord> records;
    for (const auto& row : tx.exec(instance_columns() + " ORDER BY service_name, instance_id")) records.push_back(instance_of(row));
    return records;
  }

  std::vector<ConfigVersion> load_config_versions() override {
    std::vector<ConfigVersion> versions;
    write([&](pqxx::work& tx) { versions = read_config_versions(tx); });
    return versions;
  }

  std::vector<ConfigVersion> read_config_versions(pqxx::transaction_base& tx) {
    std::vector<ConfigVersion> versions;
    const pqxx::result rows =
        tx.exec("SELECT service_name, version, config_data::text, COALESCE(created_by, ''), COALESCE(" + micros("created_at") +
                ", 0), COALESCE(active, FALSE) FROM service_configs ORDER BY service_name, version");
    for (const auto& row : rows)
      versions.push_back({row[0].as<std::string>(), row[1].as<long long>(), row[2].as<std::string>(), row[3].as<std::string>(),
                          row[4].as<long long>(), row[5].as<bool>()});
    return versions;
  }

  std::vector<ConfigChange> load_config_changes(int per_scope) override {
    std::vector<ConfigChange> changes;
    write([&](pqxx::work& tx) { changes = read_config_changes(tx, per_scope); });
    return changes;
  }

  std::vector<ConfigChange> read_config_changes(pqxx::transaction_base& tx, int per_scope) {
    std::vector<ConfigChange> changes;
    const pqxx::result rows = tx.exec_params(
        "SELECT revision, service_name, version, action, COALESCE(created_by, ''), COALESCE(" + micros("created_at") +
            ", 0) FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY service_name ORDER BY revision DESC) AS newest FROM config_changes) "
            "AS ranked WHERE newest <= $1 ORDER BY revision",
        per_scope);
    for (const auto& row : rows)
      changes.push_back({row[0].as<long long>(), row[1].as<std::string>(), row[2].as<long long>(), row[3].as<std::string>(),
                         row[4].as<std::string>(), row[5].as<long long>()});
    return changes;
  }

  void save_token(const TokenRecord& token) override {
    write([&](pqxx::work& tx) {
      tx.exec_params("INSERT INTO hub_tokens (id, token_sha256, role, description, created_at, expires_at) VALUES ($1, $2, $3, $4, " +
                         timestamp("$5") + ", CASE WHEN $6::bigint = 0 THEN NULL ELSE " + timestamp("$6") + " END)",
                     token.id, token.sha256, token.role, token.description, token.created_at_unix_us, token.expires_at_unix_us);
    });
  }

  std::vector<TokenRecord> load_tokens() override {
    std::vector<TokenRecord> tokens;
    write([&](pqxx::work& tx) {
      tokens.clear();
      const pqxx::result rows =
          tx.exec("SELECT id, token_sha256, role, description, " + micros("created_at") + ", COALESCE(" + micros("expires_at") +
                  ", 0), COALESCE(" + micros("revoked_at") + ", 0) FROM hub_tokens ORDER BY created_at, id");
      for (const auto& row : rows)
        tokens.push_back({row[0].as<std::string>(), row[1].as<std::string>(), row[2].as<std::string>(), row[3].as<std::string>(),
                          row[4].as<long long>(), row[5].as<long long>(), row[6].as<long long>()});
    });
    return tokens;
  }

  bool revoke_token(const std::string& id, int64_t at_unix_us) override {
    bool found = false;
    write([&](pqxx::work& tx) {
      const pqxx::result done =
          tx.exec_params("UPDATE hub_tokens SET revoked_at = COALESCE(revoked_at, " + timestamp("$2") + ") WHERE id = $1", id, at_unix_us);
      found = done.affected_rows() > 0;
    });
    return found;
  }

  // One statement of many rows: a statement per row would be a round trip per row, on the
  // connection the group commit waits for.
  void save_audit(const std::vector<AuditEntry>& entries) override {
    if (entries.empty()) return;
    write_aside([&](pqxx::work& tx) {
      std::string sql = "INSERT INTO hub_audit (at, token_id, token_description, role, address, action, target, status, message) VALUES ";
      for (size_t i = 0; i < entries.size(); ++i) {
        const AuditEntry& entry = entries[i];
        sql += (i ? ", (" : "(") + timestamp(std::to_string(entry.at_unix_us)) + ", " + tx.quote(entry.token_id) + ", " +
               tx.quote(entry.token_description) + ", " + tx.quote(entry.role) + ", " + tx.quote(entry.address) + ", " +
               tx.quote(entry.action) + ", " + tx.quote(entry.target) + ", " + std::to_string(entry.status) + ", " +
               tx.quote(entry.message) + ")";
      }
      tx.exec(sql);
    });
  }

  std::vector<AuditEntry> load_audit(int64_t since_unix_us, size_t limit) override {
    std::vector<AuditEntry> entries;
    write_aside([&](pqxx::work& tx) {
      entries.clear();
      const pqxx::result rows = tx.exec_params("SELECT id, " + micros("at") +
                                                   ", token_id, token_description, role, address, action, target, status, message "
                                                   "FROM hub_audit WHERE at >= " +
                                                   timestamp("$1") + " ORDER BY id LIMIT $2",
                                               since_unix_us, static_cast<long long>(limit));
      for (const auto& row : rows)
        entries.push_back({row[0].as<long long>(), row[1].as<long long>(), row[2].as<std::string>(), row[3].as<std::string>(),
                           row[4].as<std::string>(), row[5].as<std::string>(), row[6].as<std::string>(), row[7].as<std::string>(),
                           row[8].as<int>(), row[9].as<std::string>()});
    });
    return entries;
  }

  void prune_audit(int64_t older_than_unix_us) override {
    write_aside([&](pqxx::work& tx) { tx.exec_params("DELETE FROM hub_audit WHERE at < " + timestamp("$1"), older_than_unix_us); });
  }

  void save_circuits(const std::vector<CircuitRecord>& circuits) override {
    write([&](pqxx::work& tx) {
      for (const CircuitRecord& circuit : circuits) {
        if (circuit.state == "CLOSED") {
          tx.exec_params("DELETE FROM hub_circuits WHERE service_name = $1", circuit.service);
          continue;
        }
        put(tx, circuit);
      }
    });
  }

  // The circuit's row, replacing the service's.
  static void put(pqxx::transaction_base& tx, const CircuitRecord& circuit) {
    tx.exec_params(
        "INSERT INTO hub_circuits (service_name, state, opened_at, changed_at, set_by) VALUES ($1, $2, CASE WHEN "
        "$3::bigint = 0 THEN NULL ELSE " +
            timestamp("$3") + " END, " + timestamp("$4") +
            ", $5) ON CONFLICT (service_name) DO UPDATE SET state = excluded.state, opened_at = excluded.opened_at, "
            "changed_at = excluded.changed_at, set_by = excluded.set_by",
        circuit.service, circuit.state, circuit.opened_at_unix_us, circuit.changed_at_unix_us, circuit.set_by);
  }

  std::vector<CircuitRecord> load_circuits() override {
    std::vector<CircuitRecord> circuits;
    write([&](pqxx::work& tx) { circuits = read_circuits(tx); });
    return circuits;
  }

  std::vector<CircuitRecord> read_circuits(pqxx::transaction_base& tx) {
    std::vector<CircuitRecord> circuits;
    const pqxx::result rows = tx.exec("SELECT service_name, state, COALESCE(" + micros("opened_at") + ", 0), " + micros("changed_at") +
                                      ", set_by FROM hub_circuits ORDER BY service_name");
    for (const auto& row : rows)
      circuits.push_back(
          {row[0].as<std::string>(), row[1].as<std::string>(), row[2].as<long long>(), row[3].as<long long>(), row[4].as<std::string>()});
    return circuits;
  }

  void save_error_groups(const ErrorGroupChanges& changes) override {
    write_aside([&](pqxx::work& tx) {
      for (const ErrorGroupRecord& record : changes.groups)
        tx.exec_params(
            "INSERT INTO hub_error_groups (fingerprint, service_name, error_type, first_seen, last_seen, event_count, document) "
            "VALUES ($1, $2, $3, " +
                timestamp("$4") + ", " + timestamp("$5") +
                ", $6, $7) ON CONFLICT (fingerprint) DO UPDATE SET service_name = excluded.service_name, error_type = "
                "excluded.error_type, first_seen = excluded.first_seen, last_seen = excluded.last_seen, event_count = "
                "excluded.event_count, document = excluded.document",
            record.fingerprint, record.service, record.type, record.first_seen_unix_us, record.last_seen_unix_us,
            static_cast<long long>(record.count), record.document);
      for (const std::string& fingerprint : changes.forgotten)
        tx.exec_params("DELETE FROM hub_error_groups WHERE fingerprint = $1", fingerprint);
      if (changes.forget_seen_before_unix_us)
        tx.exec_params("DELETE FROM hub_error_groups WHERE last_seen < " + timestamp("$1"), changes.forget_seen_before_unix_us);
      for (const ErrorRateRecord& record : changes.rates)
        tx.exec_params("INSERT INTO hub_error_rates (service_name, document, updated_at) VALUES ($1, $2, " + timestamp("$3") +
                           ") ON CONFLICT (service_name) DO UPDATE SET document = excluded.document, updated_at = excluded.updated_at",
                       record.service, record.document, record.updated_at_unix_us);
    });
  }

  StoredErrorGroups load_error_groups() override {
    StoredErrorGroups stored;
    write([&](pqxx::work& tx) {
      for (const auto& row : tx.exec("SELECT fingerprint, service_name, error_type, " + micros("first_seen") + ", " + micros("last_seen") +
                                     ", event_count, document FROM hub_error_groups ORDER BY fingerprint"))
        stored.groups.push_back({row[0].as<std::string>(), row[1].as<std::string>(), row[2].as<std::string>(), row[3].as<long long>(),
                                 row[4].as<long long>(), static_cast<uint64_t>(row[5].as<long long>()), row[6].as<std::string>()});
      for (const auto& row :
           tx.exec("SELECT service_name, document, " + micros("updated_at") + " FROM hub_error_rates ORDER BY service_name"))
        stored.rates.push_back({row[0].as<std::string>(), row[1].as<std::string>(), row[2].as<long long>()});
    });
    return stored;
  }

  void save_operation_timings(const std::vector<OperationTimingRecord>& timings) override {
    write_aside([&](pqxx::work& tx) {
      for (const OperationTimingRecord& timing : timings)
        tx.exec_params(
            "INSERT INTO hub_operation_timings (service_name, operation, buckets, event_count, sum_ms, last_report) VALUES "
            "($1, $2, $3, $4, $5, " +
                timestamp("$6") +
                ") ON CONFLICT (service_name, operation) DO UPDATE SET buckets = excluded.buckets, event_count = "
                "excluded.event_count, sum_ms = excluded.sum_ms, last_report = excluded.last_report",
            timing.service, timing.operation, timing.buckets, static_cast<long long>(timing.count), timing.sum_ms,
            timing.last_report_unix_us);
    });
  }

  std::vector<OperationTimingRecord> load_operation_timings() override {
    std::vector<OperationTimingRecord> timings;
    write([&](pqxx::work& tx) {
      for (const auto& row : tx.exec("SELECT service_name, operation, buckets, event_count, sum_ms, " + micros("last_report") +
                                     " FROM hub_operation_timings ORDER BY service_name, operation"))
        timings.push_back({row[0].as<std::string>(), row[1].as<std::string>(), row[2].as<std::string>(),
                           static_cast<uint64_t>(row[3].as<long long>()), row[4].as<double>(), row[5].as<long long>()});
    });
    return timings;
  }

  bool has_change_feed() const override { return true; }
  std::string hub_id() const override { return hub_id_; }

  int64_t latest_change() override {
    int64_t latest = 0;
    write([&](pqxx::work& tx) { latest = tx.exec1("SELECT COALESCE(MAX(revision), 0) FROM hub_changes")[0].as<long long>(); });
    return latest;
  }

  int64_t oldest_change() override {
    int64_t oldest = 0;
    write([&](pqxx::work& tx) { oldest = tx.exec1("SELECT COALESCE(MIN(revision), 0) FROM hub_changes")[0].as<long long>(); });
    return oldest;
  }

  std::vector<FeedChange> changes_after(int64_t revision, size_t limit) override {
    std::vector<FeedChange> changes;
    write_aside([&](pqxx::work& tx) {
      changes.clear();
      for (const auto& row : tx.exec_params("SELECT revision, hub_id, kind, service_name, instance_id FROM hub_changes WHERE revision > $1 "
                                            "ORDER BY revision LIMIT $2",
                                            static_cast<long long>(revision), static_cast<long long>(limit)))
        changes.push_back({row[0].as<long long>(), row[1].as<std::string>(), row[2].as<std::string>(), row[3].as<std::string>(),
                           row[4].as<std::string>()});
    });
    return changes;
  }

  std::optional<InstanceRecord> load_instance(const std::string& service, const std::string& instance_id) override {
    std::optional<InstanceRecord> found;
    write_aside([&](pqxx::work& tx) {
      found.reset();
      const pqxx::result rows = tx.exec_params(instance_columns() + " WHERE service_name = $1 AND instance_id = $2", service, instance_id);
      if (!rows.empty()) found = instance_of(rows[0]);
    });
    return found;
  }

  void prune_changes(int64_t older_than_unix_us) override {
    write_aside([&](pqxx::work& tx) { tx.exec_params("DELETE FROM hub_changes WHERE at < " + timestamp("$1"), older_than_unix_us); });
  }

  // A session advisory lock on a connection of its own (libpq itself, as the listener): PostgreSQL
  // lets it go when the connection does, so a hub that dies gives its leases up as soon as its
  // socket closes. Held by another hub: false. Storage away: StorageError, as any step that needs it.
  bool hold_lease(const std::string& name) override {
    std::lock_guard lock(lease_mutex_);
    if (!leaser_ || PQstatus(leaser_.get()) != CONNECTION_OK) {
      leases_.clear();  // the old connection's locks went with it
      // Named after this hub, so any hub can tell who holds a lease (lease_holder).
      leaser_.reset(PQconnectdb((settings_.connection_string() + " application_name=" + "'" + hub_id_ + "'").c_str()));
      if (PQstatus(leaser_.get()) != CONNECTION_OK) {
        const std::string why = leaser_ ? PQerrorMessage(leaser_.get()) : "out of memory";
        leaser_.reset();
        throw StorageError(describe() + ": leases: " + first_line(why));
      }
    }
    const std::string sql = leases_.count(name) ? "SELECT TRUE" : "SELECT pg_try_advisory_lock(" + std::to_string(lease_key(name)) + ")";
    PGresult* result = PQexec(leaser_.get(), sql.c_str());
    const bool answered = PQresultStatus(result) == PGRES_TUPLES_OK && PQntuples(result) == 1;
    const bool held = answered && std::string(PQgetvalue(result, 0, 0)) == "t";
    PQclear(result);
    if (!answered) {
      const std::string why = PQerrorMessage(leaser_.get());
      leaser_.reset();
      leases_.clear();
      throw StorageError(describe() + ": leases: " + first_line(why));
    }
    if (held) leases_.insert(name);
    return held;
  }

  std::vector<HeartbeatMark> load_heartbeats(int64_t since_unix_us) override {
    std::vector<HeartbeatMark> marks;
    write_aside([&](pqxx::work& tx) {
      marks.clear();
      for (const auto& row : tx.exec_params("SELECT service_name, instance_id, " + micros("last_heartbeat") +
                                                " FROM service_registry WHERE last_heartbeat >= " + timestamp("$1"),
                                            static_cast<long long>(since_unix_us)))
        marks.push_back({row[0].as<std::string>(), row[1].as<std::string>(), row[2].as<long long>()});
    });
    return marks;
  }

  std::vector<MemberRecord> beat_member(const MemberRecord& self, std::chrono::seconds alive_within) override {
    std::vector<MemberRecord> members;
    write_aside([&](pqxx::work& tx) {
      members.clear();
      tx.exec_params(
          "INSERT INTO hub_members (hub_id, address, version, started_at, beat_at, applied_revision) VALUES ($1, $2, $3, "
          "to_timestamp($4::bigint / 1e6), now(), $5) ON CONFLICT (hub_id) DO UPDATE SET address = excluded.address, beat_at = now(), "
          "applied_revision = excluded.applied_revision",
          hub_id_, self.address, self.version, static_cast<long long>(self.started_at_unix_us),
          static_cast<long long>(self.applied_revision));
      tx.exec("DELETE FROM hub_members WHERE beat_at < now() - interval '1 hour'");
      for (const auto& row : tx.exec_params("SELECT hub_id, address, version, (EXTRACT(EPOCH FROM started_at) * 1e6)::bigint, "
                                            "applied_revision, EXTRACT(EPOCH FROM now() - beat_at)::float8 FROM hub_members "
                                            "WHERE beat_at >= now() - make_interval(secs => $1) ORDER BY hub_id",
                                            static_cast<double>(alive_within.count())))
        members.push_back({row[0].as<std::string>(), row[1].as<std::string>(), row[2].as<std::string>(), row[3].as<long long>(),
                           row[4].as<long long>(), row[5].as<double>()});
    });
    return members;
  }

  bool claim_alert(const std::string& key) override {
    bool claimed = false;
    write_aside([&](pqxx::work& tx) {
      claimed = !tx.exec_params("INSERT INTO hub_alert_claims (alert_key, hub_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1",
                                key.substr(0, 700), hub_id_)
                     .empty();
      if (claimed && ++claims_ % 1000 == 1) tx.exec("DELETE FROM hub_alert_claims WHERE claimed_at < now() - interval '1 day'");
    });
    return claimed;
  }

  void leave_members() override {
    write_aside([&](pqxx::work& tx) { tx.exec_params("DELETE FROM hub_members WHERE hub_id = $1", hub_id_); });
  }

  std::string lease_holder(const std::string& name) override {
    const auto key = static_cast<uint64_t>(lease_key(name));
    std::string holder;
    write_aside([&](pqxx::work& tx) {
      const pqxx::result rows = tx.exec_params(
          "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND "
          "l.granted AND l.objsubid = 1 AND l.classid = oid($1::bigint) AND l.objid = oid($2::bigint) AND l.database = "
          "(SELECT oid FROM pg_database WHERE datname = current_database())",
          static_cast<long long>(key >> 32), static_cast<long long>(key & 0xffffffffULL));
      holder = rows.empty() ? "" : rows[0][0].as<std::string>();
    });
    return holder;
  }

  // FNV-1a of the lease's name, in the key space advisory locks share: stable across processes.
  static long long lease_key(const std::string& name) {
    uint64_t hash = 1469598103934665603ULL;
    for (const char c : "hub-lease:" + name) hash = (hash ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
    return static_cast<long long>(hash);
  }

  // LISTEN on a connection of its own, through libpq itself: a notification only wakes the reader,
  // which reads the feed. (libpqxx 6's notification receiver leaked a result when the server
  // ended its connection.)
  bool wait_for_change(std::chrono::milliseconds wait) override {
    std::lock_guard lock(listen_mutex_);
    if (!listener_ || PQstatus(listener_.get()) != CONNECTION_OK) {
      listener_.reset(PQconnectdb(settings_.connection_string().c_str()));
      const bool listening = PQstatus(listener_.get()) == CONNECTION_OK && exec_ok(listener_.get(), "LISTEN hub_changes");
      if (!listening) {
        const std::string why = listener_ ? PQerrorMessage(listener_.get()) : "out of memory";
        listener_.reset();
        throw StorageError(describe() + ": the change feed's listener: " + first_line(why));
      }
    }
    if (take_notifications()) return true;
    pollfd socket{PQsocket(listener_.get()), POLLIN, 0};
    if (poll(&socket, 1, static_cast<int>(wait.count())) <= 0) return false;
    if (!PQconsumeInput(listener_.get())) {
      const std::string why = PQerrorMessage(listener_.get());
      listener_.reset();
      throw StorageError(describe() + ": the change feed's listener: " + first_line(why));
    }
    return take_notifications();
  }

  bool take_notifications() {
    bool any = false;
    while (PGnotify* notification = PQnotifies(listener_.get())) {
      PQfreemem(notification);
      any = true;
    }
    return any;
  }

  static bool exec_ok(PGconn* connection, const char* sql) {
    PGresult* result = PQexec(connection, sql);
    const bool ok = PQresultStatus(result) == PGRES_COMMAND_OK;
    PQclear(result);
    return ok;
  }

  void save_rollout(const RolloutRecord& rollout) override {
    write([&](pqxx::work& tx) { put(tx, rollout); });
  }

  // The rollout's row, replacing its earlier one.
  static void put(pqxx::transaction_base& tx, const RolloutRecord& rollout) {
    tx.exec_params("INSERT INTO hub_rollouts (id, service_name, phase, document, created_at, updated_at) VALUES ($1, $2, $3, $4, " +
                       timestamp("$5") + ", " + timestamp("$6") +
                       ") ON CONFLICT (id) DO UPDATE SET phase = excluded.phase, document = excluded.document, updated_at = "
                       "excluded.updated_at",
                   rollout.id, rollout.service, rollout.phase, rollout.document, rollout.created_at_unix_us, rollout.updated_at_unix_us);
  }

  std::vector<RolloutRecord> load_rollouts() override {
    std::vector<RolloutRecord> rollouts;
    write([&](pqxx::work& tx) { rollouts = read_rollouts(tx); });
    return rollouts;
  }

  std::vector<RolloutRecord> read_rollouts(pqxx::transaction_base& tx) {
    std::vector<RolloutRecord> rollouts;
    for (const auto& row : tx.exec("SELECT id, service_name, phase, document, " + micros("created_at") + ", " + micros("updated_at") +
                                   " FROM hub_rollouts ORDER BY created_at, id"))
      rollouts.push_back({row[0].as<std::string>(), row[1].as<std::string>(), row[2].as<std::string>(), row[3].as<std::string>(),
                          row[4].as<long long>(), row[5].as<long long>()});
    return rollouts;
  }

  void delete_rollouts(const std::vector<std::string>& ids) override {
    write([&](pqxx::work& tx) {
      for (const std::string& id : ids) tx.exec_params("DELETE FROM hub_rollouts WHERE id = $1", id);
    });
  }

  void save_backup_run(const BackupRun& run) override {
    write([&](pqxx::work& tx) {
      tx.exec_params(
          "INSERT INTO hub_backup_runs (job, started_at, duration_ms, succeeded, exit_code, size_bytes, output, message) "
          "VALUES ($1, " +
              timestamp("$2") + ", $3, $4, $5, $6, $7, $8)",
          run.job, run.started_at_unix_us, run.duration_ms, run.succeeded, run.exit_code, run.size_bytes, run.output, run.message);
    });
  }

  std::vector<BackupRun> load_backup_runs(int per_job) override {
    std::vector<BackupRun> runs;
    write([&](pqxx::work& tx) {
      runs.clear();
      for (const auto& row : tx.exec_params("SELECT job, " + micros("started_at") +
                                                ", duration_ms, succeeded, exit_code, size_bytes, output, message FROM (SELECT *, "
                                                "ROW_NUMBER() OVER (PARTITION BY job ORDER BY started_at DESC, id DESC) AS n FROM "
                                                "hub_backup_runs) ranked WHERE n <= $1 ORDER BY job, started_at DESC, id DESC",
                                            per_job))
        runs.push_back({row[0].as<std::string>(), row[1].as<long long>(), row[2].as<long long>(), row[3].as<bool>(), row[4].as<int>(),
                        row[5].as<long long>(), row[6].as<std::string>(), row[7].as<std::string>()});
    });
    return runs;
  }

  // One REPEATABLE READ transaction: every part sees the same committed state.
  StoredState export_state() override {
    StoredState state;
    write([&](pqxx::work& tx) {
      tx.exec("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY");
      state.instances = read_instances(tx);
      state.config_versions = read_config_versions(tx);
      state.config_changes = read_config_changes(tx, std::numeric_limits<int>::max());
      state.rollouts = read_rollouts(tx);
      state.circuits = read_circuits(tx);
    });
    return state;
  }

  void import_state(const StoredState& state) override {
    write([&](pqxx::work& tx) {
      begin_feed(tx);
      tx.exec(
          "DELETE FROM service_registry; DELETE FROM service_configs; DELETE FROM config_changes; DELETE FROM hub_rollouts; "
          "DELETE FROM hub_circuits");
      Write unused;
      for (const InstanceRecord& instance : state.instances) {
        store(tx, instance, unused);
        if (instance.status != "healthy")
          store(tx, StatusChange{instance.service_name, instance.instance_id, instance.status, instance.down_since_unix_us}, unused);
      }
      for (const ConfigVersion& version : state.config_versions)
        tx.exec_params(
            "INSERT INTO service_configs (service_name, config_data, version, active, created_by, created_at) VALUES ($1, "
            "$2::jsonb, $3, $4, $5, " +
                timestamp("$6") + ")",
            version.scope, version.content, version.version, version.active, version.created_by, version.created_at_unix_us);
      int64_t newest = 0;
      for (const ConfigChange& change : state.config_changes) {
        tx.exec_params(
            "INSERT INTO config_changes (revision, service_name, version, action, created_by, created_at) VALUES ($1, $2, $3, "
            "$4, $5, " +
                timestamp("$6") + ")",
            change.revision, change.scope, change.version, change.action, change.created_by, change.at_unix_us);
        newest = std::max(newest, change.revision);
      }
      // Revisions go on from the restored newest: watchers compare them.
      tx.exec_params("SELECT setval(pg_get_serial_sequence('config_changes', 'revision'), $1, $2)", std::max<int64_t>(newest, 1),
                     newest > 0);
      for (const RolloutRecord& rollout : state.rollouts) put(tx, rollout);
      for (const CircuitRecord& circuit : state.circuits) put(tx, circuit);
      // The other hubs on this database read everything again, removals included.
      record_feed(tx, "reload", "", "");
      tx.exec("NOTIFY hub_changes");
    });
  }

  int migrate(const std::vector<Migration>& migrations) override {
    std::lock_guard lock(mutex_);
    return run_migrations(*this, migrations);
  }

 private:
  // The writes' statements, prepared once per connection.
  void prepare_writes() {
    connection_->prepare(
        "save_instance",
        "INSERT INTO service_registry (service_name, instance_id, status, last_heartbeat, version, host, port, dependencies, "
        "metadata, protocol, health_endpoint, weight, tags, down_since, created_at, updated_at) "
        "VALUES ($1, $2, $3, " +
            timestamp("$4") + ", $5, $6, $7, $8::jsonb, $9::jsonb, $10, $11, $12, $13::jsonb, NULL, " + timestamp("$14") + ", " +
            timestamp("$4") +
            ") ON CONFLICT (service_name, instance_id) DO UPDATE SET status = excluded.status, last_heartbeat = "
            "excluded.last_heartbeat, version = excluded.version, host = excluded.host, port = excluded.port, "
            "dependencies = excluded.dependencies, metadata = excluded.metadata, protocol = excluded.protocol, "
            "health_endpoint = excluded.health_endpoint, weight = excluded.weight, tags = excluded.tags, down_since = NULL, "
            "updated_at = excluded.updated_at");
    connection_->prepare("delete_instance", "DELETE FROM service_registry WHERE service_name = $1 AND instance_id = $2");
    // $4 is typed by its first use: compared with a bare 0 PostgreSQL would make it an integer, too small for microseconds.
    connection_->prepare("save_status", "UPDATE service_registry SET status = $3, down_since = CASE WHEN $4::bigint = 0 THEN NULL ELSE " +
                                            timestamp("$4") +
                                            " END, updated_at = LOCALTIMESTAMP WHERE service_name = $1 AND instance_id = $2");
    connection_->prepare(
        "add_config_version",
        "INSERT INTO service_configs (service_name, config_data, version, active, created_by, created_at) "
        "VALUES ($1::text, $2::jsonb, GREATEST((SELECT COALESCE(MAX(version), 0) FROM service_configs WHERE service_name = "
        "$1::text), (SELECT COALESCE(MAX(version), 0) FROM config_changes WHERE service_name = $1::text)) + 1, TRUE, $3, " +
            timestamp("$4") + ") RETURNING version");
    connection_->prepare("deactivate_config_versions", "UPDATE service_configs SET active = FALSE WHERE service_name = $1 AND active");
    connection_->prepare("record_feed_change", "INSERT INTO hub_changes (hub_id, kind, service_name, instance_id) VALUES ($1, $2, $3, $4)");
    connection_->prepare("activate_config_version", "UPDATE service_configs SET active = TRUE WHERE service_name = $1 AND version = $2");
    connection_->prepare("prune_config_versions", "DELETE FROM service_configs WHERE service_name = $1 AND version <= $2 AND NOT active");
    connection_->prepare("record_config_change",
                         "INSERT INTO config_changes (service_name, version, action, created_by, created_at) VALUES ($1, $2, $3, $4, " +
                             timestamp("$5") + ") RETURNING revision");
  }

  void store(pqxx::transaction_base& tx, const InstanceRecord& r, Write&) {
    tx.exec_prepared("save_instance", r.service_name, r.instance_id, r.status, r.last_heartbeat_unix_us, r.version, r.host,
                     static_cast<int>(r.port), json_string_array(r.dependencies), r.metadata_json, r.protocol, r.health_endpoint,
                     static_cast<long long>(r.weight), json_string_array(r.tags), r.registered_at_unix_us);
    record_feed(tx, "instance", r.service_name, r.instance_id);
  }
  void store(pqxx::transaction_base& tx, const InstanceRemoval& removal, Write&) {
    tx.exec_prepared("delete_instance", removal.service_name, removal.instance_id);
    record_feed(tx, "removal", removal.service_name, removal.instance_id);
  }
  void store(pqxx::transaction_base& tx, const StatusChange& change, Write&) {
    tx.exec_prepared("save_status", change.service_name, change.instance_id, change.status, change.down_since_unix_us);
    record_feed(tx, "instance", change.service_name, change.instance_id);
  }
  // Another hub may have stored versions this one has not read yet: the database numbers the new
  // version (after every version the scope ever had), and whatever is active gives way.
  void store(pqxx::transaction_base& tx, const ConfigWrite& config, Write& write) {
    ConfigWrite& stored = std::get<ConfigWrite>(write.change);
    ConfigChange& change = stored.change;
    tx.exec_prepared("deactivate_config_versions", change.scope);
    if (auto& added = stored.added) {
      added->version =
          tx.exec_prepared1("add_config_version", added->scope, added->content, added->created_by, added->created_at_unix_us)[0]
              .as<long long>();
      change.version = added->version;
    } else if (tx.exec_prepared("activate_config_version", change.scope, change.version).affected_rows() == 0) {
      throw pqxx::sql_error("version " + std::to_string(change.version) + " of " + change.scope + " is no longer stored (pruned)");
    }
    tx.exec_prepared("prune_config_versions", change.scope, config.prune_through);
    record_feed(tx, "config", change.scope, "");
    write.revision =
        tx.exec_prepared1("record_config_change", change.scope, change.version, change.action, change.created_by, change.at_unix_us)[0]
            .as<long long>();
  }

  // Several hubs may share one database: schema changes run under this advisory lock.
  static constexpr long long kMigrationLock = 0x48554253434d41LL;  // "HUBSCMA"
  static constexpr long long kFeedLock = 0x4855424645454444LL;     // "HUBFEEDD"

  // host:pid:random: unique among the hubs sharing the database, and readable in the feed.
  static std::string make_hub_id() {
    char host[64] = {};
    gethostname(host, sizeof host - 1);
    for (char& c : host)  // it names connections too (application_name): nothing to quote
      if (c && !std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-') c = '_';
    std::random_device random;
    char suffix[16];
    std::snprintf(suffix, sizeof suffix, "%08x", random());
    return std::string(host) + ":" + std::to_string(getpid()) + ":" + suffix;
  }

  void connect() {
    connection_ = std::make_unique<pqxx::connection>(settings_.connection_string());
    prepare_writes();
  }

  std::string describe() const override { return "postgres " + location(); }
  std::string location() const {
    return settings_.user + "@" + settings_.host + ":" + std::to_string(settings_.port) + "/" + settings_.dbname;
  }
  static std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

  // The seed's columns are TIMESTAMP without zone, compared with CURRENT_TIMESTAMP in the
  // session's zone: instants are converted in that same zone both ways.
  static std::string timestamp(const std::string& micros_param) { return "to_timestamp(" + micros_param + "::bigint / 1e6)::timestamp"; }
  static std::string micros(const std::string& column) { return "(EXTRACT(EPOCH FROM " + column + "::timestamptz) * 1e6)::bigint"; }

  // One transaction on a live connection. A connection found broken is replaced once: the
  // transaction had not committed, so running it again is safe. Whatever fails is a StorageError.
  template <class Body>
  void write(Body body) {
    transact(mutex_, connection_, true, body);
  }
  // The audit trail's inserts go through a connection of their own: they never wait for, nor hold
  // up, the group commit's.
  template <class Body>
  void write_aside(Body body) {
    transact(aside_mutex_, aside_, false, body);
  }

  template <class Body>
  void transact(std::mutex& mutex, std::unique_ptr<pqxx::connection>& connection, bool main, Body& body) {
    std::lock_guard lock(mutex);
    for (int attempt = 0;; ++attempt) {
      try {
        if (!connection || !connection->is_open()) {
          if (main)
            connect();
          else
            connection = std::make_unique<pqxx::connection>(settings_.connection_string());
        }
        pqxx::work tx(*connection);
        body(tx);
        tx.commit();
        return;
      } catch (const pqxx::in_doubt_error& error) {
        connection.reset();
        throw StorageError(describe() +
                           ": the connection broke during commit; the write may or may not have landed: " + first_line(error.what()));
      } catch (const pqxx::broken_connection& error) {
        connection.reset();
        if (attempt == 0) continue;
        throw StorageError(describe() + ": unavailable: " + first_line(error.what()));
      } catch (const StorageError&) {
        throw;
      } catch (const std::exception& error) {
        throw StorageError(describe() + ": " + first_line(error.what()));
      }
    }
  }

  void ensure_migrations_table() override {
    pqxx::work tx(*connection_);
    tx.exec("SELECT pg_advisory_xact_lock(" + std::to_string(kMigrationLock) + ")");
    tx.exec(
        "CREATE TABLE IF NOT EXISTS hub_schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
        "applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)");
    tx.commit();
  }

  std::optional<std::pair<int, std::string>> latest_migration() override {
    pqxx::nontransaction query(*connection_);
    const pqxx::result rows = query.exec("SELECT version, name FROM hub_schema_migrations ORDER BY version DESC LIMIT 1");
    if (rows.empty()) return std::nullopt;
    return std::make_pair(rows[0][0].as<int>(), rows[0][1].as<std::string>());
  }

  bool apply(const Migration& migration) override {
    try {
      pqxx::work tx(*connection_);
      tx.exec("SELECT pg_advisory_xact_lock(" + std::to_string(kMigrationLock) + ")");
      if (!tx.exec("SELECT 1 FROM hub_schema_migrations WHERE version >= " + std::to_string(migration.version)).empty()) return false;
      tx.exec(migration.sql);
      tx.exec("INSERT INTO hub_schema_migrations (version, name) VALUES (" + std::to_string(migration.version) + ", " +
              tx.quote(migration.name) + ")");
      tx.commit();
      return true;
    } catch (const std::exception& error) {
      throw StorageError(describe() + ": migration " + migration.name + " failed, nothing of it was applied: " + first_line(error.what()));
    }
  }

  PostgresSettings settings_;
  const std::string hub_id_ = make_hub_id();
  std::mutex mutex_;
  std::unique_ptr<pqxx::connection> connection_;
  std::mutex aside_mutex_;
  std::unique_ptr<pqxx::connection> aside_;
  struct Finish {
    void operator()(PGconn* connection) const { PQfinish(connection); }
  };
  uint64_t claims_ = 0;  // under aside_mutex_: every thousandth claim prunes the old ones
  std::mutex lease_mutex_;
  std::unique_ptr<PGconn, Finish> leaser_;
  std::set<std::string> leases_;
  std::mutex listen_mutex_;
  std::unique_ptr<PGconn, Finish> listener_;  // the change feed's: it only LISTENs
};

}  // namespace

std::unique_ptr<Storage> open_postgres_storage(const PostgresSettings& settings) {
  return std::make_unique<PostgresStorage>(settings);
}

}  // namespace hub
