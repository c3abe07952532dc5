// telegram/chat_text.cpp — HTML escaping and message splitting.
#include "telegram/chat_text.hpp"

#include "messages/markup_text.hpp"

namespace qg::telegram {

std::string html_escape(std::string_view text) { return markup_escape(text); }

namespace {

bool is_continuation(unsigned char c) { return (c & 0xC0) == 0x80; }

// Largest cut <= limit that does not split a UTF-8 sequence or an "&...;" entity.
std::size_t safe_cut(std::string_view text, std::size_t limit) {
  if (text.size() <= limit) return text.size();
  std::size_t cut = limit;
  while (cut > 0 && is_continuation(static_cast<unsigned char>(text[cut]))) --cut;
  // An entity is at most 8 bytes ("&quot;"): back off if an '&' before the cut has no ';'.
  const std::size_t look = cut >= 8 ? cut - 8 : 0;
  for (std::size_t i = cut; i > look; --i) {
    const char c = text[i - 1];
    if (c == ';') break;
    if (c == '&') { cut = i - 1; break; }
  }
  return cut == 0 ? limit : cut;  // pathological input: cut anyway rather than loop forever
}

}  // namespace

std::vector<std::string> split_message(std::string_view text, std::size_t limit) {
  std::vector<std::string> parts;
  if (limit == 0) return parts;
  while (!text.empty()) {
    if (text.size() <= limit) {
      parts.emplace_back(text);
      break;
    }
    const std::size_t nl = text.rfind('\n', limit - 1);
    std::size_t take;
    std::size_t skip;
    if (nl != std::string_view::npos && nl > 0) {
      take = nl;       // the newline itself is dropped at the split point
      skip = nl + 1;
    } else {
      take = safe_cut(text, limit);
      skip = take;
    }
    if (take > 0) parts.emplace_back(text.substr(0, take));
    text.remove_prefix(skip);
  }
  return parts;
}

std::string truncate_message(std::string_view text, std::size_t limit) {
  if (text.size() <= limit) return std::string(text);
  static constexpr std::string_view kEllipsis = "\n…";
  const std::size_t room = limit > kEllipsis.size() ? limit - kEllipsis.size() : 0;
  std::string out(text.substr(0, safe_cut(text, room)));
  out += kEllipsis;
  return out;
}

}  // namespace qg::telegram
