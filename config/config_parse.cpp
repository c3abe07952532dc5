// config/config_parse.cpp — see config_parse.hpp.
#include "config/config_parse.hpp"
#include "config/thresholds_rule.hpp"

#include "messages/duration.hpp"
#include "config/listen_address.hpp"

#include <algorithm>
#include <cctype>
#include <limits>

namespace qg {
namespace {

constexpr std::int64_t kMaxI64 = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMinI64 = std::numeric_limits<std::int64_t>::min();

// Reads `key` of `m` through `read(node, path)` when present; leaves `out` alone otherwise.
template <typename T, typename Read>
void opt(MapReader& m, std::string_view key, T& out, Read read) {
  YAML::Node node = m.take(key);
  if (present(node)) out = read(node, m.path_of(key));
}

void parse_server(ParseContext& ctx, MapReader& m, ServerConfig& s) {
  opt(m, "listen", s.listen, [&](const YAML::Node& n, const std::string& p) {
    std::string v = read_string(ctx, n, p);
    if (!parse_listen(v)) ctx.fail(p, (v.empty() ? "\"\"" : v) + " is not HOST:PORT");
    return v;
  });
  opt(m, "api_keys", s.api_keys, [&](const YAML::Node& n, const std::string& p) {
    return read_string_list(ctx, n, p, /*secret=*/true);
  });
  opt(m, "admin_token", s.admin_token,
      [&](const YAML::Node& n, const std::string& p) { return read_secret(ctx, n, p); });
  opt(m, "max_connections", s.max_connections, [&](const YAML::Node& n, const std::string& p) {
    return static_cast<int>(read_int(ctx, n, p, 1, 100'000));
  });
  opt(m, "max_body_bytes", s.max_body_bytes,
      [&](const YAML::Node& n, const std::string& p) { return read_int(ctx, n, p, 1, kMaxI64); });
  opt(m, "max_admin_body_bytes", s.max_admin_body_bytes,
      [&](const YAML::Node& n, const std::string& p) { return read_int(ctx, n, p, 1, kMaxI64); });
  opt(m, "allow_unauthenticated", s.allow_unauthenticated,
      [&](const YAML::Node& n, const std::string& p) { return read_bool(ctx, n, p); });
  opt(m, "threads", s.threads, [&](const YAML::Node& n, const std::string& p) {
    return static_cast<int>(read_int(ctx, n, p, 0, 1024));
  });
  opt(m, "shutdown_timeout", s.shutdown_timeout, [&](const YAML::Node& n, const std::string& p) {
    return read_duration(ctx, n, p, /*positive=*/false);
  });
  MapReader tls(ctx, m.take("tls"), m.path_of("tls"), "server.tls");
  auto path = [&](const YAML::Node& n, const std::string& p) { return read_string(ctx, n, p); };
  opt(tls, "cert", s.tls.cert, path);
  opt(tls, "key", s.tls.key, path);
  tls.finish();
  if (s.tls.cert.empty() != s.tls.key.empty())
    ctx.fail("server.tls", s.tls.cert.empty() ? "key is set but cert is not" : "cert is set but key is not");
}

void parse_postgres(ParseContext& ctx, MapReader& m, PostgresConfig& p) {
  opt(m, "dsn", p.dsn, [&](const YAML::Node& n, const std::string& path) { return read_secret(ctx, n, path); });
  opt(m, "pool_size", p.pool_size, [&](const YAML::Node& n, const std::string& path) {
    return static_cast<int>(read_int(ctx, n, path, 2, 64));
  });
  opt(m, "statement_timeout", p.statement_timeout, [&](const YAML::Node& n, const std::string& path) {
    auto d = read_duration(ctx, n, path, /*positive=*/false);
    if (d > std::chrono::minutes{10}) ctx.fail(path, "must be at most 10m");
    return d;
  });
  opt(m, "node_id", p.node_id, [&](const YAML::Node& n, const std::string& path) {
    std::string v = read_string(ctx, n, path);
    if (v.size() > 64) ctx.fail(path, "must be at most 64 characters");
    return v;
  });
}

void parse_storage(ParseContext& ctx, MapReader& m, StorageConfig& s) {
  opt(m, "backend", s.backend, [&](const YAML::Node& n, const std::string& p) {
    return read_enum<StorageBackend>(ctx, n, p, storage_backend_from_string, "sqlite|postgres");
  });
  opt(m, "db_path", s.db_path, [&](const YAML::Node& n, const std::string& p) {
    std::string v = read_string(ctx, n, p);
    if (v.empty()) ctx.fail(p, "must not be empty");
    return v;
  });
  opt(m, "synchronous", s.synchronous, [&](const YAML::Node& n, const std::string& p) {
    return read_enum<Synchronous>(ctx, n, p, synchronous_from_string, "normal|full");
  });
  opt(m, "snapshot_every", s.snapshot_every,
      [&](const YAML::Node& n, const std::string& p) { return read_int(ctx, n, p, 0, kMaxI64); });
  opt(m, "on_error", s.on_error, [&](const YAML::Node& n, const std::string& p) {
    return read_enum<OnJournalError>(ctx, n, p, on_error_from_string, "reject|allow");
  });
  opt(m, "busy_timeout", s.busy_timeout, [&](const YAML::Node& n, const std::string& p) {
    auto d = read_duration(ctx, n, p, /*positive=*/false);
    if (d > std::chrono::minutes{10}) ctx.fail(p, "must be at most 10m");
    return d;
  });
  YAML::Node postgres = m.take("postgres");
  MapReader pm(ctx, postgres, m.path_of("postgres"), "storage.postgres");
  if (present(postgres)) parse_postgres(ctx, pm, s.postgres);
  pm.finish();
}

std::string read_url(ParseContext& ctx, const YAML::Node& n, const std::string& p) {
  std::string v = read_string(ctx, n, p);
  if (v.rfind("http://", 0) != 0 && v.rfind("https://", 0) != 0)
    ctx.fail(p, (v.empty() ? "\"\"" : v) + " is not an http:// or https:// URL");
  while (v.size() > 1 && v.back() == '/') v.pop_back();
  return v;
}

void parse_cliproxy(ParseContext& ctx, MapReader& m, CliproxyConfig& c) {
  auto str = [&](const YAML::Node& n, const std::string& p) { return read_string(ctx, n, p); };
  auto secret = [&](const YAML::Node& n, const std::string& p) { return read_secret(ctx, n, p); };
  auto url = [&](const YAML::Node& n, const std::string& p) { return read_url(ctx, n, p); };
  auto dur = [&](const YAML::Node& n, const std::string& p) { return read_duration(ctx, n, p); };
  opt(m, "auth_dir", c.auth_dir, str);
  opt(m, "base_url", c.base_url, url);
  opt(m, "api_key", c.api_key, secret);
  opt(m, "management_key", c.management_key, secret);
  opt(m, "rescan_interval", c.rescan_interval, dur);
  opt(m, "poll_interval", c.poll_interval, dur);
}


bool valid_account_id(const std::string& id) {
  return !id.empty() && std::none_of(id.begin(), id.end(), [](char c) {
    return c == '/' || c == '?' || c == '#' || c == '%' || static_cast<unsigned char>(c) <= ' ';
  });
}

AccountConfig parse_account(ParseContext& ctx, const YAML::Node& node, const std::string& path,
                            const CliproxyConfig& cliproxy) {
  MapReader m(ctx, node, path, "accounts[]");
  AccountConfig a;
  auto str = [&](const YAML::Node& n, const std::string& p) { return read_string(ctx, n, p); };
  YAML::Node id = m.require("id", "");
  a.id = read_string(ctx, id, m.path_of("id"));
  if (!valid_account_id(a.id))
    ctx.fail(m.path_of("id"), (a.id.empty() ? "\"\"" : a.id) +
                                  " is not an account id (no spaces, '/', '?', '#' or '%')");
  YAML::Node provider = m.require("provider", "(openai|anthropic|gemini|cliproxy)");
  a.provider = read_string(ctx, provider, m.path_of("provider"));
  if (a.provider != "openai" && a.provider != "anthropic" && a.provider != "gemini" && a.provider != "cliproxy")
    ctx.fail(m.path_of("provider"), (a.provider.empty() ? "\"\"" : a.provider) +
                                        " is not one of openai|anthropic|gemini|cliproxy");
  opt(m, "type", a.type, str);
  opt(m, "base_url", a.base_url,
      [&](const YAML::Node& n, const std::string& p) { return read_url(ctx, n, p); });
  opt(m, "api_key", a.api_key,
      [&](const YAML::Node& n, const std::string& p) { return read_secret(ctx, n, p); });
  opt(m, "models", a.models, [&](const YAML::Node& n, const std::string& p) {
    return read_string_list(ctx, n, p);
  });
  opt(m, "priority", a.priority, [&](const YAML::Node& n, const std::string& p) {
    return read_int(ctx, n, p, -1'000'000, 1'000'000);
  });
  opt(m, "enabled", a.enabled,
      [&](const YAML::Node& n, const std::string& p) { return read_bool(ctx, n, p); });
  for_each_item(ctx, m.take("limits"), m.path_of("limits"),
                [&](std::size_t, const YAML::Node& item, const std::string& p) {
                  a.limits.push_back(parse_limit(ctx, item, p, "accounts[].limits[]"));
                });
  opt(m, "prefix", a.prefix, str);
  m.finish();
  if (a.type.empty()) a.type = a.provider;
  if (a.base_url.empty()) a.base_url = default_base_url(a.provider, cliproxy);
  return a;
}

void parse_thresholds(ParseContext& ctx, MapReader& m, ThresholdsConfig& t) {
  auto pct = [&](const YAML::Node& n, const std::string& p) { return read_percent(ctx, n, p); };
  opt(m, "warning", t.warning, pct);
  opt(m, "switch", t.switch_at, pct);
  opt(m, "critical", t.critical, pct);
}

void parse_router(ParseContext& ctx, MapReader& m, RouterConfig& r) {
  auto dur = [&](const YAML::Node& n, const std::string& p) { return read_duration(ctx, n, p); };
  auto dur0 = [&](const YAML::Node& n, const std::string& p) {
    return read_duration(ctx, n, p, /*positive=*/false);
  };
  opt(m, "policy", r.policy, [&](const YAML::Node& n, const std::string& p) {
    return read_enum<RoutePolicy>(ctx, n, p, policy_from_string,
                                  "balanced|max_remaining|fill_first|earliest_reset|round_robin|paced");
  });
  {
    MapReader t(ctx, m.take("thresholds"), m.path_of("thresholds"), "router.thresholds");
    parse_thresholds(ctx, t, r.thresholds);
    t.finish();
    const ThresholdsConfig& th = r.thresholds;
    if (auto problem = check_thresholds(th.warning, th.switch_at, th.critical))
      ctx.fail("router.thresholds." + problem->field, problem->message);
  }
  {
    MapReader a(ctx, m.take("anti_flapping"), m.path_of("anti_flapping"), "router.anti_flapping");
    opt(a, "min_dwell", r.anti_flapping.min_dwell, dur0);
    opt(a, "cooldown_after_switch", r.anti_flapping.cooldown_after_switch, dur0);
    auto& hysteresis = r.anti_flapping.hysteresis;
    opt(a, "hysteresis", hysteresis, [&](const YAML::Node& n, const std::string& p) {
      double v = read_percent(ctx, n, p);
      if (v >= 50) ctx.fail(p, n.Scalar() + " is not a number of points in 0..50");
      return v;
    });
    a.finish();
  }
  {
    YAML::Node chains = m.take("fallback_chains");
    std::string path = m.path_of("fallback_chains");
    MapReader f(ctx, chains, path, "router.fallback_chains");
    if (present(chains))
      for (const auto& kv : chains) {
        std::string model = kv.first.Scalar();
        r.fallback_chains[model] = read_string_list(ctx, f.take(model), f.path_of(model));
      }
    f.finish();
  }
  opt(m, "all_critical", r.all_critical, [&](const YAML::Node& n, const std::string& p) {
    return read_enum<AllCritical>(ctx, n, p, all_critical_from_string, "drain|reject");
  });
  opt(m, "route_by_client_key", r.route_by_client_key,
      [&](const YAML::Node& n, const std::string& p) { return read_bool(ctx, n, p); });
  {
    MapReader c(ctx, m.take("circuit_breaker"), m.path_of("circuit_breaker"),
                "router.circuit_breaker");
    opt(c, "failures", r.circuit_breaker.failures, [&](const YAML::Node& n, const std::string& p) {
      return static_cast<int>(read_int(ctx, n, p, 1, 1000));
    });
    opt(c, "base", r.circuit_breaker.base, dur);
    opt(c, "cap", r.circuit_breaker.cap, dur);
    opt(c, "auth_cooldown", r.circuit_breaker.auth_cooldown, dur);
    c.finish();
    if (r.circuit_breaker.cap < r.circuit_breaker.base)
      ctx.fail("router.circuit_breaker.cap", format_duration(r.circuit_breaker.cap) +
                                                 " must not be below base " +
                                                 format_duration(r.circuit_breaker.base));
  }
}

void parse_telegram(ParseContext& ctx, MapReader& m, TelegramConfig& t) {
  opt(m, "enabled", t.enabled,
      [&](const YAML::Node& n, const std::string& p) { return read_bool(ctx, n, p); });
  opt(m, "token", t.token,
      [&](const YAML::Node& n, const std::string& p) { return read_secret(ctx, n, p); });
  opt(m, "api_base", t.api_base,
      [&](const YAML::Node& n, const std::string& p) { return read_url(ctx, n, p); });
  for_each_item(ctx, m.take("admins"), m.path_of("admins"),
                [&](std::size_t, const YAML::Node& item, const std::string& p) {
                  t.admins.push_back(read_int(ctx, item, p, kMinI64, kMaxI64));
                });
  opt(m, "alert_chat", t.alert_chat, [&](const YAML::Node& n, const std::string& p) {
    return read_int(ctx, n, p, kMinI64, kMaxI64);
  });
  opt(m, "webhook_url", t.webhook_url, [&](const YAML::Node& n, const std::string& p) {
    std::string v = read_string(ctx, n, p);
    if (!v.empty() && v.rfind("https://", 0) != 0)
      ctx.fail(p, v + " is not an https:// URL (Telegram calls webhooks over HTTPS only)");
    return v;
  });
  opt(m, "webhook_secret", t.webhook_secret, [&](const YAML::Node& n, const std::string& p) {
    std::string v = read_secret(ctx, n, p);
    const bool valid = v.size() <= 256 && std::all_of(v.begin(), v.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
    });
    if (!valid) ctx.fail(p, "must be 1-256 characters of A-Z, a-z, 0-9, _ and - (Telegram's rule)");
    return v;
  });
  if (!t.webhook_url.empty() && t.webhook_secret.empty())
    ctx.fail(m.path_of("webhook_secret"), "is required with webhook_url (it proves a call comes from Telegram)");
}

}  // namespace

LimitSpec parse_limit(ParseContext& ctx, const YAML::Node& node, const std::string& path,
                      const std::string& generic) {
  MapReader m(ctx, node, path, generic);
  LimitSpec limit;
  constexpr std::string_view kMetrics = "requests|tokens|input_tokens|output_tokens";
  YAML::Node metric = m.require("metric", "(" + std::string(kMetrics) + ")");
  limit.metric = read_enum<Metric>(ctx, metric, m.path_of("metric"), metric_from_string, kMetrics);
  YAML::Node window = m.require("window", "(a duration such as 1m or 1d)");
  auto ms = read_duration(ctx, window, m.path_of("window"));
  if (ms.count() % 1000 != 0)
    ctx.fail(m.path_of("window"), window.Scalar() + " is not a whole number of seconds");
  limit.window_s = ms.count() / 1000;
  YAML::Node value = m.require("limit", "(a positive integer)");
  limit.limit = read_int(ctx, value, m.path_of("limit"), 1, kMaxI64);
  m.finish();
  return limit;
}

std::string default_base_url(const std::string& provider, const CliproxyConfig& cliproxy) {
  if (provider == "openai") return "https://api.openai.com/v1";
  if (provider == "anthropic") return "https://api.anthropic.com/v1";
  if (provider == "gemini") return "https://generativelanguage.googleapis.com/v1beta";
  if (provider == "cliproxy") return cliproxy.base_url + "/v1";
  return "";
}

Config parse_config_tree(ParseContext& ctx, const YAML::Node& root) {
  Config cfg;
  MapReader top(ctx, root, "", "");
  auto section = [&](std::string_view key, auto&& parse) {
    MapReader m(ctx, top.take(key), std::string(key), std::string(key));
    parse(m);
    m.finish();
  };
  section("server", [&](MapReader& m) { parse_server(ctx, m, cfg.server); });
  section("storage", [&](MapReader& m) { parse_storage(ctx, m, cfg.storage); });
  section("cliproxy", [&](MapReader& m) { parse_cliproxy(ctx, m, cfg.cliproxy); });
  for_each_item(ctx, top.take("accounts"), "accounts",
                [&](std::size_t i, const YAML::Node& item, const std::string& p) {
                  AccountConfig a = parse_account(ctx, item, p, cfg.cliproxy);
                  for (std::size_t j = 0; j < i; ++j)
                    if (cfg.accounts[j].id == a.id)
                      ctx.fail(p + ".id", a.id + " is a duplicate of accounts[" +
                                              std::to_string(j) + "].id");
                  cfg.accounts.push_back(std::move(a));
                });
  section("router", [&](MapReader& m) { parse_router(ctx, m, cfg.router); });
  section("reservations", [&](MapReader& m) {
    opt(m, "ttl", cfg.reservations.ttl,
        [&](const YAML::Node& n, const std::string& p) { return read_duration(ctx, n, p); });
    opt(m, "default_max_tokens", cfg.reservations.default_max_tokens,
        [&](const YAML::Node& n, const std::string& p) { return read_int(ctx, n, p, 1, kMaxI64); });
    YAML::Node outputs = m.take("default_output_tokens");
    std::string path = m.path_of("default_output_tokens");
    MapReader f(ctx, outputs, path, "reservations.default_output_tokens");
    if (present(outputs))
      for (const auto& kv : outputs) {
        std::string key = kv.first.Scalar();
        cfg.reservations.default_output_tokens[key] = read_int(ctx, f.take(key), f.path_of(key), 1, kMaxI64);
      }
    f.finish();
  });
  section("proxy", [&](MapReader& m) {
    auto dur = [&](const YAML::Node& n, const std::string& p) { return read_duration(ctx, n, p); };
    opt(m, "connect_timeout", cfg.proxy.connect_timeout, dur);
    opt(m, "first_byte_timeout", cfg.proxy.first_byte_timeout, dur);
    opt(m, "idle_timeout", cfg.proxy.idle_timeout, dur);
    opt(m, "max_attempts", cfg.proxy.max_attempts, [&](const YAML::Node& n, const std::string& p) {
      return static_cast<int>(read_int(ctx, n, p, 1, 100));
    });
    opt(m, "max_sse_event_bytes", cfg.proxy.max_sse_event_bytes,
        [&](const YAML::Node& n, const std::string& p) { return read_int(ctx, n, p, 1024, kMaxI64); });
    opt(m, "max_response_bytes", cfg.proxy.max_response_bytes,
        [&](const YAML::Node& n, const std::string& p) { return read_int(ctx, n, p, 1024, kMaxI64); });
    opt(m, "request_timeout", cfg.proxy.request_timeout, dur);
  });
  section("telegram", [&](MapReader& m) { parse_telegram(ctx, m, cfg.telegram); });
  section("alerts", [&](MapReader& m) {
    opt(m, "forecast_horizon", cfg.alerts.forecast_horizon,
        [&](const YAML::Node& n, const std::string& p) { return read_duration(ctx, n, p); });
  });
  section("log", [&](MapReader& m) {
    opt(m, "level", cfg.log.level, [&](const YAML::Node& n, const std::string& p) {
      return read_enum<LogLevel>(ctx, n, p, log_level_from_string, "trace|debug|info|warn|error");
    });
    opt(m, "format", cfg.log.format, [&](const YAML::Node& n, const std::string& p) {
      return read_enum<LogFormat>(ctx, n, p, log_format_from_string, "text|json");
    });
    opt(m, "access", cfg.log.access, [&](const YAML::Node& n, const std::string& p) {
      return read_bool(ctx, n, p);
    });
  });
  top.finish();
  ctx.report_unknown();
  return cfg;
}

}  // namespace qg
