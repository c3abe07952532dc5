// http/proxy_stream.cpp — see proxy_stream.hpp.
#include "http/proxy_stream.hpp"
#include "http/shutdown_flag.hpp"

#include "http/proxy_routes.hpp"
#include "http/dialect_errors.hpp"
#include "http/reply_head.hpp"
#include "http/sse_relay.hpp"
#include "messages/token_estimate.hpp"
#include "messages/live_reservations.hpp"
#include "messages/usage_range.hpp"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <mutex>
#include <optional>

namespace qg {
namespace {

using Clock = std::chrono::steady_clock;

struct StreamSession {
  std::shared_ptr<ProxyBackend> backend;
  std::shared_ptr<UpstreamStream> upstream;
  StreamAccounting acc;
  SseRelay relay;
  std::once_flag finished;
  InflightRequest inflight;  // until the session (relay + commit) is over
  std::optional<LiveReservation> live;  // the TTL never expires a stream being relayed

  StreamSession(std::shared_ptr<ProxyBackend> b, std::shared_ptr<UpstreamStream> u, StreamAccounting a)
      : backend(std::move(b)), upstream(std::move(u)), acc(std::move(a)),
        relay(acc.drop_usage_chunk, acc.dialect, acc.max_sse_event_bytes) {
    live.emplace(acc.reservation_id);
  }

  // Commit once: reported usage, else an estimate from what was relayed.
  void finish(OutcomeKind kind, const std::string& detail) {
    std::call_once(finished, [&] {
      bool estimated = !relay.usage().has_value();
      Usage usage;
      if (estimated) {
        usage = relay.estimate(acc.estimate.input_tokens);
        usage.output_tokens = std::min(usage.output_tokens, kMaxUsagePerRequest);
      } else {
        usage = *relay.usage();
      }
      if (relay.usage_out_of_range())
        spdlog::warn("proxy: account {} reported usage outside 0..{} in a stream; committing the estimate instead",
                     acc.account_id, kMaxUsagePerRequest);
      if (acc.on_response_id && !relay.response_id().empty()) acc.on_response_id(relay.response_id());
      UpstreamOutcome outcome = acc.opened;
      outcome.kind = kind;
      outcome.detail = detail;
      backend->commit_reporting(acc.account_id, acc.reservation_id, usage, estimated, outcome);  // one hand-over
      if (acc.access) {
        acc.access->usage = usage;
        acc.access->estimated = estimated;
        write_access_log(*acc.access);
      }
      live.reset();
      spdlog::debug("proxy stream end account={} reservation={} outcome={} in={}B out={}B estimated={}",
                    acc.account_id, acc.reservation_id, to_string(kind), relay.bytes_in(),
                    relay.bytes_out(), estimated);
    });
  }

  bool client_gone() {
    upstream->cancel();
    finish(OutcomeKind::cancelled, "client disconnected");
    return false;
  }

  std::string error_event(int status, std::string_view message, std::string_view code) const {
    return dialect_sse_error(acc.dialect, status, message, code);
  }

  bool write(httplib::DataSink& sink, const std::string& out) {
    return out.empty() || sink.write(out.data(), out.size());
  }

  // The whole relay, inside one call of the chunked content provider.
  bool run(httplib::DataSink& sink) {
    std::string in, out;
    auto last_data = Clock::now();
    const auto idle = std::chrono::milliseconds(acc.idle_timeout_ms);
    // How long one wait for upstream bytes lasts: client gone, shutdown and the idle timeout are
    // checked between waits. A quarter of the idle timeout, at most 1 s: every stream's thread
    // wakes that often while its provider is quiet (10,000 slow streams: 10,000 wakeups/s).
    const auto slice = std::clamp(idle / 4, std::chrono::milliseconds(20), std::chrono::milliseconds(1000));
    while (true) {
      if (stream_shutdown_requested()) {  // drain time over: end cleanly, commit what was used
        upstream->cancel();
        write(sink, error_event(503, "server shutting down", "server_shutdown"));
        finish(OutcomeKind::cancelled, "daemon shutdown");
        sink.done();
        return true;
      }
      in.clear();
      auto next = upstream->next(in, slice);
      out.clear();
      switch (next) {
        case UpstreamStream::Next::data:
          last_data = Clock::now();
          relay.feed(in, out);
          if (!write(sink, out)) return client_gone();
          if (relay.overflowed()) {  // no blank line within the bound: a broken upstream
            upstream->cancel();
            const std::string what = "upstream SSE event exceeds " + std::to_string(acc.max_sse_event_bytes) + " bytes";
            write(sink, sse_error_event(what, "upstream_error"));
            finish(OutcomeKind::server_error, what);
            sink.done();
            return true;
          }
          continue;
        case UpstreamStream::Next::waiting:
          if (!sink.is_writable()) return client_gone();
          if (Clock::now() - last_data < idle) continue;
          upstream->cancel();
          write(sink, error_event(504, "upstream idle timeout", "upstream_timeout"));
          finish(OutcomeKind::timeout, "idle timeout " + std::to_string(acc.idle_timeout_ms) + "ms");
          sink.done();
          return true;
        case UpstreamStream::Next::end:
          relay.finish(out);
          if (!write(sink, out)) return client_gone();
          if (relay.upstream_error_event()) {
            // The upstream itself ended the stream with an error event (already relayed).
            finish(OutcomeKind::server_error, "upstream sent an error event");
          } else if (acc.dialect == Dialect::chat ? (!relay.saw_done() && !relay.usage()) : !relay.saw_done()) {
            // Ended before the dialect's final event: tell the client the stream is incomplete.
            write(sink, error_event(502, "upstream stream ended early", "upstream_error"));
            finish(OutcomeKind::connect_error, "stream ended before its final event");
          } else {
            finish(OutcomeKind::success, "");
          }
          sink.done();
          return true;
        case UpstreamStream::Next::failed: {
          std::string detail = upstream->failure_detail();
          write(sink, error_event(502, "upstream connection lost", "upstream_error"));
          finish(upstream->failure_kind() == OutcomeKind::cancelled ? OutcomeKind::cancelled
                                                                     : OutcomeKind::connect_error,
                 detail);
          sink.done();
          return true;
        }
      }
    }
  }
};

}  // namespace

void start_stream_response(httplib::Response& res, std::shared_ptr<ProxyBackend> backend,
                           std::shared_ptr<UpstreamStream> upstream, StreamAccounting accounting) {
  auto session = std::make_shared<StreamSession>(std::move(backend),
                                                 std::move(upstream), std::move(accounting));
  if (!reply_has_header(res, "Cache-Control")) res.set_header("Cache-Control", "no-cache");  // or the provider's
  res.set_chunked_content_provider(
      "text/event-stream",
      [session](std::size_t, httplib::DataSink& sink) { return session->run(sink); },
      [session](bool) {
        // The provider may never run (client gone before the headers were written).
        session->upstream->cancel();
        session->finish(OutcomeKind::cancelled, "client disconnected");
      });
}

}  // namespace qg
