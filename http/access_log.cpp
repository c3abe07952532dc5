// http/access_log.cpp — see access_log.hpp.
#include "http/access_log.hpp"

#include "config/logging.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <cstdio>

namespace qg {
namespace {

LogField text(const char* key, std::string value) { return LogField{key, std::move(value), false}; }
LogField number(const char* key, std::int64_t value) { return LogField{key, std::to_string(value), true}; }
LogField boolean(const char* key, bool value) { return LogField{key, value ? "true" : "false", true}; }

}  // namespace

std::vector<LogField> access_log_fields(const AccessLogEntry& e) {
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - e.started).count();
  char latency[32];
  std::snprintf(latency, sizeof latency, "%.1f", ms);
  return {text("request_id", e.request_id),
          text("client_key", e.client_key),
          text("dialect", e.dialect),
          text("method", e.method),
          text("path", e.path),
          text("model", e.model),
          text("account", e.account),
          number("status", e.status),
          LogField{"latency_ms", latency, true},
          number("attempts", e.attempts),
          boolean("stream", e.stream),
          number("input_tokens", e.usage.input_tokens),
          number("output_tokens", e.usage.output_tokens),
          boolean("estimated", e.estimated)};
}

void write_access_log(const AccessLogEntry& e) {
  if (!access_log_enabled()) return;
  static const std::shared_ptr<spdlog::logger> logger = make_logger("access");
  // The fields (14 strings) only for a line that is written: at log.level warn it is not.
  if (logger->should_log(spdlog::level::info)) log_with_fields(*logger, "request", access_log_fields(e));
}

}  // namespace qg
