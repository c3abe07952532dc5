// config/config_yaml.cpp — see config_yaml.hpp.
#include "config/config_yaml.hpp"

#include "messages/duration.hpp"

#include <yaml-cpp/yaml.h>

#include <cctype>
#include <sstream>

namespace qg {
namespace {

class Writer {
 public:
  explicit Writer(bool redact) : redact_(redact) {}

  void key(const char* k) { out_ << YAML::Key << k << YAML::Value; }
  void str(const char* k, const std::string& v) {
    key(k);
    out_ << YAML::DoubleQuoted << escape(v);
  }
  // "${" in a value would be expanded when read back: write it as "$${".
  static std::string escape(const std::string& v) {
    std::string out;
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (v.compare(i, 2, "${") == 0) out += '$';
      out += v[i];
    }
    return out;
  }
  // A secret: itself, or (redacting) a ${VAR} reference that loads when VAR is set.
  void secret(const char* k, const std::string& v, const std::string& var) {
    key(k);
    secret_value(v, var);
  }
  void secret_value(const std::string& v, const std::string& var) {
    if (!redact_ || v.empty()) {
      out_ << YAML::DoubleQuoted << escape(v);
      return;
    }
    out_ << YAML::DoubleQuoted << "${" + var + "}";
    vars_.emplace_back(var);
  }
  const std::vector<std::string>& vars() const { return vars_; }
  template <typename T>
  void num(const char* k, T v) {
    key(k);
    out_ << v;
  }
  void percent(const char* k, double v) {
    std::ostringstream s;
    s << v;  // shortest form: 85, 92.5
    key(k);
    out_ << s.str();
  }
  void boolean(const char* k, bool v) {
    key(k);
    out_ << (v ? "true" : "false");
  }
  void duration(const char* k, std::chrono::milliseconds v) {
    key(k);
    out_ << format_duration(v);
  }
  void word(const char* k, const char* v) {
    key(k);
    out_ << v;
  }
  void strings(const char* k, const std::vector<std::string>& v) {
    key(k);
    out_ << YAML::Flow << YAML::BeginSeq;
    for (const auto& s : v) out_ << YAML::DoubleQuoted << escape(s);
    out_ << YAML::EndSeq;
  }
  void begin(const char* k) {
    key(k);
    out_ << YAML::BeginMap;
  }
  void end() { out_ << YAML::EndMap; }
  YAML::Emitter& raw() { return out_; }

 private:
  bool redact_;
  YAML::Emitter out_;
  std::vector<std::string> vars_;
};

void write_accounts(Writer& w, const std::vector<AccountConfig>& accounts) {
  w.key("accounts");
  w.raw() << YAML::BeginSeq;
  for (const auto& a : accounts) {
    w.raw() << YAML::BeginMap;
    w.str("id", a.id);
    w.str("provider", a.provider);
    w.str("type", a.type);
    w.str("base_url", a.base_url);
    w.secret("api_key", a.api_key, account_key_variable(a.id));
    w.strings("models", a.models);
    w.num("priority", a.priority);
    w.boolean("enabled", a.enabled);
    w.key("limits");
    w.raw() << YAML::BeginSeq;
    for (const auto& l : a.limits) {
      w.raw() << YAML::Flow << YAML::BeginMap;
      w.word("metric", to_string(l.metric));
      w.duration("window", std::chrono::seconds{l.window_s});
      w.num("limit", l.limit);
      w.raw() << YAML::EndMap;
    }
    w.raw() << YAML::EndSeq;
    w.str("prefix", a.prefix);
    w.raw() << YAML::EndMap;
  }
  w.raw() << YAML::EndSeq;
}

void write_router(Writer& w, const RouterConfig& r) {
  w.begin("router");
  w.word("policy", to_string(r.policy));
  w.begin("thresholds");
  w.percent("warning", r.thresholds.warning);
  w.percent("switch", r.thresholds.switch_at);
  w.percent("critical", r.thresholds.critical);
  w.end();
  w.begin("anti_flapping");
  w.duration("min_dwell", r.anti_flapping.min_dwell);
  w.duration("cooldown_after_switch", r.anti_flapping.cooldown_after_switch);
  w.percent("hysteresis", r.anti_flapping.hysteresis);
  w.end();
  w.begin("fallback_chains");
  for (const auto& [model, chain] : r.fallback_chains) w.strings(model.c_str(), chain);
  w.end();
  w.word("all_critical", to_string(r.all_critical));
  w.boolean("route_by_client_key", r.route_by_client_key);
  w.begin("circuit_breaker");
  w.num("failures", r.circuit_breaker.failures);
  w.duration("base", r.circuit_breaker.base);
  w.duration("cap", r.circuit_breaker.cap);
  w.duration("auth_cooldown", r.circuit_breaker.auth_cooldown);
  w.end();
  w.end();
}

}  // namespace

std::string account_key_variable(const std::string& account_id) {
  std::string out;
  for (char c : account_id)
    out += std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : '_';
  if (out.empty() || std::isdigit(static_cast<unsigned char>(out.front()))) out.insert(0, "ACCOUNT_");
  return out + "_API_KEY";
}

