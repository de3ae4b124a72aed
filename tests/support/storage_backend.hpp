// The three storage backends, for suites that must hold on each alike: a
// fresh store per test (nothing for memory, a new SQLite file, a scratch
// PostgreSQL database), its YAML, and its rows read as an operator would.
//
//   class RegistryApi : public testing::TestWithParam<hub::testing::Backend> {
//     void SetUp() override { HUB_NEED_BACKEND(GetParam()); store_ = std::make_unique<ScratchStore>(GetParam()); }
//   };
//   INSTANTIATE_TEST_SUITE_P(Backends, RegistryApi, hub::testing::kAllBackends, hub::testing::backend_label);
#pragma once

#include "support/integration_servers.hpp"
#include "support/scratch_database.hpp"
#include "support/sqlite_rows.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace hub::testing {

enum class Backend { memory, sqlite, postgres };

inline const auto kAllBackends = ::testing::Values(Backend::memory, Backend::sqlite, Backend::postgres);

inline std::string backend_name(Backend backend) {
  switch (backend) {
    case Backend::memory:
      return "memory";
    case Backend::sqlite:
      return "sqlite";
    case Backend::postgres:
      return "postgres";
  }
  return "unknown";
}
inline void PrintTo(Backend backend, std::ostream* out) {
  *out << backend_name(backend);
}
inline std::string backend_label(const ::testing::TestParamInfo<Backend>& info) {
  return backend_name(info.param);
}

// `backend`, or memory when its server is not there: for fixtures that build their store before
// SetUp(), whose HUB_NEED_BACKEND then skips or fails the test.
inline Backend available(Backend backend) {
  return backend == Backend::postgres && !test_postgres() ? Backend::memory : backend;
}

class ScratchStore {
 public:
  explicit ScratchStore(Backend backend) : backend_(backend) {
    static std::atomic<int> stores{0};
    const std::string tag = std::to_string(::getpid()) + "_" + std::to_string(stores++);
    if (backend == Backend::sqlite) {
      file_ = std::filesystem::temp_directory_path() / ("hub-parity-" + tag + ".db");
      remove_file();
    } else if (backend == Backend::postgres) {
      database_ = std::make_unique<ScratchDatabase>(*test_postgres(), "hub_parity_" + tag);
    }
  }
  ~ScratchStore() { remove_file(); }
  ScratchStore(const ScratchStore&) = delete;
  ScratchStore& operator=(const ScratchStore&) = delete;

  Backend backend() const { return backend_; }
  // The manifest's `storage:` value.
  std::string yaml() const {
    switch (backend_) {
      case Backend::sqlite:
        return "{backend: sqlite, sqlite: {path: " + file_.string() + "}}";
      case Backend::postgres: {
        const PostgresSettings& pg = database_->settings();
        return "{backend: postgres, postgres: {host: " + pg.host + ", port: " + std::to_string(pg.port) + ", dbname: " + pg.dbname +
               ", user: " + pg.user + ", connect_timeout_seconds: 2}}";
      }
      default:
        return "{backend: memory}";
    }
  }
  // The first column of every row of `sql`, as text ("NULL" for null); nothing for memory.
  std::vector<std::string> column(const std::string& sql) const {
    if (backend_ == Backend::sqlite) return sqlite_column(file_, sql);
    std::vector<std::string> values;
    if (backend_ == Backend::postgres)
      for (const auto& row : database_->query(sql)) values.push_back(row[0].is_null() ? "NULL" : row[0].as<std::string>());
    return values;
  }
  // A rule of the database the hub does not know of, refusing every config version of `service`:
  // a write storage refuses on its own (a constraint), on either durable backend.
  void refuse_configs_of(const std::string& service) const {
    if (backend_ == Backend::postgres)
      column("ALTER TABLE service_configs ADD CONSTRAINT refuse_" + service + " CHECK (service_name <> '" + service + "')");
    else if (backend_ == Backend::sqlite)
      column("CREATE TRIGGER refuse_" + service + " BEFORE INSERT ON service_configs WHEN NEW.service_name = '" + service +
             "' BEGIN SELECT RAISE(ABORT, 'refused by a rule of the database'); END");
  }
  bool durable() const { return backend_ != Backend::memory; }
  ScratchDatabase* database() const { return database_.get(); }  // postgres only
  const std::filesystem::path& file() const { return file_; }    // sqlite only

 private:
  void remove_file() const {
    if (file_.empty()) return;
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(file_.string() + suffix);
  }

  Backend backend_;
  std::filesystem::path file_;
  std::unique_ptr<ScratchDatabase> database_;
};

}  // namespace hub::testing

// In SetUp(): a PostgreSQL test skips without a server, or fails when integration tests are required.
#define HUB_NEED_BACKEND(backend)                     \
  if ((backend) == ::hub::testing::Backend::postgres) \
  HUB_NEED_SERVER(::hub::testing::test_postgres(), "HUB_TEST_PG_HOST", "PostgreSQL server")
