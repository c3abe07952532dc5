// tests/fakes/fake_cliproxy.cpp — qg-fake-cliproxy: a stand-in CLIProxyAPI for tests.
//
// Management API (/v0/management, key via `Authorization: Bearer` or `X-Management-Key`):
//   GET  /auth-files            listing: built from --auth-dir (like the real watcher: top-level
//                               *.json, auth_index = sha256("<type>:<abs path>")[:16]) or, without
//                               it, read from --listing (default: the v7 sample)
//   PATCH /auth-files/fields    {"name","prefix",...}: sets the prefix (rewrites the file in
//                               --auth-dir, as CLIProxyAPI does)
//   POST /api-call              {"auth_index","method","url","header"}: answers with the quota
//                               body set for that auth_index via the control API, else the
//                               sample body for the URL (wham/usage, oauth/usage,
//                               retrieveUserQuota, retrieveUserQuotaSummary). A request that
//                               carries a real token instead of "$TOKEN$" gets 400.
//   POST /reset-quota           {"auth_index"}: clears that entry's cooldown
//   wrong key -> 401 {"error":"invalid management key"}, after 5 -> 403 IP banned;
//   --no-management -> every management route 404 (no secret-key on their side).
//   Every response has X-CPA-VERSION (--version, default v7.2.140).
// OpenAI-compatible: POST /v1/chat/completions honours "<prefix>/<model>"
//   (force-model-prefix: prefixed auths serve only prefixed names); the serving auth file is
//   returned in header `x-fake-cliproxy-auth`; a cooling entry gives the real 429
//   model_cooldown body. GET /v1/models lists prefixed names. POST /v1/messages,
//   /v1/responses and /v1beta/models/{m}:generateContent|streamGenerateContent pick the auth
//   the same way, by model, whatever its type (as CLIProxyAPI does, translating), and answer in
//   the route's own format (tests/fakes/fake_dialects); GET /v1/responses/{id} is gin's 404.
// Control (no auth, for tests): GET /_fake/stats, PUT /_fake/quota/<auth_index>[?status=N]
//   (body = upstream quota JSON), PATCH /_fake/auth-file/<name> (JSON merged into the listing
//   entry, e.g. {"unavailable":true,"next_retry_after":"..."}), POST /_fake/reset-stats.
// Listens on 127.0.0.1:<--port, default 0> and prints "listening on 127.0.0.1:PORT" to stderr.
#include "tests/fakes/fake_dialects.hpp"

#include <httplib.h>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string sha16(const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  static const char* d = "0123456789abcdef";
  std::string hex;
  for (unsigned i = 0; i < 8; ++i) {
    hex.push_back(d[md[i] >> 4]);
    hex.push_back(d[md[i] & 15]);
  }
  return hex;
}

bool iends_with(const std::string& s, const std::string& suffix) {
  if (s.size() < suffix.size()) return false;
  for (std::size_t i = 0; i < suffix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[s.size() - suffix.size() + i])) != suffix[i]) return false;
  return true;
}

struct Options {
  std::string management_key = "test-mgmt-key";
  std::string api_key;
  std::string version = "v7.2.140";
  std::string auth_dir;
  std::string fixtures = QG_FAKE_FIXTURES;
  std::string listing;
  bool no_management = false;
  int port = 0;
};

class FakeCliproxy {
 public:
  explicit FakeCliproxy(Options o) : opt_(std::move(o)) {
    if (opt_.listing.empty()) opt_.listing = opt_.fixtures + "/management/auth-files.v7.json";
    if (opt_.auth_dir.empty()) {
      json j = json::parse(read_text(opt_.listing), nullptr, false);
      if (j.is_object() && j["files"].is_array())
        for (auto& f : j["files"]) static_listing_[f.value("name", "")] = f;
    }
  }

