// config/logging.cpp — see logging.hpp.
#include "config/logging.hpp"

#include "messages/civil_time.hpp"
#include "messages/json_fields.hpp"

#include <spdlog/details/log_msg.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <mutex>

namespace qg {
namespace {

spdlog::level::level_enum to_spdlog(LogLevel level) {
  switch (level) {
    case LogLevel::trace: return spdlog::level::trace;
    case LogLevel::debug: return spdlog::level::debug;
    case LogLevel::info: return spdlog::level::info;
    case LogLevel::warn: return spdlog::level::warn;
    case LogLevel::error: return spdlog::level::err;
  }
  return spdlog::level::info;
}

// Structured fields of the line being written on this thread (log_with_fields), as a JSON
// fragment `,"k":v,...` the JSON formatter splices in after "msg". Loggers are synchronous, so
// the formatter runs on the caller's thread inside logger.log().
thread_local const std::string* t_json_fields = nullptr;

std::atomic<LogFormat>& current_format() {
  static std::atomic<LogFormat> format{LogFormat::text};
  return format;
}

std::atomic<bool>& access_enabled() {
  static std::atomic<bool> on{true};
  return on;
}

// One JSON object per line: {"ts":"...Z","level":"info","logger":"quotaguard","msg":"..."}.
class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(msg.time.time_since_epoch());
    std::string line = "{\"ts\":\"";
    line += format_utc_ms(ms.count());
    line += "\",\"level\":";
    auto level = spdlog::level::to_string_view(msg.level);
    json_fields::append_json_string(line, std::string_view(level.data(), level.size()));
    line += ",\"logger\":";
    json_fields::append_json_string(line, std::string_view(msg.logger_name.data(), msg.logger_name.size()));
    line += ",\"msg\":";
    json_fields::append_json_string(line, std::string_view(msg.payload.data(), msg.payload.size()));
    if (t_json_fields) line += *t_json_fields;
    line += "}\n";
    dest.append(line.data(), line.data() + line.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
};

// Writes formatted lines to a FILE*, after replacing every registered secret in the message.
class RedactingSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit RedactingSink(std::FILE* out) : out_(out) {}
  void set_output(std::FILE* out) {
    std::lock_guard lock(mutex_);
    out_ = out;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    std::string clean = redact(std::string_view(msg.payload.data(), msg.payload.size()));
    spdlog::details::log_msg copy(msg);
    copy.payload = spdlog::string_view_t(clean.data(), clean.size());
    spdlog::memory_buf_t buf;
    formatter_->format(copy, buf);
    std::fwrite(buf.data(), 1, buf.size(), out_);
    std::fflush(out_);
  }
  void flush_() override { std::fflush(out_); }

 private:
  std::FILE* out_;
};

std::unique_ptr<spdlog::formatter> text_formatter() {
  return std::make_unique<spdlog::pattern_formatter>("%Y-%m-%dT%H:%M:%S.%eZ %-5l %n: %v",
                                                     spdlog::pattern_time_type::utc);
}

// The one redacting sink, made on first use (thread-safe static initialisation) with the
// text format on stderr; setup_logging() only reconfigures it. Making it never touches the
// default logger: a named logger created lazily on a worker thread (make_logger) must not swap
// the default logger while other threads log through it (spdlog's free functions use a raw
// pointer to the default logger, so a swap frees it under their feet).
const std::shared_ptr<RedactingSink>& shared_sink() {
  static const std::shared_ptr<RedactingSink> sink = [] {
    auto s = std::make_shared<RedactingSink>(stderr);
    s->set_formatter(text_formatter());
    return s;
  }();
  return sink;
}

std::atomic<spdlog::level::level_enum>& current_level() {
  static std::atomic<spdlog::level::level_enum> level{spdlog::level::info};
  return level;
}

}  // namespace

void setup_logging(const LogConfig& log, std::FILE* out) {
  const auto& sink = shared_sink();
  sink->set_output(out);
  if (log.format == LogFormat::json) sink->set_formatter(std::make_unique<JsonFormatter>());
  else sink->set_formatter(text_formatter());
  current_level() = to_spdlog(log.level);
  current_format() = log.format;
  access_enabled() = log.access;
  auto logger = spdlog::default_logger();
  if (!logger || logger->name() != "quotaguard" || logger->sinks().size() != 1 ||
      logger->sinks()[0] != sink) {
    logger = std::make_shared<spdlog::logger>("quotaguard", sink);
    spdlog::set_default_logger(logger);
  }
  spdlog::set_level(current_level().load());  // every registered logger, this one included
  logger->flush_on(spdlog::level::info);
}

void register_config_secrets(const Config& cfg) {
  for (auto& secret : config_secrets(cfg)) register_secret(std::move(secret));
}

std::shared_ptr<spdlog::logger> make_logger(const std::string& name) {
  static std::mutex m;  // get-then-register as one step (register_logger throws on a duplicate)
  std::lock_guard lock(m);
  if (auto existing = spdlog::get(name)) return existing;
  auto logger = std::make_shared<spdlog::logger>(name, shared_sink());
  logger->set_level(current_level().load());
  spdlog::register_logger(logger);
  return logger;
}

bool log_enabled(LogLevel level) { return spdlog::default_logger()->should_log(to_spdlog(level)); }

bool access_log_enabled() { return access_enabled().load(); }

namespace {

bool needs_quotes(std::string_view v) {
  if (v.empty()) return true;
  for (char c : v)
    if (c == ' ' || c == '"' || c == '=' || c == '\\' || static_cast<unsigned char>(c) < 0x20) return true;
  return false;
}

}  // namespace

void log_with_fields(spdlog::logger& logger, std::string_view msg, const std::vector<LogField>& fields) {
  if (!logger.should_log(spdlog::level::info)) return;
  if (current_format().load() == LogFormat::json) {
    std::string fragment;
    for (const auto& f : fields) {
      fragment += ',';
      json_fields::append_json_string(fragment, f.key);
      fragment += ':';
      if (f.number) fragment += f.value.empty() ? std::string("null") : f.value;
      else json_fields::append_json_string(fragment, redact(f.value));
    }
    t_json_fields = &fragment;
    logger.log(spdlog::level::info, "{}", msg);
    t_json_fields = nullptr;
    return;
  }
  std::string line(msg);
  for (const auto& f : fields) {
    line += ' ';
    line += f.key;
    line += '=';
    const std::string v = f.number ? f.value : redact(f.value);
    if (f.number || !needs_quotes(v)) {
      line += v;
    } else {
      line += '"';
      for (char c : v) {
        if (static_cast<unsigned char>(c) < 0x20) {  // no forged lines: control bytes as \xNN
          static constexpr char kHex[] = "0123456789abcdef";
          line += "\\x";
          line += kHex[(c >> 4) & 0xF];
          line += kHex[c & 0xF];
          continue;
        }
        if (c == '"' || c == '\\') line += '\\';
        line += c;
      }
      line += '"';
    }
  }
  logger.log(spdlog::level::info, "{}", line);
}

}  // namespace qg
