// tests/fakes/fake_quota.cpp — see fake_quota.hpp.
#include "tests/fakes/fake_quota.hpp"

#include <nlohmann/json.hpp>

namespace qg::fake {

void FakeQuota::set_key_limits(const std::string& key, KeyLimits l) {
  std::lock_guard lock(m_);
  key_limits_[key] = l;
}

KeyLimits FakeQuota::limits_of(const std::string& key) const {
  auto it = key_limits_.find(key);
  return it == key_limits_.end() ? defaults_ : it->second;
}

FakeQuota::KeyState& FakeQuota::roll(const std::string& key, std::int64_t now_ms) {
  KeyState& k = keys_[key];
  std::int64_t window = now_ms / window_ms_;
  if (k.window != window) {
    k.window = window;
    k.requests = 0;
    k.tokens = 0;
  }
  return k;
}

WindowView FakeQuota::window_of(const KeyState& k, const std::string& key, std::int64_t now_ms) const {
  WindowView v;
  v.limits = limits_of(key);
  v.requests_used = k.requests;
  v.tokens_used = k.tokens;
  v.reset_in_ms = (k.window + 1) * window_ms_ - now_ms;
  return v;
}

WindowView FakeQuota::view(const std::string& key, std::int64_t now_ms) {
  std::lock_guard lock(m_);
  return window_of(roll(key, now_ms), key, now_ms);
}

WindowView FakeQuota::admit(const std::string& key, std::int64_t now_ms) {
  std::lock_guard lock(m_);
  KeyState& k = roll(key, now_ms);
  const KeyLimits limits = limits_of(key);
  const bool refused = (limits.requests > 0 && k.requests >= limits.requests) ||
                       (limits.tokens > 0 && k.tokens >= limits.tokens);
  if (refused) ++k.served.rejected;
  else ++k.requests;
  WindowView v = window_of(k, key, now_ms);
  v.refused = refused;
  return v;
}

void FakeQuota::add_tokens(const std::string& key, std::int64_t tokens, std::int64_t now_ms) {
  std::lock_guard lock(m_);
  roll(key, now_ms).tokens += tokens;
}

void FakeQuota::served(const std::string& key, std::int64_t prompt, std::int64_t completion, bool stream) {
  std::lock_guard lock(m_);
  Served& s = keys_[key].served;
  ++s.requests;
  s.prompt_tokens += prompt;
  s.completion_tokens += completion;
  if (stream) ++s.streams;
}

void FakeQuota::count(const std::string& key, std::int64_t Served::*field) {
  std::lock_guard lock(m_);
  ++(keys_[key].served.*field);
}

std::string FakeQuota::served_json() {
  std::lock_guard lock(m_);
  nlohmann::json keys = nlohmann::json::object();
  Served total;
  for (const auto& [key, k] : keys_) {
    const Served& s = k.served;
    keys[key] = {{"requests", s.requests}, {"prompt_tokens", s.prompt_tokens},
                 {"completion_tokens", s.completion_tokens}, {"streams", s.streams},
                 {"cancelled", s.cancelled}, {"rejected", s.rejected}, {"faults", s.faults}};
    total.requests += s.requests;
    total.prompt_tokens += s.prompt_tokens;
    total.completion_tokens += s.completion_tokens;
    total.cancelled += s.cancelled;
    total.rejected += s.rejected;
  }
  nlohmann::json out = {{"keys", keys},
                        {"total", {{"requests", total.requests}, {"prompt_tokens", total.prompt_tokens},
                                   {"completion_tokens", total.completion_tokens},
                                   {"cancelled", total.cancelled}, {"rejected", total.rejected}}}};
  return out.dump();
}

void FakeQuota::reset() {
  std::lock_guard lock(m_);
  keys_.clear();
}

}  // namespace qg::fake
