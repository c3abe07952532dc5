// http/upstream_call.cpp — see upstream_call.hpp.
#include "http/upstream_call.hpp"
#include "http/base_url.hpp"

#include <httplib.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

namespace qg {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t kMaxQueuedBytes = 1 << 20;     // stream backpressure
constexpr std::size_t kMaxErrorBody = 1 << 20;

std::int64_t ms_since(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

void set_ms_timeout(httplib::Client& c, void (httplib::Client::*setter)(time_t, time_t), std::int64_t ms) {
  (c.*setter)(static_cast<time_t>(ms / 1000), static_cast<time_t>((ms % 1000) * 1000));
}

void configure(httplib::Client& c, const UpstreamTimeouts& t, std::int64_t read_ms) {
  c.set_keep_alive(true);
  c.set_tcp_nodelay(true);
  set_ms_timeout(c, &httplib::Client::set_connection_timeout, t.connect_ms);
  set_ms_timeout(c, &httplib::Client::set_read_timeout, read_ms);
  set_ms_timeout(c, &httplib::Client::set_write_timeout, std::max<std::int64_t>(t.connect_ms, 5000));
}

httplib::Headers upstream_headers(const UpstreamTarget& t, bool stream) {
  httplib::Headers h;
  if (!t.api_key.empty()) {
    if (t.provider == "gemini") {
      h.emplace("x-goog-api-key", t.api_key);
    } else {
      h.emplace("Authorization", "Bearer " + t.api_key);
      if (t.provider == "anthropic") h.emplace("x-api-key", t.api_key);
    }
  }
  for (const auto& [k, v] : t.extra_headers) h.emplace(k, v);
  if (stream) h.emplace("Accept", "text/event-stream");
  return h;
}

HeaderList to_header_list(const httplib::Headers& h) {
  HeaderList out;
  out.reserve(h.size());
  for (const auto& [k, v] : h) out.emplace_back(k, v);
  return out;
}

// A failed call (no response): which kind, and a short description.
void describe_failure(httplib::Error err, std::int64_t elapsed_ms, std::int64_t read_timeout_ms,
                      const UpstreamTimeouts& t, UpstreamReply& r) {
  if (err == httplib::Error::ConnectionTimeout) {
    r.failure = OutcomeKind::timeout;
    r.detail = "connect timeout " + std::to_string(t.connect_ms) + "ms";
  } else if (err == httplib::Error::Read && elapsed_ms + 20 >= read_timeout_ms) {
    r.failure = OutcomeKind::timeout;
    r.detail = "first-byte timeout " + std::to_string(read_timeout_ms) + "ms";
  } else {
    r.failure = OutcomeKind::connect_error;
    r.detail = "upstream " + httplib::to_string(err);
  }
}

}  // namespace

UpstreamTarget make_upstream_target(const std::string& base_url, const std::string& endpoint_path,
                                    const std::string& provider, const std::string& api_key) {
  UpstreamTarget t;
  t.provider = provider;
  t.api_key = api_key;
  BaseUrl base = split_base_url(base_url);
  if (!base.ok()) return t;
  t.scheme_host_port = std::move(base.origin);
  t.path = (base.has_path ? base.path : std::string("/v1")) + endpoint_path;  // no path at all: /v1
  return t;
}

UpstreamReply call_upstream_plain(const UpstreamTarget& target, const std::string& body,
                                  const UpstreamTimeouts& timeouts) {
  thread_local std::unordered_map<std::string, std::unique_ptr<httplib::Client>> clients;
  auto& client = clients[target.scheme_host_port];
  if (!client) client = std::make_unique<httplib::Client>(target.scheme_host_port);
  const std::int64_t read_ms = std::min(timeouts.first_byte_ms, std::max<std::int64_t>(timeouts.total_ms, 1));
  configure(*client, timeouts, read_ms);
  UpstreamReply r;
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::milliseconds(timeouts.total_ms);
  enum class Stop { none, too_large, deadline } stop = Stop::none;
  httplib::Request req;
  req.method = target.method.empty() ? "POST" : target.method;  // GET/DELETE: the responses {id} routes
  req.path = target.path;
  req.headers = upstream_headers(target, false);
  if (req.method == "POST") {
    req.headers.emplace("Content-Type", "application/json");
    req.body = body;
  }
  req.response_handler = [&](const httplib::Response& head) {
    r.status = head.status;
    r.headers = to_header_list(head.headers);
    r.latency_ms = ms_since(start);
    return true;
  };
  req.content_receiver = [&](const char* data, std::size_t n, std::uint64_t, std::uint64_t) {
    if (r.body.size() + n > timeouts.max_body_bytes) stop = Stop::too_large;
    else if (Clock::now() > deadline) stop = Stop::deadline;
    if (stop != Stop::none) return false;
    r.body.append(data, n);
    return true;
  };
  httplib::Response res;
  httplib::Error err = httplib::Error::Success;
  const bool sent = client->send(req, res, err);
  if (!sent || stop != Stop::none) {
    client.reset();  // the connection is mid-response: never reuse it
    std::string().swap(r.body);
    if (stop != Stop::none) r.cut_status = r.status;  // we cut it; a reset is the upstream's failure
    r.status = 0;
    if (r.latency_ms == 0) r.latency_ms = ms_since(start);
    if (stop == Stop::too_large) {
      r.failure = OutcomeKind::server_error;
      r.detail = "response larger than " + std::to_string(timeouts.max_body_bytes) + " bytes";
    } else if (stop == Stop::deadline || Clock::now() >= deadline) {
      r.failure = OutcomeKind::timeout;
      r.detail = "response not complete within proxy.request_timeout (" + std::to_string(timeouts.request_timeout_ms) + "ms)";
    } else {
      describe_failure(err, ms_since(start), read_ms, timeouts, r);
    }
  }
  return r;
}

// ---- streams ---------------------------------------------------------------------------

struct UpstreamStream::State {
  std::mutex m;
  std::condition_variable cv;
  bool headers_ready = false;
  int status = 0;
  HeaderList headers;
  std::deque<std::string> chunks;
  std::size_t queued = 0;
  std::string error_body;
  bool finished = false;
  bool cancelled = false;
  httplib::Error error = httplib::Error::Success;
  httplib::Client* client = nullptr;  // valid while the helper runs the call
  Clock::time_point started = Clock::now();
  std::int64_t headers_ms = 0;
  std::int64_t read_timeout_ms = 0;
  UpstreamTimeouts timeouts;
  OutcomeKind failure = OutcomeKind::success;
  std::string detail;
};

namespace {

// Idle keep-alive clients for streams, per upstream: a stream takes one (or makes a new one)
// and gives it back when its response was read to the end, so consecutive streams to the
// same provider skip the TCP (and TLS) handshake. A cancelled or failed stream drops its
// client, closing the connection. At most kMaxIdle idle clients per upstream are kept.
class StreamClientPool {
 public:
  static StreamClientPool& instance() {
    static StreamClientPool pool;
    return pool;
  }
  std::unique_ptr<httplib::Client> take(const std::string& upstream) {
    {
      std::lock_guard lock(m_);
      auto& idle = idle_[upstream];
      if (!idle.empty()) {
        auto c = std::move(idle.back());
        idle.pop_back();
        return c;
      }
    }
    return std::make_unique<httplib::Client>(upstream);
  }
  void give_back(const std::string& upstream, std::unique_ptr<httplib::Client> c) {
    std::lock_guard lock(m_);
    auto& idle = idle_[upstream];
    if (idle.size() < kMaxIdle) idle.push_back(std::move(c));
  }

