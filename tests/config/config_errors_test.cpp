// Every kind of bad configuration gives exactly one line naming file, key path and value.
#include "config/config_loader.hpp"

#include <doctest/doctest.h>

using qg::env_from_map;
using qg::load_config_text;
using qg::LoadOptions;

namespace {

std::string error_of(const std::string& yaml, std::map<std::string, std::string> env = {}) {
  LoadOptions o;
  o.getenv = env_from_map(std::move(env));
  auto r = load_config_text(yaml, "config.yaml", o);
  CHECK(r.error.find('\n') == std::string::npos);
  if (!r.ok()) CHECK(r.config == qg::Config{});  // nothing half-loaded escapes
  return r.error;
}

struct Case {
  const char* yaml;
  const char* error;
};

void check_all(std::initializer_list<Case> cases) {
  for (const auto& c : cases) {
    INFO(c.yaml);
    CHECK(error_of(c.yaml) == c.error);
  }
}

}  // namespace

TEST_CASE("percentages and threshold order") {
  check_all({
      {"router: {thresholds: {switch: 120}}",
       "config.yaml: router.thresholds.switch: 120 is not a percentage (0..100)"},
      {"router: {thresholds: {warning: -1}}",
       "config.yaml: router.thresholds.warning: -1 is not a percentage (0..100)"},
      {"router: {thresholds: {critical: lots}}",
       "config.yaml: router.thresholds.critical: lots is not a percentage (0..100)"},
      {"router: {thresholds: {warning: 91}}",
       "config.yaml: router.thresholds.warning: must be <= switch (90)"},
      {"router: {thresholds: {warning: 50, switch: 96}}",
       "config.yaml: router.thresholds.switch: must be <= critical (95)"},
      {"router: {thresholds: {warning: 80, switch: 85.6, critical: 85.5}}",
       "config.yaml: router.thresholds.switch: must be <= critical (85.5)"},
      {"router: {thresholds: {warning: 0}}",
       "config.yaml: router.thresholds.warning: must be a percent in (0, 100], got 0"},
      {"router: {anti_flapping: {hysteresis: 60}}",
       "config.yaml: router.anti_flapping.hysteresis: 60 is not a number of points in 0..50"},
  });
}

TEST_CASE("unknown keys name the key and suggest the nearest known one") {
  check_all({
      {"router:\n  polcy: balanced\n",
       "config.yaml: router.polcy: unknown key (did you mean router.policy?)"},
      {"sever: {listen: \"127.0.0.1:1\"}\n",
       "config.yaml: sever: unknown key (did you mean server?)"},
      {"server: {max-connections: 5}\n",
       "config.yaml: server.max-connections: unknown key (did you mean server.max_connections?)"},
      {"router: {thresholds: {swich: 50}}\n",
       "config.yaml: router.thresholds.swich: unknown key (did you mean router.thresholds.switch?)"},
      {"accounts:\n  - {id: a, provider: openai, api_ky: x}\n",
       "config.yaml: accounts[0].api_ky: unknown key (did you mean accounts[0].api_key?)"},
      {"accounts:\n  - {id: a, provider: openai, limits: [{metric: tokens, window: 1m, limt: 5}]}\n",
       "config.yaml: accounts[0].limits[0].limt: unknown key (did you mean "
       "accounts[0].limits[0].limit?)"},
      {"server: {policy: balanced}\n",
       "config.yaml: server.policy: unknown key (did you mean router.policy?)"},
      {"colour: blue\n", "config.yaml: colour: unknown key"},
  });
}

