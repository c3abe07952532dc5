// tests/reliability/reliability_support.cpp — see reliability_support.hpp.
#include "tests/reliability/reliability_support.hpp"

#include "tests/support/daemon_process.hpp"
#include "tests/support/http_call.hpp"

#include <cstdlib>
#include <random>
#include <sstream>

namespace qg::test {

bool long_mode() {
  const char* v = std::getenv("QG_RELIABILITY_LONG");
  return v != nullptr && std::string(v) == "1";
}

int scaled(int short_value, int long_value) { return long_mode() ? long_value : short_value; }

std::uint64_t reliability_seed() {
  if (const char* v = std::getenv("QG_RELIABILITY_SEED")) return std::strtoull(v, nullptr, 10);
  return std::random_device{}();
}

RequestOutcome send_chat(int port, bool stream, int timeout_ms, const std::string& model) {
  std::string body = R"({"model":")" + model + R"(","max_tokens":20,"messages":[{"role":"user","content":"reliability"}])";
  body += stream ? R"(,"stream":true})" : "}";
  auto reply = http_request("POST", "127.0.0.1", port, "/v1/chat/completions", body, "application/json", {},
                            std::chrono::milliseconds(timeout_ms));
  RequestOutcome o;
  o.status = reply.status;
  o.stream = stream;
  o.reservation = reply.header("x-quotaguard-reservation");
  o.account = reply.header("x-quotaguard-account");
  o.retry_after = reply.header("Retry-After");
  o.request_id = reply.header("x-request-id");
  o.body = reply.body;
  if (reply.status != 200) return o;
  if (!stream) {
    auto j = nlohmann::json::parse(reply.body, nullptr, false);
    if (!j.is_discarded() && j.contains("usage") && j.contains("choices")) {
      o.complete = true;
      o.completion_tokens = j["usage"].value("completion_tokens", -1);
    }
    return o;
  }
  // SSE: complete when it ends with [DONE]; usage from the chunk that carries it.
  std::istringstream lines(reply.body);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("data: ", 0) != 0) continue;
    const std::string data = line.substr(6);
    if (data == "[DONE]") { o.complete = true; continue; }
    auto j = nlohmann::json::parse(data, nullptr, false);
    if (!j.is_discarded() && j.contains("usage") && j["usage"].is_object())
      o.completion_tokens = j["usage"].value("completion_tokens", -1);
  }
  return o;
}

ClientLoad::ClientLoad(int port, int threads, int stream_every, int timeout_ms) {
  for (int t = 0; t < threads; ++t)
    threads_.emplace_back([this, port, stream_every, timeout_ms] {
      while (!stop_.load()) {
        const int n = sent_.fetch_add(1);
        auto o = send_chat(port, stream_every > 0 && n % stream_every == 0, timeout_ms);
        const bool refused = o.status == -1;
        {
          std::lock_guard<std::mutex> lock(mu_);
          outcomes_.push_back(std::move(o));
        }
        if (refused) std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    });
}

ClientLoad::~ClientLoad() { stop(); }

std::vector<RequestOutcome> ClientLoad::stop() {
  stop_ = true;
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  std::lock_guard<std::mutex> lock(mu_);
  return outcomes_;
}

std::vector<nlohmann::json> read_events(const std::string& db_path) {
  auto r = run_quotaguard({"replay", "--db", db_path, "--json", "--events-only"});
  std::vector<nlohmann::json> events;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_discarded() && j.contains("type")) events.push_back(std::move(j));
  }
  return events;
}

int verify_log(const std::string& db_path, std::string* out) {
  auto r = run_quotaguard({"replay", "--db", db_path, "--verify"});
  if (out) *out = r.out + r.err;
  return r.exit_code;
}

}  // namespace qg::test
