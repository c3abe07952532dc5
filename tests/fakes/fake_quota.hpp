// tests/fakes/fake_quota.hpp — per-key quota windows and served counters of qg-fake-provider.
//
// Fixed windows aligned to multiples of window_ms since the epoch, per API key: a request is
// refused (429) when the key has used its requests or tokens for the window. Counters record
// what was actually served so tests can compare it with QuotaGuard's event log. Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace qg::fake {

struct KeyLimits {
  std::int64_t requests = 0;  // per window, 0 = unlimited
  std::int64_t tokens = 0;    // per window (prompt + completion), 0 = unlimited
};

struct Served {
  std::int64_t requests = 0, prompt_tokens = 0, completion_tokens = 0;
  std::int64_t streams = 0, cancelled = 0, rejected = 0, faults = 0;
};

struct WindowView {
  KeyLimits limits;
  std::int64_t requests_used = 0, tokens_used = 0;
  std::int64_t reset_in_ms = 0;
  bool refused = false;
};

class FakeQuota {
 public:
  FakeQuota(KeyLimits defaults, std::int64_t window_ms) : defaults_(defaults), window_ms_(window_ms) {}
  void set_key_limits(const std::string& key, KeyLimits l);

  // Admits one request of `key` at `now_ms` (counts it) or refuses it.
  WindowView admit(const std::string& key, std::int64_t now_ms);
  // Tokens used by an admitted request, once known.
  void add_tokens(const std::string& key, std::int64_t tokens, std::int64_t now_ms);
  WindowView view(const std::string& key, std::int64_t now_ms);

  void served(const std::string& key, std::int64_t prompt, std::int64_t completion, bool stream);
  void count(const std::string& key, std::int64_t Served::*field);
  std::string served_json();
  void reset();

 private:
  struct KeyState {
    std::int64_t window = -1, requests = 0, tokens = 0;
    Served served;
  };
  KeyState& roll(const std::string& key, std::int64_t now_ms);
  KeyLimits limits_of(const std::string& key) const;
  WindowView window_of(const KeyState& k, const std::string& key, std::int64_t now_ms) const;

  std::mutex m_;
  KeyLimits defaults_;
  std::int64_t window_ms_;
  std::map<std::string, KeyLimits> key_limits_;
  std::map<std::string, KeyState> keys_;
};

}  // namespace qg::fake
