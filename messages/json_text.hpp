// messages/json_text.hpp — the one JSON string escaper.
//
// Every hand-written JSON string (event lines, log lines, OpenAI error bodies, the proxy's
// model rewrite) goes through here: quotes, backslashes and control characters escaped;
// text that is not valid UTF-8 gets U+FFFD replacements (as nlohmann's `replace` handler
// does), so the output is always valid JSON.
#pragma once

#include <string>
#include <string_view>

namespace qg {

// Appends `s` as a JSON string literal.
void append_json_string(std::string& out, std::string_view s);

// `s` as a JSON string literal.
inline std::string json_quote(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  append_json_string(out, s);
  return out;
}

}  // namespace qg
