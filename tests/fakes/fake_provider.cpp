// tests/fakes/fake_provider.cpp — qg-fake-provider: a fake LLM provider for tests, benchmarks
// and `make demo`, speaking four dialects.
//
// OpenAI: POST /v1/chat/completions (plain + SSE), /v1/completions, /v1/embeddings, GET /v1/models;
// Anthropic: POST /v1/messages (plain + SSE, anthropic-ratelimit-* and request-id headers), /v1/messages/count_tokens;
// Responses: POST /v1/responses (plain + SSE, x-ratelimit-* and x-request-id headers), GET|DELETE /v1/responses/{id}, /cancel, /input_items;
// Gemini: POST /v1beta/models/{m}:generateContent|streamGenerateContent|countTokens, GET /v1beta/models.
// The key is read from Authorization: Bearer, x-api-key or x-goog-api-key; every credential a
// request presented (also ?key=) is listed in GET /_served "credentials_seen", and GET /_last
// shows the last dialect request (method, path with query, anthropic-* headers, body).
// Per-key quota windows (fake_quota.hpp) with real x-ratelimit-* headers and 429 + Retry-After;
// fault injection (fake_faults.hpp) by key (--fault KEY=KIND) or header (x-fake-fault), KIND one of
// 500, 429, 401, hang, reset, malformed, slow, cut, drop (--drop-every N: every Nth completion
// request's connection is closed unanswered, not served); GET /_served (what was served, per key),
// POST /_reset. Deterministic usage: prompt_tokens = ceil(bytes of message contents / 4),
// completion_tokens = min(max_tokens, --completion-tokens). Prints
// "listening on 127.0.0.1:PORT" on stderr once bound (--port 0 picks a free port).
#include "tests/fakes/fake_dialects.hpp"
#include "tests/fakes/fake_faults.hpp"
#include "tests/fakes/fake_quota.hpp"

#include <CLI/CLI.hpp>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <ctime>
#include <csignal>
#include <sys/socket.h>
#include <iostream>
#include <mutex>
#include <set>
#include <thread>

