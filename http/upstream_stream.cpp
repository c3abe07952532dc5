// http/upstream_stream.cpp — the upstream calls of http/upstream_call.hpp, plain and streamed:
// read on the caller's thread over a pooled UpstreamConnection, the response decoded by
// http/http1_response.hpp as the bytes arrive. A plain call is a stream read to its end.
#include "http/http1_response.hpp"
#include "http/upstream_call.hpp"
#include "http/upstream_connection.hpp"
#include "messages/ascii_text.hpp"

#include <optional>

namespace qg {
namespace {

using Clock = std::chrono::steady_clock;
using Io = UpstreamConnection::Io;
constexpr std::size_t kMaxHeadBytes = 64 * 1024;
constexpr std::size_t kMaxErrorBody = 1 << 20;

std::int64_t ms_since(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

bool header_safe(std::string_view s) { return !has_line_break(s, /*nul=*/true); }

// The request: `t.method` (POST carries `body` as JSON; GET and DELETE none), identity coding
// asked for (the body is relayed and parsed as it comes).
std::string request_text(const UpstreamTarget& t, const std::string& body, bool stream) {
  const auto host_start = t.scheme_host_port.find("://");
  const std::string_view method = t.method.empty() ? std::string_view("POST") : std::string_view(t.method);
  const bool with_body = method == "POST";
  std::string out;  // appended in place: no temporary strings
  out.reserve(512 + body.size());
  out += method;
  out += ' ';
  out += t.path;
  out += " HTTP/1.1\r\nHost: ";
  out += std::string_view(t.scheme_host_port).substr(host_start == std::string::npos ? 0 : host_start + 3);
  out += "\r\nUser-Agent: quotaguard\r\nAccept-Encoding: identity\r\n";
  if (with_body) {
    out += "Content-Type: application/json\r\nContent-Length: ";
    out += std::to_string(body.size());
    out += "\r\n";
  }
  for (const auto& [k, v] : upstream_request_headers(t, stream)) {
    if (!header_safe(k) || !header_safe(v) || k.empty()) continue;  // never split the request
    out += k;
    out += ": ";
    out += v;
    out += "\r\n";
  }
  out += "\r\n";
  if (with_body) out += body;
  return out;
}

}  // namespace

struct UpstreamStream::State {
  UpstreamTarget target;
  std::string request;
  UpstreamTimeouts timeouts;
  Clock::time_point started = Clock::now();
  std::unique_ptr<UpstreamConnection> connection;
  std::optional<BodyDecoder> decoder;
  std::string raw;         // bytes read, not decoded yet
  std::string body;        // decoded body bytes not taken by next() yet
  bool cancelled = false;
  std::string failure;     // what ended the read ("" while fine)

  // Reads once more (until `deadline`) and decodes; false when nothing more will come.
  Io pump(Clock::time_point deadline) {
    raw.clear();
    const Io io = connection->read_some(raw, deadline);
    if (io == Io::ok) decoder->feed(raw, body);
    else if (io == Io::closed) decoder->closed();
    else if (io == Io::error) failure = connection->last_error();
    if (decoder->failed() && failure.empty()) failure = decoder->failure();
    return io;
  }

  // The body is complete: a reusable connection goes back to the pool.
  void release_connection() {
    if (connection && decoder && decoder->reusable()) keep_idle_connection(std::move(connection));
    connection.reset();
  }

  UpstreamReply fail(UpstreamReply& r, OutcomeKind kind, std::string detail) {
    r.status = 0;
    r.failure = kind;
    r.detail = std::move(detail);
    r.latency_ms = ms_since(started);
    connection.reset();
    return r;
  }
  UpstreamReply first_byte_timeout(UpstreamReply& r) {
    return fail(r, OutcomeKind::timeout, "first-byte timeout " + std::to_string(timeouts.first_byte_ms) + "ms");
  }

