// http/request_json_values.hpp — the values a client request's JSON is read for, one rule each,
// shared by the chat-family parser (request_parser.cpp) and the dialects' (dialect_request.cpp).
//
// Read with simdjson's on-demand API: a value is consumed by the call that reads it. Each
// returns false when the JSON is not what it claims to be (the caller answers 400).
#pragma once

#include "http/request_parser.hpp"  // kMaxRequestTokens

#include <simdjson.h>

#include <cctype>
#include <cstdint>
#include <string_view>

namespace qg::request_json {

// A raw JSON token without the whitespace on-demand leaves after it.
inline std::string_view trim_right(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

inline bool is_null(simdjson::ondemand::value& v) {
  simdjson::ondemand::json_type t;
  return v.type().get(t) == simdjson::SUCCESS && t == simdjson::ondemand::json_type::null;
}

// Bytes a value adds to the prompt (the reservation's estimate): a string's length, an array's
// or object's raw JSON size, nothing for a number, boolean or null.
inline bool add_value_bytes(simdjson::ondemand::value v, std::int64_t& out) {
  namespace od = simdjson::ondemand;
  od::json_type type;
  if (v.type().get(type)) return false;
  std::string_view s;
  if (type == od::json_type::string) {
    if (v.get_string().get(s)) return false;
  } else if (type == od::json_type::array) {
    od::array a;
    if (v.get_array().get(a) || a.raw_json().get(s)) return false;
  } else if (type == od::json_type::object) {
    od::object o;
    if (v.get_object().get(o) || o.raw_json().get(s)) return false;
  } else {
    return true;
  }
  out += static_cast<std::int64_t>(s.size());
  return true;
}

// A token or choice count: an integer in [0, kMaxRequestTokens] (it feeds the estimate).
inline bool read_count(simdjson::ondemand::value v, std::int64_t& out) {
  std::int64_t n;
  if (v.get_int64().get(n) || n < 0 || n > kMaxRequestTokens) return false;
  out = n;
  return true;
}

}  // namespace qg::request_json
