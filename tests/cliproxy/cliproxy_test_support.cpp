// tests/cliproxy/cliproxy_test_support.cpp — see cliproxy_test_support.hpp.
#include "tests/cliproxy/cliproxy_test_support.hpp"

#include "cliproxy/auth_file.hpp"

#include <nlohmann/json.hpp>

#include <fstream>
#include <random>
#include <sstream>

namespace qg::cliproxy::test {

std::filesystem::path fixture_dir() { return std::filesystem::path(QG_SOURCE_DIR) / "tests/fixtures/cliproxy"; }

void write_file(const std::filesystem::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << bytes;
}

namespace {
void collect(const nlohmann::json& v, bool secret, std::vector<std::string>& out) {
  if (v.is_object()) {
    for (auto it = v.begin(); it != v.end(); ++it) collect(it.value(), is_secret_key(it.key()), out);
  } else if (v.is_array()) {
    for (const auto& e : v) collect(e, secret, out);
  } else if (secret && v.is_string() && v.get<std::string>().size() >= 6) {
    out.push_back(v.get<std::string>());
  }
}
}  // namespace

std::vector<std::string> fixture_secrets() {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(fixture_dir() / "auth-types"))
    collect(nlohmann::json::parse(read_file(e.path())), false, out);
  return out;
}

std::string leaked_secret(const std::string& text) {
  static const std::vector<std::string> secrets = fixture_secrets();
  for (const auto& s : secrets)
    if (text.find(s) != std::string::npos) return s;
  return {};
}

}  // namespace qg::cliproxy::test
