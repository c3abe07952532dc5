// telegram/telegram_update.cpp — Update JSON -> TelegramUpdate, validating shapes.
#include "telegram/telegram_update.hpp"
#include "messages/json_depth.hpp"

#include <nlohmann/json.hpp>

namespace qg::telegram {

namespace {

UpdateParse fail(std::string error) { return UpdateParse{std::nullopt, std::move(error)}; }

bool get_int(const nlohmann::json& obj, const char* key, std::int64_t& out) {
  const auto it = obj.find(key);
  if (it == obj.end() || !it->is_number_integer()) return false;
  out = it->get<std::int64_t>();
  return true;
}

}  // namespace

UpdateParse parse_update(const nlohmann::json& j) {
  if (!j.is_object()) return fail("update: must be a JSON object");
  TelegramUpdate u;
  if (!get_int(j, "update_id", u.update_id)) return fail("update.update_id: missing or not an integer");
  const auto msg = j.find("message");
  if (msg == j.end()) return UpdateParse{u, ""};  // another update kind: nothing to act on
  if (!msg->is_object()) return fail("update.message: must be an object");
  ChatMessage m;
  get_int(*msg, "message_id", m.message_id);
  const auto chat = msg->find("chat");
  if (chat == msg->end() || !chat->is_object() || !get_int(*chat, "id", m.chat_id))
    return fail("update.message.chat.id: missing or not an integer");
  const auto from = msg->find("from");
  if (from != msg->end()) {
    if (!from->is_object() || !get_int(*from, "id", m.user_id))
      return fail("update.message.from.id: missing or not an integer");
    const auto name = from->find("username");
    if (name != from->end() && name->is_string()) m.username = name->get<std::string>();
  }
  const auto text = msg->find("text");
  if (text != msg->end()) {
    if (!text->is_string()) return fail("update.message.text: must be a string");
    m.text = text->get<std::string>();
  }
  u.message = std::move(m);
  return UpdateParse{std::move(u), ""};
}

UpdateParse parse_update_text(std::string_view json_text) {
  if (json_too_deep(json_text)) return fail("update: " + json_depth_error());
  const auto j = nlohmann::json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return fail("update: body is not valid JSON");
  return parse_update(j);
}

}  // namespace qg::telegram
