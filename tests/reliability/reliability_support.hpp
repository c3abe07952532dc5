// tests/reliability/reliability_support.hpp — shared parts of the reliability suite: the run
// mode (short in CI, long with QG_RELIABILITY_LONG=1), a pool of client threads hammering the
// real daemon and recording what each request got, and the event log read back offline.
//
//   ClientLoad load(port, 4, /*stream_every=*/4);   // starts the threads
//   ... kill or stop the daemon ...
//   auto results = load.stop();                     // joins, returns every outcome
//   auto events = read_events(db_path);             // `quotaguard replay --json --events-only`
#pragma once

#include <nlohmann/json.hpp>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace qg::test {

// QG_RELIABILITY_LONG=1 selects the long mode; `short_value` otherwise.
bool long_mode();
int scaled(int short_value, int long_value);
// Seed for random instants: $QG_RELIABILITY_SEED, else random (printed by the tests).
std::uint64_t reliability_seed();

struct RequestOutcome {
  int status = -1;            // -1: no HTTP answer (daemon killed, refused)
  bool stream = false;
  bool complete = false;      // 200 and the whole body: JSON with usage, or SSE up to [DONE]
  std::string reservation;    // x-quotaguard-reservation
  std::string account;        // x-quotaguard-account
  std::string retry_after;    // Retry-After
  std::string request_id;     // x-request-id (the ReservationCreated events of the request carry it)
  std::int64_t completion_tokens = -1;  // from the body's usage, when complete
  std::string body;
};

// One chat request (stream or not) with the outcome parsed.
RequestOutcome send_chat(int port, bool stream, int timeout_ms = 30000, const std::string& model = "m");

class ClientLoad {
 public:
  // `threads` clients send requests back to back; every `stream_every`-th one streams (0 = never).
  ClientLoad(int port, int threads, int stream_every, int timeout_ms = 30000);
  ~ClientLoad();
  std::vector<RequestOutcome> stop();   // joins the threads, returns every outcome
  int sent() const { return sent_.load(); }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<int> sent_{0};
  std::mutex mu_;
  std::vector<RequestOutcome> outcomes_;
  std::vector<std::thread> threads_;
};

// Every event of the log at `db_path` (offline `quotaguard replay --json --events-only`).
std::vector<nlohmann::json> read_events(const std::string& db_path);
// `quotaguard replay --db db_path --verify`; exit code, output in *out.
int verify_log(const std::string& db_path, std::string* out = nullptr);

}  // namespace qg::test
