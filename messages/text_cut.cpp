// messages/text_cut.cpp — see text_cut.hpp.
#include "messages/text_cut.hpp"

namespace qg {

std::string_view utf8_prefix(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  std::size_t cut = max_bytes;
  // Step back over at most three continuation bytes to the start of the split character.
  for (int i = 0; i < 3 && cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80; ++i) --cut;
  return text.substr(0, cut);
}

std::string shorten_text(std::string_view text, std::size_t max_bytes, std::string_view ellipsis) {
  if (text.size() <= max_bytes) return std::string(text);
  std::string out(utf8_prefix(text, max_bytes));
  out += ellipsis;
  return out;
}

}  // namespace qg
