// http/telegram_client.cpp — Bot API calls with httplib; envelope decoding; interruptible polls.
#include "http/telegram_client.hpp"
#include "http/base_url.hpp"

#include "config/redaction.hpp"

#include <httplib.h>

namespace qg::telegram {

namespace {

using nlohmann::json;

// telegram.api_base split once; errors name the key.
BaseUrl parse_base(const std::string& base) {
  BaseUrl b = split_base_url(base);
  if (!b.ok()) b.error = "telegram.api_base: " + b.error;
  return b;
}

BotApiResult decode(const httplib::Result& res) {
  BotApiResult out;
  if (!res) {
    out.description = "cannot reach Telegram: " + httplib::to_string(res.error());
    return out;
  }
  out.http_status = res->status;
  const json body = json::parse(res->body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    out.description = "HTTP " + std::to_string(res->status) + ": answer is not a Bot API JSON object";
    return out;
  }
  out.ok = body.value("ok", false) && res->status == 200;
  if (body.contains("result")) out.result = body["result"];
  if (!out.ok) {
    out.description = "HTTP " + std::to_string(res->status);
    const std::string d = body.value("description", std::string());
    if (!d.empty()) out.description += ": " + d;
    if (body.contains("parameters") && body["parameters"].is_object())
      out.retry_after_s = body["parameters"].value("retry_after", std::int64_t{0});
  }
  out.description = redact(out.description);
  return out;
}

}  // namespace

std::string TelegramClient::validate_api_base(const std::string& api_base) {
  return parse_base(api_base).error;
}

TelegramClient::TelegramClient(std::string api_base, std::string token, TelegramClientOptions options)
    : options_(options) {
  register_secret(token);
  const BaseUrl p = parse_base(api_base);
  origin_ = p.error.empty() ? p.origin : "http://invalid.invalid";
  path_prefix_ = p.path + "/bot" + token + "/";
}

TelegramClient::~TelegramClient() = default;

std::unique_ptr<httplib::Client> TelegramClient::make_client(int read_timeout_s) const {
  auto c = std::make_unique<httplib::Client>(origin_);
  c->set_connection_timeout(options_.connect_timeout_s, 0);
  c->set_read_timeout(read_timeout_s, 0);
  c->set_write_timeout(options_.request_timeout_s, 0);
  c->set_tcp_nodelay(true);
  c->set_keep_alive(false);
  return c;
}

BotApiResult TelegramClient::call_json(const std::string& method, const json& params, int read_timeout_s,
                                       bool interruptible) {
  auto client = make_client(read_timeout_s);
  if (interruptible) {
    std::lock_guard lock(mu_);
    if (interrupt_pending_) {
      interrupt_pending_ = false;
      BotApiResult out;
      out.description = "interrupted";
      return out;
    }
    in_flight_.insert(client.get());
  }
  const httplib::Result res = client->Post(path_prefix_ + method, params.dump(), "application/json");
  if (interruptible) {
    std::lock_guard lock(mu_);
    in_flight_.erase(client.get());
  }
  return decode(res);
}

void TelegramClient::interrupt() {
  std::lock_guard lock(mu_);
  if (in_flight_.empty()) interrupt_pending_ = true;
  for (auto* c : in_flight_) c->stop();
}

BotApiResult TelegramClient::get_me() {
  return call_json("getMe", json::object(), options_.request_timeout_s, true);
}

BotApiResult TelegramClient::get_updates(std::int64_t offset, int timeout_s) {
  json params{{"offset", offset}, {"timeout", timeout_s}, {"allowed_updates", json::array({"message"})}};
  return call_json("getUpdates", params, timeout_s + 15, true);
}

BotApiResult TelegramClient::set_webhook(const std::string& url, const std::string& secret) {
  register_secret(secret);
  json params{{"url", url}, {"secret_token", secret}, {"allowed_updates", json::array({"message"})}};
  return call_json("setWebhook", params, options_.request_timeout_s, true);
}

BotApiResult TelegramClient::delete_webhook() {
  return call_json("deleteWebhook", json{{"drop_pending_updates", false}}, options_.request_timeout_s, true);
}

BotApiResult TelegramClient::send_message(std::int64_t chat_id, const std::string& html) {
  json params{{"chat_id", chat_id}, {"text", html}, {"parse_mode", "HTML"},
              {"disable_web_page_preview", true}};
  return call_json("sendMessage", params, options_.request_timeout_s, false);
}

BotApiResult TelegramClient::send_document(std::int64_t chat_id, const std::string& filename,
                                           const std::string& content, const std::string& caption_html) {
  httplib::MultipartFormDataItems items{
      {"chat_id", std::to_string(chat_id), "", ""},
      {"caption", caption_html, "", ""},
      {"parse_mode", "HTML", "", ""},
      {"document", content, filename, "application/x-yaml"},
  };
  auto client = make_client(options_.request_timeout_s);
  return decode(client->Post(path_prefix_ + "sendDocument", items));
}

BotApiResult TelegramClient::set_my_commands(const json& commands) {
  return call_json("setMyCommands", json{{"commands", commands}}, options_.request_timeout_s, false);
}

BotApiResult TelegramClient::delete_message(std::int64_t chat_id, std::int64_t message_id) {
  return call_json("deleteMessage", json{{"chat_id", chat_id}, {"message_id", message_id}},
                   options_.request_timeout_s, false);
}

BotApiFactory telegram_client_factory(std::string api_base, TelegramClientOptions options) {
  return [api_base = std::move(api_base), options](const std::string& token) -> std::unique_ptr<BotApi> {
    return std::make_unique<TelegramClient>(api_base, token, options);
  };
}

}  // namespace qg::telegram