TEST_CASE("enums list their choices") {
  check_all({
      {"router: {policy: fastest}",
       "config.yaml: router.policy: fastest is not one of "
       "balanced|max_remaining|fill_first|earliest_reset|round_robin|paced"},
      {"router: {all_critical: panic}",
       "config.yaml: router.all_critical: panic is not one of drain|reject"},
      {"storage: {synchronous: off}",
       "config.yaml: storage.synchronous: off is not one of normal|full"},
      {"storage: {on_error: ignore}",
       "config.yaml: storage.on_error: ignore is not one of reject|allow"},
      {"storage: {busy_timeout: 11m}", "config.yaml: storage.busy_timeout: must be at most 10m"},
      {"storage: {backend: mysql}", "config.yaml: storage.backend: mysql is not one of sqlite|postgres"},
      {"storage: {postgres: {pool_size: 1}}", "config.yaml: storage.postgres.pool_size: 1 is below the minimum 2"},
      {"storage: {postgres: {statement_timeout: 11m}}",
       "config.yaml: storage.postgres.statement_timeout: must be at most 10m"},
      {"storage: {postgres: {dns: x}}", "config.yaml: storage.postgres.dns: unknown key"},
      {"storage: {backend: postgres}",
       "storage.postgres.dsn: required when storage.backend is postgres (or set QUOTAGUARD_POSTGRES_DSN)"},
      {"telegram: {webhook_url: \"https://qg.example/hook\"}",
       "config.yaml: telegram.webhook_secret: is required with webhook_url (it proves a call comes from Telegram)"},
      {"telegram: {webhook_url: \"http://qg.example/hook\", webhook_secret: s}",
       "config.yaml: telegram.webhook_url: http://qg.example/hook is not an https:// URL (Telegram calls webhooks over HTTPS only)"},
      {"telegram: {webhook_url: \"https://qg.example/hook\", webhook_secret: \"a b\"}",
       "config.yaml: telegram.webhook_secret: must be 1-256 characters of A-Z, a-z, 0-9, _ and - (Telegram's rule)"},
      {"log: {level: verbose}",
       "config.yaml: log.level: verbose is not one of trace|debug|info|warn|error"},
      {"log: {format: xml}", "config.yaml: log.format: xml is not one of text|json"},
      {"accounts: [{id: a, provider: azure}]",
       "config.yaml: accounts[0].provider: azure is not one of openai|anthropic|gemini|cliproxy"},
      {"accounts: [{id: a, provider: openai, limits: [{metric: bytes, window: 1m, limit: 1}]}]",
       "config.yaml: accounts[0].limits[0].metric: bytes is not one of "
       "requests|tokens|input_tokens|output_tokens"},
  });
}

TEST_CASE("numbers, booleans, durations, addresses and URLs") {
  check_all({
      {"server: {listen: \"localhost\"}", "config.yaml: server.listen: localhost is not HOST:PORT"},
      {"server: {listen: \"127.0.0.1:99999\"}",
       "config.yaml: server.listen: 127.0.0.1:99999 is not HOST:PORT"},
      {"server: {max_connections: many}", "config.yaml: server.max_connections: many is not an integer"},
      {"server: {max_connections: 0}",
       "config.yaml: server.max_connections: 0 is below the minimum 1"},
      {"server: {max_body_bytes: 1.5}", "config.yaml: server.max_body_bytes: 1.5 is not an integer"},
      {"server: {threads: -2}", "config.yaml: server.threads: -2 is below the minimum 0"},
      {"telegram: {enabled: maybe}", "config.yaml: telegram.enabled: maybe is not true or false"},
      {"telegram: {admins: [12, bob]}", "config.yaml: telegram.admins[1]: bob is not an integer"},
      {"telegram: {api_base: \"ftp://x\"}",
       "config.yaml: telegram.api_base: ftp://x is not an http:// or https:// URL"},
      {"cliproxy: {poll_interval: 5x}",
       "config.yaml: cliproxy.poll_interval: 5x is not a duration (Go syntax, e.g. 1.5s, 500ms, 1h30m, 7d)"},
      {"cliproxy: {poll_interval: -5m}", "config.yaml: cliproxy.poll_interval: -5m must not be negative"},
      {"reservations: {ttl: 0s}", "config.yaml: reservations.ttl: 0s must be longer than 0"},
      {"proxy: {max_attempts: 0}", "config.yaml: proxy.max_attempts: 0 is below the minimum 1"},
      {"router: {circuit_breaker: {base: 1h, cap: 1m}}",
       "config.yaml: router.circuit_breaker.cap: 1m must not be below base 1h"},
      {"storage: {db_path: \"\"}", "config.yaml: storage.db_path: must not be empty"},
      {"server: {tls: {cert: /etc/qg/cert.pem}}", "config.yaml: server.tls: cert is set but key is not"},
      {"server: {tls: {key: /etc/qg/key.pem}}", "config.yaml: server.tls: key is set but cert is not"},
      {"server: {tls: {crt: x}}", "config.yaml: server.tls.crt: unknown key (did you mean server.tls.cert?)"},
  });
}

TEST_CASE("shapes: mapping, list, scalar where something else is expected") {
  check_all({
      {"server: 5", "config.yaml: server: expected a mapping, got a value"},
      {"- a\n- b\n", "config.yaml: expected a mapping of sections"},
      {"server: {api_keys: key}", "config.yaml: server.api_keys: expected a list, got a value"},
      {"server: {listen: [a]}", "config.yaml: server.listen: expected a string, got a list"},
      {"accounts: {id: a}", "config.yaml: accounts: expected a list, got a mapping"},
      {"server: {listen: \"127.0.0.1:1\", listen: \"127.0.0.1:2\"}",
       "config.yaml: server.listen: duplicate key"},
  });
}

