// The `storage` section: where the hub keeps registrations, configs and health rows.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace hub {

struct PostgresSettings {
  std::string host = "127.0.0.1";
  uint16_t port = 5432;
  std::string dbname = "central_hub";
  std::string user = "postgres";
  std::string password;  // from the environment; never logged
  int connect_timeout_seconds = 5;
  std::string connection_string() const;
};

struct StorageSettings {
  enum class Backend { memory, sqlite, postgres };
  Backend backend = Backend::memory;
  std::filesystem::path sqlite_path = "central-hub.db";
  // SQLite's `synchronous` in WAL mode. normal: a commit is written to the WAL before it is
  // acknowledged and survives the hub being killed, but the last commits before a power cut or
  // an OS crash may be lost (never corrupted). full: every commit waits for fsync and survives
  // those too, at the cost of one fsync per group commit.
  enum class SqliteSync { normal, full };
  SqliteSync sqlite_synchronous = SqliteSync::normal;
  PostgresSettings postgres;
};
std::string backend_name(StorageSettings::Backend backend);

}  // namespace hub
