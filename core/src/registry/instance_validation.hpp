// What makes an instance servable: the checks every registration and every
// discovered instance pass, so the registry never holds a row it cannot answer.
#pragma once

#include "instance_record.hpp"

#include <string>

namespace hub {

// Empty when valid; otherwise "FIELD: what is wrong".
std::string validate_instance(const InstanceRecord& record);
std::string validate_service_name(const std::string& field, const std::string& name);

}  // namespace hub
