// Export: config_to_yaml writes every key, loads back equal, and redacts secrets.
#include "config/config_loader.hpp"
#include "config/config_yaml.hpp"

#include "config_test_util.hpp"

#include <doctest/doctest.h>
#include <yaml-cpp/yaml.h>

#include <map>
#include <set>

using qg::env_from_map;
using qg::LoadOptions;

namespace {

qg::Config full_config() {
  LoadOptions o;
  o.getenv = env_from_map({{"CLIENT_KEY_TWO", "client-key-two"},
                           {"OPENAI_API_KEY", "sk-openai-secret"}});
  o.config_path = qg::test::fixture("full.yaml");
  auto r = qg::load_config(o);
  REQUIRE_MESSAGE(r.ok(), r.error);
  return r.config;
}

qg::Config reload(const std::string& yaml) {
  LoadOptions o;
  o.getenv = env_from_map({});
  auto r = qg::load_config_text(yaml, "export.yaml", o);
  REQUIRE_MESSAGE(r.ok(), (r.error + "\n" + yaml));
  return r.config;
}

}  // namespace

TEST_CASE("export round-trips: defaults and a config with every key set") {
  CHECK(reload(qg::config_to_yaml(qg::Config{}, false)) == qg::Config{});
  qg::Config full = full_config();
  CHECK(reload(qg::config_to_yaml(full, false)) == full);
}

TEST_CASE("export keeps a literal ${ in a value literal") {
  qg::Config c;
  c.storage.db_path = "/tmp/${not-a-var}.db";
  CHECK(reload(qg::config_to_yaml(c, false)).storage.db_path == "/tmp/${not-a-var}.db");
}

TEST_CASE("redacted export shows no secret and writes each as a ${VAR} that loads when set (issue 16 item 3)") {
  qg::Config full = full_config();
  std::string yaml = qg::config_to_yaml(full, true);
  for (const auto& secret : qg::config_secrets(full)) {
    INFO(secret);
    CHECK(yaml.find(secret) == std::string::npos);
  }
  CHECK(yaml.find("***") == std::string::npos);
  CHECK(yaml.rfind("# Secrets are ${VAR} references", 0) == 0);
  // Without the variables the export does not load, and the error names the variable.
  LoadOptions bare;
  bare.getenv = env_from_map({});
  const auto unset = qg::load_config_text(yaml, "export.yaml", bare);
  CHECK_FALSE(unset.ok());
  CHECK(unset.error.find("is not set in the environment") != std::string::npos);
  // With them set to the real values it loads back equal to the original.
  std::map<std::string, std::string> env = {
      {"QUOTAGUARD_ADMIN_TOKEN", full.server.admin_token},
      {"QUOTAGUARD_TELEGRAM_TOKEN", full.telegram.token},
      {"CLIPROXY_API_KEY", full.cliproxy.api_key},
      {"CLIPROXY_MANAGEMENT_KEY", full.cliproxy.management_key},
      {"QUOTAGUARD_TELEGRAM_WEBHOOK_SECRET", full.telegram.webhook_secret},
      {"QUOTAGUARD_POSTGRES_DSN", full.storage.postgres.dsn}};
  for (std::size_t i = 0; i < full.server.api_keys.size(); ++i)
    env["QUOTAGUARD_CLIENT_KEY_" + std::to_string(i + 1)] = full.server.api_keys[i];
  for (const auto& a : full.accounts) env[qg::account_key_variable(a.id)] = a.api_key;
  for (const auto& [var, value] : env)
    if (!value.empty()) CHECK_MESSAGE(yaml.find("\"${" + var + "}\"") != std::string::npos, var);
  LoadOptions with;
  with.getenv = env_from_map(env);
  const auto loaded = qg::load_config_text(yaml, "export.yaml", with);
  REQUIRE_MESSAGE(loaded.ok(), loaded.error);
  CHECK(loaded.config == full);
  CHECK(qg::account_key_variable("openai-main") == "OPENAI_MAIN_API_KEY");
  CHECK(qg::account_key_variable("9lives") == "ACCOUNT_9LIVES_API_KEY");
}

namespace {

// Every key path of a YAML tree ("router.thresholds.switch", "accounts[].limits[].metric").
void collect_paths(const YAML::Node& node, const std::string& prefix, std::set<std::string>& out) {
  if (node.IsMap()) {
    for (const auto& kv : node) {
      std::string path = prefix.empty() ? kv.first.Scalar() : prefix + "." + kv.first.Scalar();
      out.insert(path);
      if (prefix != "router.fallback_chains") collect_paths(kv.second, path, out);
    }
  } else if (node.IsSequence()) {
    for (const auto& item : node) collect_paths(item, prefix + "[]", out);
  }
}

}  // namespace

TEST_CASE("config/example.yaml documents every key") {
  qg::Config with_account;
  with_account.accounts.push_back(qg::AccountConfig{});
  with_account.accounts[0].limits.push_back(qg::LimitSpec{});
  std::set<std::string> keys;
  collect_paths(YAML::Load(qg::config_to_yaml(with_account, false)), "", keys);
  std::set<std::string> documented;
  collect_paths(YAML::LoadFile(std::string(QG_SOURCE_DIR) + "/config/example.yaml"), "",
                documented);
  REQUIRE(keys.size() > 50);
  for (const auto& key : keys) {
    INFO(key);
    CHECK(documented.count(key) == 1);
  }
}
