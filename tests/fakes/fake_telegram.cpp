// tests/fakes/fake_telegram.cpp — qg-fake-telegram: a local fake of the Telegram Bot API.
//
// Real JSON shapes for getMe, getUpdates (offset confirms earlier updates; long poll waits up
// to `timeout` seconds for new ones), sendMessage (checks length and HTML entities as
// Telegram does: 400 "can't parse entities"), sendDocument (multipart), setMyCommands,
// deleteMessage, setWebhook (https url, secret_token of [A-Za-z0-9_-]{1,256}; while one is
// set getUpdates answers 409 Conflict, as Telegram does; a getUpdates that arrives while
// another is waiting ends the waiting one with 409 "terminated by other getUpdates request",
// as Telegram does when two bot instances poll, counted in "conflicts") and deleteWebhook, at
// /bot<TOKEN>/<method>; parameters as JSON body, form or query. A wrong
// token, or 401 mode, answers 401 {"ok":false,"error_code":401,"description":"Unauthorized"}.
//
// Control endpoints for tests (no token):
//   POST /control/message {"user_id","chat_id","text"[,"username"]} -> queue a text Update
//   POST /control/update  <any JSON>  -> queue it verbatim (an object without update_id gets
//                                        one), so tests can inject malformed updates
//   GET  /control/sent                -> {"sent":[{"method","params"}...]} (bot -> Telegram)
//   GET  /control/state               -> {"get_updates_calls","get_me_calls","last_offset",
//                                        "pending","next_update_id","conflicts"}
//   POST /control/unauthorized?on=1|0 -> 401 mode for every Bot API call
//   POST /control/clear               -> forget what was sent
// Usage: qg-fake-telegram [--token TOKEN] [--port N]; prints "listening on 127.0.0.1:PORT"
// to stderr; SIGTERM/SIGINT stop it.
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <deque>
#include <mutex>
#include <regex>
#include <string>
#include <thread>

namespace {

using nlohmann::json;

struct FakeTelegram {
  std::string token = "123456789:AAFakeTokenForQuotaGuardTests_0123456789";
  std::mutex mu;
  std::condition_variable cv;
  std::deque<json> pending;            // queued updates not yet confirmed
  std::int64_t next_update_id = 1000;
  std::int64_t next_message_id = 1;
  json sent = json::array();
  bool unauthorized = false;
  std::int64_t get_updates_calls = 0;
  std::int64_t poll_generation = 0;  // bumped by every getUpdates: ends the one waiting
  std::int64_t conflicts = 0;        // getUpdates ended by another one
  std::int64_t get_me_calls = 0;
  std::int64_t last_offset = 0;
  std::string webhook_url;             // "" = none set
};

FakeTelegram g;
volatile std::sig_atomic_t g_signalled = 0;
bool g_stopping = false;  // guarded by g.mu: wakes long polls on shutdown

json bot_user() {
  return {{"id", 100000001}, {"is_bot", true}, {"first_name", "QuotaGuard Test"},
          {"username", "qg_test_bot"}, {"can_join_groups", true},
          {"can_read_all_group_messages", false}, {"supports_inline_queries", false}};
}

void reply(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

void bad_request(httplib::Response& res, const std::string& what) {
  reply(res, 400, {{"ok", false}, {"error_code", 400}, {"description", "Bad Request: " + what}});
}

// Parameters from a JSON body, a form/multipart body or the query string.
json params_of(const httplib::Request& req) {
  json p = json::object();
  for (const auto& [k, v] : req.params) p[k] = v;
  for (const auto& [k, f] : req.files)
    if (f.filename.empty()) p[k] = f.content;
  if (req.get_header_value("Content-Type").find("application/json") != std::string::npos) {
    json body = json::parse(req.body, nullptr, false);
    if (body.is_object())
      for (auto it = body.begin(); it != body.end(); ++it) p[it.key()] = *it;
  }
  return p;
}

std::optional<std::int64_t> int_param(const json& p, const char* key) {
  if (!p.contains(key)) return std::nullopt;
  const auto& v = p[key];
  if (v.is_number_integer()) return v.get<std::int64_t>();
  if (v.is_string()) {
    try {
      std::size_t used = 0;
      const auto n = std::stoll(v.get<std::string>(), &used);
      if (used == v.get<std::string>().size()) return n;
    } catch (...) {
    }
  }
  return std::nullopt;
}

// Telegram's HTML parse mode: only known tags, balanced; '&' must start a known entity; a
// bare '<' or '>' outside a tag is an error. Returns "" when fine.
std::string check_html(const std::string& s) {
  static const std::regex tag(R"(^<(/?)(b|strong|i|em|u|ins|s|strike|del|code|pre|tg-spoiler|a)(\s[^>]*)?>)");
  std::vector<std::string> open;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '<') {
      std::smatch m;
      const std::string rest = s.substr(i, 200);
      if (!std::regex_search(rest, m, tag)) return "can't parse entities: unsupported start tag at byte offset " + std::to_string(i);
      if (m[1].length()) {
        if (open.empty() || open.back() != m[2].str()) return "can't parse entities: unmatched end tag at byte offset " + std::to_string(i);
        open.pop_back();
      } else {
        open.push_back(m[2].str());
      }
      i += m[0].length() - 1;
    } else if (s[i] == '>') {
      return "can't parse entities: unexpected '>' at byte offset " + std::to_string(i);
    } else if (s[i] == '&') {
      static const char* kEntities[] = {"&amp;", "&lt;", "&gt;", "&quot;"};
      bool ok = false;
      for (const char* e : kEntities)
        if (s.compare(i, std::strlen(e), e) == 0) ok = true;
      if (!ok) return "can't parse entities: bad entity at byte offset " + std::to_string(i);
    }
  }
  if (!open.empty()) return "can't parse entities: can't find end tag corresponding to start tag \"" + open.back() + "\"";
  return "";
}

