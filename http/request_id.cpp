// http/request_id.cpp — see request_id.hpp.
#include "http/request_id.hpp"
#include "http/upstream_headers.hpp"

#include <httplib.h>

#include <cstdint>
#include <random>

namespace qg {

bool acceptable_request_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id)
    if (c <= 0x20 || c >= 0x7f || c == '"' || c == '\\') return false;
  return true;
}

namespace {

// splitmix64 (Steele, Lea, Flood 2014): 8 bytes of state per thread. Every worker thread has
// its own copy of each thread_local in its static TLS block, touched at thread start whether
// the thread uses it or not: a std::mt19937_64 there cost every stream's thread 2.5 KiB.
std::uint64_t next_random() {
  thread_local std::uint64_t state = [] {
    std::random_device rd;
    return (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
  }();
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

}  // namespace

std::string generate_request_id() {
  std::uint64_t hi = next_random(), lo = next_random();
  hi = (hi & 0xFFFFFFFFFFFF0FFFULL) | 0x0000000000004000ULL;  // version 4
  lo = (lo & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;  // variant 10xx
  static constexpr char kHex[] = "0123456789abcdef";
  char out[36];  // written in place: one string made, not 36 appends
  char* p = out;
  auto put = [&](std::uint64_t v, int from_nibble, int count) {
    for (int i = from_nibble; i < from_nibble + count; ++i) *p++ = kHex[(v >> (60 - 4 * i)) & 0xF];
  };
  put(hi, 0, 8);
  *p++ = '-';
  put(hi, 8, 4);
  *p++ = '-';
  put(hi, 12, 4);
  *p++ = '-';
  put(lo, 0, 4);
  *p++ = '-';
  put(lo, 4, 12);
  return std::string(out, sizeof out);
}

std::string request_id_from(std::string_view client_value) {
  return acceptable_request_id(client_value) ? std::string(client_value) : generate_request_id();
}

std::string request_id_of(const httplib::Response& res) {
  return std::string(reply_header(res, kRequestIdHeader));
}

}  // namespace qg
