// http/client_auth.hpp — client authentication for /v1/* by `server.api_keys`.
//
// `Authorization: Bearer <key>` compared in constant time against every configured key (no
// early exit, no length-dependent branches on key bytes). An empty key list means open access.
// A matched key is identified by a fingerprint (SHA-256 prefix), never by the key itself.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qg {

class ClientAuth {
 public:
  explicit ClientAuth(std::vector<std::string> keys);
  bool open() const { return keys_.empty(); }
  // The fingerprint of the key in `authorization_header` ("" when open), nullopt if refused.
  std::optional<std::string> check(std::string_view authorization_header) const;

 private:
  std::vector<std::string> keys_;
  std::vector<std::string> fingerprints_;
};

// Constant-time equality for equal-length inputs (length itself is not secret).
bool constant_time_equals(std::string_view a, std::string_view b);

// "k-" + first 12 hex chars of SHA-256(key).
std::string key_fingerprint(std::string_view key);

}  // namespace qg
