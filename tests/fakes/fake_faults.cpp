// tests/fakes/fake_faults.cpp
#include "tests/fakes/fake_faults.hpp"

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <stdexcept>
#include <thread>

namespace qg::fake {

FaultTable::FaultTable(const std::vector<std::string>& specs) {
  for (const auto& spec : specs) {
    auto eq = spec.find('=');
    if (eq == std::string::npos) throw std::runtime_error("--fault expects KEY=KIND, got '" + spec + "'");
    by_key_[spec.substr(0, eq)] = spec.substr(eq + 1);
  }
}

std::string FaultTable::fault_for(const httplib::Request& req, const std::string& key) const {
  std::string fault = req.get_header_value("x-fake-fault");
  if (fault.empty())
    if (auto it = by_key_.find(key); it != by_key_.end()) fault = it->second;
  return fault;
}

void drop_connection(const httplib::Request& req) {
  // httplib hands a handler no socket: the connection is the one whose peer is the request's.
  for (int fd = 3; fd < 65536; ++fd) {
    sockaddr_storage peer{};
    socklen_t len = sizeof peer;
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &len) != 0) continue;
    int port = -1;
    char addr[INET6_ADDRSTRLEN] = {};
    if (peer.ss_family == AF_INET) {
      const auto* in = reinterpret_cast<const sockaddr_in*>(&peer);
      port = ntohs(in->sin_port);
      ::inet_ntop(AF_INET, &in->sin_addr, addr, sizeof addr);
    } else if (peer.ss_family == AF_INET6) {
      const auto* in = reinterpret_cast<const sockaddr_in6*>(&peer);
      port = ntohs(in->sin6_port);
      ::inet_ntop(AF_INET6, &in->sin6_addr, addr, sizeof addr);
    }
    if (port == req.remote_port && req.remote_addr == addr) {
      ::shutdown(fd, SHUT_RDWR);
      return;
    }
  }
}

void openai_error(httplib::Response& res, int status, const std::string& msg, const std::string& type,
                  const std::string& code) {
  res.status = status;
  res.set_content(nlohmann::json{{"error", {{"message", msg}, {"type", type}, {"code", code}, {"param", nullptr}}}}.dump(),
                  "application/json");
}

bool answer_openai_fault(const std::string& fault, bool stream, const FaultOptions& o, httplib::Response& res) {
  if (fault.empty() || fault == "slow" || fault == "cut") return false;
  if (fault == "500") openai_error(res, 500, "fake internal error", "server_error", "internal_error");
  else if (fault == "401") openai_error(res, 401, "fake invalid key", "invalid_request_error", "invalid_api_key");
  else if (fault == "429") {
    res.set_header("Retry-After", std::to_string(o.retry_after_s));
    openai_error(res, 429, "Rate limit reached (fake). Please try again in " + std::to_string(o.retry_after_s) + "s.",
                 "requests", "rate_limit_exceeded");
  } else if (fault == "hang") {
    std::this_thread::sleep_for(std::chrono::milliseconds(o.hang_ms));
    openai_error(res, 500, "fake hang ended", "server_error", "internal_error");
  } else if (fault == "reset") {
    res.set_content_provider(1000, "application/json", [](size_t, size_t, httplib::DataSink&) { return false; });
  } else if (fault == "malformed") {
    if (stream) res.set_content("data: {\"id\": broken\n\ndata: [DONE]\n\n", "text/event-stream");
    else res.set_content("{\"id\":\"x\",\"choices\":[", "application/json");
  } else {
    openai_error(res, 400, "unknown fake fault " + fault, "invalid_request_error", "bad_fault");
  }
  return true;
}

}  // namespace qg::fake
