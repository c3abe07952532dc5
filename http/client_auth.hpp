// http/client_auth.hpp — the one credential check of the HTTP surface.
//
// Every route that takes a secret (client keys on /v1/* and every dialect, the admin token on
// /api/v1/*, the Telegram webhook secret) compares through `secret_matches`: SHA-256 of both
// sides compared with CRYPTO_memcmp, so the time depends on neither content nor length.
// Credentials are extracted by `bearer_credential` (`Authorization: Bearer <token>`, scheme
// case-insensitive per RFC 7235) or `header_credential` (x-api-key, x-goog-api-key): a value
// holding a NUL or any other control character is refused, never truncated or trimmed.
//
// `ClientAuth` holds the client keys (`server.api_keys`); `replace` swaps them atomically on
// reload, so a revoked key stops working for the next request. A matched key is identified by
// a fingerprint (SHA-256 prefix), never by the key itself. An empty key list means open access.
// `AdminToken` is server.admin_token shared by every admin route (the admin API, the advisory
// API, the Telegram update route); `replace` rotates it on reload the same way.
#pragma once

#include <array>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qg {

// True when `given` equals `expected` (constant time over both; see above).
bool secret_matches(std::string_view expected, std::string_view given);

// The token of an `Authorization: Bearer <token>` value; nullopt when the header is empty, uses
// another scheme, has an empty token, or holds a control character (NUL, CR, LF, DEL, ...).
std::optional<std::string_view> bearer_credential(std::string_view authorization);
// A raw credential header (x-api-key ...): nullopt when empty or holding a control character.
std::optional<std::string_view> header_credential(std::string_view value);

// "k-" + first 12 hex chars of SHA-256(key).
std::string key_fingerprint(std::string_view key);

class AdminToken {
 public:
  explicit AdminToken(std::string token = {});
  // The token now in force ("" = admin routes open). Later calls see a replacement.
  std::shared_ptr<const std::string> current() const;
  void replace(std::string token);

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const std::string> token_;
};

class ClientAuth {
 public:
  explicit ClientAuth(std::vector<std::string> keys = {});
  bool open() const;
  // Rotates the accepted keys (reload): later checks see only `keys`.
  void replace(std::vector<std::string> keys);
  // The fingerprint of the key presented ("" when open), nullopt if refused.
  std::optional<std::string> check_credential(std::optional<std::string_view> presented) const;
  // The same for an `Authorization` header value.
  std::optional<std::string> check(std::string_view authorization_header) const {
    return check_credential(bearer_credential(authorization_header));
  }

 private:
  struct Key {
    std::array<unsigned char, 32> digest;
    std::string fingerprint;
  };
  std::shared_ptr<const std::vector<Key>> keys() const;
  mutable std::mutex mu_;
  std::shared_ptr<const std::vector<Key>> keys_;
};

}  // namespace qg
