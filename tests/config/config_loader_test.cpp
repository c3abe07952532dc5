// Loading: built-in defaults, every key from a file, ${VAR}, environment and flag overrides,
// and where the file is looked for.
#include "config/config_loader.hpp"

#include "config_test_util.hpp"

#include <doctest/doctest.h>

using namespace std::chrono;
using qg::env_from_map;
using qg::load_config;
using qg::load_config_text;
using qg::LoadOptions;
using qg::test::fixture;
using qg::test::ScratchDir;

namespace {

LoadOptions with_env(std::map<std::string, std::string> env) {
  LoadOptions o;
  o.getenv = env_from_map(std::move(env));
  return o;
}

const std::map<std::string, std::string> kFullEnv{{"CLIENT_KEY_TWO", "client-key-two"},
                                                   {"OPENAI_API_KEY", "sk-openai-secret"}};

}  // namespace

TEST_CASE("defaults: no file gives exactly the INTERFACE §3 defaults") {
  ScratchDir empty;
  LoadOptions o = with_env({});
  o.search_dir = empty.str();
  auto r = load_config(o);
  REQUIRE(r.ok());
  CHECK(r.path.empty());
  const qg::Config& c = r.config;
  CHECK(c == qg::Config{});
  CHECK(c.server.listen == "127.0.0.1:8318");
  CHECK(c.server.api_keys.empty());
  CHECK(c.server.admin_token.empty());
  CHECK(c.server.max_connections == 8192);
  CHECK(c.server.max_body_bytes == 10485760);
  CHECK(c.server.threads == 0);
  CHECK(c.server.shutdown_timeout == seconds{30});
  CHECK(c.storage.db_path == "./quotaguard.db");
  CHECK(c.storage.synchronous == qg::Synchronous::normal);
  CHECK(c.storage.snapshot_every == 10000);
  CHECK(c.storage.on_error == qg::OnJournalError::reject);
  CHECK(c.cliproxy.auth_dir == "~/.cli-proxy-api");
  CHECK(c.cliproxy.base_url == "http://127.0.0.1:8317");
  CHECK(c.cliproxy.api_key.empty());
  CHECK(c.cliproxy.management_key.empty());
  CHECK(c.cliproxy.rescan_interval == minutes{5});
  CHECK(c.cliproxy.poll_interval == seconds{60});
  CHECK(c.accounts.empty());
  CHECK(c.router.policy == qg::RoutePolicy::balanced);
  CHECK(c.router.thresholds.warning == 85);
  CHECK(c.router.thresholds.switch_at == 90);
  CHECK(c.router.thresholds.critical == 95);
  CHECK(c.router.anti_flapping.min_dwell == minutes{5});
  CHECK(c.router.anti_flapping.cooldown_after_switch == minutes{3});
  CHECK(c.router.anti_flapping.hysteresis == 5);
  CHECK(c.router.fallback_chains.empty());
  CHECK(c.router.all_critical == qg::AllCritical::drain);
  CHECK_FALSE(c.router.route_by_client_key);
  CHECK(c.router.circuit_breaker.failures == 5);
  CHECK(c.router.circuit_breaker.base == seconds{10});
  CHECK(c.router.circuit_breaker.cap == minutes{10});
  CHECK(c.router.circuit_breaker.auth_cooldown == hours{6});
  CHECK(c.reservations.ttl == minutes{10});
  CHECK(c.reservations.default_max_tokens == 1024);
  CHECK(c.proxy.connect_timeout == seconds{5});
  CHECK(c.proxy.first_byte_timeout == seconds{120});
  CHECK(c.proxy.idle_timeout == seconds{120});
  CHECK(c.proxy.max_attempts == 3);
  CHECK_FALSE(c.telegram.enabled);
  CHECK(c.telegram.token.empty());
  CHECK(c.telegram.api_base == "https://api.telegram.org");
  CHECK(c.telegram.admins.empty());
  CHECK(c.telegram.alert_chat == 0);
  CHECK(c.log.level == qg::LogLevel::info);
  CHECK(c.log.format == qg::LogFormat::text);
}

