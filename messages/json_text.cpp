// messages/json_text.cpp — see json_text.hpp.
#include "messages/json_text.hpp"

#include <nlohmann/json.hpp>
#include <simdjson.h>

namespace qg {

void append_json_string(std::string& out, std::string_view s) {
  // Printable ASCII without a quote or backslash (ids, names, models: nearly every string an
  // event holds) is its own literal: one scan, one append, no UTF-8 validation. Anything else
  // takes the general path below, which gives the same bytes for such text.
  std::size_t plain = 0;
  while (plain < s.size()) {
    const auto c = static_cast<unsigned char>(s[plain]);
    if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') break;
    ++plain;
  }
  if (plain == s.size()) {
    out.reserve(out.size() + s.size() + 2);
    out += '"';
    out.append(s.data(), s.size());
    out += '"';
    return;
  }
  if (!simdjson::validate_utf8(s.data(), s.size())) {
    out += nlohmann::json(std::string(s)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  std::size_t pending = 0;  // the characters from here on need no escape: appended as one run
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c != '"' && c != '\\' && static_cast<unsigned char>(c) >= 0x20) continue;
    out.append(s.data() + pending, i - pending);
    pending = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        out += "\\u00";
        out += kHex[(c >> 4) & 0xf];
        out += kHex[c & 0xf];
    }
  }
  out.append(s.data() + pending, s.size() - pending);
  out += '"';
}

}  // namespace qg
