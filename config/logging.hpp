// config/logging.hpp — spdlog set-up: text or JSON lines on stderr, level from config, and
// every line scrubbed of registered secrets (config/redaction.hpp) before it is written.
//
// Call setup_logging() once early (main does, with defaults, before the config is read) and
// again with the loaded config; then log through spdlog's default logger (spdlog::info(...))
// or a named logger from make_logger(). Any logger made that way shares the redacting sink.
#pragma once

#include "config/config.hpp"
#include "config/redaction.hpp"

#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace spdlog {
class logger;
}

namespace qg {

// Installs the redacting sink as spdlog's default logger ("quotaguard") writing to `out`
// (stderr unless given; tests pass a temporary file). Safe to call again to change level,
// format or destination; loggers from make_logger() follow.
void setup_logging(const LogConfig& log, std::FILE* out = stderr);

// Registers every secret of `cfg` (config_secrets) with the redaction registry.
void register_config_secrets(const Config& cfg);

// A named logger sharing the current sink, level and format. Safe from any thread, before or
// after setup_logging(); it never replaces the default logger (only setup_logging() does).
std::shared_ptr<spdlog::logger> make_logger(const std::string& name);

// True when a message at `level` would be written by the default logger.
bool log_enabled(LogLevel level);

// log.access of the last setup_logging (default true): whether proxied requests are logged.
bool access_log_enabled();

// A structured field of a log line: a string or a number (written without quotes).
struct LogField {
  std::string key;
  std::string value;
  bool number = false;
};

// Writes `msg` with `fields` at info through `logger`: with log.format json the fields are
// members of the line's JSON object ({"ts",...,"msg":"request","request_id":"..",...}); with
// text they follow the message as key=value pairs (values with spaces, quotes or '=' are
// quoted). String values are scrubbed of registered secrets like the message is.
void log_with_fields(spdlog::logger& logger, std::string_view msg, const std::vector<LogField>& fields);

}  // namespace qg