TEST_CASE("server.threads: 0 is one actor scheduler worker per two cores, at least one") {
  CHECK(qg::actor_scheduler_workers(0, 2) == 1);   // the 2-core machines the benchmarks run on
  CHECK(qg::actor_scheduler_workers(0, 1) == 1);
  CHECK(qg::actor_scheduler_workers(0, 0) == 1);   // hardware_concurrency() unknown
  CHECK(qg::actor_scheduler_workers(0, 3) == 1);
  CHECK(qg::actor_scheduler_workers(0, 4) == 2);
  CHECK(qg::actor_scheduler_workers(0, 64) == 32);
  CHECK(qg::actor_scheduler_workers(3, 2) == 3);   // a configured count is taken as it is
  CHECK(qg::actor_scheduler_workers(1, 64) == 1);
}

TEST_CASE("an empty file and empty sections also give the defaults") {
  for (const char* text : {"", "# nothing\n", "server:\nstorage: ~\nrouter: {}\naccounts: []\n"}) {
    auto r = load_config_text(text, "config.yaml", with_env({}));
    INFO(text);
    REQUIRE(r.ok());
    CHECK(r.config == qg::Config{});
  }
}

TEST_CASE("every key is read from the file") {
  LoadOptions o = with_env(kFullEnv);
  o.config_path = fixture("full.yaml");
  auto r = load_config(o);
  REQUIRE_MESSAGE(r.ok(), r.error);
  CHECK(r.path == fixture("full.yaml"));
  const qg::Config& c = r.config;
  CHECK(c.server.listen == "0.0.0.0:9000");
  CHECK(c.server.api_keys == std::vector<std::string>{"client-key-one", "client-key-two"});
  CHECK(c.server.admin_token == "admin-secret-token");
  CHECK(c.server.max_connections == 64);
  CHECK(c.server.max_body_bytes == 2048);
  CHECK(c.server.threads == 3);
  CHECK(c.server.shutdown_timeout == seconds{45});
  CHECK(c.server.tls.cert == "/etc/qg/tls/fullchain.pem");
  CHECK(c.server.tls.key == "/etc/qg/tls/privkey.pem");
  CHECK(c.storage.db_path == "/var/lib/qg/events.db");
  CHECK(c.storage.synchronous == qg::Synchronous::full);
  CHECK(c.storage.snapshot_every == 500);
  CHECK(c.storage.on_error == qg::OnJournalError::allow);
  CHECK(c.storage.busy_timeout == std::chrono::milliseconds{250});
  CHECK(c.storage.backend == qg::StorageBackend::postgres);
  CHECK(c.storage.postgres.dsn == "postgresql://qg:pg-secret-password@db.internal:5433/quotaguard");
  CHECK(c.storage.postgres.pool_size == 6);
  CHECK(c.storage.postgres.statement_timeout == seconds{2});
  CHECK(c.storage.postgres.node_id == "node-1");
  CHECK(c.cliproxy.auth_dir == "/srv/auth");
  CHECK(c.cliproxy.base_url == "http://10.0.0.2:8317");  // trailing slash dropped
  CHECK(c.cliproxy.api_key == "cliproxy-api-key");
  CHECK(c.cliproxy.management_key == "cliproxy-mgmt-key");
  CHECK(c.cliproxy.rescan_interval == seconds{90});
  CHECK(c.cliproxy.poll_interval == seconds{15});

  REQUIRE(c.accounts.size() == 3);
  const auto& a = c.accounts[0];
  CHECK(a.id == "openai-main");
  CHECK(a.provider == "openai");
  CHECK(a.type == "openai");  // defaults to provider
  CHECK(a.base_url == "https://api.openai.com/v1");
  CHECK(a.api_key == "sk-openai-secret");
  CHECK(a.models == std::vector<std::string>{"gpt-4o-mini", "gpt-4o"});
  CHECK(a.priority == 2);
  CHECK_FALSE(a.enabled);
  REQUIRE(a.limits.size() == 4);
  CHECK(a.limits[0] == qg::LimitSpec{qg::Metric::requests, 60, 500});
  CHECK(a.limits[1] == qg::LimitSpec{qg::Metric::tokens, 86400, 2000000});
  CHECK(a.limits[2] == qg::LimitSpec{qg::Metric::input_tokens, 5 * 3600, 10});
  CHECK(a.limits[3] == qg::LimitSpec{qg::Metric::output_tokens, 7 * 86400, 20});
  CHECK(a.prefix.empty());
  const auto& b = c.accounts[1];
  CHECK(b.provider == "anthropic");
  CHECK(b.type == "claude-team");
  CHECK(b.base_url == "https://api.anthropic.com/v1");
  CHECK(b.prefix == "team");
  CHECK(b.enabled);
  CHECK(b.priority == 0);
  CHECK(b.models.empty());
  CHECK(c.accounts[2].base_url == "http://10.0.0.2:8317/v1");  // cliproxy accounts: its base_url

  CHECK(c.router.policy == qg::RoutePolicy::earliest_reset);
  CHECK(c.router.thresholds.warning == 70);
  CHECK(c.router.thresholds.switch_at == 80.5);
  CHECK(c.router.thresholds.critical == 99);
  CHECK(c.router.anti_flapping.min_dwell == minutes{2});
  CHECK(c.router.anti_flapping.cooldown_after_switch == seconds{30});
  CHECK(c.router.anti_flapping.hysteresis == 7.5);
  CHECK(c.router.fallback_chains.size() == 2);
  CHECK(c.router.fallback_chains.at("gpt-4o") == std::vector<std::string>{"gpt-4o-mini", "gpt-3.5"});
  CHECK(c.router.fallback_chains.at("o1").empty());
  CHECK(c.router.all_critical == qg::AllCritical::reject);
  CHECK(c.router.route_by_client_key);
  CHECK(c.router.circuit_breaker.failures == 9);
  CHECK(c.router.circuit_breaker.base == seconds{20});
  CHECK(c.router.circuit_breaker.cap == hours{1});
  CHECK(c.router.circuit_breaker.auth_cooldown == hours{24});
  CHECK(c.reservations.ttl == seconds{90});
  CHECK(c.reservations.default_max_tokens == 4096);
  CHECK(c.proxy.connect_timeout == seconds{2});
  CHECK(c.proxy.first_byte_timeout == minutes{1});
  CHECK(c.proxy.idle_timeout == seconds{45});
  CHECK(c.proxy.max_attempts == 5);
  CHECK(c.telegram.enabled);
  CHECK(c.telegram.token == "123456:telegram-bot-token");
  CHECK(c.telegram.api_base == "http://127.0.0.1:9999");
  CHECK(c.telegram.admins == std::vector<std::int64_t>{111, 222});
  CHECK(c.telegram.alert_chat == -100123);
  CHECK(c.log.level == qg::LogLevel::debug);
  CHECK(c.log.format == qg::LogFormat::json);

  auto secrets = qg::config_secrets(c);
  for (const char* s : {"client-key-one", "client-key-two", "admin-secret-token", "cliproxy-api-key",
                        "cliproxy-mgmt-key", "sk-openai-secret", "anthropic-key-1",
                        "123456:telegram-bot-token",
                        "postgresql://qg:pg-secret-password@db.internal:5433/quotaguard"})
    CHECK(std::find(secrets.begin(), secrets.end(), s) != secrets.end());
  CHECK(secrets.size() == 9);
}

