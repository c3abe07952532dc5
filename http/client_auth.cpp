// http/client_auth.cpp — see client_auth.hpp.
#include "http/client_auth.hpp"
#include "messages/digest.hpp"


namespace qg {

bool constant_time_equals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  volatile unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff = diff | static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

std::string key_fingerprint(std::string_view key) {
  return "k-" + sha256_hex(key, 12);
}

ClientAuth::ClientAuth(std::vector<std::string> keys) : keys_(std::move(keys)) {
  for (const auto& k : keys_) fingerprints_.push_back(key_fingerprint(k));
}

std::optional<std::string> ClientAuth::check(std::string_view header) const {
  if (keys_.empty()) return std::string();
  constexpr std::string_view bearer = "Bearer ";
  if (header.size() <= bearer.size() || header.substr(0, bearer.size()) != bearer) return std::nullopt;
  std::string_view presented = header.substr(bearer.size());
  int match = -1;
  for (std::size_t i = 0; i < keys_.size(); ++i)
    if (constant_time_equals(presented, keys_[i]) && match < 0) match = static_cast<int>(i);
  if (match < 0) return std::nullopt;
  return fingerprints_[static_cast<std::size_t>(match)];
}

}  // namespace qg