 private:
  static constexpr std::size_t kMaxIdle = 64;
  std::mutex m_;
  std::unordered_map<std::string, std::vector<std::unique_ptr<httplib::Client>>> idle_;
};

void run_stream(std::shared_ptr<UpstreamStream::State> s, UpstreamTarget target, std::string body) {
  auto& pool = StreamClientPool::instance();
  std::unique_ptr<httplib::Client> owned = pool.take(target.scheme_host_port);
  httplib::Client& client = *owned;
  configure(client, s->timeouts, s->read_timeout_ms);
  {
    std::lock_guard lock(s->m);
    if (s->cancelled) {
      s->finished = true;
      s->error = httplib::Error::Canceled;
      s->cv.notify_all();
      return;
    }
    s->client = &client;
  }
  httplib::Request req;
  req.method = "POST";
  req.path = target.path;
  req.headers = upstream_headers(target, true);
  req.headers.emplace("Content-Type", "application/json");
  req.body = std::move(body);
  req.response_handler = [s](const httplib::Response& r) {
    std::lock_guard lock(s->m);
    s->status = r.status;
    s->headers = to_header_list(r.headers);
    s->headers_ready = true;
    s->headers_ms = ms_since(s->started);
    s->cv.notify_all();
    return !s->cancelled;
  };
  req.content_receiver = [s](const char* data, std::size_t n, std::uint64_t, std::uint64_t) {
    std::unique_lock lock(s->m);
    if (s->status < 200 || s->status >= 300) {  // error body: keep for the parsers
      if (s->error_body.size() < kMaxErrorBody) s->error_body.append(data, n);
      return !s->cancelled;
    }
    s->cv.wait(lock, [&] { return s->cancelled || s->queued < kMaxQueuedBytes; });
    if (s->cancelled) return false;
    s->chunks.emplace_back(data, n);
    s->queued += n;
    s->cv.notify_all();
    return true;
  };
  httplib::Response res;
  httplib::Error err = httplib::Error::Success;
  const bool sent = client.send(req, res, err);
  bool reusable = false;
  {
    std::lock_guard lock(s->m);
    s->client = nullptr;  // from here cancel() no longer touches it
    reusable = sent && !s->cancelled && err == httplib::Error::Success;
  }
  // Back in the pool before the stream reports its end, so the client's next request finds it.
  if (reusable) pool.give_back(target.scheme_host_port, std::move(owned));
  std::lock_guard lock(s->m);
  s->finished = true;
  s->error = s->cancelled ? httplib::Error::Canceled : err;
  s->cv.notify_all();
}

}  // namespace

UpstreamStream::UpstreamStream(const UpstreamTarget& target, std::string body, const UpstreamTimeouts& timeouts)
    : state_(std::make_shared<State>()) {
  state_->timeouts = timeouts;
  // The precise first-byte and idle deadlines are enforced by open()/next() and cancel();
  // the socket read timeout is only a backstop.
  state_->read_timeout_ms = std::max(timeouts.first_byte_ms, timeouts.idle_ms) + 1000;
  std::thread(run_stream, state_, target, std::move(body)).detach();
}

UpstreamStream::~UpstreamStream() { cancel(); }

void UpstreamStream::cancel() {
  std::lock_guard lock(state_->m);
  if (state_->finished) return;
  state_->cancelled = true;
  if (state_->client) state_->client->stop();
  state_->cv.notify_all();
}

UpstreamReply UpstreamStream::open() {
  State& s = *state_;
  UpstreamReply r;
  auto deadline = s.started + std::chrono::milliseconds(s.timeouts.first_byte_ms);
  std::unique_lock lock(s.m);
  bool ready = s.cv.wait_until(lock, deadline, [&] {
    if (s.finished) return true;
    if (!s.headers_ready) return false;
    return (s.status >= 200 && s.status < 300) ? !s.chunks.empty() : false;
  });
  r.latency_ms = s.headers_ready ? s.headers_ms : ms_since(s.started);
  if (!ready) {
    r.failure = OutcomeKind::timeout;
    r.detail = "first-byte timeout " + std::to_string(s.timeouts.first_byte_ms) + "ms";
    s.cancelled = true;
    if (s.client) s.client->stop();
    s.cv.notify_all();
    return r;
  }
  if (!s.headers_ready) {  // finished without a response
    lock.unlock();
    std::int64_t elapsed = ms_since(s.started);
    lock.lock();
    describe_failure(s.error, elapsed, s.read_timeout_ms, s.timeouts, r);
    return r;
  }
  r.status = s.status;
  r.headers = s.headers;
  if (s.status < 200 || s.status >= 300) {
    r.body = s.error_body;
    return r;
  }
  if (s.chunks.empty()) {  // 2xx that ended (or broke) before any body byte
    r.status = 0;
    r.failure = OutcomeKind::connect_error;
    r.detail = s.error == httplib::Error::Success ? "upstream sent an empty stream"
                                                  : "upstream " + httplib::to_string(s.error) + " before first byte";
  }
  return r;
}

UpstreamStream::Next UpstreamStream::next(std::string& out, std::chrono::milliseconds slice) {
  State& s = *state_;
  std::unique_lock lock(s.m);
  s.cv.wait_for(lock, slice, [&] { return !s.chunks.empty() || s.finished; });
  if (!s.chunks.empty()) {
    while (!s.chunks.empty()) {
      out += s.chunks.front();
      s.chunks.pop_front();
    }
    s.queued = 0;
    s.cv.notify_all();
    return Next::data;
  }
  if (!s.finished) return Next::waiting;
  if (s.error == httplib::Error::Success) return Next::end;
  return Next::failed;
}

std::string UpstreamStream::peek() const {
  std::lock_guard lock(state_->m);
  std::string out;
  for (const auto& c : state_->chunks) out += c;
  return out;
}

std::string UpstreamStream::failure_detail() const {
  std::lock_guard lock(state_->m);
  if (state_->cancelled) return "cancelled";
  return "upstream " + httplib::to_string(state_->error);
}

OutcomeKind UpstreamStream::failure_kind() const {
  std::lock_guard lock(state_->m);
  if (state_->cancelled) return OutcomeKind::cancelled;
  return state_->error == httplib::Error::Success ? OutcomeKind::success : OutcomeKind::connect_error;
}

}  // namespace qg
