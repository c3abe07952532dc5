// http/request_framing.hpp — refusing HTTP requests whose framing is ambiguous.
//
// httplib 0.11 takes the first Content-Length it sees, accepts Content-Length together with
// Transfer-Encoding, and passes header values with control characters through. A front proxy
// that reads the other header (request smuggling), or a credential compared after a NUL, then
// disagrees with us. Before any route runs, the daemon checks the header list here and answers
// 400 naming the problem (RFC 9112 §6.3: both headers, or differing lengths, are an error).
// Pure: no httplib, no I/O; fuzzed by fuzz/request_framing_fuzz.cpp.
#pragma once

#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace qg {

enum class FramingError {
  none,
  duplicate_content_length,       // two Content-Length headers (or a list) with different values
  bad_content_length,             // not a decimal number, or beyond 2^63
  length_with_transfer_encoding,  // Content-Length and Transfer-Encoding together
  unsupported_transfer_encoding,  // anything but a single `chunked`
  control_character,              // a header name or value with NUL, CR, LF or another control
};

struct Framing {
  FramingError error = FramingError::none;
  bool has_length = false;
  std::uint64_t content_length = 0;
  bool chunked = false;
};

using FramingHeaders = std::vector<std::pair<std::string_view, std::string_view>>;

Framing check_framing(const FramingHeaders& headers);

// One line for the 400 body ("two different Content-Length headers", ...).
const char* framing_message(FramingError e);

}  // namespace qg
