// tests/fakes/fake_provider.cpp — qg-fake-provider: an OpenAI-compatible upstream for tests,
// benchmarks and `make demo`.
//
// POST /v1/chat/completions (plain + SSE), /v1/completions, /v1/embeddings, GET /v1/models;
// per-key quota windows with real x-ratelimit-* headers and 429 + Retry-After when exhausted;
// fault injection by key (--fault KEY=KIND) or header (x-fake-fault: KIND) with KIND one of
// 500, 429, 401, hang, reset, malformed, slow, cut; GET /_served (what was served, per key),
// POST /_reset. Deterministic usage: prompt_tokens = ceil(bytes of message contents / 4),
// completion_tokens = min(max_tokens, --completion-tokens). Prints
// "listening on 127.0.0.1:PORT" on stderr once bound (--port 0 picks a free port).
#include "tests/fakes/fake_quota.hpp"

#include <CLI/CLI.hpp>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <chrono>
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
  return auth.rfind("Bearer ", 0) == 0 ? auth.substr(7) : "";
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
      : o_(std::move(o)), quota_(o_.limits, o_.window_ms) {
    for (const auto& spec : o_.key_quotas) {
      auto eq = spec.find('='), colon = spec.find(':', eq);
      if (eq == std::string::npos || colon == std::string::npos)
        throw std::runtime_error("--key-quota expects KEY=REQUESTS:TOKENS, got '" + spec + "'");
      quota_.set_key_limits(spec.substr(0, eq), {std::stoll(spec.substr(eq + 1, colon - eq - 1)),
                                                 std::stoll(spec.substr(colon + 1))});
    }
    for (const auto& spec : o_.faults) {
      auto eq = spec.find('=');
      if (eq == std::string::npos) throw std::runtime_error("--fault expects KEY=KIND, got '" + spec + "'");
      key_faults_[spec.substr(0, eq)] = spec.substr(eq + 1);
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
    svr.Get("/_served", [this](const httplib::Request&, httplib::Response& res) {
      auto served = json::parse(quota_.served_json());
      std::lock_guard lock(ports_mutex_);
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
    res.status = status;
    res.set_content(json{{"error", {{"message", msg}, {"type", type}, {"code", code}, {"param", nullptr}}}}.dump(),
                    "application/json");
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

  // Returns true when a fault answered the request.
  bool inject_fault(const std::string& fault, const std::string& key, bool stream, httplib::Response& res) {
    if (fault.empty() || fault == "slow") return false;
    quota_.count(key, &Served::faults);
    if (fault == "500") error(res, 500, "fake internal error", "server_error", "internal_error");
    else if (fault == "401") error(res, 401, "fake invalid key", "invalid_request_error", "invalid_api_key");
    else if (fault == "429") {
      res.set_header("Retry-After", std::to_string(o_.retry_after_s));
      error(res, 429, "Rate limit reached (fake). Please try again in " + std::to_string(o_.retry_after_s) + "s.",
            "requests", "rate_limit_exceeded");
    } else if (fault == "hang") {
      std::this_thread::sleep_for(std::chrono::milliseconds(o_.hang_ms));
      error(res, 500, "fake hang ended", "server_error", "internal_error");
    } else if (fault == "reset") {
      res.set_content_provider(1000, "application/json", [](size_t, size_t, httplib::DataSink&) { return false; });
    } else if (fault == "malformed") {
      if (stream) res.set_content("data: {\"id\": broken\n\ndata: [DONE]\n\n", "text/event-stream");
      else res.set_content("{\"id\":\"x\",\"choices\":[", "application/json");
    } else if (fault == "cut") {
      return false;  // handled by the stream writer
    } else {
      error(res, 400, "unknown fake fault " + fault, "invalid_request_error", "bad_fault");
    }
    return true;
  }

  void complete(const httplib::Request& req, httplib::Response& res, const std::string& kind) {
    std::string key = bearer_key(req);
    json body = json::parse(req.body, nullptr, false);
    if (body.is_discarded() || !body.is_object() || !body.contains("model") || !body["model"].is_string())
      return error(res, 400, "fake: body must be a JSON object with a model", "invalid_request_error", "invalid_json");
    bool stream = body.value("stream", false);
    std::string fault = req.get_header_value("x-fake-fault");
    if (fault.empty() && key_faults_.count(key)) fault = key_faults_.at(key);
    auto window = quota_.admit(key, now_ms());
    rate_headers(res, window);
    if (window.refused) {
      res.set_header("Retry-After", std::to_string((window.reset_in_ms + 999) / 1000));
      return error(res, 429, "Rate limit reached for requests (fake).", "requests", "rate_limit_exceeded");
    }
    if (inject_fault(fault, key, stream, res)) return;

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

  Options o_;
  FakeQuota quota_;
  std::mutex ports_mutex_;
  std::set<int> stream_ports_;  // remote ports of stream requests: one per upstream connection
  std::map<std::string, std::string> key_faults_;
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
