// config/redaction.cpp — see redaction.hpp.
#include "config/redaction.hpp"

#include <algorithm>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <vector>

namespace qg {
namespace {

struct Registry {
  std::shared_mutex mutex;
  std::vector<std::string> secrets;  // sorted longest first
};

Registry& registry() {
  static Registry r;
  return r;
}

}  // namespace

void register_secret(std::string secret) {
  if (secret.size() < kMinSecretLength) return;
  Registry& r = registry();
  std::unique_lock lock(r.mutex);
  if (std::find(r.secrets.begin(), r.secrets.end(), secret) != r.secrets.end()) return;
  auto at = std::find_if(r.secrets.begin(), r.secrets.end(),
                         [&](const std::string& s) { return s.size() < secret.size(); });
  r.secrets.insert(at, std::move(secret));
}

std::string redact(std::string_view text) {
  Registry& r = registry();
  std::shared_lock lock(r.mutex);
  std::string out(text);
  for (const auto& secret : r.secrets) {
    std::size_t pos = 0;
    while ((pos = out.find(secret, pos)) != std::string::npos) {
      out.replace(pos, secret.size(), "***");
      pos += 3;
    }
  }
  return out;
}

bool contains_secret(std::string_view text) {
  Registry& r = registry();
  std::shared_lock lock(r.mutex);
  return std::any_of(r.secrets.begin(), r.secrets.end(),
                     [&](const std::string& s) { return text.find(s) != std::string_view::npos; });
}

void clear_secrets_for_testing() {
  Registry& r = registry();
  std::unique_lock lock(r.mutex);
  r.secrets.clear();
}

}  // namespace qg
