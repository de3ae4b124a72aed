#include "storage.hpp"

#include <hub/errors.hpp>

#include <pqxx/pqxx>

#include <chrono>
#include <mutex>

namespace hub {

namespace {

class PostgresStorage final : public Storage {
 public:
  explicit PostgresStorage(const PostgresSettings& settings) : settings_(settings) {
    try {
      connection_ = std::make_unique<pqxx::connection>(settings_.connection_string());
    } catch (const std::exception& error) {
      throw StorageError("postgres " + describe() + ": cannot connect: " + first_line(error.what()));
    }
  }

  std::string backend() const override { return "postgres"; }

  ComponentStatus check() override {
    std::lock_guard lock(mutex_);
    const auto started = std::chrono::steady_clock::now();
    try {
      if (!connection_ || !connection_->is_open()) connection_ = std::make_unique<pqxx::connection>(settings_.connection_string());
      pqxx::nontransaction query(*connection_);
      query.exec("SELECT 1");
    } catch (const std::exception& error) {
      connection_.reset();  // reconnect on the next check
      return {"down", describe() + ": " + first_line(error.what()), 0};
    }
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    return {"healthy", describe(), ms};
  }

 private:
  std::string describe() const {
    return settings_.user + "@" + settings_.host + ":" + std::to_string(settings_.port) + "/" + settings_.dbname;
  }
  static std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

  PostgresSettings settings_;
  std::mutex mutex_;
  std::unique_ptr<pqxx::connection> connection_;
};

}  // namespace

std::unique_ptr<Storage> open_postgres_storage(const PostgresSettings& settings) {
  return std::make_unique<PostgresStorage>(settings);
}

}  // namespace hub