json message_result(std::int64_t chat_id, const json& extra) {
  json m{{"message_id", g.next_message_id++}, {"from", bot_user()},
         {"chat", {{"id", chat_id}, {"type", chat_id > 0 ? "private" : "group"}}},
         {"date", std::chrono::duration_cast<std::chrono::seconds>(
                      std::chrono::system_clock::now().time_since_epoch()).count()}};
  for (auto it = extra.begin(); it != extra.end(); ++it) m[it.key()] = *it;
  return m;
}

void bot_method(const httplib::Request& req, httplib::Response& res) {
  const std::string token = req.matches[1];
  const std::string method = req.matches[2];
  const json p = params_of(req);
  {
    std::lock_guard lock(g.mu);
    if (g.unauthorized || token != g.token) {
      reply(res, 401, {{"ok", false}, {"error_code", 401}, {"description", "Unauthorized"}});
      return;
    }
  }
  if (method == "getMe") {
    std::lock_guard lock(g.mu);
    ++g.get_me_calls;
    reply(res, 200, {{"ok", true}, {"result", bot_user()}});
    return;
  }
  if (method == "setWebhook" || method == "deleteWebhook") {
    static const std::regex secret_re(R"(^[A-Za-z0-9_-]{1,256}$)");
    const std::string url = method == "setWebhook" ? p.value("url", std::string()) : "";
    if (method == "setWebhook" && url.rfind("https://", 0) != 0)
      return bad_request(res, "bad webhook: An HTTPS URL must be provided for webhook");
    if (method == "setWebhook" && p.contains("secret_token") &&
        !std::regex_match(p.value("secret_token", std::string()), secret_re))
      return bad_request(res, "bad webhook: secret token contains unallowed characters");
    std::lock_guard lock(g.mu);
    g.webhook_url = url;
    g.sent.push_back(json{{"method", method}, {"params", p}});
    reply(res, 200, {{"ok", true}, {"result", true},
                     {"description", url.empty() ? "Webhook was deleted" : "Webhook was set"}});
    return;
  }
  if (method == "getUpdates") {
    {
      std::lock_guard lock(g.mu);
      if (!g.webhook_url.empty()) {
        reply(res, 409, {{"ok", false}, {"error_code", 409},
                         {"description", "Conflict: can't use getUpdates method while webhook is active; "
                                         "use deleteWebhook to delete the webhook first"}});
        return;
      }
    }
    const std::int64_t offset = int_param(p, "offset").value_or(0);
    const std::int64_t limit = std::clamp<std::int64_t>(int_param(p, "limit").value_or(100), 1, 100);
    const std::int64_t timeout = std::clamp<std::int64_t>(int_param(p, "timeout").value_or(0), 0, 50);
    std::unique_lock lock(g.mu);
    ++g.get_updates_calls;
    const std::int64_t generation = ++g.poll_generation;
    g.cv.notify_all();
    g.last_offset = offset;
    const auto id_of = [](const json& u) {
      return u.is_object() && u.contains("update_id") && u["update_id"].is_number_integer()
                 ? u["update_id"].get<std::int64_t>() : INT64_MAX;
    };
    const auto confirm = [&] {
      while (!g.pending.empty() && offset > 0 && id_of(g.pending.front()) < offset) g.pending.pop_front();
    };
    confirm();
    if (g.pending.empty() && timeout > 0) {
      g.cv.wait_for(lock, std::chrono::seconds(timeout),
                    [&] { return !g.pending.empty() || g_stopping || g.poll_generation != generation; });
      if (g.poll_generation != generation) {
        ++g.conflicts;
        lock.unlock();
        reply(res, 409, {{"ok", false}, {"error_code", 409},
                         {"description", "Conflict: terminated by other getUpdates request; make sure that "
                                         "only one bot instance is running"}});
        return;
      }
      confirm();
    }
    json result = json::array();
    for (const auto& u : g.pending) {
      if (static_cast<std::int64_t>(result.size()) >= limit) break;
      result.push_back(u);
    }
    // Injected entries without an update_id can never be confirmed: deliver them once.
    std::erase_if(g.pending, [&](const json& u) { return id_of(u) == INT64_MAX; });
    lock.unlock();
    reply(res, 200, {{"ok", true}, {"result", result}});
    return;
  }
  const auto chat_id = int_param(p, "chat_id");
  json record{{"method", method}, {"params", p}};
  if (method == "sendMessage") {
    if (!chat_id) return bad_request(res, "chat_id is empty");
    if (!p.contains("text") || !p["text"].is_string() || p["text"].get<std::string>().empty())
      return bad_request(res, "message text is empty");
    const std::string text = p["text"];
    if (text.size() > 4096) return bad_request(res, "message is too long");
    if (p.value("parse_mode", std::string()) == "HTML") {
      const std::string err = check_html(text);
      if (!err.empty()) return bad_request(res, err);
    }
    std::lock_guard lock(g.mu);
    g.sent.push_back(record);
    reply(res, 200, {{"ok", true}, {"result", message_result(*chat_id, {{"text", text}})}});
    return;
  }
  if (method == "sendDocument") {
    if (!chat_id) return bad_request(res, "chat_id is empty");
    if (!req.has_file("document") || req.get_file_value("document").filename.empty())
      return bad_request(res, "there is no document in the request");
    const auto file = req.get_file_value("document");
    record["params"]["document"] = {{"file_name", file.filename}, {"mime_type", file.content_type},
                                    {"content", file.content}};
    if (p.value("parse_mode", std::string()) == "HTML" && p.contains("caption")) {
      const std::string err = check_html(p["caption"].get<std::string>());
      if (!err.empty()) return bad_request(res, err);
    }
    std::lock_guard lock(g.mu);
    g.sent.push_back(record);
    reply(res, 200, {{"ok", true},
                     {"result", message_result(*chat_id, {{"document",
                         {{"file_name", file.filename}, {"mime_type", file.content_type},
                          {"file_id", "BQACAgIAAxkBAAI" + std::to_string(g.next_message_id)},
                          {"file_unique_id", "AgAD" + std::to_string(g.next_message_id)},
                          {"file_size", file.content.size()}}}})}});
    return;
  }
  if (method == "setMyCommands") {
    json cmds = p.value("commands", json());
    if (cmds.is_string()) cmds = json::parse(cmds.get<std::string>(), nullptr, false);
    if (!cmds.is_array()) return bad_request(res, "can't parse commands JSON object");
    static const std::regex name(R"(^[a-z0-9_]{1,32}$)");
    for (const auto& c : cmds) {
      if (!c.is_object() || !c.contains("command") || !c["command"].is_string() ||
          !std::regex_match(c["command"].get<std::string>(), name))
        return bad_request(res, "BOT_COMMAND_INVALID");
      const std::string d = c.value("description", std::string());
      if (d.empty() || d.size() > 256) return bad_request(res, "BOT_COMMAND_DESCRIPTION_INVALID");
    }
    std::lock_guard lock(g.mu);
    g.sent.push_back(record);
    reply(res, 200, {{"ok", true}, {"result", true}});
    return;
  }
  if (method == "deleteMessage") {
    if (!chat_id || !int_param(p, "message_id")) return bad_request(res, "message identifier is not specified");
    std::lock_guard lock(g.mu);
    g.sent.push_back(record);
    reply(res, 200, {{"ok", true}, {"result", true}});
    return;
  }
  reply(res, 404, {{"ok", false}, {"error_code", 404}, {"description", "Not Found"}});
}

