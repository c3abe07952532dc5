// tests/hostile/hostile_script.cpp — see hostile_script.hpp.
#include "tests/hostile/hostile_script.hpp"

#include <nlohmann/json.hpp>

#include <unistd.h>

namespace qg::test {
namespace {

std::string completion(const std::string& usage, const std::string& content = "abcd") {
  return R"({"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":")" +
         content + R"("},"finish_reason":"stop"}],"usage":)" + usage + "}";
}

const std::string kSseHead = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n";
const std::string kOkUsage = R"({"prompt_tokens":3,"completion_tokens":4,"total_tokens":7})";

}  // namespace

std::string model_of(const std::string& request) {
  const auto body = nlohmann::json::parse(request.substr(request.find("\r\n\r\n") + 4), nullptr, false);
  return body.is_object() ? body.value("model", "") : "";
}

bool hostile_upstream(const std::string& request, const ScriptedUpstream::Conn& c, std::atomic<int>& served) {
  const std::string model = model_of(request);
  // Every answer below starts with a 2xx status line.
  auto head = [&](const std::string& bytes) {
    const bool ok = c.write(bytes);
    if (ok) ++served;
    return ok;
  };
  if (model == "reset-digits")
    return head(http_response(200, "application/json", completion(kOkUsage),
                              "anthropic-ratelimit-tokens-reset: 2030-01-01T00:00:00." + std::string(399, '0') + "1" +
                                  "Z\r\nanthropic-ratelimit-tokens-limit: 100000000\r\nanthropic-ratelimit-tokens-remaining: 99999900\r\n"));
  if (model == "no-blank-line") {
    if (!head(kSseHead)) return false;
    c.write("data: ");
    for (int i = 0; i < 300 && c.write(std::string(10'000, 'x')); ++i) usleep(10'000);
    return false;
  }
  if (model == "slow-stream") {
    if (!head(kSseHead)) return false;
    for (int i = 0; i < 5; ++i) {
      usleep(450'000);
      if (!c.write("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"slow\"}}]}\n\n")) return false;
    }
    c.write("data: {\"choices\":[],\"usage\":{\"prompt_tokens\":2,\"completion_tokens\":5}}\n\ndata: [DONE]\n\n");
    return false;
  }
  if (model == "bare-cr") {
    if (!head(kSseHead)) return false;
    c.write("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hello\"}}]}\r\r");
    c.write("data: {\"choices\":[],\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":9}}\r\r");
    c.write("data: [DONE]\r\r");
    return false;
  }
  if (model == "negative-usage")
    return head(http_response(200, "application/json", completion(R"({"prompt_tokens":-1000000,"completion_tokens":5})")));
  if (model == "max-usage")
    return head(http_response(200, "application/json",
                              completion(R"({"prompt_tokens":9223372036854775807,"completion_tokens":9223372036854775807})")));
  if (model == "huge-json")
    return head(http_response(200, "application/json", completion(kOkUsage, std::string(3 << 20, 'y'))));
  if (model == "drip") {
    if (!head("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n")) return false;
    for (int i = 0; i < 40 && c.write(std::string(100, ' ')); ++i) usleep(300'000);
    return false;
  }
  return head(http_response(200, "application/json", completion(kOkUsage)));
}

}  // namespace qg::test
