// A PostgreSQL database of the test's own on the server tools/dev test
// started, created fresh and dropped afterwards.
#pragma once

#include "support/integration_servers.hpp"

#include <pqxx/pqxx>

#include <unistd.h>

#include <memory>
#include <string>

namespace hub::testing {

class ScratchDatabase {
 public:
  ScratchDatabase(const PostgresSettings& server, const std::string& prefix)
      : admin_(std::make_unique<pqxx::connection>(server.connection_string())), settings_(server) {
    name_ = prefix + "_" + std::to_string(::getpid());
    pqxx::nontransaction(*admin_).exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
    pqxx::nontransaction(*admin_).exec("CREATE DATABASE " + name_);
    settings_.dbname = name_;
  }
  ~ScratchDatabase() {
    try {
      pqxx::nontransaction(*admin_).exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
    } catch (const std::exception&) {  // a failed test may have left it unusable; the next run drops it first
    }
  }
  const PostgresSettings& settings() const { return settings_; }
  const std::string& name() const { return name_; }
  // On the server's maintenance connection, outside the scratch database.
  void admin(const std::string& sql) { pqxx::nontransaction(*admin_).exec(sql); }
  pqxx::result query(const std::string& sql) const {
    pqxx::connection connection(settings_.connection_string());
    pqxx::work tx(connection);
    pqxx::result rows = tx.exec(sql);
    tx.commit();
    return rows;
  }

 private:
  std::unique_ptr<pqxx::connection> admin_;
  PostgresSettings settings_;
  std::string name_;
};

}  // namespace hub::testing