namespace {

using qg::fake::FakeQuota;
using qg::fake::KeyLimits;
using qg::fake::Served;
using json = nlohmann::json;

struct Options {
  std::string host = "127.0.0.1";
  int port = 0;
  std::vector<std::string> models = {"gpt-4o-mini", "gpt-4o", "text-embedding-3-small"};
  KeyLimits limits;
  std::int64_t window_ms = 60000;
  std::vector<std::string> key_quotas;  // KEY=REQ:TOK
  std::vector<std::string> faults;      // KEY=KIND
  int chunks = 5;
  int chunk_delay_ms = 0;
  int slow_delay_ms = 200;
  std::int64_t completion_tokens = 16;
  int retry_after_s = 7;
  int hang_ms = 10000;
  int threads = 64;
  int drop_every = 0;  // every Nth completion request gets the drop fault (0 = none)
};

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string go_duration(std::int64_t ms) {
  if (ms < 1000) return std::to_string(ms) + "ms";
  std::int64_t s = ms / 1000, m = s / 60;
  std::string frac = ms % 1000 ? "." + std::to_string(1000 + ms % 1000).substr(1) : "";
  if (m == 0) return std::to_string(s) + frac + "s";
  return std::to_string(m) + "m" + std::to_string(s % 60) + frac + "s";
}

std::string bearer_key(const httplib::Request& req) {
  std::string auth = req.get_header_value("Authorization");
  if (auth.rfind("Bearer ", 0) == 0) return auth.substr(7);
  if (req.has_header("x-api-key")) return req.get_header_value("x-api-key");
  return req.get_header_value("x-goog-api-key");
}

std::string rfc3339_in(std::int64_t ms_from_now) {
  std::time_t t = static_cast<std::time_t>((now_ms() + ms_from_now) / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::int64_t text_bytes(const json& v) {
  if (v.is_string()) return static_cast<std::int64_t>(v.get_ref<const std::string&>().size());
  std::int64_t n = 0;
  if (v.is_array())
    for (const auto& item : v) {
      if (item.is_string()) n += static_cast<std::int64_t>(item.get_ref<const std::string&>().size());
      else if (item.is_object() && item.contains("text") && item["text"].is_string())
        n += static_cast<std::int64_t>(item["text"].get_ref<const std::string&>().size());
    }
  return n;
}

std::int64_t prompt_bytes(const json& body) {
  std::int64_t n = 0;
  if (body.contains("messages") && body["messages"].is_array())
    for (const auto& m : body["messages"])
      if (m.is_object() && m.contains("content")) n += text_bytes(m["content"]);
  if (body.contains("prompt")) n += text_bytes(body["prompt"]);
  if (body.contains("input")) n += text_bytes(body["input"]);
  return n;
}

// Little-endian float32 bytes, base64 encoded (OpenAI `encoding_format: "base64"`).
std::string base64_floats(const std::vector<float>& v) {
  static const char* table = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string bytes(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
  std::string out;
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    std::uint32_t n = static_cast<unsigned char>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) n |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    if (i + 2 < bytes.size()) n |= static_cast<unsigned char>(bytes[i + 2]);
    out += table[(n >> 18) & 63];
    out += table[(n >> 12) & 63];
    out += i + 1 < bytes.size() ? table[(n >> 6) & 63] : '=';
    out += i + 2 < bytes.size() ? table[n & 63] : '=';
  }
  return out;
}

class FakeProvider {
 public:
  explicit FakeProvider(Options o)
      : o_(std::move(o)), quota_(o_.limits, o_.window_ms), faults_(o_.faults) {
    for (const auto& spec : o_.key_quotas) {
      auto eq = spec.find('='), colon = spec.find(':', eq);
      if (eq == std::string::npos || colon == std::string::npos)
        throw std::runtime_error("--key-quota expects KEY=REQUESTS:TOKENS, got '" + spec + "'");
      quota_.set_key_limits(spec.substr(0, eq), {std::stoll(spec.substr(eq + 1, colon - eq - 1)),
                                                 std::stoll(spec.substr(colon + 1))});
    }
  }

  void routes(httplib::Server& svr) {
    svr.Post("/v1/chat/completions", [this](const auto& req, auto& res) { complete(req, res, "chat"); });
    svr.Post("/v1/completions", [this](const auto& req, auto& res) { complete(req, res, "text"); });
    svr.Post("/v1/embeddings", [this](const auto& req, auto& res) { complete(req, res, "embed"); });
    svr.Get("/v1/models", [this](const httplib::Request&, httplib::Response& res) {
      json data = json::array();
      for (const auto& m : o_.models) data.push_back({{"id", m}, {"object", "model"}, {"created", 0}, {"owned_by", "fake"}});
      res.set_content(json{{"object", "list"}, {"data", data}}.dump(), "application/json");
    });
    using qg::fake::Wire;
    svr.Post("/v1/messages", [this](const auto& req, auto& res) { dialect(req, res, Wire::messages, "", false); });
    svr.Post("/v1/messages/count_tokens", [this](const auto& req, auto& res) { dialect(req, res, Wire::messages, "", true); });
    svr.Post("/v1/responses", [this](const auto& req, auto& res) { dialect(req, res, Wire::responses, "", false); });
    svr.Post(R"(/v1beta/models/(.+):(generateContent|streamGenerateContent|countTokens))", [this](const auto& req, auto& res) {
      dialect(req, res, Wire::gemini, req.matches[1], req.matches[2] == "countTokens");
    });
    svr.Get("/v1beta/models", [this](const httplib::Request& req, httplib::Response& res) {
      see(req);
      json models = json::array();
      for (const auto& m : o_.models) models.push_back({{"name", "models/" + m}, {"displayName", m}});
      res.set_content(json{{"models", models}}.dump(), "application/json");
    });
    auto resource = [this](const httplib::Request& req, httplib::Response& res) {
      see(req);
      const std::string id = req.matches[1];
      std::lock_guard lock(ports_mutex_);
      if (!responses_.count(id))
        return error(res, 404, "No response found with id '" + id + "'.", "invalid_request_error", "not_found");
      if (req.method == "DELETE") {
        responses_.erase(id);
        return res.set_content(json{{"id", id}, {"object", "response.deleted"}, {"deleted", true}}.dump(), "application/json");
      }
      if (req.path.ends_with("/input_items"))
        return res.set_content(json{{"object", "list"}, {"data", json::array()}, {"has_more", false}}.dump(), "application/json");
      res.set_content(responses_.at(id), "application/json");
    };
    svr.Get(R"(/v1/responses/([^/]+))", resource);
    svr.Delete(R"(/v1/responses/([^/]+))", resource);
    svr.Post(R"(/v1/responses/([^/]+)/cancel)", resource);
    svr.Get(R"(/v1/responses/([^/]+)/input_items)", resource);
    svr.Get("/_last", [this](const httplib::Request&, httplib::Response& res) {
      std::lock_guard lock(ports_mutex_);
      res.set_content(last_.dump(), "application/json");
    });
    svr.Get("/_served", [this](const httplib::Request&, httplib::Response& res) {
      auto served = json::parse(quota_.served_json());
      std::lock_guard lock(ports_mutex_);
      served["credentials_seen"] = credentials_seen_;
      served["stream_connections"] = stream_ports_.size();  // distinct client ports seen by streams
      res.set_content(served.dump(), "application/json");
    });
    svr.Post("/_reset", [this](const httplib::Request&, httplib::Response& res) {
      quota_.reset();
      res.set_content("{}", "application/json");
    });
  }

 private:
  void error(httplib::Response& res, int status, const std::string& msg, const std::string& type, const std::string& code) {
    qg::fake::openai_error(res, status, msg, type, code);
  }

  void rate_headers(httplib::Response& res, const qg::fake::WindowView& v) {
    if (v.limits.requests > 0) {
      res.set_header("x-ratelimit-limit-requests", std::to_string(v.limits.requests));
      res.set_header("x-ratelimit-remaining-requests", std::to_string(std::max<std::int64_t>(0, v.limits.requests - v.requests_used)));
      res.set_header("x-ratelimit-reset-requests", go_duration(v.reset_in_ms));
    }
    if (v.limits.tokens > 0) {
      res.set_header("x-ratelimit-limit-tokens", std::to_string(v.limits.tokens));
      res.set_header("x-ratelimit-remaining-tokens", std::to_string(std::max<std::int64_t>(0, v.limits.tokens - v.tokens_used)));
      res.set_header("x-ratelimit-reset-tokens", go_duration(v.reset_in_ms));
    }
  }

  // Counts a fault (slow aside) and returns true when it answered the request (tests/fakes/fake_faults).
  bool inject_fault(const httplib::Request& req, const std::string& fault, const std::string& key, bool stream,
                    httplib::Response& res) {
    if (fault.empty() || fault == "slow") return false;
    quota_.count(key, &Served::faults);
    if (fault == "drop") {
      qg::fake::drop_connection(req);
      qg::fake::openai_error(res, 500, "fake dropped connection", "server_error", "dropped");  // never arrives
      return true;
    }
    return qg::fake::answer_openai_fault(fault, stream, {o_.retry_after_s, o_.hang_ms}, res);
  }

  void complete(const httplib::Request& req, httplib::Response& res, const std::string& kind) {
    std::string key = bearer_key(req);
    json body = json::parse(req.body, nullptr, false);
    if (body.is_discarded() || !body.is_object() || !body.contains("model") || !body["model"].is_string())
      return error(res, 400, "fake: body must be a JSON object with a model", "invalid_request_error", "invalid_json");
    bool stream = body.value("stream", false);
    std::string fault = faults_.fault_for(req, key);
    if (fault.empty() && o_.drop_every > 0 && ++completions_ % o_.drop_every == 0) fault = "drop";
    auto window = quota_.admit(key, now_ms());
    rate_headers(res, window);
    if (window.refused) {
      res.set_header("Retry-After", std::to_string((window.reset_in_ms + 999) / 1000));
      return error(res, 429, "Rate limit reached for requests (fake).", "requests", "rate_limit_exceeded");
    }
    if (inject_fault(req, fault, key, stream, res)) return;

    std::int64_t prompt = kind == "embed" ? (prompt_bytes(body) + 3) / 4 : (prompt_bytes(body) + 3) / 4;
    std::int64_t completion = o_.completion_tokens;
    for (const char* f : {"max_tokens", "max_completion_tokens"})
      if (body.contains(f) && body[f].is_number_integer()) completion = std::min<std::int64_t>(completion, body[f].get<std::int64_t>());
    if (kind == "embed") completion = 0;
    quota_.add_tokens(key, prompt + completion, now_ms());
    std::string model = body["model"];
    json usage = {{"prompt_tokens", prompt}, {"completion_tokens", completion}, {"total_tokens", prompt + completion}};

    if (kind == "embed") {
      const std::vector<float> vec = {0.1f, 0.2f, 0.3f};
      json embedding = vec;
      if (body.value("encoding_format", "float") == "base64") embedding = base64_floats(vec);  // OpenAI SDK default
      json data = json::array();
      data.push_back({{"object", "embedding"}, {"index", 0}, {"embedding", embedding}});
      quota_.served(key, prompt, completion, false);
      return res.set_content(json{{"object", "list"}, {"data", data}, {"model", model}, {"usage", usage}}.dump(), "application/json");
    }
    std::string text;
    for (std::int64_t i = 0; i < completion; ++i) text += "tok ";
    if (!stream) {
      json choice = kind == "chat" ? json{{"index", 0}, {"message", {{"role", "assistant"}, {"content", text}}}, {"finish_reason", "stop"}}
                                   : json{{"index", 0}, {"text", text}, {"finish_reason", "stop"}};
      quota_.served(key, prompt, completion, false);
      return res.set_content(json{{"id", "fake-1"}, {"object", kind == "chat" ? "chat.completion" : "text_completion"},
                                  {"model", model}, {"choices", json::array({choice})}, {"usage", usage}}.dump(),
                             "application/json");
    }
    bool include_usage = body.contains("stream_options") && body["stream_options"].is_object() &&
                         body["stream_options"].value("include_usage", false);
    int delay = fault == "slow" ? o_.slow_delay_ms : o_.chunk_delay_ms;
    if (req.has_header("x-fake-chunk-delay-ms")) delay = std::stoi(req.get_header_value("x-fake-chunk-delay-ms"));
    int chunks = req.has_header("x-fake-chunks") ? std::stoi(req.get_header_value("x-fake-chunks")) : o_.chunks;
    bool cut = fault == "cut";
    {
      std::lock_guard lock(ports_mutex_);
      stream_ports_.insert(req.remote_port);
    }
    res.set_header("Cache-Control", "no-cache");
    res.set_chunked_content_provider("text/event-stream", [=, this](size_t, httplib::DataSink& sink) {
      auto send = [&](const json& chunk) {
        std::string s = "data: " + chunk.dump() + "\n\n";
        return sink.write(s.data(), s.size());
      };
      for (int i = 0; i < chunks; ++i) {
        if (delay > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay));
        if (cut && i == 2) return false;  // drop the connection mid-stream
        std::string piece = i + 1 == chunks ? text.substr(text.size() / chunks * i) : text.substr(text.size() / chunks * i, text.size() / chunks);
        json delta = kind == "chat" ? json{{"index", 0}, {"delta", {{"content", piece}}}, {"finish_reason", nullptr}}
                                    : json{{"index", 0}, {"text", piece}, {"finish_reason", nullptr}};
        json chunk = {{"id", "fake-1"}, {"object", kind == "chat" ? "chat.completion.chunk" : "text_completion"},
                      {"model", model}, {"choices", json::array({delta})}};
        if (include_usage) chunk["usage"] = nullptr;
        if (!send(chunk)) {
          quota_.count(key, &Served::cancelled);
          return false;
        }
      }
      if (include_usage && !send(json{{"id", "fake-1"}, {"object", "chat.completion.chunk"}, {"model", model},
                                      {"choices", json::array()}, {"usage", usage}})) {
        quota_.count(key, &Served::cancelled);
        return false;
      }
      std::string done = "data: [DONE]\n\n";
      if (!sink.write(done.data(), done.size())) {
        quota_.count(key, &Served::cancelled);
        return false;
      }
      quota_.served(key, prompt, completion, true);
      sink.done();
      return true;
    });
  }

  // Records the credentials and, for dialect calls, the request itself (GET /_last).
  void see(const httplib::Request& req) {
    std::lock_guard lock(ports_mutex_);
    for (const char* h : {"Authorization", "x-api-key", "x-goog-api-key"})
      if (req.has_header(h)) credentials_seen_.insert(req.get_header_value(h));
    if (req.has_param("key")) credentials_seen_.insert(req.get_param_value("key"));
    std::string query;
    for (const auto& [k, v] : req.params) query += (query.empty() ? "?" : "&") + k + "=" + v;
    last_ = {{"method", req.method}, {"path", req.path + query}, {"body", req.body},
             {"anthropic-version", req.get_header_value("anthropic-version")},
             {"anthropic-beta", req.get_header_value("anthropic-beta")}};
  }

  void dialect(const httplib::Request& req, httplib::Response& res, qg::fake::Wire wire, std::string model,
               bool count_only) {
    using qg::fake::Wire;
    see(req);
    const std::string key = bearer_key(req);
    json body = json::parse(req.body, nullptr, false);
    auto fail = [&](int status, const std::string& msg) {
      res.status = status;
      res.set_content(qg::fake::error_body(wire, status, msg, o_.retry_after_s), "application/json");
    };
    if (body.is_discarded() || !body.is_object()) return fail(400, "fake: body must be a JSON object");
    if (wire != Wire::gemini) {
      if (!body.contains("model") || !body["model"].is_string()) return fail(400, "fake: model is required");
      model = body["model"];
    }
    const std::int64_t prompt = (qg::fake::dialect_prompt_bytes(wire, body) + 3) / 4;
    if (count_only) {
      if (wire == Wire::gemini) return res.set_content(json{{"totalTokens", prompt}}.dump(), "application/json");
      return res.set_content(json{{"input_tokens", prompt}}.dump(), "application/json");
    }
    const bool stream = wire == Wire::gemini ? req.matches[2] == "streamGenerateContent" : body.value("stream", false);
    const std::string fault = faults_.fault_for(req, key);
    auto window = quota_.admit(key, now_ms());
    if (wire == Wire::messages) {
      if (window.limits.requests > 0) {
        res.set_header("anthropic-ratelimit-requests-limit", std::to_string(window.limits.requests));
        res.set_header("anthropic-ratelimit-requests-remaining",
                       std::to_string(std::max<std::int64_t>(0, window.limits.requests - window.requests_used)));
        res.set_header("anthropic-ratelimit-requests-reset", rfc3339_in(window.reset_in_ms));
      }
      if (window.limits.tokens > 0) {
        res.set_header("anthropic-ratelimit-tokens-limit", std::to_string(window.limits.tokens));
        res.set_header("anthropic-ratelimit-tokens-remaining",
                       std::to_string(std::max<std::int64_t>(0, window.limits.tokens - window.tokens_used)));
        res.set_header("anthropic-ratelimit-tokens-reset", rfc3339_in(window.reset_in_ms));
      }
      res.set_header("request-id", "req_fake_" + std::to_string(now_ms()));
    } else if (wire == Wire::responses) {
      rate_headers(res, window);
      res.set_header("x-request-id", "req_fake_" + std::to_string(now_ms()));
    }
    if (window.refused || fault == "429") {
      const int retry = window.refused ? static_cast<int>((window.reset_in_ms + 999) / 1000) : o_.retry_after_s;
      if (wire != Wire::gemini) res.set_header("Retry-After", std::to_string(retry));
      quota_.count(key, &Served::faults);
      res.status = 429;
      return res.set_content(qg::fake::error_body(wire, 429, "Rate limit reached (fake).", retry), "application/json");
    }
    if (fault == "500" || fault == "401" || fault == "529") {
      quota_.count(key, &Served::faults);
      return fail(std::stoi(fault), "fake fault " + fault);
    }
    std::int64_t completion = o_.completion_tokens;
    if (auto max = qg::fake::dialect_max_tokens(wire, body); max >= 0) completion = std::min(completion, max);
    quota_.add_tokens(key, prompt + completion, now_ms());
    qg::fake::Turn turn;
    turn.model = model;
    for (std::int64_t i = 0; i < completion; ++i) turn.text += "tok ";
    turn.chunks = req.has_header("x-fake-chunks") ? std::stoi(req.get_header_value("x-fake-chunks")) : o_.chunks;
    turn.prompt = prompt;
    turn.completion = completion;
    // The id depends on the request only, so a direct call and a proxied one answer the same bytes.
    turn.id = (wire == Wire::messages ? "msg_fake" : wire == Wire::responses ? "resp_fake" : "gem_fake") +
              std::to_string(std::hash<std::string>{}(req.body) % 1000000007);
    if (wire == Wire::responses) {
      std::lock_guard lock(ports_mutex_);
      responses_[turn.id] = qg::fake::plain_reply(wire, turn);
    }
    if (!stream) {
      quota_.served(key, prompt, completion, false);
      return res.set_content(qg::fake::plain_reply(wire, turn), "application/json");
    }
    auto frames = std::make_shared<std::vector<std::string>>(qg::fake::stream_frames(wire, turn));
    const std::size_t cut_at = fault == "cut" ? qg::fake::final_usage_frame(wire, *frames) : frames->size();
    const int delay = req.has_header("x-fake-chunk-delay-ms") ? std::stoi(req.get_header_value("x-fake-chunk-delay-ms"))
                      : fault == "slow"                        ? o_.slow_delay_ms
                                                               : o_.chunk_delay_ms;
    res.set_header("Cache-Control", "no-cache");
    res.set_chunked_content_provider("text/event-stream", [=, this](size_t, httplib::DataSink& sink) {
      for (std::size_t i = 0; i < frames->size(); ++i) {
        if (i == cut_at) return false;  // drop the connection before the final usage
        if (delay > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay));
        if (!sink.write((*frames)[i].data(), (*frames)[i].size())) {
          quota_.count(key, &Served::cancelled);
          return false;
        }
      }
      quota_.served(key, prompt, completion, true);
      sink.done();
      return true;
    });
  }