TEST_CASE("accounts: ids, providers and limits") {
  check_all({
      {"accounts: [{provider: openai}]", "config.yaml: accounts[0].id: missing"},
      {"accounts: [{id: a}]", "config.yaml: accounts[0].provider: missing (openai|anthropic|gemini|cliproxy)"},
      {"accounts: [{id: \"a b\", provider: openai}]",
       "config.yaml: accounts[0].id: a b is not an account id (no spaces, '/', '?', '#' or '%')"},
      {"accounts: [{id: a, provider: openai}, {id: b, provider: openai}, {id: a, provider: anthropic}]",
       "config.yaml: accounts[2].id: a is a duplicate of accounts[0].id"},
      {"accounts: [{id: a, provider: openai, limits: [{metric: tokens, limit: 5}]}]",
       "config.yaml: accounts[0].limits[0].window: missing (a duration such as 1m or 1d)"},
      {"accounts: [{id: a, provider: openai, limits: [{metric: tokens, window: 1500ms, limit: 5}]}]",
       "config.yaml: accounts[0].limits[0].window: 1500ms is not a whole number of seconds"},
      {"accounts: [{id: a, provider: openai, limits: [{metric: tokens, window: 1m, limit: 0}]}]",
       "config.yaml: accounts[0].limits[0].limit: 0 is below the minimum 1"},
      {"accounts: [{id: a, provider: openai, priority: high}]",
       "config.yaml: accounts[0].priority: high is not an integer"},
  });
}

TEST_CASE("malformed YAML gives line and column") {
  CHECK(error_of("server:\n  listen: [unclosed\n") ==
        "config.yaml: line 3, column 1: malformed YAML (end of sequence flow not found)");
  CHECK(error_of("server: {listen: 1\n") ==
        "config.yaml: line 2, column 1: malformed YAML (end of map flow not found)");
  CHECK(error_of("server:\n  listen: x\n bad: [\n") ==
        "config.yaml: line 3, column 2: malformed YAML (end of map not found)");
}

TEST_CASE("${VAR}: an undefined variable is named") {
  CHECK(error_of("accounts: [{id: a, provider: openai, api_key: \"${OPENAI_API_KEY}\"}]") ==
        "config.yaml: accounts[0].api_key: ${OPENAI_API_KEY} is not set in the environment");
  CHECK(error_of("storage: {db_path: \"${}\"}") ==
        "config.yaml: storage.db_path: ${} is not a variable name");
  CHECK(error_of("storage: {db_path: \"${OOPS\"}") ==
        "config.yaml: storage.db_path: unterminated ${ in value");
}

TEST_CASE("bad environment and flag values are named too") {
  LoadOptions o;
  o.getenv = env_from_map({{"SHUTDOWN_TIMEOUT", "soon"}});
  CHECK(load_config_text("", "config.yaml", o).error ==
        "SHUTDOWN_TIMEOUT: soon is not a duration (Go syntax, e.g. 30s, 1.5s, 1m30s)");
  // Go durations, as the Go version's users write them (issue 16 item 5).
  o.getenv = env_from_map({{"SHUTDOWN_TIMEOUT", "1.5s"}});
  auto loaded = load_config_text("cliproxy: {poll_interval: 1m30s}\nreservations: {ttl: 2.5m}\n",
                                 "config.yaml", o);
  REQUIRE(loaded.error.empty());
  CHECK(loaded.config.server.shutdown_timeout == std::chrono::milliseconds{1500});
  CHECK(loaded.config.cliproxy.poll_interval == std::chrono::seconds{90});
  CHECK(loaded.config.reservations.ttl == std::chrono::seconds{150});
  o.getenv = env_from_map({{"SHUTDOWN_TIMEOUT", "-1s"}});
  CHECK(load_config_text("", "config.yaml", o).error ==
        "SHUTDOWN_TIMEOUT: -1s is not a duration (Go syntax, e.g. 30s, 1.5s, 1m30s)");
  o.getenv = env_from_map({});
  o.listen = "nowhere";
  CHECK(load_config_text("", "config.yaml", o).error == "--listen: nowhere is not HOST:PORT");
}

TEST_CASE("errors never show a secret value") {
  // A secret key given a list is refused without echoing what was there.
  std::string e = error_of("server: {admin_token: [\"hunter2-secret\"]}");
  CHECK(e == "config.yaml: server.admin_token: expected a string, got a list");
  e = error_of("server: {api_keys: [[\"nested-secret\"]]}");
  CHECK(e == "config.yaml: server.api_keys[0]: expected a string, got a list");
}

TEST_CASE("an error quoting a value with CR, LF or NUL stays one line") {
  const std::string err = error_of("accounts: [{id: \"a\\r\\nb\\u0000c\", provider: openai}]");
  CHECK_MESSAGE(err.find('\n') == std::string::npos, err);
  CHECK(err.find('\r') == std::string::npos);
  CHECK(err.find("a\\x0d\\x0ab\\x00c") != std::string::npos);
}
