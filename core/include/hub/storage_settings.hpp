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
  PostgresSettings postgres;
};
std::string backend_name(StorageSettings::Backend backend);

}  // namespace hub
