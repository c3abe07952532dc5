// http/reservation_guard.hpp — settles a granted reservation on every exit from a proxy attempt.
//
// Every reservation granted by ProxyBackend::route_and_reserve must be resolved exactly once
// (commit or release). Between the grant and the resolution the proxy calls upstreams and
// parses their headers and bodies: any of that may throw, and a handler may return early. The
// guard makes the resolution structural: commit() and release() go through it, hand_over()
// passes the duty to a stream session that settles it itself, and a guard destroyed with the
// reservation still open releases it with reason "proxy_error" (an exception) or
// "proxy_abandoned" (a path that forgot to settle) — or, once upstream_served() said the
// upstream answered with success, commits the estimate. Its destructor never throws.
#pragma once

#include "messages/proxy_backend.hpp"
#include "messages/live_reservations.hpp"

#include <exception>
#include <optional>
#include <string>
#include <utility>

namespace qg {

class ReservationGuard {
 public:
  ReservationGuard(ProxyBackend& backend, std::string account_id, std::string reservation_id)
      : backend_(backend), account_id_(std::move(account_id)), reservation_id_(std::move(reservation_id)),
        live_(reservation_id_), exceptions_at_start_(std::uncaught_exceptions()) {}
  ReservationGuard(const ReservationGuard&) = delete;
  ReservationGuard& operator=(const ReservationGuard&) = delete;

  ~ReservationGuard() {
    if (settled_) return;
    try {
      if (served_estimate_)
        backend_.commit(account_id_, reservation_id_, *served_estimate_, /*estimated=*/true);
      else
        backend_.release(account_id_, reservation_id_,
                         std::uncaught_exceptions() > exceptions_at_start_ ? "proxy_error" : "proxy_abandoned");
    } catch (...) {  // the reservation's TTL remains the last resort
    }
  }

  void commit(const Usage& usage, bool estimated) {
    if (std::exchange(settled_, true)) return;
    backend_.commit(account_id_, reservation_id_, usage, estimated);
  }
  // The same, with the upstream call's outcome reported in the same hand-over (one message to
  // the account: ProxyBackend::commit_reporting).
  void commit(const Usage& usage, bool estimated, const UpstreamOutcome& outcome) {
    if (std::exchange(settled_, true)) return backend_.report_outcome(account_id_, outcome);
    backend_.commit_reporting(account_id_, reservation_id_, usage, estimated, outcome);
  }
  void release(const std::string& reason) {
    if (std::exchange(settled_, true)) return;
    backend_.release(account_id_, reservation_id_, reason);
  }
  // A stream session now owns the resolution (it commits once when the stream ends).
  void hand_over() { settled_ = true; }
  // The upstream answered with success: if the attempt now ends without settling (an
  // exception while reading the answer), the request was served and `estimate` is
  // committed (estimated) instead of releasing — a served request is never free.
  void upstream_served(const Usage& estimate) { served_estimate_ = estimate; }
  bool settled() const { return settled_; }

 private:
  ProxyBackend& backend_;
  std::string account_id_;
  std::string reservation_id_;
  LiveReservation live_;  // the TTL sweep skips it while this attempt runs
  int exceptions_at_start_;
  bool settled_ = reservation_id_.empty();  // a routed call without a reservation (count_tokens)
  std::optional<Usage> served_estimate_;
};

}  // namespace qg
