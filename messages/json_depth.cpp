// messages/json_depth.cpp — see json_depth.hpp.
#include "messages/json_depth.hpp"

namespace qg {

bool json_too_deep(std::string_view text, int limit) {
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;  // the escaped character never closes the string
      else if (c == '"') in_string = false;
      continue;
    }
    switch (c) {
      case '"': in_string = true; break;
      case '[':
      case '{':
        if (++depth > limit) return true;
        break;
      case ']':
      case '}':
        if (depth > 0) --depth;
        break;
      default: break;
    }
  }
  return false;
}

std::string json_depth_error(int limit) {
  return "JSON nesting deeper than " + std::to_string(limit) + " levels";
}

}  // namespace qg
