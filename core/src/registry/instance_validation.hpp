// What makes an instance servable: the checks every registration and every
// discovered instance pass, so the registry never holds a row it cannot answer.
#pragma once

#include "basics/service_name.hpp"
#include "storage/instance_record.hpp"

#include <string>

namespace hub {

// What one instance may carry: a registrant cannot make the hub hold more than this per instance.
inline constexpr size_t kMaxTags = 64;
inline constexpr size_t kMaxDependencies = 128;
inline constexpr size_t kMaxMetadataBytes = 16 * 1024;

// Empty when valid; otherwise "FIELD: what is wrong".
std::string validate_instance(const InstanceRecord& record);

}  // namespace hub
