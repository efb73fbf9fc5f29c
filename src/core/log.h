// Structured JSON logging on spdlog: one JSON object per line on stderr
// (stdout is kept for the console messages people and scripts read).
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

namespace passwerk::log {

// Sets up the default logger; `level` is trace|debug|info|warn|error.
void Init(const std::string& level);

void Info(std::string_view msg, const nlohmann::json& fields);
void Warn(std::string_view msg, const nlohmann::json& fields);
void Error(std::string_view msg, const nlohmann::json& fields);

}  // namespace passwerk::log