TEST_CASE("${VAR} expansion: plain, embedded, default, escaped") {
  auto r = load_config_text(
      "storage:\n  db_path: \"${DATA}/qg-${NAME}.db\"\n"
      "cliproxy:\n  auth_dir: \"${MISSING:-/default/auth}\"\n  api_key: \"$${LITERAL}\"\n"
      "server:\n  max_connections: ${CONNS}\n",
      "config.yaml", with_env({{"DATA", "/data"}, {"NAME", "prod"}, {"CONNS", "32"}}));
  REQUIRE_MESSAGE(r.ok(), r.error);
  CHECK(r.config.storage.db_path == "/data/qg-prod.db");
  CHECK(r.config.cliproxy.auth_dir == "/default/auth");
  CHECK(r.config.cliproxy.api_key == "${LITERAL}");
  CHECK(r.config.server.max_connections == 32);
}

TEST_CASE("${VAR} in a comment is not expanded") {
  auto r = load_config_text("# uses ${NOT_SET}\nlog: {level: warn}\n", "c.yaml", with_env({}));
  REQUIRE_MESSAGE(r.ok(), r.error);
  CHECK(r.config.log.level == qg::LogLevel::warn);
}

TEST_CASE("environment overrides the file - flags override the environment") {
  ScratchDir dir;
  std::string path = dir.write("c.yaml",
                               "storage: {db_path: file.db}\nserver: {listen: \"127.0.0.1:1\", "
                               "admin_token: file-token}\ncliproxy: {auth_dir: /file/auth}\n"
                               "telegram: {token: file-telegram}\n");
  LoadOptions o = with_env({{"QUOTAGUARD_DB_PATH", "env.db"},
                            {"QUOTAGUARD_CLIPROXY_AUTH_PATH", "/env/auth"},
                            {"QUOTAGUARD_ADMIN_TOKEN", "env-admin-token"},
                            {"QUOTAGUARD_TELEGRAM_TOKEN", "env-telegram-token"},
                            {"SHUTDOWN_TIMEOUT", "5s"}});
  o.config_path = path;
  auto r = load_config(o);
  REQUIRE_MESSAGE(r.ok(), r.error);
  CHECK(r.config.storage.db_path == "env.db");
  CHECK(r.config.cliproxy.auth_dir == "/env/auth");
  CHECK(r.config.server.admin_token == "env-admin-token");
  CHECK(r.config.telegram.token == "env-telegram-token");
  CHECK(r.config.server.shutdown_timeout == seconds{5});
  CHECK(r.config.server.listen == "127.0.0.1:1");
  CHECK(std::find(r.overrides.begin(), r.overrides.end(),
                  "storage.db_path from QUOTAGUARD_DB_PATH") != r.overrides.end());
  CHECK(r.config.storage.postgres.dsn.empty());

  o.db_path = "flag.db";
  o.listen = "127.0.0.1:0";
  o.auth_dir = "/flag/auth";
  r = load_config(o);
  REQUIRE_MESSAGE(r.ok(), r.error);
  CHECK(r.config.storage.db_path == "flag.db");
  CHECK(r.config.server.listen == "127.0.0.1:0");
  CHECK(r.config.cliproxy.auth_dir == "/flag/auth");
}

