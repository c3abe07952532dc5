// http/request_framing.cpp — see request_framing.hpp.
#include "http/request_framing.hpp"

#include "messages/ascii_text.hpp"

namespace qg {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if ((a[i] | 0x20) != (b[i] | 0x20)) return false;
  return true;
}

bool has_control(std::string_view s) {
  for (unsigned char c : s)
    if ((c < 0x20 && c != '\t') || c == 0x7f) return true;
  return false;
}

// Content-Length value: digits only (a comma list of equal values counts as one, RFC 9110 §8.6).
bool parse_length(std::string_view v, std::uint64_t& out, bool& differing) {
  bool any = false;
  while (true) {
    const std::size_t comma = v.find(',');
    std::string_view item = trim_space(v.substr(0, comma));
    if (item.empty() || item.size() > 18) return false;
    std::uint64_t n = 0;
    for (char c : item) {
      if (c < '0' || c > '9') return false;
      n = n * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if (any && n != out) differing = true;
    out = n;
    any = true;
    if (comma == std::string_view::npos) return true;
    v.remove_prefix(comma + 1);
  }
}

}  // namespace

Framing check_framing(const FramingHeaders& headers) {
  Framing f;
  int transfer_encodings = 0;
  std::string_view transfer_encoding;
  for (const auto& [name, value] : headers) {
    if (has_control(name) || has_control(value)) {
      f.error = FramingError::control_character;
      return f;
    }
    if (iequals(name, "content-length")) {
      std::uint64_t n = 0;
      bool differing = false;
      if (!parse_length(value, n, differing)) {
        f.error = FramingError::bad_content_length;
        return f;
      }
      if (differing || (f.has_length && n != f.content_length)) {
        f.error = FramingError::duplicate_content_length;
        return f;
      }
      f.has_length = true;
      f.content_length = n;
    } else if (iequals(name, "transfer-encoding")) {
      ++transfer_encodings;
      transfer_encoding = trim_space(value);
    }
  }
  if (transfer_encodings > 0) {
    if (f.has_length) {
      f.error = FramingError::length_with_transfer_encoding;
      return f;
    }
    if (transfer_encodings > 1 || !iequals(transfer_encoding, "chunked")) {
      f.error = FramingError::unsupported_transfer_encoding;
      return f;
    }
    f.chunked = true;
  }
  return f;
}

const char* framing_message(FramingError e) {
  switch (e) {
    case FramingError::none: return "ok";
    case FramingError::duplicate_content_length: return "ambiguous request: Content-Length headers disagree";
    case FramingError::bad_content_length: return "malformed Content-Length header";
    case FramingError::length_with_transfer_encoding:
      return "ambiguous request: both Content-Length and Transfer-Encoding";
    case FramingError::unsupported_transfer_encoding: return "unsupported Transfer-Encoding (only chunked)";
    case FramingError::control_character: return "control character in a request header";
  }
  return "malformed request";
}

}  // namespace qg
