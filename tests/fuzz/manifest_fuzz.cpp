// The manifest reader on arbitrary YAML: a file is read or refused with a
// ManifestError naming where; nothing else may come out of it.
#include "fuzz_check.hpp"

#include <hub/errors.hpp>
#include <hub/manifest.hpp>
#include <hub/plugin_config.hpp>

#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string yaml(reinterpret_cast<const char*>(data), size);
  try {
    const hub::Manifest manifest = hub::parse_manifest(yaml, "fuzz.yaml", "/tmp");
    FUZZ_CHECK(!manifest.name.empty());
  } catch (const hub::ManifestError& error) {
    FUZZ_CHECK(std::string(error.what()).rfind("fuzz.yaml", 0) == 0);
  }
  try {
    (void)hub::PluginConfig::from_yaml(yaml);
  } catch (const hub::ManifestError&) {
  }
  return 0;
}
