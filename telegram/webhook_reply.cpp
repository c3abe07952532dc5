// telegram/webhook_reply.cpp — Reply -> {"method":"sendMessage",...}.
#include "telegram/webhook_reply.hpp"

#include "telegram/chat_text.hpp"

namespace qg::telegram {

nlohmann::json webhook_reply(const std::optional<Reply>& reply) {
  if (!reply) return nlohmann::json::object();
  std::string text = reply->html;
  if (reply->document) {
    const auto& d = *reply->document;
    static constexpr std::size_t kFrame = 200;  // caption, tags and the cut note
    std::string body = html_escape(d.content);
    const std::size_t room = kMaxMessageBytes - kFrame - text.size();
    if (body.size() > room) body = truncate_message(body, room) + "\n(cut: GET /api/v1/export has it whole)";
    if (!text.empty()) text += "\n";
    text += d.caption + "\n<pre>" + body + "</pre>";
  } else {
    text = truncate_message(text);
  }
  return nlohmann::json{{"method", "sendMessage"}, {"chat_id", reply->chat_id}, {"text", text},
                        {"parse_mode", "HTML"}};
}

}  // namespace qg::telegram
