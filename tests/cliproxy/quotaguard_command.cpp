// tests/cliproxy/quotaguard_command.cpp — see quotaguard_command.hpp.
#include "tests/cliproxy/quotaguard_command.hpp"

#include "tests/cliproxy/cliproxy_test_support.hpp"
#include "tests/support/daemon_process.hpp"
#include "tests/support/test_storage.hpp"

namespace qg::cliproxy::test {

namespace fs = std::filesystem;

RunResult quotaguard(const std::vector<std::string>& args, const std::vector<std::string>& env) {
  qg::test::RunOptions opts;
  for (const auto& kv : env) {
    const auto eq = kv.find('=');
    opts.set_env(kv.substr(0, eq), eq == std::string::npos ? "" : kv.substr(eq + 1));
  }
  const auto r = qg::test::run_quotaguard(args, opts);
  return RunResult{r.exit_code, r.out, r.err};
}

bool log_written(const fs::path& db) {
  if (!qg::test::postgres_storage()) return fs::exists(db);
  return quotaguard({"replay", "--db", db.string(), "--json", "--events-only"}).exit_code == 0;
}

std::string log_text(const fs::path& db) {
  if (qg::test::postgres_storage()) {
    const auto r = quotaguard({"replay", "--db", db.string(), "--json", "--events-only"});
    return r.exit_code == 0 ? r.out : "";
  }
  std::string all;
  for (const char* suffix : {"", "-wal", "-shm"}) {
    fs::path p = db.string() + suffix;
    if (fs::exists(p)) all += read_file(p);
  }
  return all;
}

}  // namespace qg::cliproxy::test
