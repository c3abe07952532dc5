// http/response_affinity.hpp — which account created each OpenAI Responses response.
//
// A Response lives on the provider account that created it: `previous_response_id` and the
// `/v1/responses/{id}` routes only work there. QuotaGuard remembers, for every response it
// relayed, the account that served it, so those requests go to the same account (and fail
// with a clear error when it cannot serve, instead of sending the conversation elsewhere).
//
// Bounded (max_entries; the oldest is forgotten first), expiring (ttl from creation), and
// persisted in a small append-only text file next to the event log (`<db_path>-responses`),
// so a restart keeps the mapping. File format, one record per line:
//   R <created_ms> <response_id> <account_id>    remembered
//   D <response_id>                              forgotten (DELETE /v1/responses/{id})
// Loading replays the lines in order and skips malformed or expired ones; when the file holds
// more than twice max_entries lines it is rewritten (temp file + rename) with the live entries.
// Ids and account ids with whitespace or control characters are never stored. Thread-safe.
#pragma once

#include "messages/event.hpp"

#include <cstddef>
#include <cstdint>
#include <deque>
#include <fstream>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace qg {

struct ResponseAffinityOptions {
  std::string path;                                   // "" = memory only
  std::size_t max_entries = 100'000;
  std::int64_t ttl_ms = 30LL * 24 * 3600 * 1000;      // 30 days
};

class ResponseAffinity {
 public:
  // Loads `options.path` (if any); entries older than ttl at `now` are dropped.
  ResponseAffinity(ResponseAffinityOptions options, TimeMs now);

  void remember(std::string_view response_id, std::string_view account, TimeMs now);
  std::optional<std::string> account_of(std::string_view response_id, TimeMs now) const;
  void forget(std::string_view response_id);
  std::size_t size() const;

  // True for ids this store accepts (1-256 printable, non-space ASCII bytes).
  static bool storable(std::string_view id);

 private:
  struct Entry {
    std::string account;
    TimeMs created = 0;
  };
  void insert(std::string id, std::string account, TimeMs created);  // caller holds m_
  void evict();                                                      // caller holds m_
  void append(const std::string& line, TimeMs now);                  // caller holds m_
  void compact(TimeMs now);                                          // caller holds m_

  ResponseAffinityOptions opts_;
  mutable std::mutex m_;
  std::unordered_map<std::string, Entry> map_;
  std::deque<std::string> order_;  // insertion order (may hold ids already forgotten)
  std::ofstream file_;
  std::size_t file_lines_ = 0;
};

}  // namespace qg
