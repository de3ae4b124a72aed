// The hub's logger: human-readable lines or one JSON object per line.
#pragma once

#include <hub/deployment.hpp>

#include <spdlog/spdlog.h>

#include <memory>

namespace hub {

// Not registered globally, so several hubs can live in one process.
std::shared_ptr<spdlog::logger> make_logger(const LoggingSettings& settings, const std::string& name = "hub");

}  // namespace hub
