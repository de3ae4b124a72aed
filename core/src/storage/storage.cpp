#include "storage.hpp"

namespace hub {

std::unique_ptr<Storage> open_storage(const StorageSettings& settings) {
  switch (settings.backend) {
    case StorageSettings::Backend::memory:
      return open_memory_storage();
    case StorageSettings::Backend::sqlite:
      return open_sqlite_storage(settings.sqlite_path, settings.sqlite_synchronous);
    case StorageSettings::Backend::postgres:
      return open_postgres_storage(settings.postgres);
  }
  return open_memory_storage();
}

}  // namespace hub
