// messages/digest.hpp — the one place that hashes and hex-encodes.
//
//   sha256_hex   SHA-256 (OpenSSL EVP) as lower-case hex, optionally cut to a prefix: account
//                ids and credential fingerprints of CLIProxyAPI auth files, client-key ids
//                ("k-" + 12 hex) in logs and metrics. Never reversible to the input.
//   fnv1a64_hex  FNV-1a 64 as 16 lower-case hex digits: the snapshot checksum (on disk, see
//                docs/EVENT_LOG.md) and the Telegram token fingerprint in the settings table.
//                Not a security hash: it detects change and corruption.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace qg {

// Lower-case hex of `n` bytes.
std::string to_hex(const unsigned char* bytes, std::size_t n);

// The first `hex_chars` (at most 64) lower-case hex digits of SHA-256(data).
std::string sha256_hex(std::string_view data, std::size_t hex_chars = 64);

// FNV-1a 64 of `data` as 16 lower-case hex digits.
std::string fnv1a64_hex(std::string_view data);

}  // namespace qg
