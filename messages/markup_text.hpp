// messages/markup_text.hpp — escaping text for HTML and XML (Telegram's HTML parse mode, the
// simulate SVG): & < > " become entities, everything else is kept as is.
#pragma once

#include <string>
#include <string_view>

namespace qg {

inline std::string markup_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 16);
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace qg
