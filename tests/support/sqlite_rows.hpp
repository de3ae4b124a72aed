// Reads a SQLite file the way an operator would, outside the hub: the first
// column of every row of a query, as text ("NULL" for null).
#pragma once

#include <sqlite3.h>

#include <filesystem>
#include <string>
#include <vector>

namespace hub::testing {

inline std::vector<std::string> sqlite_column(const std::filesystem::path& file, const std::string& sql) {
  sqlite3* db = nullptr;
  sqlite3_open(file.c_str(), &db);
  std::vector<std::string> values;
  sqlite3_exec(
      db, sql.c_str(),
      [](void* out, int, char** row, char**) {
        static_cast<std::vector<std::string>*>(out)->push_back(row[0] ? row[0] : "NULL");
        return 0;
      },
      &values, nullptr);
  sqlite3_close(db);
  return values;
}

}  // namespace hub::testing
