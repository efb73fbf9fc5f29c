// spdlog configured to emit {"ts","level","msg",...fields} lines.
#include "core/log.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

namespace passwerk::log {

void Init(const std::string& level) {
  auto logger = spdlog::stderr_logger_mt("passwerk");
  logger->set_pattern(R"({"ts":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l",%v})", spdlog::pattern_time_type::utc);
  logger->set_level(spdlog::level::from_str(level));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

namespace {
void Write(spdlog::level::level_enum level, std::string_view msg, const nlohmann::json& fields) {
  if (!spdlog::default_logger_raw()->should_log(level)) return;
  nlohmann::json line = fields.is_object() ? fields : nlohmann::json::object();
  std::string body = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  // `{"msg":"…",<fields>}` without the outer braces (the pattern supplies them).
  std::string text = "\"msg\":" + nlohmann::json(msg).dump();
  if (body.size() > 2) text += "," + body.substr(1, body.size() - 2);
  spdlog::default_logger_raw()->log(level, "{}", text);
}
}  // namespace

void Info(std::string_view msg, const nlohmann::json& fields) { Write(spdlog::level::info, msg, fields); }
void Warn(std::string_view msg, const nlohmann::json& fields) { Write(spdlog::level::warn, msg, fields); }
void Error(std::string_view msg, const nlohmann::json& fields) { Write(spdlog::level::err, msg, fields); }

}  // namespace passwerk::log
