// tests/support/test_storage.cpp — see test_storage.hpp.
#include "tests/support/test_storage.hpp"

#include "config/config_loader.hpp"
#include "tests/support/daemon_process.hpp"
#include "tests/support/postgres_server.hpp"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>

namespace qg::test {
namespace {

namespace fs = std::filesystem;

// The value of `--name V` or `--name=V` in args (the last one wins, as for the CLI).
std::optional<std::string> flag_value(const std::vector<std::string>& args, const std::string& name) {
  std::optional<std::string> found;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == name && i + 1 < args.size()) found = args[i + 1];
    else if (args[i].rfind(name + "=", 0) == 0) found = args[i].substr(name.size() + 1);
  }
  return found;
}

void drop_flag(std::vector<std::string>& args, const std::string& name) {
  std::vector<std::string> kept;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == name && i + 1 < args.size()) ++i;
    else if (args[i].rfind(name + "=", 0) != 0) kept.push_back(args[i]);
  }
  args = std::move(kept);
}

std::string absolute_in(const std::string& cwd, const std::string& path) {
  fs::path p(path);
  return (p.is_absolute() ? p : fs::path(cwd) / p).lexically_normal().string();
}

}  // namespace

bool postgres_storage() {
  static const bool on = [] {
    const char* v = std::getenv("QG_TEST_STORAGE");
    const std::string s = v != nullptr ? v : "";
    if (s.empty() || s == "sqlite") return false;
    if (s == "postgres") return true;
    throw std::runtime_error("QG_TEST_STORAGE=" + s + ": expected sqlite or postgres");
  }();
  return on;
}

std::string postgres_log_for(const std::string& db_path) {
  static std::mutex mu;
  static std::map<std::string, std::string> dsn_of;
  std::lock_guard<std::mutex> lock(mu);
  auto it = dsn_of.find(db_path);
  if (it == dsn_of.end()) it = dsn_of.emplace(db_path, shared_postgres().create_database()).first;
  return it->second;
}

void apply_test_storage(std::vector<std::string>& args, const std::string& cwd,
                        std::map<std::string, std::string>& env) {
  if (!postgres_storage()) return;
  if (env.count("QUOTAGUARD_STORAGE_BACKEND") != 0 || env.count("QUOTAGUARD_POSTGRES_DSN") != 0) return;
  // The log this process would open, by the binary's own loader. `simulate --config` names
  // other settings, not the daemon's config (docs/INTERFACE.md).
  LoadOptions load;
  load.getenv = [&env](const std::string& name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  load.search_dir = cwd;
  const bool simulate = !args.empty() && args.front() == "simulate";
  if (auto c = flag_value(args, "--config"); c && !simulate) load.config_path = absolute_in(cwd, *c);
  if (auto db = flag_value(args, "--db")) load.db_path = *db;
  const LoadResult loaded = load_config(load);
  if (loaded.ok() && loaded.config.storage.backend == StorageBackend::postgres) return;
  const std::string db = loaded.ok() ? loaded.config.storage.db_path : load.db_path.value_or("./quotaguard.db");
  env["QUOTAGUARD_STORAGE_BACKEND"] = "postgres";
  env["QUOTAGUARD_POSTGRES_DSN"] = postgres_log_for(absolute_in(cwd, db));
  drop_flag(args, "--db");
}

StorageConfig test_log_storage(const std::string& db_path) {
  StorageConfig storage;
  storage.db_path = db_path;
  if (postgres_storage()) {
    storage.backend = StorageBackend::postgres;
    storage.postgres.dsn = postgres_log_for(db_path);
  }
  return storage;
}

std::string open_reservations_after_restart(const DaemonProcess& d) {
  const auto list = [&d] { return d.get("/api/v1/reservations").body; };
  std::string body = list();
  const auto empty = [](const std::string& b) { return b.find("\"reservations\":[]") != std::string::npos; };
  for (int i = 0; i < 300 && postgres_storage() && !empty(body); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    body = list();
  }
  return body;
}

void skip_on_postgres(const char* why) {
  if (!postgres_storage()) return;
  std::printf("skipped on PostgreSQL (QG_TEST_STORAGE=postgres): %s\n", why);
  std::fflush(stdout);
  std::_Exit(77);
}

}  // namespace qg::test