TEST_CASE("QUOTAGUARD_STORAGE_BACKEND selects the event log backend over the file") {
  const std::string sqlite_file = "storage: {backend: sqlite}\n";
  auto r = load_config_text(sqlite_file, "config.yaml",
                            with_env({{"QUOTAGUARD_STORAGE_BACKEND", "postgres"},
                                      {"QUOTAGUARD_POSTGRES_DSN", "postgresql://db/qg"}}));
  REQUIRE_MESSAGE(r.ok(), r.error);
  CHECK(r.config.storage.backend == qg::StorageBackend::postgres);
  CHECK(std::find(r.overrides.begin(), r.overrides.end(),
                  "storage.backend from QUOTAGUARD_STORAGE_BACKEND") != r.overrides.end());
  // postgres still needs a DSN; a misspelt backend is refused, naming the variable.
  r = load_config_text(sqlite_file, "config.yaml", with_env({{"QUOTAGUARD_STORAGE_BACKEND", "postgres"}}));
  CHECK(r.error.find("storage.postgres.dsn: required") != std::string::npos);
  r = load_config_text(sqlite_file, "config.yaml", with_env({{"QUOTAGUARD_STORAGE_BACKEND", "postgresql"}}));
  CHECK(r.error == "QUOTAGUARD_STORAGE_BACKEND: postgresql is not one of sqlite|postgres");
  r = load_config_text("storage: {backend: postgres, postgres: {dsn: \"x\"}}\n", "config.yaml",
                       with_env({{"QUOTAGUARD_STORAGE_BACKEND", "sqlite"}}));
  REQUIRE_MESSAGE(r.ok(), r.error);
  CHECK(r.config.storage.backend == qg::StorageBackend::sqlite);
}

TEST_CASE("an empty environment variable counts as unset") {
  LoadOptions o = with_env({{"QUOTAGUARD_DB_PATH", ""}, {"QUOTAGUARD_CONFIG_PATH", ""}});
  ScratchDir empty;
  o.search_dir = empty.str();
  auto r = load_config(o);
  REQUIRE(r.ok());
  CHECK(r.config.storage.db_path == "./quotaguard.db");
}