  // Connects (or takes a pooled connection), sends the request, reads the response head by
  // `first_byte_deadline` and decodes the body bytes that came with it. A reply with the status
  // and headers, or a failure (status 0).
  UpstreamReply exchange(Clock::time_point first_byte_deadline) {
    UpstreamReply r;
    // A pooled connection the upstream closed meanwhile fails the write or the first read: one
    // more try on a fresh connection then.
    std::optional<ResponseHead> parsed;
    bool have_head = false;
    for (int attempt = 0; attempt < 2 && !have_head; ++attempt) {
      connection = attempt == 0 ? take_idle_connection(target.scheme_host_port) : nullptr;
      const bool reused = connection != nullptr;
      if (!reused) {
        std::string error;
        auto open_failure = UpstreamConnection::OpenFailure::none;
        const auto connect_deadline = std::min(first_byte_deadline, started + std::chrono::milliseconds(timeouts.connect_ms));
        connection = UpstreamConnection::open(target.scheme_host_port, connect_deadline, error, open_failure);
        if (!connection) {
          if (open_failure == UpstreamConnection::OpenFailure::timed_out)
            return fail(r, OutcomeKind::timeout, "connect timeout " + std::to_string(timeouts.connect_ms) + "ms");
          if (open_failure == UpstreamConnection::OpenFailure::exhausted) return fail(r, OutcomeKind::local_exhausted, error);
          return fail(r, OutcomeKind::connect_error, "upstream " + error);
        }
      }
      const Io wrote = connection->write_all(request, first_byte_deadline);
      if (wrote == Io::timeout) return first_byte_timeout(r);
      if (wrote != Io::ok) {
        if (reused) continue;
        return fail(r, OutcomeKind::connect_error, "upstream " + connection->last_error());
      }
      raw.clear();
      while (true) {  // the head; 1xx interim heads are skipped
        const std::size_t end = response_head_end(raw);
        if (end != std::string::npos) {
          parsed = parse_response_head(std::string_view(raw).substr(0, end));
          raw.erase(0, end);
          if (parsed && parsed->status < 200) continue;
          have_head = true;
          break;
        }
        if (raw.size() > kMaxHeadBytes) return fail(r, OutcomeKind::server_error, "upstream response head too large");
        const Io io = connection->read_some(raw, first_byte_deadline);
        if (io == Io::timeout) return first_byte_timeout(r);
        if (io != Io::ok) {
          if (reused && raw.empty()) break;  // a stale pooled connection: retry on a new one
          return fail(r, OutcomeKind::connect_error,
                      io == Io::closed ? "upstream closed the connection before the response"
                                       : "upstream " + connection->last_error());
        }
      }
    }
    std::string().swap(request);  // sent: not kept for the stream's life
    if (!parsed) return fail(r, OutcomeKind::connect_error, "upstream sent a malformed response head");
    r.latency_ms = ms_since(started);
    r.status = parsed->status;
    decoder.emplace(*parsed);  // reads the framing headers: before they move
    r.headers = std::move(parsed->headers);
    decoder->feed(raw, body);
    raw.clear();
    return r;
  }
};

UpstreamStream::UpstreamStream(const UpstreamTarget& target, std::string body, const UpstreamTimeouts& timeouts)
    : state_(std::make_unique<State>()) {
  state_->target = target;
  state_->request = request_text(target, body, /*stream=*/true);
  state_->timeouts = timeouts;
}

UpstreamStream::~UpstreamStream() = default;

void UpstreamStream::cancel() {
  state_->cancelled = true;
  state_->connection.reset();
  state_->body.clear();  // nothing more is delivered
}

UpstreamReply UpstreamStream::open() {
  State& s = *state_;
  const auto first_byte_deadline = s.started + std::chrono::milliseconds(s.timeouts.first_byte_ms);
  UpstreamReply r = s.exchange(first_byte_deadline);
  if (r.status == 0) return r;
  if (r.status < 200 || r.status >= 300) {  // an error answer: read it whole for the parsers
    while (!s.decoder->done() && !s.decoder->failed() && s.body.size() <= kMaxErrorBody) {
      const Io io = s.pump(first_byte_deadline);
      if (io == Io::timeout || io == Io::error) break;
    }
    if (s.body.size() > kMaxErrorBody) s.body.resize(kMaxErrorBody);
    r.body = std::move(s.body);
    s.body.clear();
    s.release_connection();
    return r;
  }
  if (auto enc = find_header(r.headers, "Content-Encoding"); enc && !header_name_equals(*enc, "identity"))
    return s.fail(r, OutcomeKind::server_error, "upstream compressed the stream (content-encoding " + std::string(*enc) + ")");
  while (s.body.empty() && !s.decoder->done() && !s.decoder->failed()) {
    const Io io = s.pump(first_byte_deadline);
    if (io == Io::timeout) return s.first_byte_timeout(r);
    if (io == Io::error) break;
  }
  if (s.body.empty()) {  // 2xx that ended (or broke) before any body byte
    const bool clean = s.decoder->done();
    const std::string why = s.failure.empty() ? "connection lost" : s.failure;
    return s.fail(r, OutcomeKind::connect_error, clean ? "upstream sent an empty stream" : "upstream " + why + " before first byte");
  }
  return r;
}

UpstreamStream::Next UpstreamStream::next(std::string& out, std::chrono::milliseconds slice) {
  State& s = *state_;
  const auto deadline = Clock::now() + slice;
  while (true) {
    if (!s.body.empty()) {
      out += s.body;
      s.body.clear();
      return Next::data;
    }
    if (s.cancelled) return Next::failed;
    if (!s.decoder) return Next::failed;
    if (s.decoder->done()) {
      s.release_connection();
      return Next::end;
    }
    if (s.decoder->failed() || !s.failure.empty() || !s.connection) {
      s.connection.reset();
      return Next::failed;
    }
    if (s.pump(deadline) == Io::timeout && s.body.empty()) return Next::waiting;
  }
}

std::string UpstreamStream::peek() const { return state_->body; }

std::string UpstreamStream::failure_detail() const {
  if (state_->cancelled) return "cancelled";
  return "upstream " + (state_->failure.empty() ? std::string("connection lost") : state_->failure);
}

OutcomeKind UpstreamStream::failure_kind() const {
  if (state_->cancelled) return OutcomeKind::cancelled;
  return state_->failure.empty() && state_->decoder && state_->decoder->done() ? OutcomeKind::success
                                                                              : OutcomeKind::connect_error;
}

UpstreamReply call_upstream_plain(const UpstreamTarget& target, const std::string& body,
                                  const UpstreamTimeouts& timeouts) {
  UpstreamStream::State s;
  s.target = target;
  s.request = request_text(target, body, /*stream=*/false);
  s.timeouts = timeouts;
  // Each read waits at most read_ms (the head, then every slice of the body); the whole
  // response must arrive by the deadline and within max_body_bytes.
  const std::int64_t read_ms = std::min(timeouts.first_byte_ms, std::max<std::int64_t>(timeouts.total_ms, 1));
  s.timeouts.first_byte_ms = read_ms;
  const auto deadline = s.started + std::chrono::milliseconds(timeouts.total_ms);
  const auto past_deadline = [&] {
    return "response not complete within proxy.request_timeout (" + std::to_string(timeouts.request_timeout_ms) + "ms)";
  };
  UpstreamReply r = s.exchange(s.started + std::chrono::milliseconds(read_ms));
  if (r.status == 0) {
    if (r.failure != OutcomeKind::local_exhausted && Clock::now() >= deadline) {
      r.failure = OutcomeKind::timeout;
      r.detail = past_deadline();
    }
    return r;
  }
  enum class Stop { none, too_large, deadline } stop = Stop::none;
  bool read_timed_out = false;
  while (!s.decoder->done() && !s.decoder->failed()) {
    if (s.body.size() > timeouts.max_body_bytes) stop = Stop::too_large;
    else if (Clock::now() > deadline) stop = Stop::deadline;
    if (stop != Stop::none) break;
    const Io io = s.pump(Clock::now() + std::chrono::milliseconds(read_ms));
    if (io == Io::timeout) read_timed_out = true;
    if (io == Io::timeout || io == Io::error) break;
  }
  if (stop == Stop::none && s.body.size() > timeouts.max_body_bytes) stop = Stop::too_large;
  if (stop == Stop::none && s.decoder->done() && !s.decoder->failed()) {
    r.body = std::move(s.body);
    s.release_connection();
    return r;
  }
  s.connection.reset();  // mid-response: never reused
  if (stop != Stop::none) r.cut_status = r.status;  // we cut it; a reset is the upstream's failure
  r.status = 0;
  if (stop == Stop::too_large) {
    r.failure = OutcomeKind::server_error;
    r.detail = "response larger than " + std::to_string(timeouts.max_body_bytes) + " bytes";
  } else if (stop == Stop::deadline || Clock::now() >= deadline) {
    r.failure = OutcomeKind::timeout;
    r.detail = past_deadline();
  } else if (read_timed_out) {
    r.failure = OutcomeKind::timeout;
    r.detail = "first-byte timeout " + std::to_string(read_ms) + "ms";
  } else {
    r.failure = OutcomeKind::connect_error;
    r.detail = "upstream " + (s.failure.empty() ? std::string("connection lost") : s.failure);
  }
  return r;
}

}  // namespace qg