  void mount(httplib::Server& svr) {
    svr.set_post_routing_handler([this](const httplib::Request&, httplib::Response& res) {
      res.set_header("X-CPA-VERSION", opt_.version);
    });
    auto mgmt = [this](auto handler) {
      return [this, handler](const httplib::Request& req, httplib::Response& res) {
        std::lock_guard lock(mu_);
        ++stats_["management_requests"];
        if (opt_.no_management) {
          res.status = 404;
          res.set_content("404 page not found", "text/plain");
          return;
        }
        if (failed_logins_ >= 5) {
          ++stats_["banned"];
          reply(res, 403, {{"error", "IP banned due to too many failed attempts. Try again in 29m59s"}});
          return;
        }
        std::string key = req.get_header_value("X-Management-Key");
        std::string auth = req.get_header_value("Authorization");
        if (auth.rfind("Bearer ", 0) == 0) key = auth.substr(7);
        if (key != opt_.management_key) {
          ++failed_logins_;
          ++stats_["unauthorized"];
          reply(res, 401, {{"error", key.empty() ? "missing management key" : "invalid management key"}});
          return;
        }
        handler(req, res);
      };
    };
    svr.Get("/v0/management/auth-files", mgmt([this](const httplib::Request&, httplib::Response& res) {
      ++stats_["auth_files"];
      reply(res, 200, {{"files", listing()}});
    }));
    svr.Patch("/v0/management/auth-files/fields", mgmt([this](const httplib::Request& req, httplib::Response& res) {
      ++stats_["prefix_patches"];
      json body = json::parse(req.body, nullptr, false);
      std::string name = body.is_object() ? body.value("name", "") : "";
      if (!body.is_object() || name.empty()) return reply(res, 400, {{"error", "name is required"}});
      if (!set_prefix(name, body.value("prefix", ""))) return reply(res, 404, {{"error", "auth file not found"}});
      reply(res, 200, {{"status", "ok"}});
    }));
    svr.Post("/v0/management/api-call", mgmt([this](const httplib::Request& req, httplib::Response& res) {
      ++stats_["api_calls"];
      api_call(req, res);
    }));
    svr.Post("/v0/management/reset-quota", mgmt([this](const httplib::Request& req, httplib::Response& res) {
      ++stats_["reset_quota"];
      json body = json::parse(req.body, nullptr, false);
      std::string index = body.is_object() ? body.value("auth_index", "") : "";
      overrides_by_index_[index]["unavailable"] = false;
      overrides_by_index_[index]["next_retry_after"] = nullptr;
      reply(res, 200, {{"status", "ok"}, {"auth_index", index}, {"models", json::array({"gpt-5.4"})}});
    }));

    svr.Get("/v1/models", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mu_);
      if (!client_key_ok(req)) return reply_bad_key(res);
      json data = json::array();
      for (auto& f : listing()) {
        std::string prefix = f.value("prefix", "");
        data.push_back({{"id", prefix.empty() ? "gpt-5.4" : prefix + "/gpt-5.4"}, {"object", "model"}});
      }
      reply(res, 200, {{"object", "list"}, {"data", data}});
    });
    svr.Post("/v1/chat/completions", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mu_);
      chat(req, res);
    });
    auto dialect_route = [this](qg::fake::Wire wire) {
      return [this, wire](const httplib::Request& req, httplib::Response& res) {
        std::lock_guard lock(mu_);
        dialect(req, res, wire);
      };
    };
    svr.Post("/v1/messages", dialect_route(qg::fake::Wire::messages));
    svr.Post("/v1/responses", dialect_route(qg::fake::Wire::responses));
    svr.Post(R"(/v1beta/models/(.+):(generateContent|streamGenerateContent))", dialect_route(qg::fake::Wire::gemini));
    // CLIProxyAPI has no /v1/responses/{id} routes: gin's plain-text 404.
    svr.Get(R"(/v1/responses/(.+))", [](const httplib::Request&, httplib::Response& res) {
      res.status = 404;
      res.set_content("404 page not found", "text/plain");
    });

    svr.Get("/_fake/stats", [this](const httplib::Request&, httplib::Response& res) {
      std::lock_guard lock(mu_);
      json j = stats_;
      j["last_chat_model"] = last_chat_model_;
      j["last_api_call"] = last_api_call_;
      reply(res, 200, j);
    });
    svr.Post("/_fake/reset-stats", [this](const httplib::Request&, httplib::Response& res) {
      std::lock_guard lock(mu_);
      stats_.clear();
      failed_logins_ = 0;
      reply(res, 200, {{"status", "ok"}});
    });
    svr.Put(R"(/_fake/quota/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mu_);
      int status = req.has_param("status") ? std::stoi(req.get_param_value("status")) : 200;
      quota_by_index_[req.matches[1]] = {status, req.body};
      reply(res, 200, {{"status", "ok"}});
    });
    svr.Patch(R"(/_fake/auth-file/(.+))", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mu_);
      json patch = json::parse(req.body, nullptr, false);
      if (!patch.is_object()) return reply(res, 400, {{"error", "body must be a JSON object"}});
      for (auto& [k, v] : patch.items()) overrides_by_name_[req.matches[1]][k] = v;
      reply(res, 200, {{"status", "ok"}});
    });
  }

 private:
  static void reply(httplib::Response& res, int status, const json& body) {
    res.status = status;
    res.set_content(body.dump(), "application/json");
  }

  // CLIProxyAPI `api-keys` (only when --api-key is given).
  bool client_key_ok(const httplib::Request& req) const {
    return opt_.api_key.empty() || req.get_header_value("Authorization") == "Bearer " + opt_.api_key;
  }
  static void reply_bad_key(httplib::Response& res) {
    reply(res, 401, {{"error", {{"message", "Invalid API key"}, {"type", "invalid_request_error"}, {"code", "invalid_api_key"}}}});
  }

  // The listing, from the auth dir (live) or the sample, with control overrides applied.
  json listing() {
    json files = json::array();
    if (!opt_.auth_dir.empty()) {
      std::error_code ec;
      std::vector<fs::path> paths;
      for (auto& e : fs::directory_iterator(opt_.auth_dir, ec))
        if (e.is_regular_file() && iends_with(e.path().filename().string(), ".json")) paths.push_back(e.path());
      std::sort(paths.begin(), paths.end());
      for (auto& p : paths) {
        json j = json::parse(read_text(p), nullptr, false);
        if (!j.is_object() || !j["type"].is_string()) continue;
        std::string type = j["type"];
        std::string abs = fs::absolute(p).string();
        json f = {{"id", p.filename().string()}, {"name", p.filename().string()},
                  {"auth_index", sha16(type + ":" + abs)},
                  {"type", type == "gemini" ? "gemini-cli" : type},
                  {"provider", type == "gemini" ? "gemini-cli" : type},
                  {"email", j["email"].is_string() ? j["email"].get<std::string>() : ""}, {"status", "active"}, {"status_message", ""},
                  {"disabled", j["disabled"].is_boolean() && j["disabled"].get<bool>()}, {"unavailable", false}, {"path", abs},
                  {"source", "file"}};
        if (j.contains("project_id") && j["project_id"].is_string()) f["project_id"] = j["project_id"];
        if (j.contains("prefix") && j["prefix"].is_string()) f["prefix"] = j["prefix"];
        if (j.contains("account_id") && j["account_id"].is_string())
          f["id_token"] = {{"chatgpt_account_id", j["account_id"]}};
        files.push_back(f);
      }
    } else {
      for (auto& [name, f] : static_listing_) files.push_back(f);
    }
    for (auto& f : files) {
      for (auto* overrides : {&overrides_by_name_, &overrides_by_index_}) {
        std::string key = overrides == &overrides_by_name_ ? f.value("name", "") : f.value("auth_index", "");
        auto it = overrides->find(key);
        if (it != overrides->end())
          for (auto& [k, v] : it->second.items()) f[k] = v;
      }
    }
    return files;
  }

  bool set_prefix(const std::string& name, const std::string& prefix) {
    if (!opt_.auth_dir.empty()) {
      fs::path p = fs::path(opt_.auth_dir) / name;
      json j = json::parse(read_text(p), nullptr, false);
      if (!j.is_object()) return false;
      j["prefix"] = prefix;
      std::ofstream(p, std::ios::trunc) << j.dump(2);
      return true;
    }
    auto it = static_listing_.find(name);
    if (it == static_listing_.end()) return false;
    it->second["prefix"] = prefix;
    return true;
  }

  void api_call(const httplib::Request& req, httplib::Response& res) {
    json body = json::parse(req.body, nullptr, false);
    if (!body.is_object()) return reply(res, 400, {{"error", "invalid body"}});
    last_api_call_ = body;
    std::string auth = body["header"].is_object() ? body["header"].value("Authorization", "") : "";
    if (auth != "Bearer $TOKEN$")  // QuotaGuard must let CLIProxyAPI insert the token
      return reply(res, 400, {{"error", "expected Authorization: Bearer $TOKEN$"}});
    std::string index = body.value("auth_index", "");
    int status = 200;
    std::string upstream;
    if (auto it = quota_by_index_.find(index); it != quota_by_index_.end()) {
      status = it->second.first;
      upstream = it->second.second;
    } else {
      std::string url = body.value("url", "");
      const char* sample = url.find("wham/usage") != std::string::npos ? "codex-wham-usage.json"
                           : url.find("oauth/usage") != std::string::npos ? "claude-oauth-usage.json"
                           : url.find("retrieveUserQuotaSummary") != std::string::npos
                               ? "antigravity-retrieveUserQuotaSummary.response.json"
                           : url.find("retrieveUserQuota") != std::string::npos
                               ? "gemini-cli-retrieveUserQuota.response.json"
                               : nullptr;
      if (!sample) {
        status = 404;
        upstream = R"({"error":"not found"})";
      } else {
        upstream = read_text(fs::path(opt_.fixtures) / "upstream" / sample);
      }
    }
    reply(res, 200, {{"status_code", status}, {"header", {{"Content-Type", {"application/json"}}}}, {"body", upstream}});
  }

  // The auth that serves `model` ("<prefix>/<model>" pins by prefix), or nullopt with the
  // error answered. Like CLIProxyAPI: by model only, whatever the route's dialect.
  std::optional<std::string> pick_auth(const std::string& model, const std::string& route, httplib::Response& res) {
    last_chat_model_ = model;
    std::string prefix, bare = model;
    if (auto slash = model.find('/'); slash != std::string::npos) {
      prefix = model.substr(0, slash);
      bare = model.substr(slash + 1);
    }
    json files = listing();
    json chosen;
    std::vector<json> pool;
    for (auto& f : files) {
      if (f.value("disabled", false)) continue;
      std::string p = f.value("prefix", "");
      if (p == prefix) pool.push_back(f);  // force-model-prefix: exact namespace only
    }
    if (pool.empty()) {
      reply(res, 502, {{"error", {{"message", "unknown provider for model " + model}, {"type", "server_error"}, {"code", "internal_server_error"}}}});
      return std::nullopt;
    }
    chosen = pool[static_cast<std::size_t>(round_robin_++) % pool.size()];
    if (chosen.value("unavailable", false)) {
      res.set_header("Retry-After", "9720");
      reply(res, 429, {{"error", {{"code", "model_cooldown"}, {"message", "All credentials for model " + bare + " are cooling down"},
                                   {"model", bare}, {"reset_seconds", 9720}, {"reset_time", "2h42m0s"}}}});
      return std::nullopt;
    }
    std::string served_by = chosen.value("name", "");
    ++stats_[route + "_" + served_by];
    res.set_header("x-fake-cliproxy-auth", served_by);
    return served_by;
  }

  // /v1/messages, /v1/responses, /v1beta/models/{m}:generateContent|streamGenerateContent: the
  // answer in the route's own format (CLIProxyAPI translates from the executor's), plain or SSE.
  void dialect(const httplib::Request& req, httplib::Response& res, qg::fake::Wire wire) {
    using qg::fake::Wire;
    const char* route = wire == Wire::messages ? "messages" : wire == Wire::responses ? "responses" : "gemini";
    ++stats_[route];
    if (!client_key_ok(req)) return reply_bad_key(res);
    json body = json::parse(req.body, nullptr, false);
    std::string model = wire == Wire::gemini ? std::string(req.matches[1]) : body.is_object() ? body.value("model", "") : "";
    if (!body.is_object() || model.empty())
      return reply(res, 400, {{"error", {{"message", "model is required"}, {"type", "invalid_request_error"}, {"code", "invalid_request"}}}});
    auto served_by = pick_auth(model, route, res);
    if (!served_by) return;
    qg::fake::Turn turn;
    turn.model = model.substr(model.find('/') == std::string::npos ? 0 : model.find('/') + 1);
    turn.text = "hello from " + *served_by;
    turn.chunks = 2;
    turn.prompt = 11;
    turn.completion = 7;
    turn.id = std::string(route) + "_fake_" + std::to_string(++round_robin_);
    const bool stream = wire == Wire::gemini ? req.matches[2] == "streamGenerateContent" : body.value("stream", false);
    if (!stream) return res.set_content(qg::fake::plain_reply(wire, turn), "application/json");
    std::string sse;
    for (const auto& frame : qg::fake::stream_frames(wire, turn)) sse += frame;
    res.set_content(sse, "text/event-stream");
  }

  void chat(const httplib::Request& req, httplib::Response& res) {
    ++stats_["chat"];
    if (!client_key_ok(req)) return reply_bad_key(res);
    json body = json::parse(req.body, nullptr, false);
    if (!body.is_object() || !body["model"].is_string())
      return reply(res, 400, {{"error", {{"message", "model is required"}, {"type", "invalid_request_error"}, {"code", "invalid_request"}}}});
    std::string model = body["model"];
    std::string bare = model.substr(model.find('/') == std::string::npos ? 0 : model.find('/') + 1);
    auto chosen = pick_auth(model, "chat", res);
    if (!chosen) return;
    const std::string served_by = *chosen;
    json usage = {{"prompt_tokens", 11}, {"completion_tokens", 7}, {"total_tokens", 18}};
    if (body.value("stream", false)) {
      std::string sse;
      json chunk = {{"id", "chatcmpl-fake"}, {"object", "chat.completion.chunk"}, {"model", bare},
                    {"choices", {{{"index", 0}, {"delta", {{"content", "hello from " + served_by}}}}}}};
      sse += "data: " + chunk.dump() + "\n\n";
      json last = {{"id", "chatcmpl-fake"}, {"object", "chat.completion.chunk"}, {"model", bare},
                   {"choices", {{{"index", 0}, {"delta", json::object()}, {"finish_reason", "stop"}}}}, {"usage", usage}};
      sse += "data: " + last.dump() + "\n\ndata: [DONE]\n\n";
      res.set_content(sse, "text/event-stream");
      return;
    }
    reply(res, 200, {{"id", "chatcmpl-fake"}, {"object", "chat.completion"}, {"model", bare},
                     {"choices", {{{"index", 0}, {"message", {{"role", "assistant"}, {"content", "hello from " + served_by}}}, {"finish_reason", "stop"}}}},
                     {"usage", usage}});
  }

  Options opt_;
  std::mutex mu_;
  std::map<std::string, long> stats_;
  int failed_logins_ = 0;
  std::uint64_t round_robin_ = 0;
  std::string last_chat_model_;
  json last_api_call_;
  std::map<std::string, json> static_listing_;
  std::map<std::string, json> overrides_by_name_, overrides_by_index_;
  std::map<std::string, std::pair<int, std::string>> quota_by_index_;
};

int usage() {
  std::cerr << "usage: qg-fake-cliproxy [--port N] [--management-key K] [--api-key K] [--version V]\n"
               "       [--auth-dir DIR] [--listing auth-files.json] [--fixtures DIR] [--no-management]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--port") o.port = std::atoi(next().c_str());
    else if (a == "--management-key") o.management_key = next();
    else if (a == "--api-key") o.api_key = next();
    else if (a == "--version") o.version = next();
    else if (a == "--auth-dir") o.auth_dir = next();
    else if (a == "--listing") o.listing = next();
    else if (a == "--fixtures") o.fixtures = next();
    else if (a == "--no-management") o.no_management = true;
    else return usage();
  }
  FakeCliproxy fake(o);
  httplib::Server svr;
  svr.set_tcp_nodelay(true);
  fake.mount(svr);
  int port = o.port ? (svr.bind_to_port("127.0.0.1", o.port) ? o.port : -1) : svr.bind_to_any_port("127.0.0.1");
  if (port <= 0) {
    std::cerr << "qg-fake-cliproxy: cannot bind 127.0.0.1:" << o.port << "\n";
    return 1;
  }
  std::cerr << "listening on 127.0.0.1:" << port << std::endl;
  svr.listen_after_bind();
  return 0;
}