TEST_CASE("file search: --config, then QUOTAGUARD_CONFIG_PATH, then ./config.yaml") {
  ScratchDir dir;
  std::string local = dir.write("config.yaml", "log: {level: debug}\n");
  std::string from_env = dir.write("env.yaml", "log: {level: warn}\n");
  std::string from_flag = dir.write("flag.yaml", "log: {level: error}\n");

  LoadOptions o = with_env({});
  o.search_dir = dir.str();
  auto r = load_config(o);
  REQUIRE(r.ok());
  CHECK(r.path == local);
  CHECK(r.config.log.level == qg::LogLevel::debug);

  o.getenv = env_from_map({{"QUOTAGUARD_CONFIG_PATH", from_env}});
  r = load_config(o);
  CHECK(r.path == from_env);
  CHECK(r.config.log.level == qg::LogLevel::warn);

  o.config_path = from_flag;
  r = load_config(o);
  CHECK(r.path == from_flag);
  CHECK(r.config.log.level == qg::LogLevel::error);
}

TEST_CASE("--config naming a file that does not exist is an error, not the defaults") {
  LoadOptions o = with_env({});
  o.config_path = "/nonexistent/qg.yaml";
  auto r = load_config(o);
  CHECK(r.error == "/nonexistent/qg.yaml: cannot read config file (no such file)");
}

// Issue 16 item 4: `docker compose up -d` before config.yaml exists (the original README's
// order) must start on the built-in defaults plus environment and say so, not crash-loop.
TEST_CASE("QUOTAGUARD_CONFIG_PATH not written yet, or a folder: defaults + environment, with a note") {
  ScratchDir dir;
  LoadOptions o = with_env({{"QUOTAGUARD_CONFIG_PATH", dir.str() + "/config.yaml"},
                            {"QUOTAGUARD_ADMIN_TOKEN", "from-env-token"}});
  auto r = load_config(o);
  REQUIRE_MESSAGE(r.ok(), r.error);
  CHECK(r.path.empty());
  CHECK(r.note.find("no config file at " + dir.str() + "/config.yaml") != std::string::npos);
  CHECK(r.config.server.admin_token == "from-env-token");
  CHECK(r.config.server.listen == qg::Config{}.server.listen);

  // Docker bind-mounting a missing file creates a folder at its path.
  o.getenv = env_from_map({{"QUOTAGUARD_CONFIG_PATH", dir.str()}});
  r = load_config(o);
  REQUIRE_MESSAGE(r.ok(), r.error);
  CHECK(r.path.empty());
  CHECK(r.note.find("is a folder without config.yaml") != std::string::npos);

  // Once the operator writes config.yaml into the mounted folder, it is read.
  const std::string written = dir.write("config.yaml", "log: {level: warn}\n");
  r = load_config(o);
  REQUIRE_MESSAGE(r.ok(), r.error);
  CHECK(r.path == written);
  CHECK(r.note.empty());
  CHECK(r.config.log.level == qg::LogLevel::warn);
}

TEST_CASE("the shipped example config loads") {
  LoadOptions o = with_env({{"OPENAI_API_KEY", "sk-example"}});
  o.config_path = std::string(QG_SOURCE_DIR) + "/config/example.yaml";
  auto r = load_config(o);
  REQUIRE_MESSAGE(r.ok(), r.error);
  CHECK(r.config.server.listen == "127.0.0.1:8318");
}

TEST_CASE("QUOTAGUARD_POSTGRES_DSN sets storage.postgres.dsn, which is a secret (issue 19)") {
  ScratchDir dir;
  std::string path = dir.write("c.yaml", "storage: {backend: postgres}\n");
  const std::string dsn = "postgresql://qg:env-pg-password@10.0.0.9/qg";
  LoadOptions o = with_env({{"QUOTAGUARD_POSTGRES_DSN", dsn}});
  o.config_path = path;
  auto r = load_config(o);
  REQUIRE_MESSAGE(r.ok(), r.error);
  CHECK(r.config.storage.backend == qg::StorageBackend::postgres);
  CHECK(r.config.storage.postgres.dsn == dsn);
  CHECK(std::find(r.overrides.begin(), r.overrides.end(),
                  "storage.postgres.dsn from QUOTAGUARD_POSTGRES_DSN") != r.overrides.end());
  const auto secrets = qg::config_secrets(r.config);
  CHECK(std::find(secrets.begin(), secrets.end(), dsn) != secrets.end());
  CHECK(r.config.storage.postgres.pool_size == 4);  // defaults
  CHECK(r.config.storage.postgres.statement_timeout == seconds{5});
}
