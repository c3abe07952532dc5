// messages/live_reservations.hpp — reservations whose request is still being served.
//
// A reservation's TTL (reservations.ttl) exists for requests that died without settling
// (a crash, a lost thread). A request that is merely slow — a stream longer than the TTL, a
// slow reader — must not lose its reservation: the expiry would free the window while the
// provider keeps serving, and the late commit would be refused, so the usage would never be
// counted (issue 15 item 7). The proxy holds a LiveReservation token from the grant until the
// commit or release; the account actor's expiry sweep skips ids that hold one. Process-local
// and never persisted: after a restart nothing is live, and open reservations expire as
// before. Thread-safe.
#pragma once

#include <string>

namespace qg {

class LiveReservation {
 public:
  explicit LiveReservation(std::string id);
  ~LiveReservation();
  LiveReservation(const LiveReservation&) = delete;
  LiveReservation& operator=(const LiveReservation&) = delete;

 private:
  std::string id_;
};

// True while some LiveReservation names `id`.
bool reservation_live(const std::string& id);

}  // namespace qg
