// The hub's logger: human-readable lines or one JSON object per line.
#pragma once

#include <hub/logging_settings.hpp>

#include <spdlog/formatter.h>
#include <spdlog/spdlog.h>

#include <functional>
#include <memory>
#include <string_view>

namespace hub {

// Where formatted lines go instead of stderr (HubOptions::log_lines); empty: stderr.
using LogLines = std::function<void(std::string_view line)>;

// Not registered globally, so several hubs can live in one process.
std::shared_ptr<spdlog::logger> make_logger(const LoggingSettings& settings, const std::string& name = "hub", LogLines lines = {});

// The formatter make_logger gives its sink. Either format keeps a message on one line: control
// characters are shown as \xNN and invalid UTF-8 as U+FFFD, so no value can forge an entry.
std::unique_ptr<spdlog::formatter> make_log_formatter(LoggingSettings::Format format);

}  // namespace hub
