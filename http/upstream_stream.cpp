// http/upstream_stream.cpp — UpstreamStream (http/upstream_call.hpp): a streamed upstream
// call read on the caller's thread over an UpstreamConnection, its response decoded by
// http/http1_response.hpp as the bytes arrive.
#include "http/http1_response.hpp"
#include "http/upstream_call.hpp"
#include "http/upstream_connection.hpp"

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

bool header_safe(std::string_view s) { return s.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos; }

std::string request_text(const UpstreamTarget& t, const std::string& body) {
  const auto host_start = t.scheme_host_port.find("://");
  std::string out;
  out.reserve(512 + body.size());
  out += "POST " + t.path + " HTTP/1.1\r\nHost: " + t.scheme_host_port.substr(host_start == std::string::npos ? 0 : host_start + 3) +
         "\r\nUser-Agent: quotaguard\r\nAccept-Encoding: identity\r\nContent-Type: application/json\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n";
  for (const auto& [k, v] : upstream_request_headers(t, true)) {
    if (!header_safe(k) || !header_safe(v) || k.empty()) continue;  // never split the request
    out += k;
    out += ": ";
    out += v;
    out += "\r\n";
  }
  out += "\r\n";
  out += body;
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
};

UpstreamStream::UpstreamStream(const UpstreamTarget& target, std::string body, const UpstreamTimeouts& timeouts)
    : state_(std::make_unique<State>()) {
  state_->target = target;
  state_->request = request_text(target, body);
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
  UpstreamReply r;
  const auto first_byte_deadline = s.started + std::chrono::milliseconds(s.timeouts.first_byte_ms);
  auto fail = [&](OutcomeKind kind, std::string detail) {
    r.status = 0;
    r.failure = kind;
    r.detail = std::move(detail);
    r.latency_ms = ms_since(s.started);
    s.connection.reset();
    return r;
  };
  auto first_byte_timeout = [&] {
    return fail(OutcomeKind::timeout, "first-byte timeout " + std::to_string(s.timeouts.first_byte_ms) + "ms");
  };

  // A pooled connection the upstream closed meanwhile fails the write or the first read: one
  // more try on a fresh connection then.
  std::string head;
  for (int attempt = 0; attempt < 2 && head.empty(); ++attempt) {
    s.connection = attempt == 0 ? take_idle_connection(s.target.scheme_host_port) : nullptr;
    const bool reused = s.connection != nullptr;
    if (!reused) {
      std::string error;
      auto failure = UpstreamConnection::OpenFailure::none;
      const auto connect_deadline = std::min(first_byte_deadline, s.started + std::chrono::milliseconds(s.timeouts.connect_ms));
      s.connection = UpstreamConnection::open(s.target.scheme_host_port, connect_deadline, error, failure);
      if (!s.connection) {
        if (failure == UpstreamConnection::OpenFailure::timed_out)
          return fail(OutcomeKind::timeout, "connect timeout " + std::to_string(s.timeouts.connect_ms) + "ms");
        if (failure == UpstreamConnection::OpenFailure::exhausted) return fail(OutcomeKind::local_exhausted, error);
        return fail(OutcomeKind::connect_error, "upstream " + error);
      }
    }
    const Io wrote = s.connection->write_all(s.request, first_byte_deadline);
    if (wrote == Io::timeout) return first_byte_timeout();
    if (wrote != Io::ok) {
      if (reused) continue;
      return fail(OutcomeKind::connect_error, "upstream " + s.connection->last_error());
    }
    s.raw.clear();
    while (true) {  // the head; 1xx interim heads are skipped
      const std::size_t end = response_head_end(s.raw);
      if (end != std::string::npos) {
        auto parsed = parse_response_head(std::string_view(s.raw).substr(0, end));
        if (parsed && parsed->status < 200) {
          s.raw.erase(0, end);
          continue;
        }
        head = s.raw.substr(0, end);
        s.raw.erase(0, end);
        break;
      }
      if (s.raw.size() > kMaxHeadBytes) return fail(OutcomeKind::server_error, "upstream response head too large");
      const Io io = s.connection->read_some(s.raw, first_byte_deadline);
      if (io == Io::timeout) return first_byte_timeout();
      if (io != Io::ok) {
        if (reused && s.raw.empty()) break;  // a stale pooled connection: retry on a new one
        return fail(OutcomeKind::connect_error,
                    io == Io::closed ? "upstream closed the connection before the response"
                                     : "upstream " + s.connection->last_error());
      }
    }
  }
  std::string().swap(s.request);  // sent: not kept for the stream's life
  auto parsed = parse_response_head(head);
  if (!parsed) return fail(OutcomeKind::connect_error, "upstream sent a malformed response head");
  r.latency_ms = ms_since(s.started);
  r.status = parsed->status;
  r.headers = parsed->headers;
  s.decoder.emplace(*parsed);
  s.decoder->feed(s.raw, s.body);
  s.raw.clear();

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
    return fail(OutcomeKind::server_error, "upstream compressed the stream (content-encoding " + std::string(*enc) + ")");
  while (s.body.empty() && !s.decoder->done() && !s.decoder->failed()) {
    const Io io = s.pump(first_byte_deadline);
    if (io == Io::timeout) return first_byte_timeout();
    if (io == Io::error) break;
  }
  if (s.body.empty()) {  // 2xx that ended (or broke) before any body byte
    const bool clean = s.decoder->done();
    const std::string why = s.failure.empty() ? "connection lost" : s.failure;
    return fail(OutcomeKind::connect_error, clean ? "upstream sent an empty stream" : "upstream " + why + " before first byte");
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

}  // namespace qg
