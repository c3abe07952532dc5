// telegram/bot_command.cpp — "/qg_x@Bot args" -> BotCommand.
#include "telegram/bot_command.hpp"
#include "messages/ascii_text.hpp"

#include <cctype>

namespace qg::telegram {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

bool equals_ignore_case(std::string_view a, std::string_view b) { return ascii_lower(a) == ascii_lower(b); }

}  // namespace

std::optional<BotCommand> parse_command(std::string_view text, std::string_view bot_username) {
  text = trim(text);
  if (text.size() < 2 || text.front() != '/') return std::nullopt;
  std::size_t end = 1;
  while (end < text.size() && !is_space(text[end])) ++end;
  std::string_view word = text.substr(1, end - 1);
  const auto at = word.find('@');
  if (at != std::string_view::npos) {
    const std::string_view target = word.substr(at + 1);
    if (!bot_username.empty() && !equals_ignore_case(target, bot_username)) return std::nullopt;
    word = word.substr(0, at);
  }
  std::string name = ascii_lower(word);
  if (name != "settoken" && (name.size() <= 3 || name.compare(0, 3, "qg_") != 0))
    return std::nullopt;
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return std::nullopt;
  BotCommand cmd;
  cmd.name = std::move(name);
  cmd.args = std::string(trim(text.substr(end)));
  std::string_view rest = cmd.args;
  while (!rest.empty()) {
    std::size_t i = 0;
    while (i < rest.size() && !is_space(rest[i])) ++i;
    cmd.argv.emplace_back(rest.substr(0, i));
    rest = trim(rest.substr(i));
  }
  return cmd;
}

}  // namespace qg::telegram
