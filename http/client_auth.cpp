// http/client_auth.cpp — see client_auth.hpp.
#include "http/client_auth.hpp"
#include "messages/digest.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

namespace qg {
namespace {

std::array<unsigned char, 32> sha256(std::string_view text) {
  std::array<unsigned char, 32> digest{};
  unsigned int len = 0;
  EVP_Digest(text.data(), text.size(), digest.data(), &len, EVP_sha256(), nullptr);
  return digest;
}

bool has_control(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return true;
  return false;
}

}  // namespace

bool secret_matches(std::string_view expected, std::string_view given) {
  const auto a = sha256(expected);
  const auto b = sha256(given);
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::optional<std::string_view> bearer_credential(std::string_view header) {
  constexpr std::string_view scheme = "bearer";
  if (header.size() <= scheme.size() + 1 || has_control(header)) return std::nullopt;
  for (std::size_t i = 0; i < scheme.size(); ++i)
    if ((header[i] | 0x20) != scheme[i]) return std::nullopt;
  if (header[scheme.size()] != ' ') return std::nullopt;
  std::string_view token = header.substr(scheme.size() + 1);
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  if (token.empty()) return std::nullopt;
  return token;
}

std::optional<std::string_view> header_credential(std::string_view value) {
  if (value.empty() || has_control(value)) return std::nullopt;
  return value;
}

std::string key_fingerprint(std::string_view key) {
  return "k-" + sha256_hex(key, 12);
}

ClientAuth::ClientAuth(std::vector<std::string> keys) { replace(std::move(keys)); }

AdminToken::AdminToken(std::string token) : token_(std::make_shared<const std::string>(std::move(token))) {}

std::shared_ptr<const std::string> AdminToken::current() const {
  std::lock_guard lock(mu_);
  return token_;
}

void AdminToken::replace(std::string token) {
  auto next = std::make_shared<const std::string>(std::move(token));
  std::lock_guard lock(mu_);
  token_ = std::move(next);
}

void ClientAuth::replace(std::vector<std::string> keys) {
  auto next = std::make_shared<std::vector<Key>>();
  for (const auto& k : keys) next->push_back(Key{sha256(k), key_fingerprint(k)});
  std::lock_guard lock(mu_);
  keys_ = std::move(next);
}

std::shared_ptr<const std::vector<ClientAuth::Key>> ClientAuth::keys() const {
  std::lock_guard lock(mu_);
  return keys_;
}

bool ClientAuth::open() const { return keys()->empty(); }

std::optional<std::string> ClientAuth::check_credential(std::optional<std::string_view> presented) const {
  const auto keys = this->keys();
  if (keys->empty()) return std::string();
  if (!presented) return std::nullopt;
  const auto digest = sha256(*presented);
  const Key* match = nullptr;
  for (const auto& k : *keys)  // no early exit: every key is compared
    if (CRYPTO_memcmp(digest.data(), k.digest.data(), digest.size()) == 0 && !match) match = &k;
  if (!match) return std::nullopt;
  return match->fingerprint;
}

}  // namespace qg