std::string config_to_yaml(const Config& cfg, bool redact) {
  Writer w(redact);
  w.raw() << YAML::BeginMap;
  w.begin("server");
  w.str("listen", cfg.server.listen);
  w.key("api_keys");
  w.raw() << YAML::Flow << YAML::BeginSeq;
  for (std::size_t i = 0; i < cfg.server.api_keys.size(); ++i)
    w.secret_value(cfg.server.api_keys[i], "QUOTAGUARD_CLIENT_KEY_" + std::to_string(i + 1));
  w.raw() << YAML::EndSeq;
  w.secret("admin_token", cfg.server.admin_token, "QUOTAGUARD_ADMIN_TOKEN");
  w.num("max_connections", cfg.server.max_connections);
  w.num("max_body_bytes", cfg.server.max_body_bytes);
  w.num("max_admin_body_bytes", cfg.server.max_admin_body_bytes);
  w.boolean("allow_unauthenticated", cfg.server.allow_unauthenticated);
  w.num("threads", cfg.server.threads);
  w.duration("shutdown_timeout", cfg.server.shutdown_timeout);
  w.begin("tls");
  w.str("cert", cfg.server.tls.cert);
  w.str("key", cfg.server.tls.key);
  w.end();
  w.end();
  w.begin("storage");
  w.word("backend", to_string(cfg.storage.backend));
  w.str("db_path", cfg.storage.db_path);
  w.word("synchronous", to_string(cfg.storage.synchronous));
  w.num("snapshot_every", cfg.storage.snapshot_every);
  w.word("on_error", to_string(cfg.storage.on_error));
  w.duration("busy_timeout", cfg.storage.busy_timeout);
  w.begin("postgres");
  w.secret("dsn", cfg.storage.postgres.dsn, "QUOTAGUARD_POSTGRES_DSN");
  w.num("pool_size", cfg.storage.postgres.pool_size);
  w.duration("statement_timeout", cfg.storage.postgres.statement_timeout);
  w.str("node_id", cfg.storage.postgres.node_id);
  w.end();
  w.end();
  w.begin("cliproxy");
  w.str("auth_dir", cfg.cliproxy.auth_dir);
  w.str("base_url", cfg.cliproxy.base_url);
  w.secret("api_key", cfg.cliproxy.api_key, "CLIPROXY_API_KEY");
  w.secret("management_key", cfg.cliproxy.management_key, "CLIPROXY_MANAGEMENT_KEY");
  w.duration("rescan_interval", cfg.cliproxy.rescan_interval);
  w.duration("poll_interval", cfg.cliproxy.poll_interval);
  w.end();
  write_accounts(w, cfg.accounts);
  write_router(w, cfg.router);
  w.begin("reservations");
  w.duration("ttl", cfg.reservations.ttl);
  w.num("default_max_tokens", cfg.reservations.default_max_tokens);
  w.begin("default_output_tokens");
  for (const auto& [key, n] : cfg.reservations.default_output_tokens) w.num(key.c_str(), n);
  w.end();
  w.end();
  w.begin("proxy");
  w.duration("connect_timeout", cfg.proxy.connect_timeout);
  w.duration("first_byte_timeout", cfg.proxy.first_byte_timeout);
  w.duration("idle_timeout", cfg.proxy.idle_timeout);
  w.num("max_attempts", cfg.proxy.max_attempts);
  w.num("max_sse_event_bytes", cfg.proxy.max_sse_event_bytes);
  w.num("max_response_bytes", cfg.proxy.max_response_bytes);
  w.duration("request_timeout", cfg.proxy.request_timeout);
  w.end();
  w.begin("telegram");
  w.boolean("enabled", cfg.telegram.enabled);
  w.secret("token", cfg.telegram.token, "QUOTAGUARD_TELEGRAM_TOKEN");
  w.str("api_base", cfg.telegram.api_base);
  w.key("admins");
  w.raw() << YAML::Flow << YAML::BeginSeq;
  for (auto id : cfg.telegram.admins) w.raw() << id;
  w.raw() << YAML::EndSeq;
  w.num("alert_chat", cfg.telegram.alert_chat);
  w.str("webhook_url", cfg.telegram.webhook_url);
  w.secret("webhook_secret", cfg.telegram.webhook_secret, "QUOTAGUARD_TELEGRAM_WEBHOOK_SECRET");
  w.end();
  w.begin("alerts");
  w.duration("forecast_horizon", cfg.alerts.forecast_horizon);
  w.end();
  w.begin("log");
  w.word("level", to_string(cfg.log.level));
  w.word("format", to_string(cfg.log.format));
  w.boolean("access", cfg.log.access);
  w.end();
  w.raw() << YAML::EndMap;
  std::string head;
  if (!w.vars().empty()) {
    head = "# Secrets are ${VAR} references: set these variables before loading this file:\n#";
    for (const auto& v : w.vars()) head += " " + v;
    head += "\n";
  }
  return head + std::string(w.raw().c_str()) + "\n";
}

}  // namespace qg
