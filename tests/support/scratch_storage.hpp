// A ScratchStore opened as the hub opens its storage, brought to the current schema: for the
// tests of one store interface on every backend.
#pragma once

#include "support/storage_backend.hpp"

#include "storage/storage.hpp"

#include <memory>

namespace hub::testing {

// Memory gives a fresh, empty store on every call.
inline std::unique_ptr<Storage> open_scratch(const ScratchStore& scratch) {
  std::unique_ptr<Storage> storage;
  switch (scratch.backend()) {
    case Backend::memory:
      storage = open_memory_storage();
      break;
    case Backend::sqlite:
      storage = open_sqlite_storage(scratch.file());
      break;
    case Backend::postgres:
      storage = open_postgres_storage(scratch.database()->settings());
      break;
  }
  storage->migrate(migrations_for(storage->backend()));
  return storage;
}

}  // namespace hub::testing