  Options o_;
  std::set<std::string> credentials_seen_;
  json last_ = json::object();
  std::map<std::string, std::string> responses_;  // id -> stored Response (plain JSON)
  FakeQuota quota_;
  std::mutex ports_mutex_;
  std::set<int> stream_ports_;  // remote ports of stream requests: one per upstream connection
  qg::fake::FaultTable faults_;
  std::atomic<std::int64_t> completions_{0};  // completion requests seen (--drop-every)
};

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"qg-fake-provider: OpenAI-compatible fake upstream with quotas and faults"};
  app.add_option("--host", o.host, "listen address");
  app.add_option("--port", o.port, "listen port (0 = any free port)");
  app.add_option("--models", o.models, "models served")->delimiter(',');
  app.add_option("--requests-per-window", o.limits.requests, "requests per key per window (0 = unlimited)");
  app.add_option("--tokens-per-window", o.limits.tokens, "tokens per key per window (0 = unlimited)");
  app.add_option("--window-ms", o.window_ms, "quota window length")->check(CLI::PositiveNumber);
  app.add_option("--key-quota", o.key_quotas, "KEY=REQUESTS:TOKENS per-key limits");
  app.add_option("--fault", o.faults, "KEY=KIND: 500|429|401|hang|reset|malformed|slow|cut");
  app.add_option("--chunks", o.chunks, "SSE content chunks per stream")->check(CLI::PositiveNumber);
  app.add_option("--chunk-delay-ms", o.chunk_delay_ms, "delay before each chunk");
  app.add_option("--slow-delay-ms", o.slow_delay_ms, "chunk delay of the slow fault");
  app.add_option("--completion-tokens", o.completion_tokens, "completion tokens per answer");
  app.add_option("--retry-after", o.retry_after_s, "Retry-After of the 429 fault");
  app.add_option("--hang-ms", o.hang_ms, "how long the hang fault holds the request");
  app.add_option("--threads", o.threads, "worker threads")->check(CLI::PositiveNumber);
  app.add_option("--drop-every", o.drop_every, "close every Nth completion request's connection unanswered (0 = none)");
  CLI11_PARSE(app, argc, argv);

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  try {
    FakeProvider provider(o);
    httplib::Server svr;
    svr.set_tcp_nodelay(true);
    svr.set_keep_alive_max_count(100000);
    int threads = o.threads;
    svr.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
    provider.routes(svr);
    // httplib listens with a backlog of 5: a burst of connections (1,000 streams opened at
    // once) overflows it and the kernel resets some. Capture the socket, deepen the backlog.
    int listen_fd = -1;
    svr.set_socket_options([&listen_fd](int fd) {
      int yes = 1;
      setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
      listen_fd = fd;
    });
    int port = o.port == 0 ? svr.bind_to_any_port(o.host) : (svr.bind_to_port(o.host, o.port) ? o.port : -1);
    if (port <= 0) {
      std::cerr << "qg-fake-provider: cannot bind " << o.host << ":" << o.port << "\n";
      return 2;
    }
    if (listen_fd >= 0) ::listen(listen_fd, 4096);
    std::thread([&svr, signals] {
      int sig = 0;
      sigwait(&signals, &sig);
      svr.stop();
    }).detach();
    std::cerr << "listening on " << o.host << ":" << port << std::endl;
    svr.listen_after_bind();
  } catch (const std::exception& e) {
    std::cerr << "qg-fake-provider: " << e.what() << "\n";
    return 2;
  }
  return 0;
}