void queue_update(json u) {
  std::lock_guard lock(g.mu);
  if (u.is_object() && !u.contains("update_id")) u["update_id"] = g.next_update_id;
  if (u.is_object() && u["update_id"].is_number_integer())
    g.next_update_id = std::max(g.next_update_id, u["update_id"].get<std::int64_t>() + 1);
  else
    ++g.next_update_id;
  g.pending.push_back(std::move(u));
  g.cv.notify_all();
}

}  // namespace

int main(int argc, char** argv) {
  int port = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--token" && i + 1 < argc) g.token = argv[++i];
    else if (a == "--port" && i + 1 < argc) port = std::atoi(argv[++i]);
    else {
      std::fprintf(stderr, "usage: qg-fake-telegram [--token TOKEN] [--port N]\n");
      return 2;
    }
  }
  httplib::Server server;
  server.new_task_queue = [] { return new httplib::ThreadPool(16); };
  server.set_tcp_nodelay(true);
  const char* method_re = R"(/bot([^/]+)/([A-Za-z]+))";
  server.Post(method_re, bot_method);
  server.Get(method_re, bot_method);
  server.Post("/control/message", [](const httplib::Request& req, httplib::Response& res) {
    const json b = json::parse(req.body, nullptr, false);
    if (!b.is_object() || !b.contains("user_id") || !b.contains("text")) {
      reply(res, 400, {{"error", "need {user_id, text[, chat_id, username]}"}});
      return;
    }
    const std::int64_t user = b["user_id"].get<std::int64_t>();
    const std::int64_t chat = b.value("chat_id", user);
    json from{{"id", user}, {"is_bot", false}, {"first_name", "Tester"}};
    if (b.contains("username")) from["username"] = b["username"];
    std::int64_t message_id;
    {
      std::lock_guard lock(g.mu);
      message_id = g.next_message_id++;
    }
    json u{{"message", {{"message_id", message_id}, {"from", from},
                        {"chat", {{"id", chat}, {"type", chat > 0 ? "private" : "group"}}},
                        {"date", 1764430000}, {"text", b["text"]}}}};
    queue_update(u);
    reply(res, 200, {{"ok", true}, {"message_id", message_id}});
  });
  server.Post("/control/update", [](const httplib::Request& req, httplib::Response& res) {
    const json b = json::parse(req.body, nullptr, false);
    if (b.is_discarded()) {
      reply(res, 400, {{"error", "body must be JSON"}});
      return;
    }
    queue_update(b);
    reply(res, 200, {{"ok", true}});
  });
  server.Get("/control/sent", [](const httplib::Request&, httplib::Response& res) {
    std::lock_guard lock(g.mu);
    reply(res, 200, {{"sent", g.sent}});
  });
  server.Get("/control/state", [](const httplib::Request&, httplib::Response& res) {
    std::lock_guard lock(g.mu);
    reply(res, 200, {{"get_updates_calls", g.get_updates_calls}, {"get_me_calls", g.get_me_calls},
                     {"last_offset", g.last_offset}, {"pending", g.pending.size()},
                     {"next_update_id", g.next_update_id}, {"conflicts", g.conflicts}});
  });
  server.Post("/control/unauthorized", [](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(g.mu);
    g.unauthorized = req.get_param_value("on") != "0";
    reply(res, 200, {{"unauthorized", g.unauthorized}});
  });
  server.Post("/control/clear", [](const httplib::Request&, httplib::Response& res) {
    std::lock_guard lock(g.mu);
    g.sent = json::array();
    reply(res, 200, {{"ok", true}});
  });

  std::signal(SIGTERM, [](int) { g_signalled = 1; });
  std::signal(SIGINT, [](int) { g_signalled = 1; });
  std::thread watcher([&server] {
    while (!g_signalled) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    {
      std::lock_guard lock(g.mu);
      g_stopping = true;
    }
    g.cv.notify_all();
    server.stop();
  });
  watcher.detach();
  const int bound = port > 0 ? (server.bind_to_port("127.0.0.1", port) ? port : -1)
                             : server.bind_to_any_port("127.0.0.1");
  if (bound <= 0) {
    std::fprintf(stderr, "qg-fake-telegram: cannot bind 127.0.0.1:%d\n", port);
    return 1;
  }
  std::fprintf(stderr, "listening on 127.0.0.1:%d\n", bound);
  std::fflush(stderr);
  server.listen_after_bind();
  return 0;
}
