// tests/telegram/fake_telegram_process.cpp — see fake_telegram_process.hpp.
#include "tests/telegram/fake_telegram_process.hpp"

#include <httplib.h>

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace qg::test {

namespace {
std::string read_all(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
}  // namespace

FakeTelegramProcess::FakeTelegramProcess(const std::string& token) {
  std::string exe = std::string(QG_BINARY_DIR) + "/tests/fakes/qg-fake-telegram";
  char tmpl[] = "/tmp/qg-fake-telegram-XXXXXX";
  const int fd = mkstemp(tmpl);
  if (fd < 0) throw std::runtime_error("mkstemp failed");
  log_path_ = tmpl;
  pid_ = fork();
  if (pid_ == 0) {
    dup2(fd, STDERR_FILENO);
    execl(exe.c_str(), exe.c_str(), "--token", token.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(fd);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    const std::string text = read_all(log_path_);
    const auto pos = text.find("listening on 127.0.0.1:");
    if (pos != std::string::npos && text.find('\n', pos) != std::string::npos) {
      port_ = std::atoi(text.c_str() + pos + 23);
      return;
    }
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("qg-fake-telegram exited: " + text);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  throw std::runtime_error("qg-fake-telegram did not start: " + read_all(log_path_));
}

FakeTelegramProcess::~FakeTelegramProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    for (int i = 0; i < 200 && pid_ > 0; ++i) {
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) pid_ = -1;
      else std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  std::remove(log_path_.c_str());
}

nlohmann::json FakeTelegramProcess::call(const std::string& method, const std::string& path,
                                         const std::string& body) {
  httplib::Client c("127.0.0.1", port_);
  c.set_read_timeout(10, 0);
  auto res = method == "GET" ? c.Get(path.c_str()) : c.Post(path.c_str(), body, "application/json");
  if (!res) throw std::runtime_error("fake telegram control call failed: " + path);
  return nlohmann::json::parse(res->body);
}

void FakeTelegramProcess::message(std::int64_t user, const std::string& text, std::int64_t chat) {
  nlohmann::json b{{"user_id", user}, {"text", text}};
  if (chat != 0) b["chat_id"] = chat;
  call("POST", "/control/message", b.dump());
}

void FakeTelegramProcess::update(const nlohmann::json& update) { call("POST", "/control/update", update.dump()); }
nlohmann::json FakeTelegramProcess::sent() { return call("GET", "/control/sent", "")["sent"]; }
nlohmann::json FakeTelegramProcess::state() { return call("GET", "/control/state", ""); }
void FakeTelegramProcess::unauthorized(bool on) {
  call("POST", std::string("/control/unauthorized?on=") + (on ? "1" : "0"), "");
}
void FakeTelegramProcess::clear() { call("POST", "/control/clear", ""); }

nlohmann::json FakeTelegramProcess::wait_sent(const std::function<bool(const nlohmann::json&)>& pred,
                                              std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  nlohmann::json s = sent();
  while (!pred(s) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    s = sent();
  }
  return s;
}

std::vector<nlohmann::json> FakeTelegramProcess::of(const nlohmann::json& sent, const std::string& method,
                                                    std::int64_t chat_id) {
  std::vector<nlohmann::json> out;
  for (const auto& s : sent) {
    if (s.value("method", "") != method) continue;
    if (chat_id != 0) {
      const auto& p = s["params"];
      const std::string chat = p["chat_id"].is_string() ? p["chat_id"].get<std::string>() : p["chat_id"].dump();
      if (chat != std::to_string(chat_id)) continue;
    }
    out.push_back(s["params"]);
  }
  return out;
}

}  // namespace qg::test
