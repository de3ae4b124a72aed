// The exceptions the core throws. Each carries one line that says what was
// wrong and, where a file is involved, which file.
#pragma once

#include <stdexcept>
#include <string>

namespace hub {

// A plugin could not be found, loaded, validated or initialized.
class PluginError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A manifest file is invalid: "FILE:LINE:COLUMN: KEY: what is wrong".
class ManifestError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Storage could not be opened or answered with an error.
class StorageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace hub
